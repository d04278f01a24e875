"""The AWS previewer: what an AWS CLI command would delete or change, read from AWS itself with boto3
under the same profile, region and endpoint the command would use, plus the account (STS).

- ``cloudformation delete-stack``: the stack's resources (``list_stack_resources``) and their
  ``DeletionPolicy`` (from the stack's template: ``Retain`` resources survive, RDS databases without
  a ``Snapshot`` policy are lost without a final snapshot), termination protection, and the state
  token: the stack id, its last-updated (or creation) time and status, and its resources.
- ``cloudformation execute-change-set``: the change set's changes (add, modify, remove, and which
  modifications replace the resource).
- ``cloudformation update-stack`` / ``deploy`` / ``create-change-set``: the stack's current resources,
  what the change can reach (the template's effect is only known once a change set exists).
- ``rds delete-db-instance``, ``dynamodb delete-table``, ``s3 rb``, ``ec2 terminate-instances``,
  ``lambda delete-function``: the resources' identities and what is lost with them (final snapshot or
  not, deletion protection, item and object counts, sizes).

boto3 is the optional extra ``blastdoor[aws]``, imported only inside ``preview``: without it the
preview fails ("no preview available") and the verdict stays escalated. Nothing is written: only
Describe/List/Get calls are made.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from blastdoor.action.canonical import digest
from blastdoor.action.preview import Preview
from blastdoor.classify.aws.names import GLOBAL_VALUE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from blastdoor.action import Action
    from blastdoor.preview import Context

KIND = "aws"
MAX_OBJECTS = 10_000
_HANDLED = {
    ("cloudformation", "delete-stack"),
    ("cloudformation", "execute-change-set"),
    ("cloudformation", "update-stack"),
    ("cloudformation", "deploy"),
    ("cloudformation", "create-change-set"),
    ("rds", "delete-db-instance"),
    ("dynamodb", "delete-table"),
    ("s3", "rb"),
    ("ec2", "terminate-instances"),
    ("lambda", "delete-function"),
}
_RDS_TYPES = frozenset(("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"))


class AwsPreviewer:
    """``Previewer`` for the AWS CLI's destructive CloudFormation and direct-delete commands."""

    kind = KIND

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        if part.tool != "aws" or not argv or os.path.basename(argv[0]) != "aws":
            return False
        service, op, _ = parse(argv)
        return (service, op) in _HANDLED

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        service, op, opts = parse(argv)
        evidence = part.facts.get("evidence") if isinstance(part.facts.get("evidence"), dict) else {}
        clients = Clients(opts, evidence or {}, ctx)
        preview = _HANDLERS[(service, op)](clients, opts)
        account = clients.account()
        preview.facts["account"] = account
        preview.facts["region"] = clients.region
        preview.facts["evidence"] = {k: v for k, v in (("aws_account", account), ("aws_region", clients.region)) if v}
        return preview


def parse(argv: Sequence[str]) -> tuple[str, str, dict[str, list[str]]]:
    """(service, operation, {option: values}) of an AWS CLI argv (``--a b c`` and ``--a=b`` forms)."""
    words = list(argv[1:])
    opts: dict[str, list[str]] = {}
    plain: list[str] = []
    current = ""
    for w in words:
        if w.startswith("--"):
            name, eq, value = w.partition("=")
            opts.setdefault(name, [])
            current = "" if eq else name
            if eq:
                opts[name].append(value)
        elif current:
            opts[current].append(w)
            if current in GLOBAL_VALUE:
                current = ""
        else:
            plain.append(w)
    service = plain[0] if plain else ""
    op = plain[1] if len(plain) > 1 else ""
    if service == "s3" and op == "rb" and len(plain) > 2:
        opts.setdefault("--bucket", []).append(plain[2])
    return service, op, opts


def _one(opts: Mapping[str, list[str]], name: str) -> str:
    values = opts.get(name) or []
    if not values:
        raise ValueError(f"no {name} given")
    return values[0]


class Clients:
    """boto3 clients under the command's own profile, region and endpoint (and the caller's credentials)."""

    def __init__(self, opts: Mapping[str, list[str]], evidence: Mapping[str, Any], ctx: Context) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError("AWS previews need boto3: pip install 'blastdoor[aws]'") from exc
        env = ctx.environ
        # The profile the classifier found (a `AWS_PROFILE=...` prefix of the command) counts too.
        found = str(evidence.get("aws_profile") or "")
        profile = (opts.get("--profile") or [""])[0] or env.get("AWS_PROFILE") or found or None
        if profile == "default" and not (opts.get("--profile") or env.get("AWS_PROFILE")):
            profile = None
        region = (opts.get("--region") or [""])[0] or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        region = region or str(evidence.get("aws_region") or "")
        self.endpoint = (opts.get("--endpoint-url") or [""])[0] or None
        self.session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            profile_name=profile if not env.get("AWS_ACCESS_KEY_ID") else None,
            region_name=region or None,
        )
        self.region = self.session.region_name or ""
        self.config = Config(
            connect_timeout=max(1, int(ctx.timeout)),
            read_timeout=max(1, int(ctx.timeout)),
            retries={"max_attempts": 1},
        )

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, config=self.config)

    def account(self) -> str:
        return str(self.client("sts").get_caller_identity().get("Account", ""))


# -- CloudFormation ------------------------------------------------------------------------------------


def _template_policies(cfn: Any, stack: str) -> dict[str, str]:
    """{logical id: DeletionPolicy} from the stack's current template."""
    body = cfn.get_template(StackName=stack, TemplateStage="Original").get("TemplateBody")
    if isinstance(body, str):
        import json

        try:
            body = json.loads(body)
        except ValueError:
            import yaml

            class _Loader(yaml.SafeLoader):
                pass

            # CloudFormation's short-form tags (!Ref, !GetAtt, ...) are data here, not code.
            _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
            body = yaml.load(body, Loader=_Loader)  # a SafeLoader subclass
    resources = (body or {}).get("Resources") or {} if isinstance(body, dict) else {}
    return {k: str(v.get("DeletionPolicy", "")) for k, v in resources.items() if isinstance(v, dict)}


def _stack(cfn: Any, name: str) -> dict[str, Any]:
    stacks = cfn.describe_stacks(StackName=name).get("Stacks") or []
    if not stacks:
        raise ValueError(f"no stack {name}")
    return dict(stacks[0])


def _resources(cfn: Any, name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = cfn.list_stack_resources(StackName=name, **({"NextToken": token} if token else {}))
        out.extend(page.get("StackResourceSummaries") or [])
        token = page.get("NextToken")
        if not token:
            return out


def _stack_token(stack: Mapping[str, Any], resources: list[dict[str, Any]]) -> str:
    when = stack.get("LastUpdatedTime") or stack.get("CreationTime")
    listed = sorted(
        [r.get("LogicalResourceId", ""), r.get("PhysicalResourceId", ""), r.get("ResourceType", "")] for r in resources
    )
    return f"stack {stack.get('StackId', '')} updated {when} {stack.get('StackStatus', '')} " + digest(listed)


def _delete_stack(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    name = _one(opts, "--stack-name")
    cfn = c.client("cloudformation")
    stack = _stack(cfn, name)
    resources = _resources(cfn, name)
    policies = _template_policies(cfn, name)
    retained = set(opts.get("--retain-resources") or [])
    items: list[dict[str, Any]] = []
    summary: dict[str, int] = {}
    unsnapshotted = 0
    for r in resources:
        logical, rtype = r.get("LogicalResourceId", ""), r.get("ResourceType", "")
        policy = policies.get(logical, "")
        if rtype in _RDS_TYPES and not policy:
            policy = "Snapshot"  # CloudFormation's default for RDS databases
        change = "retain" if policy == "Retain" or logical in retained else "delete"
        item = {
            "change": change,
            "id": f"aws:{rtype}/{r.get('PhysicalResourceId', '')}",
            "logical": logical,
            "type": rtype,
        }
        if policy:
            item["deletion_policy"] = policy
        if change == "delete" and rtype in _RDS_TYPES and policy != "Snapshot":
            item["final_snapshot"] = False
            unsnapshotted += 1
        summary[change] = summary.get(change, 0) + 1
        items.append(item)
    items.sort(key=lambda i: (i["change"] != "delete", i["type"], i["logical"]))
    facts = {
        "stack": name,
        "stack_status": stack.get("StackStatus", ""),
        "termination_protection": bool(stack.get("EnableTerminationProtection")),
        "resources": len(resources),
        "db_deleted_without_final_snapshot": unsnapshotted,
        "last_updated": str(stack.get("LastUpdatedTime") or stack.get("CreationTime") or ""),
    }
    return Preview(
        KIND,
        summary=summary,
        items=items,
        targets=[f"aws:cloudformation/{name}", *(i["id"] for i in items)],
        state_token=_stack_token(stack, resources),
        facts=facts,
    )


def _execute_change_set(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    cfn = c.client("cloudformation")
    kwargs = {"ChangeSetName": _one(opts, "--change-set-name")}
    if opts.get("--stack-name"):
        kwargs["StackName"] = _one(opts, "--stack-name")
    cs = cfn.describe_change_set(**kwargs)
    summary: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    for ch in cs.get("Changes") or []:
        rc = ch.get("ResourceChange") or {}
        action = rc.get("Action", "")
        change = {"Add": "create", "Remove": "delete", "Import": "import"}.get(action, "update")
        if action == "Modify" and rc.get("Replacement") in ("True", "Conditional"):
            change = "replace" if rc.get("Replacement") == "True" else "maybe_replace"
        summary[change] = summary.get(change, 0) + 1
        physical = rc.get("PhysicalResourceId") or rc.get("LogicalResourceId", "")
        items.append(
            {"change": change, "id": f"aws:{rc.get('ResourceType', '')}/{physical}",
             "logical": rc.get("LogicalResourceId", ""), "type": rc.get("ResourceType", "")}
        )  # fmt: skip
    stack_name = cs.get("StackName") or kwargs.get("StackName", "")
    return Preview(
        KIND,
        summary=summary,
        items=items,
        targets=[f"aws:cloudformation/{stack_name}", *(i["id"] for i in items)],
        state_token=f"change-set {cs.get('ChangeSetId', '')} {cs.get('Status', '')} {cs.get('CreationTime', '')}",
        facts={"stack": stack_name, "change_set_status": cs.get("Status", "")},
    )


def _stack_at_risk(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    name = _one(opts, "--stack-name")
    cfn = c.client("cloudformation")
    try:
        stack = _stack(cfn, name)
    except Exception as exc:
        if "does not exist" in str(exc):  # deploy of a new stack: nothing there to change yet
            return Preview(
                KIND,
                summary={"create_stack": 1},
                targets=[f"aws:cloudformation/{name}"],
                state_token=f"stack {name} absent",
                facts={"stack": name},
            )
        raise
    resources = _resources(cfn, name)
    items = [
        {"change": "may_change", "id": f"aws:{r.get('ResourceType', '')}/{r.get('PhysicalResourceId', '')}",
         "logical": r.get("LogicalResourceId", ""), "type": r.get("ResourceType", "")}
        for r in resources
    ]  # fmt: skip
    return Preview(
        KIND,
        summary={"may_change": len(items)},
        items=items,
        targets=[f"aws:cloudformation/{name}", *(i["id"] for i in items)],
        state_token=_stack_token(stack, resources),
        facts={"stack": name, "resources": len(items), "stack_status": stack.get("StackStatus", "")},
    )


# -- direct deletes ---------------------------------------------------------------------------------------


def _rds(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    ident = _one(opts, "--db-instance-identifier")
    db = c.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    snapshot = "--skip-final-snapshot" not in opts and bool(opts.get("--final-db-snapshot-identifier"))
    item = {
        "change": "delete",
        "id": f"aws:rds/{ident}",
        "engine": db.get("Engine", ""),
        "status": db.get("DBInstanceStatus", ""),
        "deletion_protection": bool(db.get("DeletionProtection")),
        "final_snapshot": snapshot,
    }
    return Preview(
        KIND,
        summary={"delete": 1},
        items=[item],
        targets=[f"aws:rds/{ident}"],
        state_token=f"rds {db.get('DbiResourceId', ident)} {db.get('DBInstanceStatus', '')}",
        facts={
            "db_deleted_without_final_snapshot": 0 if snapshot else 1,
            "deletion_protection": int(bool(db.get("DeletionProtection"))),
        },
    )


def _dynamodb(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    name = _one(opts, "--table-name")
    t = c.client("dynamodb").describe_table(TableName=name)["Table"]
    item: dict[str, Any] = {
        "change": "delete",
        "id": f"aws:dynamodb/{name}",
        "items": int(t.get("ItemCount", 0)),
        "bytes": int(t.get("TableSizeBytes", 0)),
        "deletion_protection": bool(t.get("DeletionProtectionEnabled")),
    }
    return Preview(
        KIND,
        summary={"delete": 1},
        items=[item],
        targets=[item["id"]],
        state_token=f"table {t.get('TableArn', name)} {t.get('CreationDateTime', '')} {t.get('TableStatus', '')}",
        facts={"rows_lost": item["items"], "bytes": item["bytes"]},
    )


def _s3_rb(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    bucket = _one(opts, "--bucket").removeprefix("s3://").rstrip("/")
    s3 = c.client("s3")
    count = size = 0
    token: str | None = None
    while count < MAX_OBJECTS:
        page = s3.list_objects_v2(Bucket=bucket, **({"ContinuationToken": token} if token else {}))
        for obj in page.get("Contents") or []:
            count += 1
            size += int(obj.get("Size", 0))
        token = page.get("NextContinuationToken")
        if not token:
            break
    forced = "--force" in opts
    return Preview(
        KIND,
        summary={"delete": 1, "delete_objects": count if forced else 0},
        items=[{"change": "delete", "id": f"arn:aws:s3:::{bucket}", "objects": count, "bytes": size, "force": forced}],
        targets=[f"arn:aws:s3:::{bucket}"],
        state_token=f"bucket {bucket} {count} {size}",
        facts={"objects": count, "bytes": size, "truncated": count >= MAX_OBJECTS},
    )


def _ec2(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    ids = list(opts.get("--instance-ids") or [])
    if not ids:
        raise ValueError("no --instance-ids given")
    res = c.client("ec2").describe_instances(InstanceIds=ids)
    items = []
    for r in res.get("Reservations") or []:
        for i in r.get("Instances") or []:
            name = next((t["Value"] for t in i.get("Tags") or [] if t.get("Key") == "Name"), "")
            items.append(
                {
                    "change": "delete",
                    "id": f"aws:ec2/{i['InstanceId']}",
                    "name": name,
                    "type": i.get("InstanceType", ""),
                    "state": (i.get("State") or {}).get("Name", ""),
                }
            )
    items.sort(key=lambda i: i["id"])
    return Preview(
        KIND,
        summary={"delete": len(items)},
        items=items,
        targets=[i["id"] for i in items],
        state_token=digest([[i["id"], i["state"]] for i in items]),
    )


def _lambda(c: Clients, opts: Mapping[str, list[str]]) -> Preview:
    name = _one(opts, "--function-name")
    cfg = c.client("lambda").get_function(FunctionName=name)["Configuration"]
    item = {
        "change": "delete",
        "id": f"aws:lambda/{name}",
        "runtime": cfg.get("Runtime", ""),
        "bytes": int(cfg.get("CodeSize", 0)),
    }
    token = f"function {cfg.get('FunctionArn', name)} {cfg.get('LastModified', '')} {cfg.get('CodeSha256', '')}"
    return Preview(KIND, summary={"delete": 1}, items=[item], targets=[str(item["id"])], state_token=token)


_HANDLERS: dict[tuple[str, str], Callable[[Clients, Mapping[str, list[str]]], Preview]] = {
    ("cloudformation", "delete-stack"): _delete_stack,
    ("cloudformation", "execute-change-set"): _execute_change_set,
    ("cloudformation", "update-stack"): _stack_at_risk,
    ("cloudformation", "deploy"): _stack_at_risk,
    ("cloudformation", "create-change-set"): _stack_at_risk,
    ("rds", "delete-db-instance"): _rds,
    ("dynamodb", "delete-table"): _dynamodb,
    ("s3", "rb"): _s3_rb,
    ("ec2", "terminate-instances"): _ec2,
    ("lambda", "delete-function"): _lambda,
}
