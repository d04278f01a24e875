"""Review requests on both stores (SQLite and PostgreSQL): filing, who may sign, what an approval covers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from blastdoor.approvals import Person
from blastdoor.approvals.requests import ApprovalClosed, ApprovalRefused
from blastdoor.audit.log import Query
from blastdoor.errors import Forbidden
from blastdoor.review.rules import Need
from blastdoor.review.signoff import SignOffs
from blastdoor.services import Services, open_services

C1, C2 = "1" * 40, "2" * 40


@pytest.fixture()
def services(store_url: str) -> Iterator[Services]:
    with open_services(store_url, checkpoint_on_close=False) as s:
        yield s


def need(reviews: int = 1, **groups: int) -> Need:
    n = Need()
    n.verdict = "signoff" if groups else "review"
    n.reviews = reviews
    n.groups = dict(groups)
    return n


def test_a_request_is_signed_off_by_its_group_and_covers_exactly_its_commits(services: Services) -> None:
    signoffs = SignOffs(services.store, services.log)
    eligible = {"seniors": ["sam", "sid"]}
    r = signoffs.request([C1], need(1, seniors=1), excluded=["Alice", "alice@x.io"], eligible=eligible)
    assert signoffs.request([C1], need(1, seniors=1), excluded=[], eligible=eligible).id == r.id  # the open one
    with pytest.raises(ApprovalRefused, match="cannot sign them off"):
        signoffs.approve(r.id, Person("alice", "approver"))
    with pytest.raises(ApprovalRefused, match="agent"):
        signoffs.approve(r.id, Person("claude-code:s1", "approver"), agents=["claude-code:s1"])
    with pytest.raises(ApprovalRefused, match="may not sign off"):
        signoffs.approve(r.id, Person("rita", "requester"))
    assert signoffs.approve(r.id, Person("bob", "approver")).status == "pending"  # a review, not a senior
    with pytest.raises(ApprovalRefused, match="already voted"):
        signoffs.approve(r.id, Person("bob", "approver"))
    assert signoffs.approve(r.id, Person("sam", "approver")).status == "approved"
    covered = signoffs.approved_needs()
    assert set(covered) == {C1} and covered[C1][0].covers(need(1, seniors=1))
    assert not covered[C1][0].covers(need(1, seniors=2))
    with pytest.raises(ApprovalClosed):
        signoffs.approve(r.id, Person("sid", "approver"))
    kinds = [e["event"]["kind"] for e in services.log.search(Query(limit=50), newest_first=False)]
    assert kinds.count("change.signed_off") == 2 and kinds.count("change.review_requested") == 1


def test_a_rejection_is_final_and_a_denied_change_cannot_be_filed(services: Services) -> None:
    signoffs = SignOffs(services.store, services.log)
    r = signoffs.request([C2], need(2), excluded=[], eligible={})
    assert signoffs.deny(r.id, Person("bob", "approver"), comment="no").status == "rejected"
    with pytest.raises(ApprovalClosed):
        signoffs.approve(r.id, Person("sam", "approver"))
    assert signoffs.approved_needs() == {}
    denied = Need()
    denied.verdict = "deny"
    with pytest.raises(Forbidden):
        signoffs.request([C2], denied, excluded=[], eligible={})
