"""The files previewer: what ``rm -r``, ``find -delete``, ``git clean``, ``git reset --hard`` and
``git checkout -- PATHS`` would remove or discard: how many files and bytes, how many git tracks,
and how many hold work that was never committed (lost for good).

Read-only: the trees are walked with ``os.scandir`` (symlinks are not followed, as ``rm`` does not
follow them), ``find`` runs with ``-delete`` replaced by ``-print0``, ``git clean`` runs as ``-n``
(dry run), and git reads run without optional locks.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.action.canonical import digest
from blastdoor.action.preview import Preview
from blastdoor.preview._git import git, toplevel, z

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from blastdoor.action import Action
    from blastdoor.preview import Context

KIND = "files"
_RM = frozenset(("shell:rm", "shell:rmdir", "shell:shred"))
_GIT = frozenset(("git:clean", "git:reset", "git:checkout", "git:restore"))
# find's actions that only print: with -delete turned into -print0 the run has no effect.
_FIND_SAFE_ACTIONS = frozenset(("-delete", "-print", "-print0"))
_FIND_ACTIONS = frozenset(
    (
        "-exec",
        "-execdir",
        "-ok",
        "-okdir",
        "-fprint",
        "-fprint0",
        "-fprintf",
        "-fls",
        "-ls",
        "-printf",
        "-prune",
        "-quit",
    )
)
MAX_FILES = 200_000  # a walk stops here and says so: the counts are then "at least"


class FilesPreviewer:
    """``Previewer`` for commands that delete or discard files."""

    kind = KIND

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        op = part.operation
        if op in _RM:
            paths = _paths(part)
            return bool(paths) and len(paths) + _marked(part) == len(part.targets)
        if op == "shell:find":
            return "-delete" in argv
        if op in ("git:reset",):
            return "--hard" in argv
        if op in ("git:checkout", "git:restore"):
            return "irreversible" in part.effects
        return op == "git:clean"

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        cwd = _git_cwd(argv, part.cwd or ctx.cwd)
        op = part.operation
        if op in _RM:
            return _of_paths(_paths(part), "delete", ctx)
        if op == "shell:find":
            return _of_paths(_find_matches(argv, cwd, ctx), "delete", ctx, walk=False)
        if op == "git:clean":
            return _of_paths(_git_clean(argv, cwd, ctx), "delete", ctx)
        if op == "git:reset":
            return _discarded(cwd, [], ctx, hard_target=_reset_target(argv))
        return _discarded(cwd, _pathspec(argv, op), ctx)


# The classifier marks a path it also lists plainly (``project:/tmp/x/src``: a temp path inside a project):
# such a marker names no other file, so it neither blocks a preview nor is counted twice.
_MARKERS = ("project:",)


def _paths(part: Action) -> list[str]:
    return [t for t in part.targets if os.path.isabs(t)]


def _marked(part: Action) -> int:
    return sum(1 for t in part.targets if t.startswith(_MARKERS) and t.split(":", 1)[1] in part.targets)


# -- what goes ---------------------------------------------------------------------------------------


def _walk(path: str, out: dict[str, tuple[int, int]]) -> None:
    """Every file (and symlink) under ``path``, not following links: {path: (bytes, mtime_ns)}."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    import stat

    if not stat.S_ISDIR(st.st_mode):
        out[path] = (st.st_size, st.st_mtime_ns)
        return
    stack = [path]
    while stack and len(out) < MAX_FILES:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    s = entry.stat(follow_symlinks=False)
                    out[entry.path] = (s.st_size, s.st_mtime_ns)
            except OSError:
                continue


def _of_paths(paths: list[str], change: str, ctx: Context, *, walk: bool = True) -> Preview:
    files: dict[str, tuple[int, int]] = {}
    for p in paths:
        if walk:
            _walk(p, files)
        else:
            try:
                st = os.lstat(p)
                files[p] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue
    tracked, uncommitted = _git_state(sorted(files), ctx)
    return _preview(files, change, tracked, uncommitted, truncated=len(files) >= MAX_FILES)


def _preview(
    files: dict[str, tuple[int, int]], change: str, tracked: set[str], uncommitted: set[str], *, truncated: bool
) -> Preview:
    # Largest first: what an approver should see at the top of a long list.
    order = sorted(files, key=lambda p: (-files[p][0], p))
    items = [
        {"change": change, "id": p, "bytes": files[p][0], "tracked": p in tracked, "uncommitted": p in uncommitted}
        for p in order
    ]
    facts = {
        "files": len(files),
        "bytes": sum(size for size, _ in files.values()),
        "tracked": len(tracked & files.keys()),
        "uncommitted": len(uncommitted & files.keys()),
    }
    if truncated:
        facts["truncated"] = True
    token = digest(sorted([p, size, mtime] for p, (size, mtime) in files.items()))
    return Preview(
        KIND,
        summary={change: len(files)} if files else {},
        items=items,
        targets=sorted(files),
        state_token=token,
        facts=facts,
    )


def _git_state(paths: list[str], ctx: Context) -> tuple[set[str], set[str]]:
    """Of ``paths`` (absolute files): those git tracks, and those with uncommitted work (modified or untracked)."""
    tracked: set[str] = set()
    uncommitted: set[str] = set()
    by_repo: dict[str, list[str]] = {}
    tops: dict[str, str | None] = {}
    for p in paths:
        d = os.path.dirname(p)
        if d not in tops:
            tops[d] = toplevel(d, timeout=ctx.timeout) if os.path.isdir(d) else None
        top = tops[d]
        if top is not None:
            by_repo.setdefault(top, []).append(p)
    for top, files in by_repo.items():
        rel = sorted({os.path.relpath(os.path.dirname(f), top) for f in files})
        inside = set(files)
        for name in z(git(["ls-files", "-z", "--", *rel], cwd=top, timeout=ctx.timeout)):
            full = os.path.join(top, name)
            if full in inside:
                tracked.add(full)
        status = git(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *rel], cwd=top, timeout=ctx.timeout
        )
        for name in _status_paths(status):
            full = os.path.join(top, name)
            if full in inside:
                uncommitted.add(full)
    return tracked, uncommitted


def _status_paths(status: str) -> Iterator[str]:
    entries = z(status)
    i = 0
    while i < len(entries):
        entry = entries[i]
        code, name = entry[:2], entry[3:]
        yield name
        i += 2 if code[0] in "RC" else 1  # a rename is followed by its old name


# -- the commands -------------------------------------------------------------------------------------


def _find_matches(argv: Sequence[str], cwd: str, ctx: Context) -> list[str]:
    import subprocess

    words = list(argv)
    if words and os.path.basename(words[0]) != "find":
        raise ValueError("not a find command")
    risky = sorted(set(words) & _FIND_ACTIONS)
    if risky:
        raise ValueError(f"`find` with {risky[0]} is not previewed (it could do more than print)")
    dry = ["find" if i == 0 else ("-print0" if w in _FIND_SAFE_ACTIONS else w) for i, w in enumerate(words)]
    done = subprocess.run(dry, cwd=cwd, capture_output=True, timeout=ctx.timeout, check=False, stdin=subprocess.DEVNULL)
    return [os.path.normpath(os.path.join(cwd, p)) for p in z(done.stdout.decode("utf-8", "surrogateescape"))]


def _git_args(argv: Sequence[str]) -> list[str]:
    """The words after the git subcommand (``git -C dir clean -fd`` -> ``['-fd']``)."""
    words = list(argv[1:])
    while words and words[0].startswith("-"):
        takes = words[0] in ("-C", "-c", "--git-dir", "--work-tree")
        words = words[2:] if takes else words[1:]
    return words[1:]


def _git_cwd(argv: Sequence[str], cwd: str) -> str:
    words = list(argv)
    for i, w in enumerate(words[:-1]):
        if w == "-C":
            cwd = os.path.join(cwd, words[i + 1])
    return cwd


def _git_clean(argv: Sequence[str], cwd: str, ctx: Context) -> list[str]:
    args = _git_args(argv)
    keep: list[str] = []
    for w in args:
        if w in ("-f", "--force", "-i", "--interactive", "-q", "--quiet", "-n", "--dry-run"):
            continue
        if w.startswith("-") and not w.startswith("--") and len(w) > 2:  # -fdx
            flags = "".join(c for c in w[1:] if c not in "finq")
            if flags:
                keep.append("-" + flags)
            continue
        keep.append(w)
    # Twice -f (-ff) also removes nested repositories: the dry run must see them too.
    if sum(w.count("f") for w in args if w.startswith("-") and not w.startswith("--")) + args.count("--force") >= 2:
        keep.insert(0, "-ff")
    out = git(["clean", "-n", *keep], cwd=cwd, timeout=ctx.timeout)
    paths = []
    for line in out.splitlines():
        if line.startswith("Would remove "):
            paths.append(os.path.normpath(os.path.join(cwd, line[len("Would remove ") :])))
    return paths


def _reset_target(argv: Sequence[str]) -> str:
    args = [w for w in _git_args(argv) if not w.startswith("-")]
    return args[0] if args else "HEAD"


def _pathspec(argv: Sequence[str], op: str) -> list[str]:
    """The paths whose changes ``git checkout``/``git restore`` would discard."""
    args = _git_args(argv)
    if "--" in args:
        return args[args.index("--") + 1 :]
    return [w for w in args if not w.startswith("-")]


def _discarded(cwd: str, pathspec: list[str], ctx: Context, *, hard_target: str = "") -> Preview:
    """Tracked files whose uncommitted changes would be overwritten (and, for a reset, files changed)."""
    top = toplevel(cwd, timeout=ctx.timeout)
    if top is None:
        raise ValueError(f"{cwd} is not inside a git work tree")
    spec = ["--", *pathspec] if pathspec else []
    if hard_target:
        status = git(["status", "--porcelain=v1", "-z", "--untracked-files=no"], cwd=top, timeout=ctx.timeout)
        lost = sorted(set(_status_paths(status)))
    else:
        lost = sorted(set(z(git(["diff", "--name-only", "-z", *spec], cwd=cwd, timeout=ctx.timeout))))
    files: dict[str, tuple[int, int]] = {}
    for name in lost:
        full = os.path.join(top, name)
        try:
            st = os.lstat(full)
            files[full] = (st.st_size, st.st_mtime_ns)
        except OSError:
            files[full] = (0, 0)  # deleted in the work tree: the change (a deletion) is discarded
    preview = _preview(files, "discard", set(files), set(files), truncated=False)
    head = git(["rev-parse", "HEAD"], cwd=top, timeout=ctx.timeout).strip()
    if hard_target and hard_target != "HEAD":
        target = git(["rev-parse", "--verify", hard_target + "^{commit}"], cwd=top, timeout=ctx.timeout).strip()
        moved = z(git(["diff", "--name-only", "-z", head, target], cwd=top, timeout=ctx.timeout))
        if moved:
            preview.summary["reset"] = len(moved)
            preview.facts["head"], preview.facts["target"] = head, target
    preview.state_token = digest([preview.state_token, head])
    return preview
