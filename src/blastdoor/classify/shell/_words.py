"""tree-sitter word nodes -> the literal text bash would pass, or ``None`` when it is computed at run time.

Only what is certain is decoded: quotes, backslash escapes, ``$'...'``, ``~`` and variables whose value
the context knows (the command's own assignments, then the harness's environment). Command and
arithmetic substitutions, positional parameters and exotic expansions are run-time values: ``None``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Node

    Lookup = Callable[[str], str | None]

_EXPANSION = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])(.*))?\}$", re.S)
_ANSI = re.compile(r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)", re.S)
_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f"}
_ANSI_SIMPLE.update({"v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"})


def _unescape_unquoted(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            if text[i + 1] != "\n":  # backslash-newline is a line continuation
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape_double(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _ansi_sub(m: re.Match[str]) -> str:
    esc = m.group(1)
    head = esc[0]
    try:
        if head == "x":
            return chr(int(esc[1:], 16))
        if head in "uU":
            return chr(int(esc[1:], 16))
        if head.isdigit():
            return chr(int(esc, 8) & 0xFF)
        if head == "c":
            return chr(ord(esc[1]) & 0x1F)
    except (ValueError, OverflowError):
        return ""
    return _ANSI_SIMPLE.get(esc, "\\" + esc)


def decode_ansi(body: str) -> str:
    """The value of ``$'body'``."""
    return _ANSI.sub(_ansi_sub, body)


def word(node: Node, lookup: Lookup, home: str) -> str | None:
    """The literal value of one argument node, or ``None`` when bash computes it at run time."""
    t = node.type
    if t == "word" or t == "number":
        text = _text(node)
        if text.startswith("~") and (len(text) == 1 or text[1] == "/"):
            return home + _unescape_unquoted(text[1:])
        return _unescape_unquoted(text)
    if t == "raw_string":
        return _text(node)[1:-1]
    if t == "string" or t == "translated_string":
        parts: list[str] = []
        for child in node.children:
            ct = child.type
            if ct == "string_content":
                parts.append(_unescape_double(_text(child)))
            elif ct == '"' or ct == '$"':
                continue
            else:
                value = word(child, lookup, home)
                if value is None:
                    return None
                parts.append(value)
        return "".join(parts)
    if t == "concatenation":
        parts = []
        first = True
        for child in node.children:
            value = word(child, lookup, home) if not (first and child.type == "word") else None
            if first and child.type == "word":
                # A leading ~ expands only at the start of the whole word.
                text = _text(child)
                if text.startswith("~") and (len(text) == 1 or text[1] == "/"):
                    value = home + _unescape_unquoted(text[1:])
                else:
                    value = _unescape_unquoted(text)
            first = False
            if value is None:
                return None
            parts.append(value)
        return "".join(parts)
    if t == "ansi_c_string":
        return decode_ansi(_text(node)[2:-1])
    if t == "simple_expansion":
        name = _text(node)[1:]
        return lookup(name) if name and (name[0].isalpha() or name[0] == "_") else None
    if t == "expansion":
        m = _EXPANSION.match(_text(node))
        if m is None:
            return None
        value = lookup(m.group(1))
        if m.group(2) is None:
            return value
        colon = m.group(2).startswith(":")
        if value is None or (colon and value == ""):
            return _default(m.group(3) or "", lookup, home)
        return value
    if t == "brace_expression":
        return _text(node)
    if t == "command_substitution":
        return _constant_output(node, lookup, home)
    return None


_GLOB_OR_SPACE = re.compile(r"[\s*?\[]")


def _constant_output(node: Node, lookup: Lookup, home: str) -> str | None:
    """``$(echo WORD)`` / `` `echo WORD` ``: the one word a constant ``echo`` prints, else ``None``.

    Only a plain ``echo`` of literal words whose output is one non-empty word with no spaces or glob
    characters: then word splitting and globbing cannot change it, and bash uses exactly that word.
    An empty output is ``None``: unquoted, it removes the word altogether (``$(true) rm -rf /``).
    """
    inner = node.named_children
    if len(inner) != 1 or inner[0].type != "command":
        return None
    words: list[str] = []
    for child in inner[0].named_children:
        if child.type == "command_name":
            name = child.named_children
            if len(name) != 1 or word(name[0], lookup, home) != "echo":
                return None
            continue
        if child.type not in ("word", "raw_string", "string", "concatenation", "number"):
            return None  # a redirection, an assignment, a nested substitution...
        value = word(child, lookup, home)
        if value is None or value.startswith("-"):
            return None  # computed, or an echo option (-n, -e) that changes what it prints
        words.append(value)
    out = " ".join(words)
    if not out or _GLOB_OR_SPACE.search(out) or "\\" in out:
        return None
    return out


_INNER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^${}`]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _default(text: str, lookup: Lookup, home: str, depth: int = 0) -> str | None:
    """The value of a ``${VAR:-default}`` default: ``$HOME/.cache``, ``${XDG_CACHE_HOME:-~/.cache}``.

    Variables the context knows are expanded (nested defaults too, a few levels deep); a command
    substitution, an unknown variable or any other expansion is computed at run time: ``None``.
    """
    if "`" in text or "$(" in text or depth > 4:
        return None
    if text.startswith("~") and (len(text) == 1 or text[1] == "/"):
        text = home + text[1:]
    if "${" in text and text.count("${") != text.count("}"):
        return None
    out: list[str] = []
    pos = 0
    for m in _INNER.finditer(text):
        out.append(_unescape_unquoted(text[pos : m.start()]))
        name = m.group(1) or m.group(4)
        value = lookup(name)
        if m.group(1) and m.group(2) is not None and (value is None or (m.group(2)[0] == ":" and value == "")):
            value = _default(m.group(3) or "", lookup, home, depth + 1)
        if value is None:
            return None
        out.append(value)
        pos = m.end()
    rest = text[pos:]
    if "$" in rest:
        return None
    out.append(_unescape_unquoted(rest))
    return "".join(out)


def expanded_names(node: Node) -> list[str]:
    """The variables a node expands (``$NAME``, ``${NAME...}``) at any depth, quoted or not; none inside
    single quotes, where bash expands nothing."""
    names: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t == "simple_expansion":
            names.append(_text(n)[1:])
        elif t == "expansion":
            m = _NAME_IN_EXPANSION.match(_text(n))
            if m is not None:
                names.append(m.group(1))
        elif t != "raw_string":
            stack.extend(n.children)
    return names


_NAME_IN_EXPANSION = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)")  # not ${#NAME} (a length) or ${!NAME}


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def text(node: Node) -> str:
    """The source text of a node."""
    return _text(node)


def split(node: Node, lookup: Lookup, home: str, ifs: str | None) -> list[str | None]:
    """The words an argument becomes: bash splits an unquoted ``$x``/``${x}`` at the characters of
    ``ifs`` (``x='rm -rf /'; $x`` runs ``rm`` with ``-rf`` and ``/``). Other words stay whole; an
    expansion whose splitting is not known (``ifs`` None: computed) is one computed word."""
    value = word(node, lookup, home)
    if node.type not in ("simple_expansion", "expansion") or value is None:
        return [value]
    if ifs is None:
        return [None]
    if not ifs:
        return [value] if value else []
    spaces = "".join(c for c in ifs if c in " \t\n")
    others = "".join(c for c in ifs if c not in " \t\n")
    parts = re.split(f"[{re.escape(others)}]", value.strip(spaces)) if others else [value.strip(spaces)]
    out: list[str | None] = []
    for piece in parts:
        out.extend(re.split(f"[{re.escape(spaces)}]+", piece) if spaces and piece else [piece])
    return [w for w in out if w] if not others else out
