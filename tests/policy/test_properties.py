"""Property tests of the engine's semantics."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import SEVERITY, Action, Agent
from blastdoor.errors import PolicyError
from blastdoor.policy import decide
from blastdoor.policy.engine import rule_matches

from .helpers import policy

VERDICTS = ["allow", "ask", "approve", "deny"]
EFFECTS = ["read", "write", "delete", "irreversible", "wipe", "privilege", "unknown", "deploy"]
OPS = [
    "shell:rm",
    "shell:ls",
    "git:push",
    "aws:ec2:TerminateInstances",
    "aws:s3:ListBuckets",
    "mcp:bank/send",
]

matchers = st.fixed_dictionaries(
    {},
    optional={
        "tool": st.sampled_from(["shell", "git", "aws", "mcp", "sh*"]),
        "operation": st.sampled_from([*OPS, "aws:*", "aws:ec2:*", "mcp:bank/*", "*:push", "shell*"]),
        "effects": st.lists(st.sampled_from(EFFECTS), min_size=1, max_size=3, unique=True),
        "env": st.sampled_from(["prod", "dev", "unknown", "pr*"]),
        "agent": st.sampled_from(["bot-*", "alice"]),
        "targets": st.lists(st.sampled_from(["/etc/**", "./build/**", "/tmp/*"]), min_size=1, max_size=2),
        "args": st.fixed_dictionaries({"amount": st.sampled_from([{"gt": 100}, {"lte": 5}, {"exists": True}])}),
        "blast_radius": st.sampled_from([{"gt": 10}, {"lte": 2}]),
    },
)
rules = st.builds(
    lambda m, v, e: {"match": m, "verdict": v, **({"except": e} if e else {})},
    matchers,
    st.sampled_from(VERDICTS),
    st.lists(matchers.filter(bool), max_size=1),
)
rule_lists = st.lists(rules, max_size=8).map(lambda rs: [{"id": f"r{i}", **r} for i, r in enumerate(rs)])


def _part() -> st.SearchStrategy[Action]:
    return st.builds(
        lambda op, eff, env, targets, args, radius: Action(
            op.split(":")[0],
            op,
            effects=eff,
            env=env,
            targets=targets,
            args=args,
            blast_radius=radius,
            cwd="/w",
        ),
        st.sampled_from(OPS),
        st.frozensets(st.sampled_from(EFFECTS), max_size=3),
        st.sampled_from(["prod", "dev", "unknown"]),
        st.lists(st.sampled_from(["/etc/passwd", "/w/build/x", "/tmp/a", "/home/u/x"]), max_size=2),
        st.sampled_from([{}, {"amount": 1}, {"amount": 500}]),
        st.sampled_from([None, 1, 50]),
    )


actions = st.builds(
    lambda head, parts, agent: head.replace(parts=parts, agent=Agent(agent)),
    _part(),
    st.lists(_part(), max_size=3),
    st.sampled_from(["bot-1", "alice", "carol"]),
)
base = {"environments": {"prod": {}, "dev": {}}, "default": "ask"}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(rule_lists, rules, actions)
def test_adding_a_rule_never_makes_a_decision_less_severe(existing: list[Any], extra: Any, action: Action) -> None:
    """A rule can only ever lower the *default*, never what other rules decided.

    Adding a restrictive rule (ask/approve/deny) never lowers any decision; adding an allow rule lowers
    a decision only where no rule matched before and the policy default applied.
    """
    before = decide(policy({**base, "rules": existing}), action)
    after = decide(policy({**base, "rules": [*existing, {"id": "extra", **extra}]}), action)
    if SEVERITY[after.verdict] < SEVERITY[before.verdict]:
        assert extra["verdict"] == "allow"
        assert before.rule == "policy.default"
        assert after.rule == "extra"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(rule_lists, actions)
def test_the_index_never_misses_a_matching_rule(existing: list[Any], action: Action) -> None:
    p = policy({**base, "rules": existing})
    d = decide(p, action)
    scanned = {(r.id, i) for i, s in enumerate(action.subjects()) for r in p.rules if rule_matches(r, s, action)}
    assert {(m.rule, m.part) for m in d.matched} == scanned


@settings(max_examples=60, deadline=None)
@given(rule_lists, st.data())
def test_disable_removes_unlocked_rules_and_never_locked_ones(existing: list[Any], data: st.DataObject) -> None:
    if not existing:
        return
    victim = data.draw(st.sampled_from(existing))["id"]
    managed = ("managed", {**base, "rules": existing})
    try:
        policy(managed, {"disable": [victim]})
    except PolicyError as exc:
        assert "locked" in str(exc.diagnostics())
    else:
        raise AssertionError("disabling a managed rule must fail")
    p = policy({**base, "rules": existing}, ("user", {"disable": [victim]}))
    assert victim not in {r.id for r in p.rules}
