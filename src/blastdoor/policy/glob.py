"""Glob matching for policy values, compiled once per pattern.

Two flavours: *value* globs (tool, operation, env, command, ...) where ``*`` matches anything, and
*path* globs (targets) where ``*`` stays within one path segment, ``**`` crosses segments, and a
trailing ``/**`` also matches the directory itself (``./build/**`` covers ``rm -r ./build``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

GLOB_CHARS = frozenset("*?[")

_value_cache: dict[str, Callable[[str], bool]] = {}
_path_cache: dict[str, Callable[[str], bool]] = {}


def is_literal(pattern: str) -> bool:
    return not (GLOB_CHARS & set(pattern))


def literal_prefix(pattern: str) -> str:
    """The part of ``pattern`` before its first glob character."""
    for i, ch in enumerate(pattern):
        if ch in GLOB_CHARS:
            return pattern[:i]
    return pattern


def _translate(pattern: str, path: bool) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if path and pattern.startswith("**", i):
                if pattern.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*" if path else ".*")
        elif ch == "?":
            out.append("[^/]" if path else ".")
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern.startswith("[!", i) or pattern.startswith("[]", i) else i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif path and ch == "/" and pattern.endswith("/**") and i == n - 3:
            out.append("(?:/.*)?")
            break
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _compile(pattern: str, path: bool) -> Callable[[str], bool]:
    if is_literal(pattern):
        return pattern.__eq__
    if not path and pattern.endswith("*") and is_literal(pattern[:-1]):
        prefix = pattern[:-1]
        return lambda s: s.startswith(prefix)
    fullmatch = re.compile(_translate(pattern, path), re.DOTALL).fullmatch
    return lambda s: fullmatch(s) is not None


def value_matcher(pattern: str) -> Callable[[str], bool]:
    m = _value_cache.get(pattern)
    if m is None:
        m = _value_cache[pattern] = _compile(pattern, False)
    return m


def path_matcher(pattern: str) -> Callable[[str], bool]:
    m = _path_cache.get(pattern)
    if m is None:
        m = _path_cache[pattern] = _compile(pattern, True)
    return m
