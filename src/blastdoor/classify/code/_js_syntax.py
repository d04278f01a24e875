"""JavaScript/TypeScript syntax helpers of the JS analyser: parsers, module names, node walking."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = ["BUILTIN", "DISTINCT", "STATEMENTS", "canon", "identifiers", "module_name", "parser", "unescape"]

_PARSERS: dict[str, Parser] = {}


# child_process and fs calls whose names mean the same on any receiver (not `exec`: RegExp has one).
DISTINCT = frozenset(
    (
        "execSync",
        "execFile",
        "execFileSync",
        "spawn",
        "spawnSync",
        "fork",
        "rmSync",
        "rmdirSync",
        "unlinkSync",
        "writeFileSync",
        "appendFileSync",
        "renameSync",
        "copyFileSync",
        "cpSync",
        "chmodSync",
        "chownSync",
        "truncateSync",
        "symlinkSync",
        "rmdir",
        "unlink",
        "writeFile",
        "appendFile",
        "rm",
    )
)
BUILTIN = frozenset(
    (
        "fs",
        "path",
        "os",
        "child_process",
        "http",
        "https",
        "net",
        "tls",
        "dgram",
        "vm",
        "util",
        "url",
        "crypto",
        "stream",
        "events",
        "process",
        "buffer",
        "readline",
        "assert",
        "zlib",
        "worker_threads",
        "cluster",
    )
)


# Node types ``stmt`` handles itself (anything else is read child by child: no loop between the two).
STATEMENTS = frozenset(
    (
        "lexical_declaration",
        "variable_declaration",
        "import_statement",
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "try_statement",
        "switch_statement",
        "program",
        "class_body",
        "switch_case",
        "switch_default",
        "else_clause",
        "catch_clause",
        "finally_clause",
        "switch_body",
        "export_statement",
        "labeled_statement",
    )
)


def parser(dialect: str) -> Parser:
    parser = _PARSERS.get(dialect)
    if parser is None:
        import tree_sitter

        if dialect in ("typescript", "tsx"):
            import tree_sitter_typescript

            lang = (
                tree_sitter_typescript.language_tsx()
                if dialect == "tsx"
                else tree_sitter_typescript.language_typescript()
            )
        else:
            import tree_sitter_javascript

            lang = tree_sitter_javascript.language()
        parser = _PARSERS[dialect] = tree_sitter.Parser(tree_sitter.Language(lang))
    return parser


def module_name(name: str) -> str:
    name = name.removeprefix("node:")
    if name in ("fs/promises", "fs-extra"):
        return "fs"
    if name == "child_process/promises":
        return "child_process"
    return name


def canon(name: str) -> str:
    """``fs.promises.rm`` -> ``fs.rm``; ``require('fs').rm`` is the same call."""
    return name.replace(".promises.", ".").replace(".default.", ".")


def identifiers(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "shorthand_property_identifier_pattern"):
            out.append(n)
        elif n.type not in ("type_annotation",):
            stack.extend(n.named_children)
    return out


def unescape(seq: str) -> str:
    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"', "`": "`"}
    if len(seq) == 2 and seq[1] in simple:
        return simple[seq[1]]
    try:
        return seq.encode("latin-1").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return seq[1:]
