"""What programs would do: Python (``ast``) and JavaScript/TypeScript (tree-sitter) read as findings.

``analyse(lang, text, base_dir=...)`` returns :class:`Finding` records (a file deleted, a command run,
an AWS operation called with its profile and region, SQL executed, data sent out, something that
cannot be read). The language analysers are imported only when code is met: a hook classifying a
plain shell command never loads them. ``classify/shell/_code.py`` turns findings into parts.
"""

from __future__ import annotations

from blastdoor.classify.code._findings import Finding

__all__ = ["LANGS", "Finding", "analyse", "language_of"]

#: The languages read here; ``node`` is an alias of ``javascript``.
LANGS = frozenset(("python", "javascript", "typescript", "tsx"))

_EXT = {
    ".py": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
}


def language_of(path: str, text: str = "") -> str:
    """The language of a program file by its shebang, then its extension; ``""`` when neither says."""
    first = text.split("\n", 1)[0] if text.startswith("#!") else ""
    if first:
        if "python" in first:
            return "python"
        if any(k in first for k in ("node", "deno", "bun", "tsx", "ts-node")):
            return "typescript" if any(k in first for k in ("deno", "tsx", "ts-node")) else "javascript"
    dot = path.rfind(".")
    return _EXT.get(path[dot:].lower(), "") if dot >= 0 else ""


def analyse(lang: str, text: str, *, base_dir: str | None = None) -> list[Finding]:
    """The findings of ``text`` in ``lang`` (python, javascript/node, typescript, tsx)."""
    if lang == "python":
        from blastdoor.classify.code.python import analyse_python

        return analyse_python(text, base_dir=base_dir)
    if lang in ("javascript", "node", "typescript", "tsx"):
        from blastdoor.classify.code.javascript import analyse_javascript

        return analyse_javascript(text, dialect="javascript" if lang == "node" else lang, base_dir=base_dir)
    return [Finding("unknown", f"{lang} code is not read")]
