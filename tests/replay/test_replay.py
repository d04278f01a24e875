"""Policy replay on a real store (SQLite and PostgreSQL): decisions recorded by the real pipeline are
re-decided under another policy, and every change, and every event that cannot be replayed, is counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import Action, Agent
from blastdoor.audit import events as ev
from blastdoor.pipeline import decide_and_record
from blastdoor.replay import Window, decision_events, kind_of, replay
from blastdoor.services import Services
from blastdoor.store import open_log
from tests.policy.helpers import policy

ENVS = {"prod": {"aws_profiles": ["prod*"]}, "staging": {"aws_profiles": ["staging*"]}}
OLD = policy(
    {
        "default": "allow",
        "environments": ENVS,
        "approvers": {"sre": ["bob", "carol"]},
        "rules": [
            {"id": "rm", "match": {"operation": "shell:rm"}, "verdict": "ask"},
            {"id": "force-push", "match": {"operation": "git:push", "effects": ["irreversible"]}, "verdict": "ask"},
            {
                "id": "prod-delete",
                "match": {"env": "prod", "effects": ["delete"]},
                "verdict": "approve",
                "approvals": {"count": 1, "from": "sre"},
            },
        ],
    }
)
AGENT = Agent("claude-code:alice@laptop", "claude-code", session="s1", on_behalf_of="alice")
BOT = Agent("ci-bot", "exec")
COMMANDS = [
    "ls -la",
    "rm -rf ./build",
    "git push --force origin main",
    "aws cloudformation delete-stack --stack-name ce --profile prod",
    "aws cloudformation delete-stack --stack-name ce --profile staging",
    "cat README.md",
]


@pytest.fixture()
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    s = Services(open_log(store_url, key_path=tmp_path / "audit.key", checkpoint_on_close=False))
    yield s
    s.close()


def record(services: Services, raw: str, agent: Agent = AGENT, cid: str = "c") -> None:
    action = Action("shell", raw=raw, cwd="/work/app", agent=agent)
    decide_and_record(OLD, action, services.log, cid, agents=services.agents, environ={})


def fill(services: Services) -> None:
    for i, raw in enumerate(COMMANDS):
        record(services, raw, cid=f"c{i}")
    record(services, "rm -rf ./build", BOT, cid="bot")


def test_the_same_policy_changes_nothing(services: Services) -> None:
    fill(services)
    report = replay(services.log, OLD, Window())
    data = report.to_dict(["any-change"])
    assert data["events"]["read"] == data["events"]["replayed"] == len(COMMANDS) + 1
    assert data["events"]["changed"] == 0 and data["events"]["unchanged"] == len(COMMANDS) + 1
    assert data["rules"] == [] and data["failed"] == []
    assert data["mode"] == "reclassify"


def test_a_stricter_and_a_looser_rule_are_reported_per_rule_with_examples(services: Services) -> None:
    fill(services)
    new = policy(
        {
            "default": "allow",
            "environments": ENVS,
            "approvers": {"sre": ["bob", "carol"]},
            "rules": [
                {"id": "rm", "match": {"operation": "shell:rm"}, "verdict": "allow"},
                {
                    "id": "force-push",
                    "match": {"operation": "git:push", "effects": ["irreversible"]},
                    "verdict": "deny",
                },
                {
                    "id": "prod-delete",
                    "match": {"env": "prod", "effects": ["delete"]},
                    "verdict": "approve",
                    "approvals": {"count": 1, "from": "sre"},
                },
                {"id": "any-stack-delete", "match": {"operation": "aws:cloudformation:DeleteStack"}, "verdict": "deny"},
            ],
        }
    )
    report = replay(services.log, new, Window())
    data = report.to_dict(["newly-allowed", "de-escalation", "escalation"])
    by_rule = {(g["rule"], g["from"], g["to"]): g for g in data["rules"]}
    # rm was ask, is allow now: two recorded (alice and the bot), newly allowed, a de-escalation.
    rm = by_rule[("rm", "ask", "allow")]
    assert rm["count"] == 2 and rm["kind"] == "de-escalation"
    assert {e["agent_id"] for e in rm["examples"]} == {AGENT.id, BOT.id}
    assert all(e["command"] == "rm -rf ./build" for e in rm["examples"])
    assert by_rule[("force-push", "ask", "deny")]["kind"] == "escalation"
    # Both stack deletions are now denied by the new rule; prod's was approve, staging's allow.
    assert by_rule[("any-stack-delete", "approve", "deny")]["count"] == 1
    assert by_rule[("any-stack-delete", "allow", "deny")]["count"] == 1
    assert data["changes"] == {
        "newly_denied": 3,
        "newly_allowed": 2,
        "escalations": 3,
        "de_escalations": 2,
        "rule_only": 0,
    }
    assert set(data["failed"]) == {"newly-allowed", "de-escalation", "escalation"}
    # Escalations are listed first.
    assert data["rules"][0]["kind"] == "escalation"


def test_window_agent_and_limit_select_what_is_replayed(services: Services) -> None:
    fill(services)
    assert replay(services.log, OLD, Window(agent=BOT.id)).read == 1
    assert replay(services.log, OLD, Window(limit=3)).read == 3
    future = ev.parse_when("2999-01-01")
    assert replay(services.log, OLD, Window(since=future)).read == 0
    assert replay(services.log, OLD, Window(until=future)).read == len(COMMANDS) + 1


def test_paging_reads_every_event_exactly_once(services: Services) -> None:
    fill(services)
    seqs = [row[0] for row in decision_events(services.log, Window(), page=2)]
    assert len(seqs) == len(set(seqs)) == len(COMMANDS) + 1
    assert seqs == sorted(seqs, reverse=True)
    assert len(list(decision_events(services.log, Window(limit=5), page=2))) == 5


def test_recorded_facts_keep_the_old_classification(services: Services) -> None:
    # Record a decision whose recorded facts say `read` while its text says rm: a classifier upgrade
    # since. Reclassifying sees the rm; recorded facts do not.
    action = Action("shell", raw="rm -rf ./data", cwd="/w", agent=AGENT, effects=["read"])
    services.log.record_decision(action, OLD.__class__.from_data(OLD.to_data()) and _allow(action))
    facts = replay(services.log, OLD, Window(), recorded_facts=True).to_dict()
    again = replay(services.log, OLD, Window()).to_dict()
    assert facts["mode"] == "recorded-facts" and facts["events"]["changed"] == 0
    assert again["events"]["changed"] == 1 and again["rules"][0]["rule"] == "rm"


def _allow(action: Action):  # type: ignore[no-untyped-def]
    from blastdoor.action import Decision

    return Decision("allow", "policy.default", policy_hash=OLD.hash, action_digest=action.digest())


def test_events_that_cannot_be_replayed_are_counted_with_their_reason(services: Services) -> None:
    fill(services)
    services.log.append({"kind": "decision", "verdict": "deny", "rule": "x", "agent_id": "a"})  # no action
    services.log.append({"kind": "decision", "verdict": "allow", "rule": "r", "action": {"tool": "shell", "raw": 5}})
    # A decision the kill switch made: not the policy's verdict.
    revoked = Action("shell", raw="ls", agent=AGENT)
    from blastdoor.action import Decision

    services.log.record_decision(revoked, Decision("deny", "agent.revoked", reasons=("revoked",)))
    report = replay(services.log, OLD, Window())
    data = report.to_dict(["unreplayable"])
    reasons = {u["reason"]: u for u in data["unreplayable"]}
    assert data["events"]["unreplayable"] == 3 == sum(u["count"] for u in data["unreplayable"])
    assert "the event does not hold the action" in reasons
    assert any("kill switch" in r for r in reasons)
    assert any("malformed" in r for r in reasons)
    assert data["events"]["read"] == data["events"]["replayed"] + data["events"]["unreplayable"]
    assert data["failed"] == ["unreplayable"]


def test_an_approved_and_consumed_decision_compares_as_approve(services: Services) -> None:
    from blastdoor.action import Decision

    action = Action("shell", raw=COMMANDS[3], cwd="/w", agent=AGENT)
    used = Decision("allow", "prod-delete", request_id="req_1", approved_by=["bob"], policy_hash=OLD.hash)
    services.log.record_decision(action, used)
    # The command's environment came from AWS_PROFILE-free text (--profile prod): it reclassifies to prod.
    data = replay(services.log, OLD, Window()).to_dict()
    assert data["events"]["changed"] == 0, data


def test_the_recorded_environment_is_kept_when_its_evidence_is_not_in_the_log(services: Services) -> None:
    # Decided with AWS_PROFILE=prod in the caller's environment, which the log does not hold.
    action = Action("shell", raw="aws cloudformation delete-stack --stack-name ce", cwd="/w", agent=AGENT)
    decide_and_record(OLD, action, services.log, "c", environ={"AWS_PROFILE": "prod"})
    data = replay(services.log, OLD, Window()).to_dict()
    assert data["events"]["env_from_record"] == 1 and data["events"]["changed"] == 0


def test_the_replaying_machines_environment_never_leaks_in(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    action = Action("shell", raw="aws cloudformation delete-stack --stack-name ce", cwd="/w", agent=AGENT)
    decide_and_record(OLD, action, services.log, "c", environ={})
    monkeypatch.setenv("AWS_PROFILE", "prod")
    data = replay(services.log, OLD, Window()).to_dict()
    assert data["events"]["changed"] == 0 and data["events"]["env_from_record"] == 0


@pytest.mark.parametrize("old", ["allow", "ask", "approve", "deny"])
@pytest.mark.parametrize("new", ["allow", "ask", "approve", "deny"])
def test_kind_follows_the_severity_order(old: str, new: str) -> None:
    order = ["allow", "ask", "approve", "deny"]
    want = "rule-only" if old == new else "escalation" if order.index(new) > order.index(old) else "de-escalation"
    assert kind_of(old, new) == want


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=12))
def test_counts_add_up_and_replaying_under_the_recording_policy_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, commands: list[str]
) -> None:
    path = tmp_path_factory.mktemp("r")
    with Services(open_log(str(path / "s.db"), key_path=path / "k", checkpoint_on_close=False)) as s:
        for i, raw in enumerate(commands):
            record(s, raw, cid=str(i))
        same = replay(s.log, OLD, Window()).to_dict()
        assert same["events"]["changed"] == 0 and same["events"]["replayed"] == len(commands)
        everything_denied = policy({"default": "deny", "environments": ENVS})
        data = replay(s.log, everything_denied, Window()).to_dict()
        ev_ = data["events"]
        assert ev_["unchanged"] + ev_["changed"] == ev_["replayed"] == len(commands)
        assert sum(g["count"] for g in data["rules"]) == ev_["changed"]
        # Metamorphic: under deny-everything, what changed is exactly what was not denied before.
        was_denied = sum(1 for e in s.log.search(_decisions()) if e["event"]["verdict"] == "deny")
        assert data["changes"]["newly_denied"] == len(commands) - was_denied
        assert data["changes"]["newly_allowed"] == 0


def _decisions():  # type: ignore[no-untyped-def]
    from blastdoor.audit.log import Query

    return Query(kind="decision", limit=1000)


def test_the_report_follows_its_published_json_schema(services: Services) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((Path(__file__).resolve().parents[2] / "schema" / "replay.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    fill(services)
    services.log.append({"kind": "decision", "verdict": "deny", "rule": "x", "agent_id": "a"})  # unreplayable
    for pol, facts in ((policy({"default": "deny"}), False), (OLD, True)):
        report = replay(services.log, pol, Window(since="2000-01-01T00:00:00.000000Z", limit=50), recorded_facts=facts)
        data = json.loads(json.dumps(report.to_dict(["any-change", "unreplayable"])))
        assert list(Draft202012Validator(schema).iter_errors(data)) == []
        assert data["rules"] or facts  # the deny-everything replay has changes to check


def test_a_used_break_glass_compares_as_the_deny_it_overrode(services: Services) -> None:
    from blastdoor.action import Decision, Match

    denying = policy({"default": "allow", "rules": [{"id": "no-rm", "match": {"operation": "shell:rm"},
                                                     "verdict": "deny"}]})  # fmt: skip
    action = Action("shell", raw="rm -rf ./data", cwd="/w", agent=AGENT)
    used = Decision(
        "allow", "break_glass.used", matched=[Match("no-rm", "deny")], request_id="bg_1", approved_by=["bob", "carol"]
    )
    services.log.record_decision(action, used)
    data = replay(services.log, denying, Window()).to_dict()
    assert data["events"]["replayed"] == 1 and data["events"]["changed"] == 0, data
    loose = replay(services.log, policy({"default": "allow"}), Window()).to_dict()
    assert loose["changes"]["newly_allowed"] == 1 and loose["rules"][0]["rule"] == "no-rm"


def test_an_ask_turned_into_approve_where_no_one_could_be_asked_compares_as_ask(services: Services) -> None:
    # The MCP gateway without elicitation: the policy said ask (rule rm), the pipeline made it approve.
    action = Action("shell", raw="rm -rf ./build", cwd="/work/app", agent=AGENT)
    decide_and_record(OLD, action, services.log, "c", ask_as_approve=True, environ={})
    (entry,) = services.log.search(_decisions())
    assert entry["event"]["verdict"] == "approve" and entry["event"]["rule"] == "rm"
    assert replay(services.log, OLD, Window()).to_dict()["events"]["changed"] == 0
