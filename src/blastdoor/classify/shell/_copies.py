"""Where a copy lands: ``cp``, ``install``, ``ln`` and local ``rsync`` write inside their destination.

Copying into a directory writes ``DEST/NAME`` for each source (coreutils: the last operand is a
directory, or ``-t DIR``, or there are several sources; ``-T`` makes it the file itself); copying a
directory's contents (``cp -r SRC/. DEST``, ``cp -rT SRC DEST``, ``rsync SRC/ DEST``) writes what the
source holds under ``DEST``. The destination alone says nothing of that: ``cp /tmp/x/blastdoor.yaml .``
names only ``.``. So each landing path is judged as a write, and for a source directory, the guard
places it holds (``blastdoor.yaml``, ``.claude/settings.json``, ...: ``classify.guard.held_in``) are
judged where they land. What a source directory holds is looked up, not walked: a copy of a large tree
costs a few ``stat`` calls.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd
    from blastdoor.classify.shell._state import Part, State


def copy_into(cmd: Cmd) -> None:
    """``cp``/``install``/``ln`` [-t DIR] [-T] SOURCE... DEST."""
    pos = cmd.pos
    target_dir = next((v for o, v in cmd.opts if o in ("-t", "--target-directory")), "")
    dest: str | None
    if target_dir:
        sources, dest = pos, target_dir
    elif len(pos) >= 2:
        sources, dest = pos[:-1], pos[-1]
    else:
        return
    itself = cmd.has("-T", "--no-target-directory")
    landings(cmd.part, cmd.st, sources, dest, into=False if itself else None, forced=target_dir != "")


def landings(
    part: Part,
    st: State,
    sources: list[str | None],
    dest: str | None,
    *,
    into: bool | None = None,
    forced: bool = False,
    rsync: bool = False,
) -> None:
    """Judge where each of ``sources`` lands under ``dest`` as a write (``into``: ``dest`` is a
    directory to copy into; None: decided as the tool does)."""
    if dest is None or dest == DYNAMIC:
        return
    target = st.path(dest)
    if into is None:
        into = forced or len(sources) > 1 or dest.endswith("/") or os.path.isdir(target)
    for source in sources:
        if source is None or source == DYNAMIC:
            continue
        src = st.path(source)
        contents = source.endswith(("/.", "/./")) or source == "." or (rsync and source.endswith("/"))
        if into and not contents:
            land = target.rstrip("/") + "/" + os.path.basename(src.rstrip("/"))
        else:
            land = target  # the file itself, or a directory's contents straight into it
        if land != target:
            _write(part, land, st)
        from blastdoor.classify.guard import held_in

        for rel in held_in(src, land):
            _write(part, land.rstrip("/") + "/" + rel, st)


def _write(part: Part, path: str, st: State) -> None:
    # Judged, not added as a target: the operands already count what the copy touches (blast radius:
    # `mv a b dir/` is 3 things), and a landing path is the same thing again under its new name.
    path_effects(part, path, "write", st)


HANDLERS = {"copy_into": copy_into}
