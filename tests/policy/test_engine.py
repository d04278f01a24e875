from __future__ import annotations

import pytest

from blastdoor.action import Action, Agent
from blastdoor.errors import PolicyError
from blastdoor.policy import decide

from .helpers import policy


def act(op: str = "shell:rm", effects: tuple[str, ...] = ("delete",), **kw: object) -> Action:
    tool = kw.pop("tool", op.split(":")[0])
    return Action(str(tool), op, effects=effects, **kw)  # type: ignore[arg-type]


def test_most_severe_matching_verdict_wins() -> None:
    p = policy(
        {
            "rules": [
                {"id": "a", "match": {"tool": "shell"}, "verdict": "ask"},
                {"id": "d", "match": {"effects": ["delete"]}, "verdict": "deny"},
                {"id": "p", "match": {"operation": "shell:*"}, "verdict": "approve"},
                {"id": "ok", "match": {"effects": ["delete"]}, "verdict": "allow"},
            ]
        }
    )
    d = decide(p, act())
    assert (d.verdict, d.rule) == ("deny", "d")
    assert {m.rule for m in d.matched} == {"a", "d", "p", "ok"}


def test_default_and_unknown() -> None:
    p = policy(
        {
            "default": "allow",
            "unknown": "approve",
            "rules": [{"id": "r", "match": {"tool": "git"}, "verdict": "ask"}],
        }
    )
    assert decide(p, act("shell:ls", ("read",))).rule == "policy.default"
    assert decide(p, act("shell:ls", ("read",))).verdict == "allow"
    d = decide(p, act("shell:x", ("unknown",)))
    assert (d.verdict, d.rule) == ("approve", "policy.unknown")
    # unknown is a floor: a matching allow rule does not lift an unknown part below it
    p2 = policy({"unknown": "ask", "rules": [{"id": "all", "match": {"tool": "shell"}, "verdict": "allow"}]})
    assert decide(p2, act("shell:x", ("unknown",))).verdict == "ask"
    # an action with no effects at all is unknown
    assert decide(p2, Action("shell", "shell:x")).verdict == "ask"


def test_except_carves_out() -> None:
    p = policy(
        {
            "environments": {"prod": {"aws_profiles": ["prod*"]}},
            "rules": [
                {
                    "id": "build",
                    "match": {"effects": ["delete"], "targets": ["./build/**"]},
                    "except": [{"env": "prod"}],
                    "verdict": "allow",
                }
            ],
        }
    )
    here = {"cwd": "/w", "targets": ("/w/build/x",)}
    assert decide(p, act(**here)).verdict == "allow"
    assert decide(p, act(env="prod", **here)).verdict == "ask"


def test_relative_target_patterns_mean_the_agents_working_directory() -> None:
    p = policy({"rules": [{"id": "build", "match": {"targets": ["./build/**"]}, "verdict": "allow"}]})
    inside = Action("shell", "shell:rm", effects=("delete",), targets=("/w/build",), cwd="/w")
    # `cd / && rm -rf build`: the part runs in /, but ./build still means the project's build
    moved = Action("shell", "shell:rm", effects=("delete",), targets=("/build",), cwd="/")
    assert decide(p, Action("shell", raw="rm -rf build", cwd="/w", parts=[inside])).verdict == "allow"
    assert decide(p, Action("shell", raw="cd / && rm -rf build", cwd="/w", parts=[moved])).verdict == "ask"


def test_permissive_rules_need_every_target_and_effect() -> None:
    p = policy(
        {
            "rules": [
                {
                    "id": "build",
                    "match": {"effects": ["delete"], "targets": ["/w/build/**"]},
                    "verdict": "allow",
                }
            ]
        }
    )
    assert decide(p, act(targets=("/w/build", "/w/build/a"))).verdict == "allow"
    assert decide(p, act(targets=("/w/build", "/w/src"))).verdict == "ask"
    assert decide(p, act(targets=())).verdict == "ask"
    assert decide(p, act(effects=("delete", "privilege"), targets=("/w/build",))).verdict == "ask"


def test_restrictive_rules_need_one_target() -> None:
    p = policy({"default": "allow", "rules": [{"id": "etc", "match": {"targets": ["/etc/**"]}, "verdict": "deny"}]})
    assert decide(p, act(targets=("/tmp/x", "/etc/passwd"))).verdict == "deny"
    assert decide(p, act(targets=("/tmp/x",))).verdict == "allow"
    # explicit all: every target must be under /etc
    p2 = policy(
        {
            "default": "allow",
            "rules": [{"id": "etc", "match": {"targets": {"all": ["/etc/**"]}}, "verdict": "deny"}],
        }
    )
    assert decide(p2, act(targets=("/tmp/x", "/etc/passwd"))).verdict == "allow"


@pytest.mark.parametrize(
    ("cond", "args", "hit"),
    [
        ({"equals": "x"}, {"a": "x"}, True),
        ({"equals": "x"}, {"a": "y"}, False),
        ("x", {"a": "x"}, True),
        (["x", "y"], {"a": "y"}, True),
        ({"in": ["x"]}, {"a": "z"}, False),
        ({"not_in": ["x"]}, {"a": "z"}, True),
        ({"not_in": ["x"]}, {"a": "x"}, False),
        ({"glob": "*@corp.com"}, {"a": "bob@corp.com"}, True),
        ({"glob": "*@corp.com"}, {"a": "bob@evil.com"}, False),
        ({"regex": "^DE[0-9]+$"}, {"a": "DE123"}, True),
        ({"gt": 1000}, {"a": 1500}, True),
        ({"gt": 1000}, {"a": 15}, False),
        ({"lte": 10}, {"a": 10}, True),
        ({"gt": 1000}, {"a": "9999"}, False),
        ({"exists": True}, {"b": 1}, False),
        ({"exists": False}, {"b": 1}, True),
        # a missing argument is read in the safe direction: a restrictive rule holds
        ({"not_in": ["x"]}, {}, True),
        ({"gt": 5}, {}, True),
        # list values: a restrictive rule holds when any element does
        ({"not_in": ["a@corp.com"]}, {"a": ["a@corp.com", "e@evil.com"]}, True),
        ({"not_in": ["a@corp.com"]}, {"a": ["a@corp.com"]}, False),
    ],
)
def test_args_conditions(cond: object, args: dict[str, object], hit: bool) -> None:
    p = policy({"default": "allow", "rules": [{"id": "r", "match": {"args": {"a": cond}}, "verdict": "approve"}]})
    assert (decide(p, act("mcp:bank/send", ("write",), args=args)).verdict == "approve") is hit


def test_missing_args_never_let_an_allow_rule_match() -> None:
    p = policy({"rules": [{"id": "small", "match": {"args": {"amount": {"lt": 100}}}, "verdict": "allow"}]})
    assert decide(p, act("mcp:bank/send", ("write",), args={"amount": 5})).verdict == "allow"
    assert decide(p, act("mcp:bank/send", ("write",), args={})).verdict == "ask"
    assert decide(p, act("mcp:bank/send", ("write",), args={"amount": [5, 500]})).verdict == "ask"


def test_nested_args_and_blast_radius() -> None:
    p = policy(
        {
            "default": "allow",
            "rules": [
                {"id": "big", "match": {"blast_radius": {"gt": 10}}, "verdict": "approve"},
                {"id": "nested", "match": {"args": {"to.iban": {"glob": "XX*"}}}, "verdict": "deny"},
            ],
        }
    )
    gb = {"to": {"iban": "GB12"}}
    assert decide(p, act(blast_radius=11, args=gb)).verdict == "approve"
    assert decide(p, act(blast_radius=3, args=gb)).verdict == "allow"
    assert decide(p, act(blast_radius=None, args=gb)).verdict == "approve"  # unknown radius: safe direction
    assert decide(p, act(blast_radius=3)).verdict == "deny"  # no such argument: safe direction
    assert decide(p, act(blast_radius=3, args={"to": {"iban": "XX12"}})).verdict == "deny"


def test_agent_harness_command_env_matchers() -> None:
    p = policy(
        {
            "default": "allow",
            "environments": {"prod": {}},
            "rules": [
                {"id": "bot", "match": {"agent": "ci-*", "harness": "codex"}, "verdict": "deny"},
                {"id": "force", "match": {"command": "git push *--force*"}, "verdict": "approve"},
                {"id": "prod", "match": {"env": ["prod"]}, "verdict": "ask"},
            ],
        }
    )
    assert decide(p, act(agent=Agent("ci-7", "codex"))).rule == "bot"
    assert decide(p, act(agent=Agent("ci-7", "cursor"))).verdict == "allow"
    assert decide(p, act("git:push", ("deploy",), command="git push origin main --force")).rule == "force"
    assert decide(p, act(env="prod")).rule == "prod"


def test_compound_action_is_as_severe_as_its_worst_part() -> None:
    p = policy({"rules": [{"id": "ls", "match": {"operation": "shell:ls"}, "verdict": "allow"}]})
    ls = act("shell:ls", ("read",))
    rm = act("shell:rm", ("delete",))
    d = decide(p, Action("shell", raw="ls; rm x", parts=[ls, rm]))
    assert (d.verdict, d.rule, d.part) == ("ask", "policy.default", 1)
    assert decide(p, Action("shell", raw="ls; ls", parts=[ls, ls])).verdict == "allow"


def test_approvals_of_the_winner() -> None:
    p = policy(
        {
            "approvers": {"sre": ["a", "b"]},
            "rules": [
                {"id": "one", "match": {"tool": "aws"}, "verdict": "approve"},
                {
                    "id": "two",
                    "match": {"effects": ["delete"]},
                    "verdict": "approve",
                    "approvals": {"count": 2, "from": "sre", "ttl": "30m"},
                },
            ],
        }
    )
    d = decide(p, act("aws:s3:DeleteBucket", ("delete",)))
    assert d.rule == "two" and d.approvals is not None
    assert (d.approvals.count, d.approvals.group, d.approvals.ttl) == (2, "sre", 1800)


def test_layers_locking_and_disable() -> None:
    managed = (
        "managed",
        {
            "rules": [{"id": "no-prod", "match": {"env": "prod"}, "verdict": "deny"}],
            "environments": {"prod": {"aws_profiles": ["prod"]}},
        },
    )
    project = {
        "extends": ["recommended"],
        "disable": ["recommended.wipe"],
        "rules": [{"id": "mine", "match": {"tool": "git"}, "verdict": "allow"}],
    }
    p = policy(managed, project)
    ids = [r.id for r in p.rules]
    assert ids[0] == "no-prod" and "mine" in ids and "recommended.wipe" not in ids
    assert p.rule("no-prod").locked and not p.rule("mine").locked  # type: ignore[union-attr]
    with pytest.raises(PolicyError, match="locked by the managed policy"):
        policy(managed, {"disable": ["no-prod"]})
    with pytest.raises(PolicyError, match=r"no such rule \(did you mean `recommended.wipe`"):
        policy({"extends": ["recommended"], "disable": ["recomended.wipe"]})
    # baseline rules pulled in by the managed layer are locked too
    p2 = policy(("managed", {"extends": ["recommended"]}), {})
    assert p2.rule("recommended.wipe").locked  # type: ignore[union-attr]
    with pytest.raises(PolicyError, match="locked"):
        policy(("managed", {"extends": ["recommended"]}), {"disable": ["recommended.wipe"]})


def test_settings_combine_by_severity_across_layers() -> None:
    p = policy(("managed", {"default": "ask"}), {"default": "allow", "unknown": "deny"})
    assert (p.default, p.unknown, p.on_error) == ("ask", "deny", "deny")


def test_merged_checks_name_the_problem() -> None:
    with pytest.raises(PolicyError, match=r"environment `prdo` is not defined in any layer \(did you mean `prod`"):
        policy(
            {
                "environments": {"prod": {}},
                "rules": [{"id": "x", "match": {"env": "prdo"}, "verdict": "deny"}],
            }
        )
    with pytest.raises(PolicyError, match="approver group `sre` is not defined"):
        policy({"rules": [{"id": "x", "match": {}, "verdict": "approve", "approvals": {"from": "sre"}}]})
    with pytest.raises(PolicyError, match="duplicate rule id `x`"):
        policy(
            {
                "rules": [
                    {"id": "x", "match": {}, "verdict": "deny"},
                    {"id": "x", "match": {}, "verdict": "ask"},
                ]
            }
        )
    with pytest.raises(PolicyError, match="invalid regular expression"):
        policy({"rules": [{"id": "x", "match": {"args": {"a": {"regex": "("}}}, "verdict": "deny"}]})
