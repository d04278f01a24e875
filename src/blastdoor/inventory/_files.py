"""Reading configuration files without crashing, and with line numbers.

Every reader returns a ``Parsed``: the data (or None), the text, and a ``Problem`` when the file is
unreadable, truncated or not the expected type (with the line and column the parser reported). Lines of
keys are found by locating the key path in the text (``line_of``): JSON and TOML parsers give no
positions for values, so a key's line is the first occurrence of its path's segments in order, which is
exact for the configuration files read here (one key per line) and the line of the enclosing key
otherwise. YAML keeps marks (``yaml.compose``), so its lines are exact.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

JSON = Any
MAX_BYTES = 4 * 1024 * 1024  # a configuration file larger than this is reported, not read


@dataclass
class Problem:
    """Why a file could not be used, and where."""

    message: str
    line: int = 0
    column: int = 0


@dataclass
class Parsed:
    path: str
    text: str
    data: JSON = None
    problem: Problem | None = None

    def line_of(self, *keys: str | int) -> int:
        return line_of(self.text, keys)


def read_text(path: str) -> tuple[str, Problem | None]:
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            return "", Problem(f"larger than {MAX_BYTES} bytes: not read")
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return "", Problem(f"unreadable: {exc.strerror or exc}")
    text = raw.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff"), None


def strip_json_comments(text: str) -> str:
    """JSONC (VS Code, Claude Desktop): comments and trailing commas blanked out, positions kept."""
    out = list(text)
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        elif c == ",":
            j = i + 1
            while j < n and out[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                out[i] = " "
        i += 1
    return "".join(out)


def load_json(path: str, *, jsonc: bool = False, want: type = dict) -> Parsed:
    text, problem = read_text(path)
    if problem:
        return Parsed(path, "", None, problem)
    try:
        data = json.loads(strip_json_comments(text) if jsonc else text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        msg = getattr(exc, "msg", str(exc))
        return Parsed(path, text, None, Problem(f"not valid JSON: {msg}", line, col))
    if not isinstance(data, want):
        return Parsed(path, text, None, Problem(f"expected a JSON {_kind(want)}, found {_kind(type(data))}", 1, 1))
    return Parsed(path, text, data)


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_toml(path: str) -> Parsed:
    import tomllib

    text, problem = read_text(path)
    if problem:
        return Parsed(path, "", None, problem)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_AT.search(str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        return Parsed(path, text, None, Problem(f"not valid TOML: {_TOML_AT.sub('', str(exc)).strip()}", line, col))
    return Parsed(path, text, data)


def load_yaml(path: str, *, want: type = dict) -> Parsed:
    import yaml

    text, problem = read_text(path)
    if problem:
        return Parsed(path, "", None, problem)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return Parsed(path, text, None, Problem(f"not valid YAML: {reason}", line, col))
    if data is None:
        data = want()
    if not isinstance(data, want):
        return Parsed(path, text, None, Problem(f"expected a YAML {_kind(want)}, found {_kind(type(data))}", 1, 1))
    return Parsed(path, text, data)


def _kind(t: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        t, "null" if t is type(None) else t.__name__
    )


def line_of(text: str, keys: tuple[str | int, ...] | list[str | int]) -> int:
    """The 1-based line where the key path ``keys`` appears (string keys in order; ints are skipped)."""
    pos = 0
    line_pos = -1
    for key in keys:
        if not isinstance(key, str):
            continue
        found = -1
        for pattern in (f'"{key}"', f"'{key}'", key):
            found = _find_key(text, pattern, pos)
            if found >= 0:
                break
        if found < 0:
            break
        pos = line_pos = found
    return text.count("\n", 0, line_pos) + 1 if line_pos >= 0 else 1


def _find_key(text: str, needle: str, start: int) -> int:
    """``needle`` as a key (followed by ``:``, ``=`` or ``]``) or a value, from ``start``."""
    i = text.find(needle, start)
    first = i
    while i >= 0:
        j = i + len(needle)
        while j < len(text) and text[j] in " \t":
            j += 1
        if needle[0] in "\"'":
            return i  # a quoted key or value
        if j < len(text) and text[j] in ":=]," and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_-.")):
            return i
        i = text.find(needle, i + 1)
    return first


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
