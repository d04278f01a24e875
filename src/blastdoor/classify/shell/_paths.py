"""What touching a path means: ``classify.files`` asked once per (path, mode, home, cwd), and the
guard-named files a written pattern expands to."""

from __future__ import annotations

import os
from typing import Any

from blastdoor.classify.guard import LOCATION_VARS
from blastdoor.classify.shell._state import DYNAMIC, Part, State

__all__ = ["has_content", "path_effects"]


# classify.files answers depend only on (path, mode, home, cwd): memoised, bounded, per process.
_PATH_MEMO: dict[tuple[str, str, str, str, tuple[str | None, ...]], tuple[frozenset[str], list[Any]]] = {}
_PATH_MEMO_LIMIT = 4096


def path_effects(part: Part, path: str, mode: str, st: State) -> None:
    """Effects of touching a protected place, from ``classify.files`` (which must import: else on_error)."""
    if path == DYNAMIC:
        return
    if part.paths.get(path) != "write" or mode == "delete":
        part.paths[path] = mode
    env = st.ctx.environ
    key = (path, mode, st.ctx.home, st.ctx.cwd, tuple(map(env.get, LOCATION_VARS)))
    found = _PATH_MEMO.get(key)
    if found is None:
        from blastdoor.classify.files import classify_path_access  # no guard: a missing check is on_error

        try:
            found = classify_path_access(path, mode, st.ctx)
        except Exception:  # a bug next door must not hide the command: say we do not know
            part.add("unknown", f"could not classify access to {path}")
            return
        if len(_PATH_MEMO) >= _PATH_MEMO_LIMIT:
            _PATH_MEMO.clear()
        _PATH_MEMO[key] = found
    effects, notes = found
    for note in notes:
        if note.kind == "effect" and note.value not in part.effects:
            part.effects[note.value] = note.text
            part.notes.append(note)
        # (marker targets such as classify.files.PROJECT_PREFIX are added by the guard sweep, once
        # every handler has read the part's real targets)
    for effect in effects:
        part.add(effect, f"{mode} of a protected place: {path}", "classify.files")
    if mode != "read" and ("*" in path or "?" in path or "[" in path):
        # `rm *.yaml`: bash expands the pattern before rm runs; judge what it expands to here.
        for match in _glob_matches(path):
            path_effects(part, match, mode, st)


_GLOB_LIMIT = 32  # guard-named matches judged per pattern


def _glob_matches(pattern: str) -> list[str]:
    """The guard-named paths (``blastdoor.yaml``, ``.claude``) a pattern expands to now, as bash would
    (a hidden name only for a pattern that starts with ``.``): what the pattern adds to the judgment of
    its literal text. The rest of a large expansion (``rm -rf /tmp/*``) is judged as the recursive delete
    it is, never entry by entry, so the verdict does not depend on what else sits in a shared directory.
    Guard names are tried against the pattern, so a directory of any size costs the same."""
    from fnmatch import fnmatchcase

    from blastdoor.classify.guard import guard_names

    directory, _, last = pattern.rpartition("/")
    if "*" in directory or "?" in directory or "[" in directory:
        return []  # a pattern over several directories: judged as its literal text only
    found = []
    for name in guard_names():
        if (name[0] != "." or last[:1] == ".") and fnmatchcase(name, last):
            path = f"{directory}/{name}"
            if os.path.lexists(path):
                found.append(path)
    return found[:_GLOB_LIMIT]


def has_content(path: str) -> bool:
    """Whether ``path`` is a file with something in it now (emptying it then loses that)."""
    try:
        return os.path.isfile(path) and os.path.getsize(path) > 0
    except (OSError, ValueError):
        return False
