"""The requester binds an approval (issue 13): who asked is part of what was approved, a request with
no known requester is never filed nor approvable, and every refused vote is an audit event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blastdoor.action import Agent
from blastdoor.approvals import ApprovalRefused, Person, binding_of
from blastdoor.audit.log import Query
from blastdoor.services import Services
from blastdoor.store import open_log
from tests.approvals.test_requests import _action, _classified, _decide


@pytest.fixture()
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    s = Services(open_log(store_url, key_path=tmp_path / "audit.key", checkpoint_on_close=False))
    yield s
    s.close()


def _as(requester: str) -> Agent:
    return Agent("claude-code:shared@laptop", "claude-code", session="s1", on_behalf_of=requester, host="laptop")


def test_the_requester_is_part_of_the_binding() -> None:
    assert binding_of(_classified()) != binding_of(_classified().replace(agent=_as("erin")))


def test_an_approval_is_used_only_by_its_requester(services: Services) -> None:
    first = _decide(services, _action(agent=_as("alice")))
    for name in ("bob", "carol"):
        services.approvals.approve(first.request_id, Person(name))
    other = _decide(services, _action(agent=_as("erin")))
    assert other.verdict == "approve" and other.request_id != first.request_id
    assert _decide(services, _action(agent=_as("alice"))).verdict == "allow"


@pytest.mark.parametrize("requester", ["", "unknown", "  "])
def test_no_request_is_filed_for_an_unknown_requester(services: Services, requester: str) -> None:
    decision = _decide(services, _action(agent=_as(requester)))
    assert decision.verdict == "approve" and not decision.request_id
    assert any("requester" in r for r in decision.reasons)
    assert services.approvals.find(status="") == []


def test_a_stored_request_with_no_requester_takes_no_vote(services: Services) -> None:
    """A request filed before requesters were required (or written by hand) is never approvable."""
    first = _decide(services)
    with services.store.write() as tx:
        tx.execute("UPDATE approval_request SET requester = '' WHERE id = ?", (first.request_id,))
    with pytest.raises(ApprovalRefused) as refused:
        services.approvals.approve(first.request_id, Person("bob"))
    assert refused.value.code == "no_requester"


def test_refused_votes_are_audit_events(services: Services) -> None:
    first = _decide(services)
    attempts = [("alice", "self"), ("zed", "group"), ("claude-code:alice@laptop", "agent")]
    for name, code in attempts:
        with pytest.raises(ApprovalRefused) as refused:
            services.approvals.approve(first.request_id, Person(name), agents={"claude-code:alice@laptop"})
        assert refused.value.code == code
    services.approvals.approve(first.request_id, Person("bob"))
    with pytest.raises(ApprovalRefused):
        services.approvals.deny(first.request_id, Person("bob"))
    events = [e["event"] for e in services.log.search(Query(kind="approval.refused", limit=100))]
    seen = sorted((e["approval"]["approver"], e["refused"]["code"], e["refused"]["vote"]) for e in events)
    wanted = sorted([(n, c, "approve") for n, c in attempts] + [("bob", "repeat", "deny")])
    assert seen == wanted
    assert all(e["approval"]["request_id"] == first.request_id for e in events)
