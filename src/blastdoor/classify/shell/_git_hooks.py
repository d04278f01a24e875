"""Skipping the repository's git hooks: ``--no-verify``, ``HUSKY=0``, another ``core.hooksPath``.

A repository's hooks are its checks before code is committed or leaves: a secret scanner, the tests,
blastdoor's own change gate (``blastdoor review --pre-push``, docs/CHANGE-GATE.md). An agent that skips
them switches those checks off: ``privilege`` (disabling a security control), and ``guard`` when a
skipped hook runs blastdoor. Only hooks that are there count: skipping nothing changes nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd
    from blastdoor.classify.shell._state import Part

__all__ = ["hooks_redirected", "skipped_hooks"]

# subcommand -> (options that skip its hooks, the hooks they skip): from each command's manual.
_SKIPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "commit": (("--no-verify", "-n"), ("pre-commit", "commit-msg")),
    "push": (("--no-verify",), ("pre-push",)),
    "merge": (("--no-verify",), ("pre-merge-commit", "commit-msg")),
    "pull": (("--no-verify",), ("pre-merge-commit", "commit-msg")),
    "am": (("--no-verify",), ("pre-applypatch", "applypatch-msg")),
    "rebase": (("--no-verify",), ("pre-rebase",)),
}
_EVERY_HOOK = ("pre-commit", "commit-msg", "pre-push", "pre-merge-commit", "pre-rebase", "pre-applypatch")


def _active(cmd: Cmd, names: tuple[str, ...], *, husky: bool = False) -> dict[str, bool]:
    """The hooks of ``names`` this repository runs (present, executable, not a ``.sample``): whether
    each runs blastdoor. ``husky``: only when husky runs them (its hooks directory)."""
    from blastdoor.classify.environment import git_hooks_dir

    directory = git_hooks_dir(cmd.st.nested_context())
    found: dict[str, bool] = {}
    if husky and directory is not None and ".husky" not in directory.split(os.sep):
        return found
    if directory is None:
        return found
    for name in names:
        path = os.path.join(directory, name)
        try:
            if not os.access(path, os.X_OK) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                found[name] = b"blastdoor" in fh.read(65536)
        except (OSError, ValueError):
            continue
    return found


def _judge(part: Part, hooks: dict[str, bool], how: str) -> None:
    if not hooks:
        return
    names = ", ".join(sorted(hooks))
    part.add("privilege", f"{how} skips the repository's {names} hook: its checks do not run")
    if any(hooks.values()):
        from blastdoor.classify.guard import GUARD

        part.add(GUARD, f"{how} skips a hook that runs blastdoor (the change gate)")


def skipped_hooks(cmd: Cmd) -> None:
    """``git commit --no-verify``, ``HUSKY=0 git push``: the hooks that command would run, skipped."""
    sub = cmd.subs[0] if cmd.subs else None
    if sub not in _SKIPS:
        return
    options, names = _SKIPS[sub]
    how = next((f"`git {sub} {o}`" for o, _ in cmd.opts if o in options), None)
    if how is not None:
        _judge(cmd.part, _active(cmd, names), how)
    elif cmd.assigns.get("HUSKY", cmd.st.lookup("HUSKY")) == "0":  # husky's hooks exit at once
        _judge(cmd.part, _active(cmd, names, husky=True), "`HUSKY=0`")


def hooks_redirected(cmd: Cmd, how: str) -> None:
    """``git -c core.hooksPath=X``, ``git config core.hooksPath X``: every hook there now is skipped."""
    _judge(cmd.part, _active(cmd, _EVERY_HOOK), how)
