"""Build and task runners read, not trusted: the commands ``make deploy`` or ``npm run X`` would run.

``plan(tool, args, cwd)`` reads the runner's own file (Makefile, package.json, justfile,
Taskfile.yml, tox.ini, noxfile.py, .pre-commit-config.yaml, Procfile) and returns a :class:`Plan`: the
steps it would run (shell text, an argv, or a program in a language the code classifier reads), each
with the directory it runs in. It knows nothing of effects: ``classify/shell/_build.py`` classifies
the steps. A file that exists but cannot be read or parsed makes the plan ``unknown``; a missing one
is ``missing`` (the runner would fail and run nothing; the shell side keeps the KB's judgment).
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_FILE_BYTES", "RUNNERS", "Plan", "Step", "plan"]

MAX_FILE_BYTES = 512 * 1024
MAX_STEPS = 2000

#: The programs read here, by name.
RUNNERS = {
    "make": "make",
    "gmake": "make",
    "npm": "npm",
    "pnpm": "npm",
    "yarn": "npm",
    "bun": "npm",
    "just": "just",
    "task": "task",
    "go-task": "task",
    "tox": "tox",
    "nox": "nox",
    "pre-commit": "pre-commit",
    "honcho": "procfile",
    "foreman": "procfile",
    "forego": "procfile",
}


class Step:
    """One thing a runner runs: ``kind`` shell (``text``), argv (``argv``) or a code language (``text``)."""

    __slots__ = ("argv", "cwd", "kind", "origin", "text")

    def __init__(
        self, kind: str, origin: str, cwd: str | None, *, text: str = "", argv: list[str | None] | None = None
    ) -> None:
        self.kind = kind
        self.origin = origin
        self.cwd = cwd
        self.text = text
        self.argv = argv

    def __repr__(self) -> str:
        return f"Step({self.kind!r}, {self.text or self.argv!r}, cwd={self.cwd!r}, from {self.origin})"


class Plan:
    """What a runner invocation would run: steps, reasons it cannot be known, or that it only reports."""

    __slots__ = ("extra", "missing", "read_only", "source", "steps", "unknown")

    def __init__(self, source: str = "") -> None:
        self.source = source  # the file read (for notes)
        self.steps: list[Step] = []
        self.unknown: list[str] = []
        self.read_only = ""  # why the invocation only reports (make -n, npm run with no name)
        self.extra: list[tuple[str, str]] = []  # (effect, why) of the runner itself (tox makes venvs)
        # The runner's file does not exist (the runner would fail, running nothing): (why, where).
        self.missing: tuple[str, str] | None = None

    def cannot_read(self, path: str) -> None:
        """``path`` could not be read: missing (the runner fails) or unreadable (unknown)."""
        if os.path.lexists(path):
            self.unknown.append(f"cannot read {path}")
        else:
            self.missing = (f"{path} does not exist", path)

    def add(self, step: Step) -> None:
        if len(self.steps) >= MAX_STEPS:
            if not self.unknown or "too many" not in self.unknown[-1]:
                self.unknown.append(f"more than {MAX_STEPS} commands: the rest is not read")
            return
        self.steps.append(step)


def read_text(path: str) -> str | None:
    """The text of a runner's file, or None when it is missing, unreadable, binary or too large."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # /dev/stdin, a FIFO, a directory: never read (the hook's own stdin)
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_FILE_BYTES or b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", "replace")


def find(cwd: str | None, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that exists in ``cwd``."""
    if cwd is None:
        return None
    for name in names:
        path = os.path.join(cwd, name)
        if os.path.lexists(path):  # a directory or a dangling link is found, then cannot be read: unknown
            return path
    return None


def plan(tool: str, args: list[str | None], cwd: str | None, lookup: Callable[[str], str | None] | None = None) -> Plan:
    """The steps ``tool args`` would run in ``cwd`` (``tool`` is a name from :data:`RUNNERS`).

    ``lookup`` gives the environment variables the runner sees (make and just read them).
    """
    kind = RUNNERS.get(tool, tool)
    env = lookup or (lambda _name: None)
    if kind == "make":
        from blastdoor.classify.runners.make import plan_make

        return plan_make(args, cwd, env)
    if kind == "npm":
        from blastdoor.classify.runners.scripts import plan_npm

        return plan_npm(tool, args, cwd)
    if kind == "just":
        from blastdoor.classify.runners.just import plan_just

        return plan_just(args, cwd, env)
    if kind == "task":
        from blastdoor.classify.runners.taskfile import plan_task

        return plan_task(args, cwd)
    if kind in ("tox", "nox", "pre-commit"):
        from blastdoor.classify.runners import pyrunners

        return pyrunners.PLANNERS[kind](args, cwd)
    if kind == "procfile":
        from blastdoor.classify.runners.scripts import plan_procfile

        return plan_procfile(tool, args, cwd)
    p = Plan()
    p.unknown.append(f"`{tool}` is not a runner blastdoor reads")
    return p
