"""What the knowledge base data cannot say on its own: named handlers that KB entries point to.

Each handler takes a parsed :class:`Cmd` (effects, targets and evidence from the data already applied)
and refines the part, or replaces it with the parts of the commands it runs. Wrapper handlers unwrap
commands that run other commands with their own argument rules (env, xargs, su, eval, ...).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.classify.credentials import credential_variable
from blastdoor.classify.guard import could_name_guard
from blastdoor.classify.shell import (
    _archives,
    _containers,
    _copies,
    _databases,
    _editors,
    _git,
    _git_trees,
    _infra,
    _listeners,
    _patches,
    _project_runs,
    _remote,
    _wrappers,
)
from blastdoor.classify.shell._argv import SENT_FILE, Cmd, quote, run_argv, sent_files
from blastdoor.classify.shell._envcode import RUNS_LATER, runs_later
from blastdoor.classify.shell._fetch import download, http_tool, lftp
from blastdoor.classify.shell._interpreters import node, perl, python, read_script, ruby, run_script, shell, source
from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC, Part, State, Stdin
from blastdoor.classify.shell._verbs import is_read_word, verb_effects, verbs
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from collections.abc import Callable

# Paths whose recursive removal (or recursive chmod/chown) is catastrophic in scope.
SYSTEM_DIRS = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/usr",
        "/var",
        "/usr/bin",
        "/usr/lib",
        "/usr/lib64",
        "/usr/local",
        "/usr/sbin",
        "/usr/share",
        "/usr/include",
        "/usr/local/bin",
        "/usr/local/lib",
        "/var/lib",
        "/var/log",
        "/var/mail",
        "/var/spool",
        "/var/db",
        "/var/www",
        "/var/backups",
        "/Applications",
        "/Library",
        "/System",
        "/Users",
        "/Volumes",
        "/private",
        "/private/etc",
        "/private/var",
        "/cores",
        "/snap",
        "/mnt",
        "/media",
        "/nix",
        "/nix/store",
        "/efi",
        "/boot/efi",
    ]
)
TEMP_DIRS = ("/tmp", "/var/tmp", "/private/tmp", "/dev/shm")
_GLOB = frozenset("*?[")
# -- generic ---------------------------------------------------------------------------------------


def generic(
    name: str, head: str, args: list[str | None], st: State, stdin: Stdin | None, assigns: dict[str, str | None]
) -> None:
    """A program the KB does not know: local scripts are read, anything else is judged by its verbs."""
    if "/" in head:
        path = st.path(head)
        text = read_script(path, st)
        if text is None:
            # a program named by its path that cannot be read (missing, or not there until the
            # command runs): what it does is not known, whatever its name suggests
            text = "\0" if path in st.written else None
        if text is not None:
            run_script(path, text, args, st)
            return
        part = Part("shell", f"shell:{name}", " ".join([head, *(quote(a) for a in args)]), "kb:generic", st.cwd)
        part.target(path)
        part.add("unknown", f"{path} cannot be read (missing or unreadable): what it runs is not known")
        st.parts.append(part)
        return
    part = Part("shell", f"shell:{name}", " ".join([name, *(quote(a) for a in args)]), "kb:generic", st.cwd)
    part.facts["kb"] = "generic"
    cmd = Cmd(name, args, st, stdin, assigns)
    cmd.part = part
    positional = [a for a in args if a is not None and not a.startswith("-")]
    cmd.pos = list(positional)
    cmd.opts = [
        (a.split("=", 1)[0], a.split("=", 1)[1] if "=" in a else None)
        for a in args
        if a is not None and a.startswith("-")
    ]
    for k, a in enumerate(args[:-1]):  # `--body-file F`: the word after an option that sends a file
        if a is not None and "=" not in a and SENT_FILE.match(a) and args[k + 1] is not None:
            cmd.opts.append((a, args[k + 1]))
    sent_files(cmd, part)
    if any(o in ("--help", "--version", "-h", "-V") for o, _ in cmd.opts) and len(args) == 1:
        part.add("read", "help and version output only")
    else:
        hit = verb_effects([name, *positional[:3], *(o for o, _ in cmd.opts)])
        if hit is not None:
            for effect in hit[0]:
                part.add(effect, f"`{name}` is not in the knowledge base; `{hit[1]}` is a {effect} verb")
            for a in positional[1:]:
                if "/" in a or "." in a:
                    part.target(st.path(a))
        elif positional and is_read_word(positional[0]):
            part.add(
                "read", f"`{name}` is not in the knowledge base; `{positional[0] if positional else args[0]}` reads"
            )
        else:
            part.add("write", f"`{name}` is not in the knowledge base: assumed to change local files only")
        # An unknown program pointed at absolute paths may change them: protected places count.
        for a in positional:
            if a.startswith("/"):
                path = st.path(a)
                part.target(path)
                path_effects(part, path, "write", st)
    st.parts.append(part)


# -- filesystem ---------------------------------------------------------------------------------------


def _under(path: str, roots: tuple[str, ...] | list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _temp_roots(st: State) -> list[str]:
    roots = list(TEMP_DIRS)
    tmp = st.lookup("TMPDIR")
    if tmp and tmp.startswith("/") and tmp.rstrip("/") not in SYSTEM_DIRS and tmp.rstrip("/") != st.ctx.home:
        roots.append(os.path.normpath(tmp))
    return roots


def wipe_scope(path: str, st: State) -> bool:
    """Whether removing ``path`` (recursively) removes a whole system, home or root."""
    if path == DYNAMIC:
        return False
    home = st.ctx.home.rstrip("/") or "/"
    base = path
    if _GLOB & set(path):
        # `/*`, `~/*`, `/etc/*`: the glob's directory is what goes
        head = path
        while _GLOB & set(head):
            head = os.path.dirname(head)
        base = head or "/"
    return base in SYSTEM_DIRS or base == home or base == os.path.dirname(home)


# Removers that always remove whole trees (npm's rimraf and del-cli: `rm -rf` for node projects).
_ALWAYS_RECURSIVE = frozenset(("rimraf", "del-cli"))


def printenv(cmd: Cmd) -> None:
    """``printenv NAME...``: the named variables' values; a credential's name makes it a secrets read.
    Without names it prints them all: a secrets read when the environment holds a credential."""
    if not cmd.pos:
        prints_environment(cmd.part, cmd.st)
    for name in cmd.pos:
        if name is None:
            cmd.part.add("unknown", "`printenv` of a variable named at run time")
        elif credential_variable(name):
            cmd.part.add("secrets", f"`printenv {name}` prints a variable that holds a credential")


def prints_environment(part: Part, st: State) -> None:
    """``env``, ``printenv``: every variable is printed, the credentials among them too."""
    held = st.credentials_held()
    if held:
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        part.add("secrets", f"prints the whole environment, which holds credentials ({shown})")


def rm(cmd: Cmd) -> None:
    """``rm``: recursive removal is irreversible; of /, ~, system dirs it is a wipe."""
    part = cmd.part
    st = cmd.st
    recursive = cmd.has("-r") or cmd.name in _ALWAYS_RECURSIVE
    if not cmd.pos:
        # `rm`, `rm -rf`: "missing operand", nothing is removed (rm never reads operands from stdin;
        # `xargs rm` and `find -exec rm {}` pass theirs as words, unknown ones as computed)
        part.only("read", "`rm` without operands removes nothing (missing operand)")
        return
    home = st.ctx.home
    temp = _temp_roots(st)
    for target in list(part.targets):
        if target == DYNAMIC:
            continue
        if recursive and wipe_scope(target, st):
            part.add("wipe", f"recursive removal of {target} destroys a whole system, home or root directory")
            part.add("irreversible", "removed files are gone (no trash)")
        elif st.cwd is not None and target == st.cwd and (target == home or target == "/"):
            part.add("wipe", f"removing the working directory {target}")
        elif not _under(target, [st.cwd] if st.cwd else []) and not _under(target, temp):
            part.add("irreversible", f"removes {target}, outside the working directory and temp dirs")


def find(cmd: Cmd) -> None:
    """``find``: ``-delete`` deletes, ``-exec``/``-execdir``/``-ok`` run commands on what matched.

    ``{}`` stands for every match. When the only filters are names (``-name '*.pyc'``) that no guard
    place can have, the matches are those names under the starting points, and a command run on them is
    judged on that (``rm ./*.pyc``); otherwise on the starting point itself, every file below it.
    """
    part = cmd.part
    st = cmd.st
    args = cmd.args
    starts: list[str | None] = []
    i = 0
    while i < len(args) and (args[i] is None or not (args[i] or "-").startswith(("-", "(", "!"))):
        starts.append(args[i])
        i += 1
    if not starts:
        starts = ["."]
    paths = [st.path(s) for s in starts]
    for p in paths:
        part.target(p)
    names = _find_names(args[i:])
    filtered = False
    deletes = changes = False
    while i < len(args):
        a = args[i]
        i += 1
        if a in ("-exec", "-execdir", "-ok", "-okdir"):
            inner: list[str | None] = []
            while i < len(args) and args[i] not in (";", "+"):
                inner.append(args[i])
                i += 1
            i += 1
            match = _find_match(starts, names)
            substituted = [w.replace("{}", match) if w is not None and match is not None else w for w in inner]
            substituted = [None if w is not None and "{}" in w and match is None else w for w in substituted]
            if inner:
                before = len(st.parts)
                run_argv(substituted, st.child(), None, {})
                # `{}` stands for every match under the starting points, not the start alone: a
                # command that deletes one file deletes them all (`-exec rm {} ;` is `-delete`)
                if any("delete" in p.effects for p in st.parts[before:]):
                    deletes = True
                elif any("write" in p.effects for p in st.parts[before:]):
                    changes = True
        elif a == "-delete":
            deletes = True
        elif a in ("-fprint", "-fprint0", "-fprintf", "-fls"):
            if i < len(args):
                part.add("write", f"`find {a}` writes a file")
                part.target(st.path(args[i]))
            i += 1
        elif a in ("-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-newer", "-user", "-group"):
            filtered = True
            i += 1
        elif a in ("-type", "-mtime", "-mmin", "-size", "-perm", "-maxdepth", "-mindepth", "-atime", "-ctime"):
            i += 1
    if deletes:
        part.drop("read")
        part.add("delete", "`find` deletes every match (`-delete`, or `-exec` of a command that deletes)")
        # at every depth of the tree, as `rm -r` does (a name filter narrows it, to every `*.py`)
        part.add("irreversible", "deleted files are gone (no trash), at every depth of the tree")
        if not filtered and any(wipe_scope(p, st) for p in paths):
            part.add("wipe", "`find -delete` without a filter under a system, home or root directory")
    if (deletes or changes) and (names is None or any(could_name_guard(n) for n in names)):
        _find_guard(part, paths, st, "deletes" if deletes else "changes", names)
    part.command = " ".join(["find", *(quote(a) for a in args)])
    st.parts.append(part)


def _find_names(expression: list[str | None]) -> list[str] | None:
    """The ``-name``/``-iname`` patterns of a find expression, or None when anything else could select
    a file by its path (``-path``, ``-regex``, a computed value) or there is no name filter at all."""
    names: list[str] = []
    for k, a in enumerate(expression):
        if a in ("-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname"):
            return None
        if a in ("-name", "-iname"):
            value = expression[k + 1] if k + 1 < len(expression) else None
            if value is None:
                return None
            names.append(value)
    return names or None


def _find_match(starts: list[str | None], names: list[str] | None) -> str | None:
    """What ``{}`` is judged as: every ``NAME`` under the start when the names cannot be a guard place,
    else the start itself (everything below it); None when the start is not known."""
    if len(starts) != 1 or starts[0] is None:
        return None
    start = starts[0]
    if names is not None and len(names) == 1 and not could_name_guard(names[0]):
        return start.rstrip("/") + "/" + names[0]
    return start


def _find_guard(part: Part, paths: list[str], st: State, how: str, names: list[str] | None) -> None:
    """Deleting or changing (``-exec truncate``, ``-exec sed -i``) matches below a directory that holds a
    guard place, with a filter that can reach it: no name filter, or one that matches a name on the way
    to a place this directory holds (``*.yaml`` reaches ``blastdoor.yaml``, ``*.py`` does not)."""
    from fnmatch import fnmatchcase

    from blastdoor.classify.guard import guard_reason, held_in

    for path in paths:
        why = guard_reason(path, st.ctx, whole=True)
        if why and names is not None:
            segments = {seg.lower() for rel in held_in(path, path) for seg in rel.split("/")}
            if segments and not any(fnmatchcase(seg, n.lower()) for seg in segments for n in names):
                continue  # the places it holds are not what the filter selects
        if why:
            part.add("privilege", f"`find` {how} files below {path}: {why}")
            part.add("guard", f"`find` {how} files below {path}: {why}")


def exported(cmd: Cmd) -> None:
    """``export``/``declare``/... run as a program (``busybox export BASH_ENV=...``, a wrapper's argv):
    the same judgment as the assignment the shell itself parses."""
    if cmd.name == "set" and not cmd.args:  # `set` alone prints every variable
        prints_environment(cmd.part, cmd.st)
    if cmd.name not in ("export", "declare", "typeset", "local", "readonly"):
        return
    if all(a is not None and a.startswith("-") for a in cmd.args):  # `export -p`, `declare -x`: a listing
        prints_environment(cmd.part, cmd.st)
    for operand in cmd.pos:
        if operand is not None and "=" in operand:
            name, _, value = operand.partition("=")
            if name in RUNS_LATER:
                runs_later(name, value, f"{cmd.name} {quote(operand)}", cmd.st)


def deferred_code(cmd: Cmd) -> None:
    """``alias NAME='BODY'`` and ``trap 'CMD' SIGNAL...``: shell text that runs later in this shell (the
    alias wherever ``NAME`` is typed next, the trap on the signal or at exit), judged as if run now,
    as a function's body is: ``alias ls='rm -rf ~'`` is the wipe it sets up."""
    if cmd.name == "alias":
        bodies = [a.split("=", 1)[1] if a is not None and "=" in a else None for a in cmd.pos]
        bodies = [b for b, a in zip(bodies, cmd.pos, strict=True) if a is None or "=" in a]
    else:
        pos = cmd.pos
        if not pos or cmd.has("-l", "-p") or pos[0] == "-" or (len(pos) == 1 and pos[0] is not None):
            return  # listing, resetting, or `trap SIGNAL` alone (resets it)
        bodies = [pos[0]]
    for body in bodies:
        if body is None:
            cmd.part.add("unknown", f"`{cmd.name}` of shell text computed at run time")
        elif body:
            walk_text(body, cmd.st.child())


def outputs(cmd: Cmd) -> None:
    """Readers that also write a file: ``sort -o``, ``iconv -o``, ``sdiff -o``, the second operand of
    ``uniq`` and ``xxd``, and the files ``yq -i`` edits in place."""
    name = cmd.name
    written: list[str | None] = []
    if name in ("sort", "iconv", "sdiff"):
        written = [v for o, v in cmd.opts if o in ("-o", "--output")]
    elif name in ("uniq", "xxd"):
        written = cmd.pos[1:2]
    elif name in ("yq", "xq") and cmd.has("-i", "--inplace"):
        written = cmd.pos[1:]
    part = cmd.part
    for w in written:
        if w in (None, "-"):
            continue
        path = cmd.st.path(w)
        part.target(path)
        part.add("write", f"`{name}` writes {path}")
        path_effects(part, path, "write", cmd.st)


def _device(path: str) -> bool:
    from blastdoor.classify.shell._walk import _DISK_PREFIXES

    return path.startswith(_DISK_PREFIXES)


def dd(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    for a in cmd.pos:
        if a is None:
            part.add("unknown", "dd operand computed at run time")
            continue
        key, eq, value = a.partition("=")
        if not eq:
            continue
        if key == "of":
            path = st.path(value)
            part.target(path)
            if _device(path):
                part.add("wipe", f"`dd of={path}` overwrites a disk")
                part.add("irreversible", "raw device writes cannot be undone")
            else:
                part.add("write", f"`dd` writes {path}")
                path_effects(part, path, "write", st)
        elif key == "if":
            path = st.path(value)
            part.target(path)
            path_effects(part, path, "read", st)
    if not part.effects:
        part.add("read", "`dd` to standard output")


def disk(cmd: Cmd) -> None:
    """mkfs, wipefs, shred of devices...: a device target is a wipe."""
    part = cmd.part
    for t in part.targets:
        if _device(t) or t in SYSTEM_DIRS:
            part.add("wipe", f"destroys the contents of {t}")


_MODE_WIDE = re.compile(r"^(?:0?[0-7]?[0-7][0-7][2367]|[ugoa]*[+=][rwxXst]*w[rwxXst]*|a?[+=]rwx)$")
_MODE_SETID = re.compile(r"^(?:0?[4-7][0-7]{3}|[ugoa]*[+=][rwxXt]*s[rwxXst]*)$")


def perms(cmd: Cmd) -> None:
    """chmod/chown/chgrp: ownership and permission changes; recursive on system dirs is a wipe."""
    part = cmd.part
    st = cmd.st
    recursive = cmd.has("-R")
    mode = cmd.pos[0] if cmd.pos else None
    targets = [st.path(p) for p in cmd.pos[1:]] or [DYNAMIC]
    part.targets = []
    for t in targets:
        part.target(t)
        path_effects(part, t, "write", st)
    if cmd.name == "chmod":
        if mode is None:
            part.add("unknown", "permission mode computed at run time")
        elif _MODE_SETID.match(mode):
            part.add("privilege", f"`chmod {mode}` sets set-user/group-id: runs as the file's owner")
        elif _MODE_WIDE.match(mode) or mode in ("777", "666", "0777", "a+w", "o+w"):
            part.add("privilege", f"`chmod {mode}` lets every user write")
    if recursive and any(wipe_scope(t, st) for t in targets):
        part.add("wipe", f"recursive `{cmd.name}` of a system, home or root directory breaks the system")
        part.add("irreversible", "old permissions are not recorded anywhere")


def package(cmd: Cmd) -> None:
    """Installs from a URL, a git remote or a tarball run code fetched from the network; so do installs
    from a package index other than the public one (``pip -i``, ``--extra-index-url``, ``npm --registry``,
    or the same in the environment: ``PIP_INDEX_URL``, ``npm_config_registry``, ...)."""
    for p in cmd.pos:
        if p is not None and (p.startswith(("http://", "https://", "git+", "git://", "ssh://")) or "@http" in p):
            cmd.part.add("remote_exec", f"installs (and runs the install hooks of) code from {p}")
    indexes = [(f"`{o}`", v) for o, v in cmd.opts if o in _INDEX_OPTIONS and v]
    indexes += [(f"`{n}`", v) for n in _INDEX_VARIABLES if (v := cmd.env(n))]
    for how, url in indexes:
        for one in url.split():
            host = _index_host(one)
            if host is not None and host not in _PUBLIC_INDEXES:
                cmd.part.add("remote_exec", f"{how} installs from {host}: the packages' install code comes from there")
                cmd.part.target(one)  # what a team's rule allows its own index by
                return


# Where packages come from unless told otherwise (pip/uv: PyPI; npm/yarn/pnpm: the npm registry).
_PUBLIC_INDEXES = frozenset(
    ("pypi.org", "files.pythonhosted.org", "pypi.python.org", "registry.npmjs.org", "registry.yarnpkg.com")
)
_INDEX_OPTIONS = frozenset(
    ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--index", "--default-index", "--registry")
)
_INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
    "YARN_REGISTRY",
    "YARN_NPM_REGISTRY_SERVER",
)


def _index_host(url: str) -> str | None:
    """The host of an index URL (``name=URL`` as uv writes it), None for a local directory or file."""
    from blastdoor.classify.hosts import url_host

    url = url.split("=", 1)[1] if "=" in url.split("://", 1)[0] else url
    return url_host(url)


def crontab(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-l"):
        part.only("read", "lists the crontab")
    elif cmd.has("-r"):
        part.add("delete", "removes the whole crontab")
        part.add("irreversible", "the removed crontab is not kept")


def build(cmd: Cmd) -> None:
    """make, npm/pnpm/yarn scripts, just, task, tox, nox, pre-commit, honcho: what their files run."""
    from blastdoor.classify.shell._build import run_build

    run_build(cmd)


# -- wrappers with their own argument rules -------------------------------------------------------------


def _w_text(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """eval, watch: the remaining words are joined and run as shell text."""
    value_opts = w.get("value", frozenset())
    i, n = 1, len(words)
    if name != "eval":
        while i < n:
            a = words[i]
            if a is None or not a.startswith("-"):
                break
            if a == "--":
                i += 1
                break
            i += 2 if (a in value_opts and "=" not in a) else 1
    rest = words[i:]
    if not rest:
        part = Part("shell", f"shell:{name}", name, w["source"], st.cwd)
        part.add("read", f"`{name}` without a command runs nothing")
        st.parts.append(part)
        return None
    if None in rest:
        st.unknown(" ".join(quote(x) for x in words), f"`{name}` of text computed at run time")
        return None
    if st.depth >= 8:
        st.unknown(name, "nested evaluation too deep")
        return None
    walk_text(" ".join(x for x in rest if x is not None), st.child())
    return None


def _w_su(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    adds.setdefault("privilege", "`su` runs as another user (root by default)")
    i, n = 1, len(words)
    while i < n:
        a = words[i]
        if a in ("-c", "--command") and i + 1 < n:
            text = words[i + 1]
            if text is None:
                st.unknown("su -c ?", "`su -c` runs text computed at run time")
            else:
                walk_text(text, st.child())
            return None
        if a is not None and a.startswith("--command="):
            walk_text(a.split("=", 1)[1], st.child())
            return None
        i += 2 if a in ("-s", "--shell", "-g", "--group", "-G", "--supp-group") else 1
    part = Part("shell", "shell:su", " ".join(quote(x) for x in words), w["source"], st.cwd)
    part.add("privilege", "opens a shell as another user")
    st.parts.append(part)
    return None


WRAPPER_HANDLERS: dict[str, Any] = {
    "text": _w_text,
    "su": _w_su,
}

WRAPPER_HANDLERS.update(_wrappers.WRAPPER_HANDLERS)  # runners written from their manuals (_wrappers.py)

HANDLERS: dict[str, Callable[[Cmd], None]] = {
    "verbs": verbs,
    "shell": shell,
    "python": python,
    "node": node,
    "ruby": ruby,
    "perl": perl,
    "source": source,
    "rm": rm,
    "printenv": printenv,
    "outputs": outputs,
    "deferred_code": deferred_code,
    "exported": exported,
    "find": find,
    "dd": dd,
    "disk": disk,
    "perms": perms,
    "package": package,
    "crontab": crontab,
    "build": build,
    **_project_runs.HANDLERS,
    **_git.HANDLERS,
    **_git_trees.HANDLERS,
    **_remote.HANDLERS,
    **_infra.HANDLERS,
    **_databases.HANDLERS,
    **_archives.HANDLERS,
    **_editors.HANDLERS,
    **_patches.HANDLERS,
    **_copies.HANDLERS,
    **_listeners.HANDLERS,
    **_containers.HANDLERS,
    "download": download,
    "http_tool": http_tool,
    "lftp": lftp,
}
