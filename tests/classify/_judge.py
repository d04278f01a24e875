"""Shared by the code, build-runner and wrapper tests: classify a command in a real directory and judge it
with the recommended baseline (production recognised by AWS profile, as a team would declare it)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from blastdoor.action import SEVERITY, Action, Decision
from blastdoor.classify import classify
from blastdoor.policy.compile import CompiledPolicy, compile_sources
from blastdoor.policy.engine import decide
from blastdoor.policy.layers import Source

HOME = "/home/dev"
POLICY = """
version: 1
extends: [recommended]
environments:
  prod: {aws_profiles: ["prod*"], kube_contexts: ["*prod*"]}
"""


@cache
def baseline() -> CompiledPolicy:
    return compile_sources([Source("project", "/p/blastdoor.yaml", POLICY)], home=HOME)


def classified(command: str, cwd: str, environ: dict[str, str] | None = None) -> Action:
    env = {"HOME": HOME, "TMPDIR": "/tmp", **(environ or {})}
    return classify(Action("shell", raw=command, cwd=cwd), baseline().environments, environ=env, home=HOME)


def judged(command: str, cwd: str, environ: dict[str, str] | None = None) -> tuple[Action, Decision]:
    action = classified(command, cwd, environ)
    return action, decide(baseline(), action)


def severity(command: str, cwd: str, environ: dict[str, str] | None = None) -> int:
    return SEVERITY[judged(command, cwd, environ)[1].verdict]


def parts(action: Action) -> tuple[Action, ...]:
    return action.parts or (action,)


def ops(action: Action) -> set[str]:
    return {p.operation for p in parts(action)}


def part_with(action: Action, operation: str) -> Action:
    for p in parts(action):
        if p.operation == operation:
            return p
    raise AssertionError(f"no part {operation} in {sorted(ops(action))}")


def shell_effects(command: str, cwd: str, home: str) -> set[str]:
    """The effects the shell classifier alone gives ``command`` in ``cwd`` (a real directory), with ``home``."""
    from blastdoor.classify.context import ClassifyContext
    from blastdoor.classify.shell import classify_shell

    ctx = ClassifyContext({"HOME": home}, home, cwd)
    return set(classify_shell(Action("shell", raw=command, cwd=cwd), ctx).effects)


def git(repo: Path, *args: str) -> None:
    """Run real git in ``repo`` (a test's repository), failing the test when git fails."""
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
