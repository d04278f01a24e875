"""Attacks on break-glass: how an agent (or a person in a hurry) would get the override anyway.

Each test is one way to get a denied action run through someone else's break-glass, a stale one, a
self-granted one or one the policy never allowed; each must end in deny (or a refusal), on SQLite and
on the real PostgreSQL server.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import Agent
from blastdoor.approvals import ApprovalRefused, Person
from blastdoor.breakglass import denied_entry, request_break_glass
from blastdoor.errors import InputError, PolicyError
from blastdoor.services import Services
from tests.approvals.break_glass_helpers import (
    AGENT,
    POLICY,
    PROD,
    STAGING,
    Clock,
    act,
    clock,
    decide,
    file_glass,
    glass_policy,
    last_denied_seq,
    services,
)
from tests.policy.helpers import policy

__all__ = ["clock", "services"]  # fixtures


def granted(services: Services, **kw):  # type: ignore[no-untyped-def]
    """A denied staging stack deletion with a granted break-glass."""
    environ = kw.pop("environ", None)
    assert decide(services, environ=environ).verdict == "deny"
    glass = file_glass(services, **kw)
    services.break_glass.approve(glass.id, Person("bob"))
    services.break_glass.approve(glass.id, Person("carol"))
    assert services.break_glass.get(glass.id).status == "granted"
    return glass


def refused(code: str, fn, *args, **kw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApprovalRefused) as err:
        fn(*args, **kw)
    assert err.value.code == code, err.value.message


# -- who approves ---------------------------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_break_glass(services: Services) -> None:
    decide(services)
    glass = file_glass(services, requester="dave")
    refused("self", services.break_glass.approve, glass.id, Person("dave"))


def test_the_human_the_agent_acts_for_cannot_approve_it_either(services: Services) -> None:
    decide(services)
    glass = file_glass(services, requester="dave")  # alice's agent; dave asks for her
    refused("self", services.break_glass.approve, glass.id, Person("alice"))


def test_an_agent_cannot_approve_nor_request(services: Services) -> None:
    decide(services)
    glass = file_glass(services)
    # The denied agent itself, by its id, holding some person's role.
    refused("agent", services.break_glass.approve, glass.id, Person(AGENT.id))
    # Any name the registry knows as an agent (it was seen deciding), even if listed in the group.
    other = Agent("bob", "cursor")
    decide(services, act("ls", agent=other), cid="bob-agent")
    refused("agent", services.break_glass.approve, glass.id, Person("bob"), agents=services.agents.among("bob"))
    # An agent filing a break-glass for its own deny.
    refused("agent", file_glass, services, requester=AGENT.id, pol=POLICY)


def test_people_outside_the_group_and_unknown_roles_cannot_approve(services: Services) -> None:
    decide(services)
    glass = file_glass(services)
    refused("group", services.break_glass.approve, glass.id, Person("mallory"))
    refused("role", services.break_glass.approve, glass.id, Person("carol", "viewer"))
    services.break_glass.approve(glass.id, Person("bob"))
    refused("repeat", services.break_glass.approve, glass.id, Person("bob"))  # one person, two votes


def test_an_unknown_group_is_a_policy_error_not_an_empty_check() -> None:
    with pytest.raises(PolicyError) as err:
        glass_policy(break_glass={"from": "sre", "rules": ["stack-deletes"]})
    assert "approver group `sre` is not defined" in err.value.diagnostics()


# -- which action ----------------------------------------------------------------------------------------


def test_the_same_text_in_another_environment_stays_denied(services: Services) -> None:
    text = "aws cloudformation delete-stack --stack-name ce"
    assert decide(services, act(text), environ={"AWS_PROFILE": "staging"}).verdict == "deny"
    glass = file_glass(services)
    assert glass.env == "staging"
    services.break_glass.approve(glass.id, Person("bob"))
    services.break_glass.approve(glass.id, Person("carol"))
    # Same words, AWS_PROFILE now says prod: another action for the binding.
    assert decide(services, act(text), cid="prod", environ={"AWS_PROFILE": "prod"}).verdict == "deny"
    assert services.break_glass.get(glass.id).status == "granted"  # not spent on the wrong action
    assert decide(services, act(text), cid="ok", environ={"AWS_PROFILE": "staging"}).verdict == "allow"


def test_another_command_another_agent_or_another_directory_stays_denied(services: Services) -> None:
    glass = granted(services)
    assert decide(services, act(PROD), cid="prod").verdict == "deny"
    assert decide(services, act(STAGING + " && rm -rf /"), cid="chain").verdict == "deny"
    assert decide(services, act(STAGING + " "), cid="space").verdict == "deny"
    other = Agent("claude-code:mallory@laptop", "claude-code", on_behalf_of="mallory")
    assert decide(services, act(STAGING, agent=other), cid="other").verdict == "deny"
    assert decide(services, act(STAGING, cwd="/elsewhere"), cid="cwd").verdict == "deny"
    assert services.break_glass.get(glass.id).status == "granted"
    assert decide(services, cid="the-one").verdict == "allow"


def test_reuse_after_consume_is_denied_even_when_two_race(services: Services) -> None:
    granted(services)
    verdicts: list[str] = []
    barrier = threading.Barrier(4)

    def attempt(i: int) -> None:
        barrier.wait()
        verdicts.append(decide(services, cid=f"race{i}").verdict)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(verdicts) == ["allow", "deny", "deny", "deny"]
    assert decide(services, cid="later").verdict == "deny"


def test_after_expiry_a_granted_break_glass_is_useless(services: Services, clock: Clock) -> None:
    glass = granted(services)
    clock.now += 15 * 60 + 1
    assert decide(services, cid="late").verdict == "deny"
    services.break_glass.expire_due()
    assert services.break_glass.get(glass.id).status == "expired"


def test_a_rule_not_listed_as_breakable_is_never_lifted(services: Services) -> None:
    # `rm -rf /` is denied by no-wipes, which break_glass does not list.
    assert decide(services, act("rm -rf /"), cid="wipe").verdict == "deny"
    refused("rule", file_glass, services)
    # Denied by a listed and an unlisted rule at once: still not breakable.
    both = glass_policy(rules=[*glass_policy_rules(), {"id": "prod-nothing", "match": {"env": "staging"},
                                                       "verdict": "deny"}])  # fmt: skip
    assert decide(services, act(STAGING), cid="both", pol=both).verdict == "deny"
    refused("rule", file_glass, services, pol=both)


def glass_policy_rules():  # type: ignore[no-untyped-def]
    from tests.approvals.break_glass_helpers import RULES

    return list(RULES)


def test_a_deny_by_a_setting_is_never_broken(services: Services) -> None:
    strict = glass_policy(default="deny", rules=[{"id": "stack-deletes", "match": {"tool": "nothing"},
                                                  "verdict": "deny"}])  # fmt: skip
    assert decide(services, pol=strict).verdict == "deny"
    refused("rule", file_glass, services, pol=strict)


def test_the_policy_changing_after_the_grant_takes_the_override_away(services: Services) -> None:
    glass = granted(services)
    narrower = glass_policy(break_glass={"from": "sre-leads", "rules": ["no-wipes"]})
    assert decide(services, cid="after-change", pol=narrower).verdict == "deny"
    assert services.break_glass.get(glass.id).status == "granted"


def test_a_revoked_agent_stays_denied_and_the_break_glass_unused(services: Services) -> None:
    glass = granted(services)
    services.agents.revoke(AGENT.id, by="bob", reason="acting up", approvals=services.approvals)
    assert decide(services, cid="revoked").verdict == "deny"
    assert services.break_glass.get(glass.id).status == "granted"


def test_a_break_glass_is_only_asked_for_a_recorded_deny(services: Services) -> None:
    decide(services, act("ls"), cid="fine")
    allowed_seq = services.log.size() - 1
    with pytest.raises(InputError):
        request_break_glass(services, POLICY, denied_entry(services.log, seq=allowed_seq), Person("dave"), "why")
    with pytest.raises(InputError):
        denied_entry(services.log, seq=10_000)
    decide(services)
    # A forged entry: the action changed but the recorded digest kept. The digest check refuses it.
    entry = denied_entry(services.log, seq=last_denied_seq(services))
    entry["event"]["action"]["raw"] = PROD
    refused("redacted", request_break_glass, services, POLICY, entry, Person("dave"), "why")


def test_a_project_cannot_break_a_locked_managed_rule() -> None:
    managed = ("managed", {"approvers": {"sre-leads": ["bob", "carol"]}, "rules": glass_policy_rules()})
    with pytest.raises(PolicyError) as err:
        policy(managed, {"break_glass": {"from": "sre-leads", "rules": ["stack-deletes"]}})
    assert "locked by the managed policy" in err.value.diagnostics()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(alphabet=" ;&|'\"\\$`()-_.abcxyz0123456789", min_size=1, max_size=12).map(lambda s: STAGING + s),
        st.sampled_from(["ce", "ce2", "CE", "prod"]).map(
            lambda name: STAGING.replace("--stack-name ce", f"--stack-name {name}")
        ),
        st.sampled_from(["staging", "staging-eu", "prod"]).map(
            lambda p: STAGING.replace("--profile staging", f"--profile {p}")
        ),
    )
)
def test_no_variation_of_the_command_rides_on_the_granted_break_glass(
    tmp_path_factory: pytest.TempPathFactory, variant: str
) -> None:
    """Metamorphic: whatever else is asked, the granted break-glass stays unspent and the variant is not
    allowed by it; only the exact action is."""
    from blastdoor.store import open_log

    path = tmp_path_factory.mktemp("bg")
    with Services(open_log(str(path / "s.db"), key_path=path / "k", checkpoint_on_close=False)) as s:
        glass = granted(s)
        if variant != STAGING:
            decision = decide(s, act(variant), cid="variant")
            assert decision.rule != "break_glass.used"
            assert s.break_glass.get(glass.id).status == "granted"
        assert decide(s, cid="exact").verdict == "allow"


@pytest.mark.parametrize("nobody", ["", "unknown"])
def test_an_action_for_nobody_gets_no_break_glass(services: Services, nobody: str) -> None:
    # With no person behind the agent, a vote by the one driving it could not be told from anyone else's:
    # the same rule as approvals (an empty or unknown requester never satisfies a vote).
    anonymous = Agent("claude-code:x@laptop", "claude-code", session="s1", on_behalf_of=nobody, host="laptop")
    assert decide(services, act(agent=anonymous)).verdict == "deny"
    refused("requester", file_glass, services, requester="bob")
