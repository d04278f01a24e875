"""Cutting a long shell text at top-level pipes, so that parsing it stays linear (``walk_text``).

tree-sitter-bash's parse of one pipeline grows with the square of its stages when they carry short
options (``sort -u | sort -u ...``: 20,000 stages took seconds). The scanner here finds the pipes
between top-level stages without parsing.
"""

from __future__ import annotations

__all__ = ["CHUNK_STAGES", "SPLIT_FROM", "chunks"]


CHUNK_STAGES = 128  # pipeline stages parsed at once in a long input
SPLIT_FROM = 8 * 1024  # characters: shorter inputs are parsed whole


def chunks(text: str) -> list[str] | None:
    """``text`` cut at every CHUNK_STAGES-th top-level ``|``, or None when there is nothing to cut.

    A scanner that follows quotes, escapes, brackets, comments, heredoc bodies and ``case ... esac``
    well enough to find the pipes between top-level stages. A wrong guess cannot hide a command: every
    character is still parsed as shell in some chunk, and a chunk that does not parse is ``unknown``.
    """
    cuts: list[int] = []
    pipes = depth = 0
    quote = ""
    heredocs: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch == "\n" and heredocs:
            i = _skip_heredocs(text, i + 1, heredocs)
            heredocs = []
            continue
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n;|&("):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch == "<" and text.startswith("<<", i) and not text.startswith("<<<", i):
            i = _heredoc_start(text, i + 2, heredocs)
            continue
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth = max(0, depth - 1)
        elif ch in "ce" and (i == 0 or text[i - 1] in " \t\n;|&(") and text.startswith(("case", "esac"), i):
            after = text[i + 4 : i + 5]
            if not after or after in " \t\n;":
                depth = depth + 1 if ch == "c" else max(0, depth - 1)
        elif ch == "|" and depth == 0:
            if text.startswith("||", i):
                i += 2
                continue
            pipes += 1
            if pipes % CHUNK_STAGES == 0 and not text.startswith("|&", i):
                cuts.append(i)
        i += 1
    if not cuts:
        return None
    out: list[str] = []
    start = 0
    for cut in cuts:
        out.append(text[start:cut])
        start = cut + 1
    out.append(text[start:])
    return out


def _heredoc_start(text: str, i: int, heredocs: list[tuple[str, bool]]) -> int:
    """Read a heredoc's delimiter after ``<<`` at ``i``; remember it; return where scanning goes on."""
    strip = text.startswith("-", i)
    if strip:
        i += 1
    while i < len(text) and text[i] in " \t":
        i += 1
    j = i
    while j < len(text) and text[j] not in " \t\n;|&<>()":
        j += 1
    word = text[i:j].replace("'", "").replace('"', "").replace("\\", "")
    if word:
        heredocs.append((word, strip))
    return j


def _skip_heredocs(text: str, i: int, heredocs: list[tuple[str, bool]]) -> int:
    """Skip the bodies of the pending heredocs, starting at line start ``i``."""
    for word, strip in heredocs:
        while i < len(text):
            end = text.find("\n", i)
            line = text[i:] if end < 0 else text[i:end]
            i = len(text) if end < 0 else end + 1
            if (line.lstrip("\t") if strip else line) == word:
                break
    return i
