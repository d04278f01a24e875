"""Task leases (issue 16, item 2): a lease narrows an agent below its standing policy for one task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blastdoor.approvals import Person
from blastdoor.errors import InputError
from blastdoor.identity import Agents
from blastdoor.identity.leases import ACTIVE, DENIED, EXPIRED, PENDING, REVOKED
from blastdoor.pipeline import LEASE_UNBOUND, judge
from blastdoor.policy.leases import LEASE_RULE
from tests.identity.helpers import action, policy, services

OPEN = "version: 1\ndefault: allow\nunknown: allow\nenvironments:\n  prod: { paths: ['/srv/prod/**'] }\n"
OPEN += "  staging: { paths: ['/srv/staging/**'] }\n"
BUGFIX = [{"effects": ["read", "write", "create"], "env": ["staging", "unknown"]}]
AGENT = "ci-deployer"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _judge(agents: Agents, command: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    _, d = judge(policy(base=OPEN), action(AGENT, command, cwd="/srv/staging/app"), agents=agents, environ=env or {})
    return d.verdict, d.rule


def _agents(svc: Any, clock: Clock) -> Agents:
    return Agents(svc.store, svc.log, clock=clock)


def test_bugfix_lease_in_staging_edits_and_tests_and_asks_for_prod(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    with services(store_url, tmp_path) as svc:
        agents = _agents(svc, clock)
        # The standing policy allows everything, prod deletes included.
        assert _judge(agents, "rm /srv/prod/db/x") == ("allow", "policy.default")
        lease = agents.leases.grant(AGENT, "fix a bug in staging", BUGFIX, by="alice", ttl=7200)
        assert lease.status == ACTIVE and lease.request_id == ""
        assert _judge(agents, "echo fix > /srv/staging/app/f.py")[0] == "allow"  # edit files
        assert _judge(agents, "pytest tests/")[0] == "allow"  # run tests
        assert _judge(agents, "cat /srv/staging/app/f.py")[0] == "allow"
        assert _judge(agents, "rm /srv/prod/db/x") == ("ask", LEASE_RULE)  # anything in prod is asked
        assert _judge(agents, "cat /srv/prod/secrets") == ("ask", LEASE_RULE)
        assert _judge(agents, "rm /srv/staging/app/old") == ("ask", LEASE_RULE)  # delete: not in the task
        # expires on its own
        clock.now += 7201
        assert _judge(agents, "rm /srv/prod/db/x")[0] == "allow"
        assert agents.leases.get(lease.id).status == EXPIRED
        kinds = [e["event"]["kind"] for e in svc.log.entries()]
        assert "lease.granted" in kinds and "lease.expired" in kinds


def test_prod_lease_waits_for_approval_then_expires(store_url: str, tmp_path: Path) -> None:
    clock = Clock()
    with services(store_url, tmp_path) as svc:
        agents = _agents(svc, clock)
        agents.leases.grant(AGENT, "fix a bug in staging", BUGFIX, by="alice", ttl=3600)
        wide = agents.leases.grant(
            AGENT, "hotfix in prod", [{"effects": ["delete", "irreversible"], "env": ["prod"]}], by="alice", ttl=1800
        )
        assert wide.status == PENDING and wide.request_id
        # Until approved, the prod delete is outside every active lease: asked.
        assert _judge(agents, "rm /srv/prod/db/x") == ("ask", LEASE_RULE)
        from blastdoor.approvals import Approvals

        approvals = Approvals(svc.store, svc.log, clock=clock)
        request = approvals.get(wide.request_id)
        assert request.status == "pending" and request.tool == "blastdoor" and request.agent_id == AGENT
        with pytest.raises(Exception, match="cannot approve"):
            approvals.approve(wide.request_id, Person("alice", "approver"))  # the requester never approves
        approvals.approve(wide.request_id, Person("carol", "approver"))
        assert _judge(agents, "rm /srv/prod/db/x")[0] == "allow"
        assert agents.leases.get(wide.id).status == ACTIVE
        assert approvals.get(wide.request_id).status == "consumed"
        clock.now += 1801  # the prod lease ends first; the staging one still narrows
        assert _judge(agents, "rm /srv/prod/db/x") == ("ask", LEASE_RULE)
        clock.now += 1800
        assert _judge(agents, "rm /srv/prod/db/x")[0] == "allow"
        assert {lease.status for lease in agents.leases.all()} == {EXPIRED}


def test_denied_request_never_activates(tmp_path: Path) -> None:
    clock = Clock()
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        agents = _agents(svc, clock)
        wide = agents.leases.grant(AGENT, "prod", [{"effects": ["delete"]}], by="alice")  # no env: reaches prod
        assert wide.status == PENDING
        from blastdoor.approvals import Approvals

        Approvals(svc.store, svc.log, clock=clock).deny(wide.request_id, Person("carol", "approver"))
        assert agents.leases.active_for((AGENT,)) == []
        assert agents.leases.get(wide.id).status == DENIED


def test_lease_never_widens(tmp_path: Path) -> None:
    base = OPEN + "rules:\n  - id: no-prod-deletes\n    match: { env: prod, effects: [delete] }\n    verdict: deny\n"
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        agents = svc.agents
        lease = agents.leases.grant(
            AGENT, "anything", [{"effects": ["delete", "irreversible"], "env": ["prod"]}], by="alice"
        )
        from blastdoor.approvals import Approvals

        Approvals(svc.store, svc.log).approve(lease.request_id, Person("carol", "approver"))
        act = action(AGENT, "rm /srv/prod/db/x", cwd="/srv")
        _, d = judge(policy(base=base), act, agents=agents, environ={})
        assert (d.verdict, d.rule) == ("deny", "no-prod-deletes")


def test_session_bound_to_a_lease(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        agents = svc.agents
        lease = agents.leases.grant(AGENT, "bugfix", BUGFIX, by="alice")
        assert _judge(agents, "echo x > /srv/staging/app/f.py", {"BLASTDOOR_LEASE": lease.id})[0] == "allow"
        assert _judge(agents, "echo x > /srv/staging/app/f.py", {"BLASTDOOR_LEASE": "L-nope"}) == (
            "deny",
            LEASE_UNBOUND,
        )
        agents.leases.revoke(lease.id, by="bob", reason="done")
        assert agents.leases.get(lease.id).status == REVOKED
        assert _judge(agents, "echo x > /srv/staging/app/f.py", {"BLASTDOOR_LEASE": lease.id})[0] == "deny"
        assert _judge(agents, "cat /srv/staging/app/f.py", {"BLASTDOOR_LEASE": lease.id})[0] == "allow"


def test_unverified_caller_keeps_the_claimed_agents_lease(tmp_path: Path) -> None:
    """Dropping the credential (judged as unknown-agent) does not escape the lease."""
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        agents = svc.agents
        agents.credentials.enrol(AGENT, by="alice")
        agents.leases.grant(AGENT, "bugfix", BUGFIX, by="alice")
        assert _judge(agents, "rm /srv/prod/db/x") == ("ask", LEASE_RULE)


def test_revoking_the_agent_ends_its_leases(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        lease = svc.agents.leases.grant(AGENT, "bugfix", BUGFIX, by="alice")
        svc.agents.revoke(AGENT, by="bob")
        assert svc.agents.leases.get(lease.id).status == REVOKED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"allow": []}, "scope"),
        ({"allow": [{"efects": ["read"]}]}, "not valid policy matchers"),
        ({"task": " "}, "task"),
        ({"otherwise": "allow"}, "never allows more"),
        ({"ttl": 0}, "lasts"),
        ({"allow": [{"args": {"x": {"regex": "("}}}]}, "regular expression"),
    ],
)
def test_bad_leases_are_clear_errors(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    spec: dict[str, Any] = {"agent_id": AGENT, "task": "t", "allow": BUGFIX, "by": "alice", **kwargs}
    with services(str(tmp_path / "s.db"), tmp_path) as svc, pytest.raises(Exception, match=message) as err:
        svc.agents.leases.grant(**spec)
    assert isinstance(err.value, InputError) or "regular expression" in str(err.value)
