"""Patches: the files ``patch``, ``git apply`` and ``git am`` change are named inside the patch.

The patch is read (a file operand, ``-i``/``--input``, or standard input: a redirected file or a
here-document) and every file its headers name is judged as a write of that place, so a patch that
rewrites ``blastdoor.yaml`` or ``.claude/settings.json`` is the guard, one that touches ``~/.bashrc``
is persistence, like any other write there. Header forms (GNU diffutils' unified and context formats,
git's extended headers): ``diff --git a/X b/Y``, ``--- X``/``+++ Y``, ``*** X``, ``rename to``/``copy
to``. Leading components are stripped as the tool would: ``-pN``, else one for git (its ``a/``, ``b/``)
and all but the last name for ``patch`` (GNU patch without ``-p``); ``-d DIR``/``--directory`` moves
the base. A patch that cannot be read here (computed, missing, binary, written earlier by this same
input) changes files nobody can name: ``unknown``.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd
    from blastdoor.classify.shell._state import State

_GIT_HEADER = re.compile(r"^diff --git (\S+) (\S+)")
_FILE_HEADER = re.compile(r"^(?:\+\+\+|---|\*\*\*) (.+?)(?:\t.*)?$")
_RENAME = re.compile(r"^(?:rename|copy) (?:to|from) (.+)$")
_MAX_NAMES = 256


def patch(cmd: Cmd) -> None:
    """``patch [-pN] [-d DIR] [-i PATCH] [ORIGINAL [PATCH]] < PATCH``."""
    if cmd.has("--dry-run", "-C", "--check"):
        return
    source: str | None = None
    strip: int | None = None
    base = cmd.st.cwd
    output: str | None = ""
    for opt, value in cmd.opts:
        if opt in ("-o", "--output"):
            output = value
        elif opt in ("-i", "--input"):
            source = value if value is not None else DYNAMIC
        elif opt in ("-p", "--strip"):
            strip = _number(value)
        elif opt.startswith("-p") and opt[2:].isdigit():
            strip = int(opt[2:])
        elif opt in ("-d", "--directory"):
            base = _join(base, value)
    if output != "":  # `-o FILE`: the result goes there (`-o -`: to standard output), the originals stay
        if output != "-":
            _write(cmd, _join(base, output))
        return
    pos = cmd.pos
    if pos:  # `patch ORIGINAL [PATCH]`: the one file changed is named here
        _write(cmd, _join(base, pos[0]))
        if len(pos) > 1:
            source = pos[1] if pos[1] is not None else DYNAMIC
        if source is None:
            return
    _headers(cmd, source, strip, base, git=False)


def git_apply(cmd: Cmd) -> None:
    """``git apply [--cached] [-pN] [--directory=DIR] [PATCH...]``, ``git am [MBOX...]``."""
    if cmd.has("--check", "--stat", "--numstat", "--summary"):
        return
    strip: int | None = None
    base = cmd.st.cwd
    for opt, value in cmd.opts:
        if opt == "-p":
            strip = _number(value)
        elif opt.startswith("-p") and opt[2:].isdigit():
            strip = int(opt[2:])
        elif opt == "--directory":
            base = _join(base, value)
    sources = cmd.pos or [None]
    for src in sources:
        _headers(cmd, src if cmd.pos else None, strip, base, git=True, dynamic=bool(cmd.pos) and src is None)


def _headers(
    cmd: Cmd, source: str | None, strip: int | None, base: str | None, *, git: bool, dynamic: bool = False
) -> None:
    """Judge every file the patch at ``source`` (None: standard input) names as a write."""
    part, st = cmd.part, cmd.st
    text: str | None = None
    if dynamic or source == DYNAMIC:
        text = None
    elif source is None:
        stdin = cmd.stdin
        if stdin is not None and stdin.kind == "text":
            text = stdin.text
        elif stdin is not None and stdin.kind == "file" and stdin.path not in st.written | st.fetched:
            text = _read(stdin.path, st)
    else:
        path = st.path(source)
        if path not in st.written and path not in st.fetched:
            text = _read(path, st)
    if text is None:
        part.add("unknown", "applies a patch blastdoor cannot read here: the files it changes are not known")
        return
    for name, prefixed in _names(text)[:_MAX_NAMES]:
        stripped = _strip(name, strip, git=git) if prefixed else name
        if stripped:
            _write(cmd, _join(base, stripped))


def _names(text: str) -> list[tuple[str, bool]]:
    """The file names a patch's headers give, each with whether it carries the prefix ``-p`` strips
    (git's ``rename to``/``copy to`` lines name the path as it is)."""
    names: list[tuple[str, bool]] = []
    for line in text.splitlines():
        m = _GIT_HEADER.match(line)
        if m is not None:
            names.extend(((m.group(1), True), (m.group(2), True)))
            continue
        m = _FILE_HEADER.match(line)
        prefixed = m is not None
        m = m or _RENAME.match(line)
        if m is not None:
            name = m.group(1).strip().strip('"')
            if name != "/dev/null":
                names.append((name, prefixed))
    return list(dict.fromkeys(names))


def _strip(name: str, strip: int | None, *, git: bool) -> str:
    """The name after ``-pN`` (git's default 1; GNU patch's default: the last component only)."""
    if strip is None and not git:
        return os.path.basename(name)
    n = 1 if strip is None else strip
    parts = name.split("/")
    return "/".join(parts[n:]) if n < len(parts) else ""


def _write(cmd: Cmd, path: str | None) -> None:
    if path is None:
        cmd.part.add("unknown", "changes a file named at run time")
        return
    path = cmd.st.path(path)
    cmd.part.target(path)
    path_effects(cmd.part, path, "write", cmd.st)


def _join(base: str | None, name: str | None) -> str | None:
    if name is None or name == DYNAMIC:
        return None
    if name.startswith("/") or base is None:
        return name
    return base.rstrip("/") + "/" + name


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _read(path: str, st: State) -> str | None:
    """The patch's text; ``""`` for a file that is not there (git or patch fails: nothing changes), None
    for one that cannot be read here (binary, too large, not a regular file)."""
    from blastdoor.classify.shell._interpreters import read_script

    if not os.path.lexists(path):
        return ""
    text = read_script(path, st)
    return None if text is None or text == "\0" else text


HANDLERS = {"patch": patch, "git_apply": git_apply}
