"""Read-only git for previewers: no optional locks (``git status`` does not rewrite the index), no
prompts, no pager, bounded in time, and nothing a repository's own config could make git run.

A preview runs before anyone approved anything, in a repository the agent can write to: a command
planted in ``.git/config`` (``core.fsmonitor``, a ``filter`` driver, ``remote.*.uploadpack``, a
credential helper, ``core.sshCommand``, an ``include`` of another file...) would run with the
preview. ``check_local_config`` refuses to preview such a repository (the preview fails: "no
preview available"); the user's own global and system config are trusted.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class GitError(RuntimeError):
    """A git command the previewer ran failed (its stderr's first line says why)."""


# Keys of a repository's own config that make git run a program (compared in lower case).
_RUNS_PROGRAMS = (
    "core.fsmonitor",
    "core.sshcommand",
    "core.askpass",
    "core.gitproxy",
    "credential.",
    "filter.",
    "include.",
    "includeif.",
    "url.",
    "protocol.",
    "uploadpack.",
    "diff.",
)
_HARDENED = ("-c", "protocol.ext.allow=never", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


def _danger(key: str) -> bool:
    key = key.lower()
    if key.startswith("remote.") and key.endswith((".uploadpack", ".receivepack", ".vcs")):
        return True
    return key.startswith(_RUNS_PROGRAMS)


def check_local_config(cwd: str, *, timeout: float) -> None:
    """Raise GitError when the repository's own config (or its worktree's) sets a program git would run.

    Checked before every git call, never cached: a long-lived server must see a config changed since.
    ``--worktree`` reads the worktree's config when there is one, else the repository's (``--local``).
    """
    try:
        names = _raw(["config", "--worktree", "--name-only", "--list"], cwd=cwd, timeout=timeout)
    except GitError:
        names = _raw(["config", "--local", "--name-only", "--list"], cwd=cwd, timeout=timeout)
    bad = sorted({n for n in names.splitlines() if _danger(n)})
    if bad:
        raise GitError(
            f"the repository's own git config sets `{bad[0]}`, which git would run during a preview; "
            "nothing was previewed"
        )


def git(args: Sequence[str], *, cwd: str, timeout: float, environ: Mapping[str, str] | None = None) -> str:
    """The stdout of ``git ARGS`` run in ``cwd``; GitError when it fails or the repository's config
    would make it run a program (``check_local_config``)."""
    check_local_config(cwd, timeout=timeout)
    return _raw([*_HARDENED, *args], cwd=cwd, timeout=timeout, environ=environ)


def _raw(args: Sequence[str], *, cwd: str, timeout: float, environ: Mapping[str, str] | None = None) -> str:
    env = dict(os.environ if environ is None else environ)
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    for var in ("GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_ASKPASS"):
        env.pop(var, None)
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()
        name = next((a for a in args if not a.startswith("-") and "=" not in a), "git")
        raise GitError(f"git {name}: {first[0] if first else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "surrogateescape")


def toplevel(path: str, *, timeout: float) -> str | None:
    """The work tree that holds ``path`` (a directory), or None outside git."""
    try:
        return _raw(["rev-parse", "--show-toplevel"], cwd=path, timeout=timeout).strip() or None
    except (GitError, OSError):
        return None


def z(text: str) -> list[str]:
    """Entries of NUL-separated output."""
    return [e for e in text.split("\0") if e]
