"""The AWS previewer against moto's server (a real AWS API emulator, started here on 127.0.0.1), driven
through `blastdoor exec` by the real AWS CLI (awscli from PyPI)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from blastdoor.action import Action
from blastdoor.approvals import Person
from blastdoor.classify import classify
from blastdoor.preview import Context, preview_action
from blastdoor.services import open_services
from tests.hooks.harness import BLASTDOOR

BIN = Path(sys.executable).parent
REGION = "cn-north-1"
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": "/dev/null"}


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's server did not start") from None
            time.sleep(0.05)  # polling the server's port until it answers (no fixed wait)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture()
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    urllib.request.urlopen(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10).close()
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    return moto_url


def _client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url)


TEMPLATE = {
    "Resources": {
        "Reports": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": "ce-reports"}},
        "Costs": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "costs",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ce-queue"}},
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "DeletionPolicy": "Delete",
            "Properties": {
                "DBInstanceIdentifier": "ce-db",
                "DBInstanceClass": "db.t3.micro",
                "Engine": "postgres",
                "MasterUsername": "u",
                "MasterUserPassword": "password123",
                "AllocatedStorage": "20",
            },
        },
    }
}

POLICY = """version: 1
default: allow
environments:
  prod:
    aws_regions: ["cn-north-*"]
approvers:
  sre-leads: [bob, carol]
rules:
  - id: prod-destructive
    match: { env: prod, effects: [delete, irreversible, wipe] }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
    reason: Irreversible change in production needs two SRE leads.
"""


def _exec(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **CREDS, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [BLASTDOOR, "exec", "--wait", "0", "--", *args],
        cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180,
    )  # fmt: skip


def _pending() -> list[Any]:
    with open_services(checkpoint_on_close=False) as services:
        return services.approvals.find(status="pending")


def _approve(request_id: str) -> None:
    with open_services(checkpoint_on_close=False) as services:
        services.approvals.approve(request_id, Person("bob"))
        services.approvals.approve(request_id, Person("carol"))


def _stack_status(url: str) -> str:
    try:
        return str(
            _client(url, "cloudformation").describe_stacks(StackName="cost-explorer")["Stacks"][0]["StackStatus"]
        )
    except Exception as exc:
        if "does not exist" in str(exc):
            return "gone"
        raise


def test_delete_stack_in_prod_is_approved_on_its_resources_and_then_deleted(aws: str, tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    _client(aws, "cloudformation").create_stack(StackName="cost-explorer", TemplateBody=json.dumps(TEMPLATE))
    cmd = [
        "aws",
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "cost-explorer",
        "--region",
        REGION,
        "--endpoint-url",
        aws,
    ]
    first = _exec(cmd, tmp_path)
    assert first.returncode == 4, first.stderr
    assert "[preview: aws: 3 delete, 1 retain" in first.stderr
    (request,) = _pending()
    preview = request.detail["preview"]
    assert request.env == "prod" and request.needed == 2
    assert {i["logical"]: i["change"] for i in preview["items"]} == {
        "Costs": "delete", "Db": "delete", "Queue": "delete", "Reports": "retain",
    }  # fmt: skip
    assert preview["facts"]["db_deleted_without_final_snapshot"] == 1
    assert preview["facts"]["account"] == "123456789012" and preview["facts"]["region"] == REGION
    assert _stack_status(aws) == "CREATE_COMPLETE"  # previewing deleted nothing
    _approve(request.id)
    ran = _exec(cmd, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert _stack_status(aws) in ("gone", "DELETE_COMPLETE")


def test_a_stack_changed_after_the_preview_makes_the_approved_run_refuse(aws: str, tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    cfn = _client(aws, "cloudformation")
    cfn.create_stack(StackName="cost-explorer", TemplateBody=json.dumps(TEMPLATE))
    cmd = [
        "aws",
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "cost-explorer",
        "--region",
        REGION,
        "--endpoint-url",
        aws,
    ]
    assert _exec(cmd, tmp_path).returncode == 4
    (request,) = _pending()
    _approve(request.id)
    bigger = json.loads(json.dumps(TEMPLATE))
    bigger["Resources"]["Ledger"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ledger"}}
    cfn.update_stack(StackName="cost-explorer", TemplateBody=json.dumps(bigger))
    refused = _exec(cmd, tmp_path)
    assert refused.returncode == 5, refused.stderr
    assert f"request {request.id} was approved for another state" in refused.stderr
    assert _stack_status(aws) not in ("gone", "DELETE_COMPLETE", "DELETE_IN_PROGRESS")


DB: dict[str, Any] = {
    "DBInstanceIdentifier": "main",
    "DBInstanceClass": "db.t3.micro",
    "Engine": "postgres",
    "AllocatedStorage": 20,
    "MasterUsername": "u",
    "MasterUserPassword": "password123",
}


def _preview(raw: str, url: str):  # type: ignore[no-untyped-def]
    action = classify(Action("shell", raw=f"{raw} --region {REGION} --endpoint-url {url}", cwd="/tmp"), {})
    made = preview_action(action, Context(environ=dict(CREDS), timeout=30))
    assert made is not None
    return made[0]


def test_direct_deletes_are_previewed_and_left_alone(aws: str) -> None:
    ddb = _client(aws, "dynamodb")
    ddb.create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    for i in range(3):
        ddb.put_item(TableName="orders", Item={"id": {"S": str(i)}})
    s3 = _client(aws, "s3")
    s3.create_bucket(Bucket="logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    for i in range(4):
        s3.put_object(Bucket="logs", Key=f"k{i}", Body=b"x" * 10)
    rds = _client(aws, "rds")
    rds.create_db_instance(**DB, DeletionProtection=True)
    ec2 = _client(aws, "ec2")
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2)["Instances"]]

    table = _preview("aws dynamodb delete-table --table-name orders", aws)
    assert table.items[0]["id"] == "aws:dynamodb/orders" and table.facts["account"] == "123456789012"
    bucket = _preview("aws s3 rb s3://logs --force", aws)
    assert bucket.facts["objects"] == 4 and bucket.facts["bytes"] == 40 and bucket.summary["delete_objects"] == 4
    db = _preview("aws rds delete-db-instance --db-instance-identifier main --skip-final-snapshot", aws)
    assert db.facts["db_deleted_without_final_snapshot"] == 1 and db.items[0]["deletion_protection"] is True
    kept = _preview("aws rds delete-db-instance --db-instance-identifier main --final-db-snapshot-identifier last", aws)
    assert kept.facts["db_deleted_without_final_snapshot"] == 0
    vms = _preview(f"aws ec2 terminate-instances --instance-ids {ids[0]} {ids[1]}", aws)
    assert vms.summary == {"delete": 2} and {i["id"] for i in vms.items} == {f"aws:ec2/{i}" for i in ids}
    # Nothing changed.
    assert ddb.scan(TableName="orders")["Count"] == 3
    assert s3.list_objects_v2(Bucket="logs")["KeyCount"] == 4
    assert rds.describe_db_instances(DBInstanceIdentifier="main")["DBInstances"][0]["DBInstanceStatus"] == "available"
    states = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
    assert {s["State"]["Name"] for s in states} == {"running"}


def test_a_prod_database_deleted_without_final_snapshot_is_denied(aws: str, tmp_path: Path) -> None:
    policy = POLICY + (
        "  - id: no-db-without-snapshot\n"
        "    match: { env: prod, preview: { db_deleted_without_final_snapshot: { gte: 1 } } }\n"
        "    verdict: deny\n"
        "    reason: A production database is never deleted without a final snapshot.\n"
    )
    (tmp_path / "blastdoor.yaml").write_text(policy)
    _client(aws, "rds").create_db_instance(**DB)
    base = [
        "aws",
        "rds",
        "delete-db-instance",
        "--db-instance-identifier",
        "main",
        "--region",
        REGION,
        "--endpoint-url",
        aws,
    ]
    denied = _exec([*base, "--skip-final-snapshot"], tmp_path)
    assert denied.returncode == 5 and "final snapshot" in denied.stderr, denied.stderr
    with_snapshot = _exec([*base, "--final-db-snapshot-identifier", "last"], tmp_path)
    assert with_snapshot.returncode == 4, with_snapshot.stderr


def test_boto3_is_imported_only_when_an_aws_preview_runs() -> None:
    code = "import sys, blastdoor.preview, blastdoor.preview.aws, blastdoor.pipeline; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_change_sets_and_stack_updates_are_previewed_without_being_executed(aws: str) -> None:
    cfn = _client(aws, "cloudformation")
    cfn.create_stack(StackName="cost-explorer", TemplateBody=json.dumps(TEMPLATE))
    smaller = json.loads(json.dumps(TEMPLATE))
    del smaller["Resources"]["Queue"]
    smaller["Resources"]["Ledger"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ledger"}}
    cfn.create_change_set(
        StackName="cost-explorer", ChangeSetName="shrink", TemplateBody=json.dumps(smaller), ChangeSetType="UPDATE"
    )
    cs = _preview("aws cloudformation execute-change-set --stack-name cost-explorer --change-set-name shrink", aws)
    assert cs.ok, cs.message
    changes = {i["logical"]: i["change"] for i in cs.items}
    assert changes.get("Queue") == "delete" and changes.get("Ledger") == "create"
    assert "aws:cloudformation/cost-explorer" in cs.targets
    update = _preview("aws cloudformation update-stack --stack-name cost-explorer --template-body file://t.json", aws)
    assert update.summary == {"may_change": 4} and update.facts["resources"] == 4
    # Nothing was executed: the stack still has its queue, and the change set is still there to run.
    logical = {
        r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="cost-explorer")["StackResourceSummaries"]
    }
    assert "Queue" in logical and "Ledger" not in logical
    assert (
        cfn.describe_change_set(StackName="cost-explorer", ChangeSetName="shrink")["ExecutionStatus"]
        != "EXECUTE_COMPLETE"
    )
