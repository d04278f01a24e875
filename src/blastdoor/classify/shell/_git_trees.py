"""What a git command brings into the working tree from another commit, judged file by file.

``git checkout OLD``, ``git switch BRANCH``, ``git reset --hard REV``, ``git merge REV``, ``git
cherry-pick REV`` and ``git revert REV`` rewrite the files that differ between the commits involved;
the command line names none of them. An agent that cannot edit ``blastdoor.yaml`` could check out an old
commit, or a branch it prepared, where the policy is weaker. So the repository is asked which files the
command would change (``git diff-tree``, plumbing: no pager, external diff, textconv or hooks), and the
guard places among them (``classify.guard.in_repository``) are judged as writes there.

Only when the revision resolves in the repository here; asking git costs a few milliseconds and happens
only for these commands. A question git cannot answer in time is ``unknown``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.classify.shell._paths import path_effects

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

_TIMEOUT_S = 2.0
# Settings that could make even plumbing run a program: off for our question.
_SAFE = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "core.quotePath=false",
)


def git_switch(cmd: Cmd) -> None:
    """``git switch [-c NEW] [--detach] [BRANCH]``: the tree of BRANCH (or of the start point)."""
    if cmd.pos and cmd.pos[0] is not None:
        brought_in(cmd, "HEAD", cmd.pos[0], f"`git switch {cmd.pos[0]}`")


def git_reset(cmd: Cmd) -> None:
    """``git reset --hard|--merge|--keep REV``: the working tree becomes REV's."""
    if cmd.has("--hard", "--merge", "--keep") and cmd.pos and cmd.pos[0] is not None:
        brought_in(cmd, "HEAD", cmd.pos[0], f"`git reset {cmd.pos[0]}`")


def git_merge(cmd: Cmd) -> None:
    """``git merge REV...``: what each REV changed since it forked from HEAD."""
    if cmd.has("--abort", "--quit", "--continue"):
        return
    for rev in cmd.pos:
        if rev is not None:
            brought_in(cmd, f"HEAD...{rev}", None, f"`git merge {rev}`")


def git_pick(cmd: Cmd) -> None:
    """``git cherry-pick REV...`` and ``git revert REV...``: the files each commit changed."""
    if cmd.has("--abort", "--quit", "--continue", "--skip"):
        return
    for rev in cmd.pos:
        if rev is not None and ".." not in rev:
            brought_in(cmd, f"{rev}^", rev, f"`git {cmd.subs[0] if cmd.subs else 'cherry-pick'} {rev}`")


def git_clean(cmd: Cmd) -> None:
    """``git clean -f [-d] [-x|-X]``: git lists what it would remove (``-n``); guard places among it."""
    if cmd.has("-n", "--dry-run") or not cmd.has("-f", "--force"):
        return  # a dry run, or refused (clean.requireForce): nothing goes
    flags = [f for f in ("-d", "-x", "-X") if cmd.has(f)]
    excludes = [f"--exclude={v}" for o, v in cmd.opts if o in ("-e", "--exclude") and v is not None]
    paths = [p for p in cmd.pos if p is not None]
    _judge_listed(cmd, ["clean", "-n", *flags, *excludes, "--", *paths], "Would remove ")


def git_stash(cmd: Cmd) -> None:
    """``git stash -u|-a``: untracked (and with ``-a`` ignored) files go into the stash, out of the tree."""
    if not cmd.has("-u", "--include-untracked", "-a", "--all"):
        return
    ignored = ["--ignored"] if cmd.has("-a", "--all") else []
    paths = [p for p in cmd.pos if p is not None] if "push" in cmd.subs else []
    args = ["ls-files", "--others", "--exclude-standard", *ignored, "-z", "--", *paths]
    if ignored:
        args = ["ls-files", "--others", "-z", "--", *paths]  # untracked and ignored alike
    _judge_listed(cmd, args, "", separator="\0")


def _judge_listed(cmd: Cmd, args: list[str], prefix: str, separator: str = "\n") -> None:
    """Ask git for the files a command removes (``args`` lists them, relative to the directory) and
    judge them as deletes: each directory (what it holds counts), and the guard places among files."""
    from blastdoor.classify.guard import in_repository

    cwd = _base(cmd)
    if cwd is None or not os.path.isdir(cwd):
        return
    out = _ask(cmd, cwd, args)
    if out is None:
        return
    names = [n[len(prefix) :] for n in out.split(separator) if n.startswith(prefix) and n[len(prefix) :]]
    judged = [n.rstrip("/") for n in names if n.endswith("/")] + in_repository(n for n in names if not n.endswith("/"))
    for rel in judged:
        path = cmd.st.path(f"{cwd}/{rel}")
        cmd.part.target(path)
        path_effects(cmd.part, path, "delete", cmd.st)


def brought_in(cmd: Cmd, old: str, new: str | None, how: str) -> None:
    """Judge the guard places among the files that differ between ``old`` and ``new`` (``old`` alone:
    a ``A...B`` range) as writes, in the repository's working tree."""
    from blastdoor.classify.guard import in_repository

    cwd = _base(cmd)
    if cwd is None or not os.path.isdir(cwd):
        return
    top = _ask(cmd, cwd, ["rev-parse", "--show-toplevel"])
    if top is None:
        return
    if new is None:  # A...B: from the merge base to B
        a, _, b = old.partition("...")
        base = _ask(cmd, cwd, ["merge-base", a, b])
        if base is None:
            return
        old, new = base.strip(), b
    out = _ask(cmd, cwd, ["diff-tree", "-r", "--name-only", "--no-renames", "-z", old, new, "--"])
    if out is None:
        return
    names = [n for n in out.split("\0") if n]
    root = top.strip()
    for rel in in_repository(names):
        path = cmd.st.path(f"{root}/{rel}")
        cmd.part.target(path)
        cmd.part.add("write", f"{how} rewrites {rel}")
        path_effects(cmd.part, path, "write", cmd.st)


def _base(cmd: Cmd) -> str | None:
    base = cmd.st.cwd
    for opt, value in cmd.opts:
        if opt == "-C" and value:
            base = value if value.startswith("/") else (None if base is None else base + "/" + value)
    return base


def _ask(cmd: Cmd, cwd: str, args: list[str]) -> str | None:
    """git's answer, or None when it has none (not a repository, an unknown revision); a git that does
    not answer in time makes the command ``unknown``."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
    try:
        done = subprocess.run(
            ["git", *_SAFE, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        cmd.part.add("unknown", f"git could not say in time which files `{' '.join(args[:1])}` involves")
        return None
    except (OSError, ValueError):  # no git here, or a NUL in the directory
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


HANDLERS = {
    "git_switch": git_switch,
    "git_reset": git_reset,
    "git_merge": git_merge,
    "git_pick": git_pick,
    "git_clean": git_clean,
    "git_stash": git_stash,
}
