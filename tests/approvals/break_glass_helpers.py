"""Shared set-up for the break-glass tests: a policy with a breakable baseline-style deny, a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.action import Action, Agent, Decision
from blastdoor.approvals import Person
from blastdoor.audit.log import Query
from blastdoor.breakglass import denied_entry, request_break_glass
from blastdoor.pipeline import decide_and_record
from blastdoor.policy.compiled import CompiledPolicy
from blastdoor.services import Services
from blastdoor.store import open_log
from tests.policy.helpers import policy

ENVS = {"prod": {"aws_profiles": ["prod*"]}, "staging": {"aws_profiles": ["staging*"]}}
RULES: list[dict[str, Any]] = [
    {
        "id": "stack-deletes",
        "match": {"operation": "aws:cloudformation:DeleteStack"},
        "verdict": "deny",
        "reason": "Deleting a stack is never done by an agent.",
    },
    {"id": "no-wipes", "match": {"tool": "shell", "effects": ["wipe"]}, "verdict": "deny"},
]
GLASS = {"from": "sre-leads", "count": 2, "max_ttl": "15m", "rules": ["stack-deletes"]}


def glass_policy(**changes: Any) -> CompiledPolicy:
    data: dict[str, Any] = {
        "default": "allow",
        "environments": ENVS,
        "approvers": {"sre-leads": ["bob", "carol", "dave", "alice"]},
        "rules": RULES,
        "break_glass": GLASS,
    }
    data.update(changes)
    return policy(data)


POLICY = glass_policy()
AGENT = Agent("claude-code:alice@laptop", "claude-code", session="s1", on_behalf_of="alice", host="laptop")
STAGING = "aws cloudformation delete-stack --stack-name ce --profile staging"
PROD = "aws cloudformation delete-stack --stack-name ce --profile prod"


class Clock:
    """A clock the test moves: expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def services(store_url: str, tmp_path: Path, clock: Clock) -> Iterator[Services]:
    s = Services(open_log(store_url, key_path=tmp_path / "audit.key", checkpoint_on_close=False))
    s.approvals.clock = clock
    s.break_glass.clock = clock
    yield s
    s.close()


def act(raw: str = STAGING, agent: Agent = AGENT, cwd: str = "/work/app") -> Action:
    return Action("shell", raw=raw, cwd=cwd, agent=agent)


def decide(
    services: Services,
    action: Action | None = None,
    cid: str = "c1",
    pol: CompiledPolicy = POLICY,
    environ: dict[str, str] | None = None,
) -> Decision:
    return decide_and_record(
        pol,
        action or act(),
        services.log,
        cid,
        approvals=services.approvals,
        agents=services.agents,
        environ=environ or {},
    )[1]


def last_denied_seq(services: Services) -> int:
    (entry,) = services.log.search(Query(kind="decision", verdict="deny", limit=1))
    return int(entry["seq"])


def file_glass(
    services: Services, requester: str = "alice", reason: str = "stack is stuck; staging is down", **kw: Any
):  # type: ignore[no-untyped-def]
    pol = kw.pop("pol", POLICY)
    entry = denied_entry(services.log, seq=last_denied_seq(services))
    return request_break_glass(services, pol, entry, Person(requester), reason, **kw)
