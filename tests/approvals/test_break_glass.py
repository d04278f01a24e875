"""Break-glass on SQLite and on the real PostgreSQL server: the whole flow and each of its rules.

A deny by a rule the policy's `break_glass` block lists is lifted once, for exactly the action that
was denied, after N people of the group approved, before it expires; everything is recorded.
"""

from __future__ import annotations

import pytest

from blastdoor.approvals import ApprovalRefused, Person
from blastdoor.audit.log import Query
from blastdoor.errors import PolicyError
from blastdoor.services import Services
from tests.approvals.break_glass_helpers import (
    GLASS,
    POLICY,
    STAGING,
    Clock,
    clock,
    decide,
    file_glass,
    glass_policy,
    services,
)
from tests.policy.helpers import policy

__all__ = ["clock", "services"]  # fixtures


def kinds(services: Services) -> list[str]:
    return [e["event"]["kind"] for e in services.log.search(Query(limit=200), newest_first=False)]


def test_a_granted_break_glass_lifts_the_deny_exactly_once_and_everything_is_recorded(services: Services) -> None:
    denied = decide(services)
    assert denied.verdict == "deny" and denied.rule == "stack-deletes"
    assert any("break-glass" in r for r in denied.reasons)  # says that it can be broken, and how

    glass = file_glass(services)
    assert glass.status == "pending" and glass.rules == ("stack-deletes",) and glass.needed == 2
    assert glass.env == "staging" and glass.requester == "alice" and glass.command == STAGING
    assert decide(services).verdict == "deny"  # pending: nothing lifted

    services.break_glass.approve(glass.id, Person("bob"), comment="checked: stack is empty")
    assert decide(services).verdict == "deny"  # one of two
    assert services.break_glass.approve(glass.id, Person("carol")).status == "granted"

    allowed = decide(services, cid="retry")
    assert allowed.verdict == "allow" and allowed.rule == "break_glass.used"
    assert allowed.request_id == glass.id and set(allowed.approved_by) == {"bob", "carol"}
    assert "stack-deletes" in allowed.reason and "staging is down" in allowed.reason
    assert services.break_glass.get(glass.id).status == "used"
    # Single use: the same action again is denied.
    assert decide(services, cid="again").verdict == "deny"

    seen = kinds(services)
    for kind in ("break_glass.requested", "break_glass.approved", "break_glass.used"):
        assert kind in seen
    assert seen.count("break_glass.approved") == 2
    # The use precedes the decision it allowed, and both name the break-glass.
    (used,) = services.log.search(Query(kind="break_glass.used", limit=5))
    (decision,) = services.log.search(Query(kind="decision", correlation_id="retry", limit=5))
    assert used["seq"] < decision["seq"]
    assert used["event"]["break_glass"]["id"] == glass.id == decision["event"]["request_id"]
    assert used["event"]["break_glass"]["reason"] == "stack is stuck; staging is down"
    assert used["event"]["env"] == "staging" and used["event"]["verdict"] == "deny"


def test_a_deny_vote_is_final(services: Services) -> None:
    decide(services)
    glass = file_glass(services)
    assert services.break_glass.deny(glass.id, Person("dave"), comment="use the runbook").status == "denied"
    with pytest.raises(ApprovalRefused) as err:
        services.break_glass.approve(glass.id, Person("bob"))
    assert err.value.code == "closed"
    assert decide(services).verdict == "deny"
    assert "break_glass.denied" in kinds(services)


def test_the_reason_is_required_and_the_ttl_is_capped_by_the_policy(services: Services) -> None:
    decide(services)
    with pytest.raises(ApprovalRefused) as err:
        file_glass(services, reason="   ")
    assert err.value.code == "reason"
    with pytest.raises(ApprovalRefused) as err:
        file_glass(services, ttl=16 * 60)
    assert err.value.code == "ttl" and "900" in err.value.message
    short = file_glass(services, ttl=60)
    assert short.expires - short.created == 60


def test_one_open_break_glass_per_action(services: Services) -> None:
    decide(services)
    first = file_glass(services)
    with pytest.raises(ApprovalRefused) as err:
        file_glass(services, requester="dave")
    assert err.value.code == "open" and first.id in err.value.message


def test_a_pending_break_glass_expires_and_is_recorded(services: Services, clock: Clock) -> None:
    decide(services)
    glass = file_glass(services)
    clock.now += 15 * 60 + 1
    with pytest.raises(ApprovalRefused):
        services.break_glass.approve(glass.id, Person("bob"))
    assert services.break_glass.get(glass.id).status == "expired"
    assert "break_glass.expired" in kinds(services)


def test_list_and_show(services: Services) -> None:
    decide(services)
    glass = file_glass(services)
    (listed,) = services.break_glass.find(status="pending")
    assert listed.id == glass.id
    data = services.break_glass.get(glass.id).to_dict()
    assert data["status"] == "pending" and data["eligible"] == ["alice", "bob", "carol", "dave"]
    assert data["action"]["raw"] == STAGING and data["env"] == "staging"
    assert services.break_glass.find(status="used") == []


def test_a_policy_without_break_glass_changes_nothing(services: Services) -> None:
    plain = glass_policy()
    plain.break_glass = None
    assert decide(services, pol=plain).verdict == "deny"
    with pytest.raises(ApprovalRefused) as err:
        file_glass(services, pol=plain)
    assert err.value.code == "no_break_glass"


# -- the policy language -----------------------------------------------------------------------------


def _problems(*layers) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError) as err:
        policy(*layers)
    return err.value.diagnostics()


def test_the_block_compiles_to_plain_data_and_round_trips_the_cache() -> None:
    assert POLICY.break_glass is not None
    assert POLICY.break_glass["rules"] == ["stack-deletes"] and POLICY.break_glass["max_ttl"] == 900
    assert POLICY.break_glass["count"] == 2 and POLICY.break_glass["from"] == "sre-leads"
    again = POLICY.from_data(POLICY.to_data())
    assert again.break_glass == POLICY.break_glass
    globbed = glass_policy(break_glass={"from": "sre-leads", "rules": ["*"]})
    assert globbed.break_glass is not None and globbed.break_glass["rules"] == ["no-wipes", "stack-deletes"]
    assert globbed.break_glass["count"] == 2 and globbed.break_glass["max_ttl"] == 900  # the defaults


def test_mistakes_in_the_block_are_named_with_their_position() -> None:
    base = {
        "approvers": {"sre-leads": ["bob"]},
        "rules": [
            {"id": "d", "match": {"tool": "x"}, "verdict": "deny"},
            {"id": "a", "match": {"tool": "y"}, "verdict": "ask"},
        ],
    }
    unknown_group = _problems({**base, "break_glass": {"from": "sre-lead", "rules": ["d"]}})
    assert "approver group `sre-lead` is not defined (did you mean `sre-leads`?)" in unknown_group
    assert "/p/project0.yaml:" in unknown_group
    assert "no rule `dd` (did you mean `d`?)" in _problems(
        {**base, "break_glass": {"from": "sre-leads", "rules": ["dd"]}}
    )
    assert "is `ask`, not deny" in _problems({**base, "break_glass": {"from": "sre-leads", "rules": ["a"]}})
    assert "matches no deny rule" in _problems({**base, "break_glass": {"from": "sre-leads", "rules": ["z*"]}})
    too_many = _problems({**base, "break_glass": {"from": "sre-leads", "count": 2, "rules": ["d"]}})
    assert "`count` 2 is more than the 1 people of `sre-leads`" in too_many
    too_long = _problems({**base, "break_glass": {"from": "sre-leads", "rules": ["d"], "max_ttl": "2d"}})
    assert "/p/project0.yaml:" in too_long and "`2d`" in too_long
    assert "unknown field `rule`" in _problems({**base, "break_glass": {"from": "sre-leads", "rule": ["d"]}})
    assert "missing required field `rules`" in _problems({**base, "break_glass": {"from": "sre-leads"}})


def test_locked_rules_are_broken_only_when_the_managed_layer_says_so() -> None:
    managed = ("managed", {"approvers": {"sre-leads": ["bob", "carol"]},
                           "rules": [{"id": "m-deny", "match": {"tool": "x"}, "verdict": "deny"}]})  # fmt: skip
    project = {"rules": [{"id": "p-deny", "match": {"tool": "y"}, "verdict": "deny"}]}
    named = _problems(managed, {**project, "break_glass": {"from": "sre-leads", "rules": ["m-deny"]}})
    assert "locked by the managed policy" in named
    # A project glob never covers a locked rule.
    pol = policy(managed, {**project, "break_glass": {"from": "sre-leads", "rules": ["*"]}})
    assert pol.break_glass is not None and pol.break_glass["rules"] == ["p-deny"]
    # The managed layer may let its own rule be broken, and then no lower layer may set another block.
    allowed = policy(("managed", {**managed[1], "break_glass": {"from": "sre-leads", "rules": ["m-deny"]}}), project)
    assert allowed.break_glass is not None and allowed.break_glass["rules"] == ["m-deny"]
    twice = _problems(
        ("managed", {**managed[1], "break_glass": {"from": "sre-leads", "rules": ["m-deny"]}}),
        {**project, "break_glass": {"from": "sre-leads", "rules": ["p-deny"]}},
    )
    assert "already set by the managed policy" in twice
    user = _problems(
        ("user", {**project, "approvers": {"me": ["x", "y"]}, "break_glass": {"from": "me", "rules": ["*"]}})
    )
    assert "cannot be set in the user layer" in user


def test_schema_copy_in_the_repository_matches() -> None:
    from pathlib import Path

    from blastdoor.policy.schema import SCHEMA_PATH

    repo = Path(__file__).resolve().parents[2] / "schema" / "policy.schema.json"
    assert repo.read_text() == SCHEMA_PATH.read_text()
    assert "break_glass" in SCHEMA_PATH.read_text()


def test_glass_terms_come_from_the_policy() -> None:
    from blastdoor.breakglass import terms_of

    terms = terms_of(POLICY)
    assert (terms.group, terms.needed, terms.max_ttl) == ("sre-leads", GLASS["count"], 900)
    assert set(terms.members) == {"bob", "carol", "dave", "alice"}
