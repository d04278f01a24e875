"""Read-only git for previewers: no optional locks (``git status`` does not rewrite the index), no
prompts, no pager, bounded in time."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class GitError(RuntimeError):
    """A git command the previewer ran failed (its stderr's first line says why)."""


def git(args: Sequence[str], *, cwd: str, timeout: float, environ: Mapping[str, str] | None = None) -> str:
    """The stdout of ``git ARGS`` run in ``cwd``; GitError when it fails."""
    env = dict(os.environ if environ is None else environ)
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {first[0] if first else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "surrogateescape")


def toplevel(path: str, *, timeout: float) -> str | None:
    """The work tree that holds ``path`` (a directory), or None outside git."""
    try:
        return git(["rev-parse", "--show-toplevel"], cwd=path, timeout=timeout).strip() or None
    except (GitError, OSError):
        return None


def z(text: str) -> list[str]:
    """Entries of NUL-separated output."""
    return [e for e in text.split("\0") if e]
