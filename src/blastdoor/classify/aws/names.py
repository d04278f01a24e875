"""AWS CLI names -> IAM names: service prefixes, operations, and the CLI's global options."""

from __future__ import annotations

import re

from blastdoor.classify.aws.catalog import iam_action, squash

# -- CLI names -> IAM names ----------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z0-9]+|[A-Z]+")

# CLI service name -> IAM service prefix, where they differ.
SERVICE_PREFIX = {
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
LOCAL_EFFECTS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
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
GLOBAL_VALUE = frozenset(
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
GLOBAL_FLAGS = frozenset(
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


def camel_words(name: str) -> list[str]:
    return _CAMEL.findall(name)


def kebab(name: str) -> str:
    """``StackName`` / ``stack_name`` / ``stackName`` / ``--stack-name`` -> ``stack-name``."""
    name = name.lstrip("-")
    if "_" in name or "-" in name:
        return name.replace("_", "-").lower()
    return "-".join(w.lower() for w in camel_words(name)) or name.lower()


def _apigateway_action(op: str) -> str:
    """API Gateway's IAM actions are HTTP verbs on resources (apigateway:DELETE, GET, ...)."""
    head = camel_words(op[:1].upper() + op[1:])[:1]
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


def resolve_iam(service: str, operation: str) -> tuple[str, str, str] | None:
    """(prefix, IAM action name, access level) of a CLI/SDK service and operation, or None."""
    squashed = squash(operation)
    alias = _OP_ALIASES.get((service, squashed))
    if alias is not None:
        hit = iam_action(*alias)
        return (alias[0], *hit) if hit else (alias[0], alias[1], "Write")
    prefix = SERVICE_PREFIX.get(service, service)
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
