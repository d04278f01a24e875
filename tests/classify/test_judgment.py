"""Issue 14: production by name out of the box, the team's environments first, PassRole in structured
calls, MCP tools that change remote state, and name-verb spellings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.classify.aws import classify_aws_call
from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.environment import name_tokens
from blastdoor.classify.mcp import classify_mcp
from blastdoor.policy import decide
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import Source

HOME = "/home/dev"
CWD = "/home/dev/project"
ENVIRON = {"HOME": HOME, "TMPDIR": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin"}
BASE = "version: 1\nextends: [recommended]\n"


def _policy(extra: str = "") -> Any:
    return compile_sources([Source("project", "<test>", BASE + extra)], home=HOME)


def _env(command: str, extra: str = "") -> str:
    policy = _policy(extra)
    action = classify(Action("shell", raw=command, cwd=CWD), policy.environments, environ=ENVIRON, home=HOME)
    return str(action.env)


# -- production by name --------------------------------------------------------------------------------

PROD_NAMES = ["prod", "production", "prd", "live", "PROD", "Production"]
PROD_SPELLINGS = ["{}", "{}-eu", "eu-{}", "myapp_{}", "{}1", "{}-02", "app.{}.internal", "team/{}", "acme:{}"]


@pytest.mark.parametrize("name", PROD_NAMES)
@pytest.mark.parametrize("spelling", PROD_SPELLINGS)
def test_production_names_are_prod_in_every_kind_of_evidence(name: str, spelling: str) -> None:
    value = spelling.format(name)
    assert _env(f"aws s3 rm s3://b/k --profile {value}") == "prod"
    assert _env(f"kubectl --context {value} delete pod x") == "prod"
    assert _env(f"TF_WORKSPACE={value} terraform destroy") == "prod"


@pytest.mark.parametrize("value", ["product", "productivity", "preprod", "pre-prod", "non-prod", "liver", "prodigy"])
def test_names_that_only_look_like_production_are_not_prod(value: str) -> None:
    assert _env(f"aws s3 rm s3://b/k --profile {value}") != "prod"


@pytest.mark.parametrize("value", ["staging", "stage-eu", "myapp_stg", "preprod", "uat2"])
def test_staging_names_are_staging(value: str) -> None:
    assert _env(f"kubectl --context {value} delete pod x") == "staging"


def test_database_hosts_and_urls_are_recognised() -> None:
    assert _env("psql postgres://app@db.prod.example.com/app -c 'delete from t'") == "prod"
    assert _env("psql postgres://app@db-preprod.example.com/app -c 'delete from t'") == "staging"


def test_the_teams_own_environments_win_over_the_baseline_names() -> None:
    extra = "environments:\n  staging:\n    kube_contexts: [live-staging]\n  dev:\n    aws_profiles: [prod-sandbox]\n"
    assert _env("kubectl --context live-staging delete pod x") == "prod"  # the baseline alone
    assert _env("kubectl --context live-staging delete pod x", extra) == "staging"
    assert _env("aws s3 rm s3://b/k --profile prod-sandbox", extra) == "dev"
    # names the team did not claim keep the baseline's meaning
    assert _env("aws s3 rm s3://b/k --profile prod-eu", extra) == "prod"


def test_a_prod_delete_needs_approval_under_the_baseline() -> None:
    policy = _policy()
    action = classify(
        Action("shell", raw="kubectl --context eu-production delete deployment api", cwd=CWD),
        policy.environments,
        environ=ENVIRON,
        home=HOME,
    )
    assert decide(policy, action).verdict == "approve"
    notes = " ".join(n.text for n in action.notes if n.kind == "env")
    assert "baseline" in notes and "eu-production" in notes


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    left=hs.from_regex(r"[a-z]{1,8}", fullmatch=True),
    right=hs.from_regex(r"[a-z]{1,8}", fullmatch=True),
    sep=hs.sampled_from(["-", "_", ".", "/", ":", "@"]),
)
def test_a_production_word_between_separators_is_always_found(left: str, right: str, sep: str) -> None:
    if left in ("pre", "non", "not", "no"):
        left = "x" + left
    assert "prod" in name_tokens(f"{left}{sep}prod{sep}{right}")


# -- PassRole through structured calls -----------------------------------------------------------------


def _ctx() -> ClassifyContext:
    return ClassifyContext(ENVIRON, HOME, CWD)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("ec2", "RunInstances", {"ImageId": "ami-1", "IamInstanceProfile": {"Name": "admin"}}),
        ("ec2", "associate_iam_instance_profile", {"InstanceId": "i-1", "IamInstanceProfile": {"Arn": "x"}}),
        ("lambda", "CreateFunction", {"FunctionName": "f", "Role": "arn:aws:iam::111111111111:role/admin"}),
        ("ecs", "RegisterTaskDefinition", {"family": "f", "taskRoleArn": "arn:aws:iam::111111111111:role/t"}),
        ("ecs", "RegisterTaskDefinition", {"family": "f", "executionRoleArn": "arn:aws:iam::111111111111:role/t"}),
        ("cloudformation", "CreateStack", {"StackName": "s", "RoleARN": "arn:aws:iam::111111111111:role/c"}),
        ("states", "CreateStateMachine", {"name": "m", "roleArn": "arn:aws:iam::111111111111:role/s"}),
        # a role ARN nested in a structure still hands the role over
        (
            "batch",
            "CreateComputeEnvironment",
            {"computeResources": {"instanceRole": "arn:aws:iam::1:instance-profile/x"}},
        ),
    ],
)
def test_handing_a_role_to_a_resource_is_privilege(service: str, operation: str, params: dict[str, Any]) -> None:
    action = classify_aws_call(service, operation, params, _ctx())
    assert "privilege" in action.effects, action.notes
    assert any("PassRole" in n.text for n in action.notes)


def test_naming_a_role_in_a_read_or_in_iam_itself_is_not_passrole() -> None:
    read = classify_aws_call("lambda", "GetFunction", {"FunctionName": "f"}, _ctx())
    assert read.effects == {"read"}
    assume = classify_aws_call(
        "sts", "AssumeRole", {"RoleArn": "arn:aws:iam::1:role/x", "RoleSessionName": "s"}, _ctx()
    )
    assert not any("PassRole" in n.text for n in assume.notes)


# -- MCP tools that change remote state ----------------------------------------------------------------


def _mcp(tool: str) -> Action:
    return classify_mcp(Action("mcp", f"mcp:acme/{tool}", args={}, cwd=CWD), _ctx())


def _styles(words: list[str]) -> list[str]:
    return [
        "_".join(words),
        "-".join(words),
        words[0] + "".join(w.capitalize() for w in words[1:]),
        "".join(w.capitalize() for w in words),
    ]


@pytest.mark.parametrize(
    ("words", "wanted"),
    [
        (["delete", "repository"], {"delete"}),
        (["repository", "delete"], {"delete"}),
        (["remove", "branch"], {"delete"}),
        (["purge", "cache"], {"delete", "irreversible"}),
        (["destroy", "environment"], {"delete", "irreversible"}),
        (["drop", "table"], {"delete", "irreversible"}),
        (["wipe", "disk"], {"wipe"}),
        (["terminate", "instance"], {"delete", "irreversible"}),
        (["reset", "password"], {"privilege"}),
        (["update", "password"], {"privilege"}),
        (["create", "api", "key"], {"privilege"}),
        (["rotate", "access", "token"], {"privilege"}),
        (["add", "collaborator"], {"privilege"}),
        (["add", "team", "member"], {"privilege"}),
        (["invite", "user"], {"privilege", "exfiltrate"}),
        (["set", "permissions"], {"privilege"}),
        (["share", "document"], {"privilege", "exfiltrate"}),
        (["update", "sharing", "settings"], {"privilege", "exfiltrate"}),
        (["create", "payment"], {"irreversible", "exfiltrate"}),
        (["transfer", "funds"], {"irreversible", "exfiltrate"}),
        (["create", "refund"], {"irreversible", "exfiltrate"}),
        (["send", "email"], {"exfiltrate"}),
        (["create", "message"], {"exfiltrate"}),
        (["post", "tweet"], {"exfiltrate"}),
        (["get", "password"], {"secrets"}),
        (["get", "api", "key"], {"secrets"}),
    ],
)
def test_remote_state_changes_say_what_they_change(words: list[str], wanted: set[str]) -> None:
    for name in _styles(words):
        action = _mcp(name)
        assert wanted <= set(action.effects), (name, sorted(action.effects))
        assert "read" not in action.effects or words[0] == "get", name


@pytest.mark.parametrize("tool", ["list_messages", "count_tokens", "list_shares", "get_repository", "list_members"])
def test_reading_about_those_things_stays_a_read(tool: str) -> None:
    assert set(_mcp(tool).effects) == {"read"}


def test_the_note_says_where_the_change_happens() -> None:
    action = _mcp("add_collaborator")
    texts = [n.text for n in action.notes if n.kind == "effect" and n.value == "privilege"]
    assert texts and "acme" in texts[0]
