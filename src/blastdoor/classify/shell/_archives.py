"""Archivers: where an extraction lands, which archive a create writes, what a create reads.

An extraction writes into a directory (the working directory unless told otherwise) whatever the
archive holds: the destination is the part's target, and a destination that is a protected place
(``/``, ``/etc``, a directory on ``PATH``, ``~/.ssh``, blastdoor's own files: ``classify.files``)
escalates as any other write there would. Creating or updating an archive writes the archive file and
reads its members (so ``tar czf out.tgz ~/.ssh`` reads secrets).

Option rules, from each tool's manual:

- tar (GNU tar, bsdtar): a mode (``-x``/``--extract``/``--get``, ``-c``/``--create``,
  ``-r``/``--append``, ``-u``/``--update``, ``-A``/``--catenate``, ``--delete``, ``-t``/``--list``,
  ``-d``/``--diff``/``--compare``); ``-f``/``--file`` the archive; ``-C``/``--directory`` the directory
  the following members are extracted to (the last one wins for extraction); ``-P``/``--absolute-names``
  keeps members' absolute paths (they land wherever the archive says); ``-O``/``--to-stdout`` writes
  no file. The traditional form bundles the letters in the first word (``tar xzf a.tgz -C /``), the
  values of the letters that take one (``f``, ``C``, ``T``, ``X``, ``b``, ``N``, ``K``, ``L``, ``g``,
  ``V``, ``H``) following in order.
- unzip (Info-ZIP): ``-d DIR`` (or ``-dDIR``) the destination; ``-l``, ``-t``, ``-v``, ``-Z``, ``-p``,
  ``-c`` only list, test or print.
- 7-Zip (``7z``, ``7za``, ``7zz``, ``7zr``): the command letter first (``x``, ``e`` extract to ``-oDIR``,
  attached; ``a``, ``u``, ``d``, ``rn`` change the archive; ``l``, ``t``, ``h``, ``i`` only read).
- unrar/rar: ``x``/``e`` extract to a trailing ``DIR/`` (else the working directory); ``a``, ``u``,
  ``d``, ``m`` change the archive (``m`` also deletes the files it moves in).
- cpio: ``-i``/``--extract`` writes under ``-D``/``--directory`` (else the working directory);
  ``-p``/``--pass-through`` copies into its directory operand; ``-o``/``--create`` writes to standard
  output only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

__all__ = ["HANDLERS"]

# tar's traditional letters that take a value, in the order their values follow the bundle.
_TAR_VALUE_LETTERS = frozenset("fCTXbNKLgVH")
_TAR_MODES = {
    "-x": "extract",
    "--extract": "extract",
    "--get": "extract",
    "-c": "create",
    "--create": "create",
    "-r": "update",
    "--append": "update",
    "-u": "update",
    "--update": "update",
    "-A": "update",
    "--catenate": "update",
    "--concatenate": "update",
    "--delete": "update",
    "-t": "list",
    "--list": "list",
    "-d": "list",
    "--diff": "list",
    "--compare": "list",
}
_TAR_LETTER_MODES = {
    "x": "extract",
    "c": "create",
    "r": "update",
    "u": "update",
    "A": "update",
    "t": "list",
    "d": "list",
}


def _extracts_into(cmd: Cmd, dest: str | None, tool: str) -> None:
    """An extraction: everything the archive holds is written under ``dest`` (cwd when None)."""
    part = cmd.part
    st = cmd.st
    path = st.path(dest) if dest is not None else (st.cwd or DYNAMIC)
    part.drop("read")
    part.add("write", f"`{tool}` extracts files into {path} (existing files are overwritten)")
    part.add("create", f"`{tool}` creates the files the archive holds")
    if path == DYNAMIC:
        part.add("unknown", f"where `{tool}` extracts is computed at run time")
        return
    part.target(path)
    path_effects(part, path, "write", st)
    home = st.ctx.home.rstrip("/")
    if path == "/":
        part.add("privilege", f"`{tool}` extracts over the root directory: any system file can be replaced")
    if st.holds_home(path):
        part.add("persist", f"`{tool}` extracts over {home}: shell start-up files and ~/.ssh can be replaced")
    else:
        from blastdoor.classify.files import guard_of  # only for extractions: an import costs ~1 us

        why = guard_of(path, st.ctx, whole=True)
        if why:
            # what the archive holds is not known here: it may carry the guard's own files
            part.add("unknown", f"`{tool}` extracts over {path}, which {why}: the archive may replace them")


def _writes_archive(cmd: Cmd, archive: str | None, members: list[str | None], tool: str) -> None:
    """A create or update: the archive file is written, its members are read."""
    part = cmd.part
    st = cmd.st
    if archive is not None and archive != "-":
        path = st.path(archive)
        part.add("write", f"`{tool}` writes the archive {path}")
        part.target(path)
        path_effects(part, path, "write", st)
    for member in members:
        if member is None:
            continue
        path = st.path(member)
        part.target(path)
        path_effects(part, path, "read", st)


def tar(cmd: Cmd) -> None:
    mode = ""
    archive: str | None = None
    directory: str | None = None
    for opt, value in cmd.opts:
        mode = _TAR_MODES.get(opt, mode)
        if opt in ("-f", "--file"):
            archive = value
        elif opt in ("-C", "--directory"):
            directory = value
    members = list(cmd.pos)
    first = cmd.args[0] if cmd.args else None
    if first is not None and first[:1] not in ("-", "") and cmd.pos and cmd.pos[0] == first and first.isalpha():
        # the traditional form: `tar xzf a.tgz -C /` (letters, then the letters' values in order)
        members = members[1:]
        for letter in first:
            mode = _TAR_LETTER_MODES.get(letter, mode)
            if letter in _TAR_VALUE_LETTERS:
                value = members.pop(0) if members else None
                if letter == "f":
                    archive = value
                elif letter == "C":
                    directory = value
    if not mode:
        return  # no mode: tar refuses to run ("You must specify one of the ... options")
    part = cmd.part
    if mode == "list":
        part.drop("write")
        part.add("read", "`tar` lists or compares the archive")
        if archive not in (None, "-"):
            path = cmd.st.path(archive)
            part.target(path)
            path_effects(part, path, "read", cmd.st)
        return
    if mode == "extract":
        if cmd.has("-O", "--to-stdout", "--to-command"):
            part.drop("write")
            part.add("read", "`tar -O` prints the members instead of writing them")
            return
        _extracts_into(cmd, directory, "tar")
        if cmd.has("-P", "--absolute-names") or (first is not None and first.isalpha() and "P" in first):
            part.add("unknown", "`tar -P` writes members to the absolute paths the archive holds")
        return
    _writes_archive(cmd, archive, members, "tar")
    if cmd.has("--remove-files"):  # the members go once they are archived
        base = directory if directory is not None else ""
        for member in members:
            if member is not None:
                path = cmd.st.path(member if member.startswith("/") or not base else f"{base}/{member}")
                part.target(path)
                path_effects(part, path, "delete", cmd.st)


def unzip(cmd: Cmd) -> None:
    if cmd.has("-l", "-t", "-v", "-Z", "-p", "-c", "-z"):
        return  # the KB's flags already made these read-only
    _extracts_into(cmd, cmd.value("-d"), "unzip")


def seven_zip(cmd: Cmd) -> None:
    words = [a for a in cmd.args if a is not None]
    letters = [w for w in words if not w.startswith("-")]
    command = letters[0] if letters else ""
    dest = next((w[2:] for w in words if w.startswith("-o") and len(w) > 2), None)
    part = cmd.part
    if command in ("x", "e"):
        _extracts_into(cmd, dest, cmd.name)
    elif command in ("a", "u", "d", "rn"):
        _writes_archive(cmd, letters[1] if len(letters) > 1 else None, list(letters[2:]), cmd.name)
    elif command in ("l", "t", "h", "i", "b"):
        part.only("read", f"`{cmd.name} {command}` lists, tests or hashes")


def rar(cmd: Cmd) -> None:
    pos = [a for a in cmd.pos]
    command = pos[0] if pos else None
    part = cmd.part
    if command in ("x", "e"):
        tail = pos[-1] if len(pos) > 2 else None
        _extracts_into(cmd, tail if tail is not None and tail.endswith("/") else None, cmd.name)
    elif command in ("a", "u", "d", "m", "f"):
        _writes_archive(cmd, pos[1] if len(pos) > 1 else None, pos[2:], cmd.name)
        if command == "m":
            part.add("delete", f"`{cmd.name} m` deletes the files it moves into the archive")
    elif command in ("l", "lt", "lb", "v", "vt", "vb", "t", "p"):
        part.only("read", f"`{cmd.name} {command}` lists, tests or prints")


def cpio(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-i", "--extract"):
        if cmd.has("-t", "--list"):
            part.only("read", "`cpio -it` lists the archive")
            return
        _extracts_into(cmd, cmd.value("-D", "--directory"), "cpio")
    elif cmd.has("-p", "--pass-through"):
        _extracts_into(cmd, cmd.pos[0] if cmd.pos else None, "cpio -p")
    elif cmd.has("-o", "--create"):
        part.only("read", "`cpio -o` reads the files named on standard input and writes the archive to standard output")


HANDLERS = {"tar": tar, "unzip": unzip, "seven_zip": seven_zip, "rar": rar, "cpio": cpio}
