"""Shared pieces for the identity tests: a policy, actions, services on a store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blastdoor.action import Action
from blastdoor.action.shorthand import action_from_spec
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.compiled import CompiledPolicy
from blastdoor.policy.layers import Source
from blastdoor.services import Services, open_services

POLICY = """version: 1
default: allow
unknown: ask
environments:
  prod: { paths: ["/srv/prod/**"] }
  staging: { paths: ["/srv/staging/**"] }
rules:
  - id: strangers-ask
    match: { agent: unknown-agent, effects: [write, delete, create] }
    verdict: deny
    reason: an unknown agent may not change anything
"""


def policy(extra: str = "", base: str = POLICY) -> CompiledPolicy:
    return compile_sources([Source("project", "<test>", base + extra)], home="/home/t")


def action(agent: str = "ci-deployer", command: str = "rm /srv/staging/app/old.log", cwd: str = "/srv") -> Action:
    spec: dict[str, Any] = {"shell": command, "cwd": cwd, "agent": {"id": agent, "harness": "claude-code"}}
    return action_from_spec(spec)


def services(url: str, home: Path) -> Services:
    return open_services(url, key_path=str(home / "audit.key"))
