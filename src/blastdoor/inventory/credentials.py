"""Credentials an agent running as this user could reach, and the environment each resolves to.

Read (names and positions only, never values): AWS profiles and SSO sessions (``~/.aws/config``) and
static keys (``~/.aws/credentials``), kubeconfig contexts (``~/.kube/config``), gcloud configurations
(``~/.config/gcloud/configurations/config_*``), Azure subscriptions (``~/.azure/azureProfile.json``),
database URLs and ``AWS_PROFILE`` in ``.env`` files (home and repositories), ``~/.netrc`` machines, SSH
private keys in ``~/.ssh``, and GitHub tokens in gh's ``~/.config/gh/hosts.yml``.

Each credential becomes evidence (``aws_profile``, ``aws_account``, ``kube_context``, ``db_url``,
``host``, ...) resolved by ``classify.environment.resolve_environments`` under the policy's
``environments``: the same globs that make ``env: prod`` in a rule.
"""

from __future__ import annotations

import glob
import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from blastdoor.inventory._files import read_text
from blastdoor.inventory.model import Credential, Finding

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from blastdoor.inventory.scanners.base import ScanContext

JSON = Any

# When the policy defines no environments: the starter policy's globs, widened to names that say prod.
DEFAULT_ENVIRONMENTS: dict[str, dict[str, list[str]]] = {
    "prod": {
        "aws_profiles": ["prod*", "*-prod", "*_prod", "*prod*", "*production*"],
        "kube_contexts": ["*prod*"],
        "kube_namespaces": ["prod*", "production"],
        "db_urls": ["*prod*"],
        "hosts": ["*prod*", "*production*"],
        "gcp_projects": ["*prod*"],
        "azure_subscriptions": ["*prod*", "*Prod*", "*PROD*"],
    },
    "staging": {"aws_profiles": ["staging*", "*-staging"], "kube_contexts": ["*staging*"], "hosts": ["*staging*"]},
}

_DB_SCHEMES = (
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "mssql",
    "sqlserver",
    "oracle",
    "cockroachdb",
    "clickhouse",
    "amqp",
    "amqps",
)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_ACCOUNT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):")


def resolve(evidence: dict[str, JSON], environments: Mapping[str, Mapping[str, Any]]) -> tuple[str, str]:
    """(environment, why) for the evidence under ``environments``."""
    from blastdoor.action import Action
    from blastdoor.classify.environment import resolve_environments

    action = resolve_environments(Action("inventory", facts={"evidence": evidence}), environments)
    why = "; ".join(n.text for n in action.notes if n.kind == "env")
    return action.env, why


def _ini(text: str) -> Iterator[tuple[str, int, dict[str, tuple[str, int]]]]:
    """Sections of an INI file: (name, line, key -> (value, line))."""
    name, line, body = "", 0, {}  # type: tuple[str, int, dict[str, tuple[str, int]]]
    for i, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            if name:
                yield name, line, body
            name, line, body = s[1:-1].strip(), i, {}
        elif "=" in s and name:
            k, _, v = s.partition("=")
            body[k.strip().lower()] = (v.strip(), i)
    if name:
        yield name, line, body


def _credential(
    ctx: ScanContext,
    kind: str,
    name: str,
    path: str,
    line: int,
    evidence: dict[str, JSON],
    environments: Mapping[str, Mapping[str, Any]],
    project: str = "",
) -> Credential:
    env, why = resolve(evidence, environments)
    return Credential(kind, name, path, line, env, why, project)


def aws(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    out: list[Credential] = []
    config = ctx.user(".aws", "config")
    text, _ = read_text(config) if os.path.isfile(config) else ("", None)
    sessions: dict[str, dict[str, tuple[str, int]]] = {}
    for section, line, body in _ini(text):
        if section.startswith("sso-session "):
            name = section[len("sso-session ") :].strip()
            sessions[name] = body
            out.append(_credential(ctx, "aws-sso-session", name, config, line, {"aws_profile": name}, envs))
    for section, line, body in _ini(text):
        if section.startswith("sso-session ") or section.startswith("services "):
            continue
        name = section[len("profile ") :].strip() if section.startswith("profile ") else section
        evidence: dict[str, JSON] = {"aws_profile": name}
        accounts = [body[k][0] for k in ("sso_account_id", "aws_account_id") if k in body]
        accounts += _ACCOUNT.findall(body.get("role_arn", ("", 0))[0])
        if accounts:
            evidence["aws_account"] = accounts
        if "region" in body:
            evidence["aws_region"] = body["region"][0]
        out.append(_credential(ctx, "aws-profile", name, config, line, evidence, envs))
    creds = ctx.user(".aws", "credentials")
    text, _ = read_text(creds) if os.path.isfile(creds) else ("", None)
    for section, line, body in _ini(text):
        if "aws_access_key_id" in body or "aws_secret_access_key" in body:
            kind = "aws-static-key"
            out.append(_credential(ctx, kind, section, creds, line, {"aws_profile": section}, envs))
    return out


def kube(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    path = ctx.user(".kube", "config")
    parsed = ctx.load(path, "yaml")
    if parsed is None:
        return []
    clusters = {}
    for c in parsed.data.get("clusters") or []:
        if isinstance(c, dict) and isinstance(c.get("cluster"), dict):
            clusters[c.get("name")] = urlsplit(str(c["cluster"].get("server", ""))).hostname or ""
    out = []
    for ctx_entry in parsed.data.get("contexts") or []:
        if not isinstance(ctx_entry, dict) or not isinstance(ctx_entry.get("name"), str):
            continue
        name = ctx_entry["name"]
        spec: dict[str, JSON] = ctx_entry["context"] if isinstance(ctx_entry.get("context"), dict) else {}
        evidence: dict[str, JSON] = {"kube_context": name}
        if spec.get("namespace"):
            evidence["kube_namespace"] = str(spec["namespace"])
        host = clusters.get(spec.get("cluster"))
        if host:
            evidence["host"] = host
        out.append(_credential(ctx, "kube-context", name, path, _yaml_line(parsed.text, "name", name), evidence, envs))
    return out


def _yaml_line(text: str, key: str, value: str) -> int:
    m = re.search(rf"^\s*-?\s*{re.escape(key)}:\s*[\"']?{re.escape(value)}[\"']?\s*$", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def gcloud(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    out = []
    for path in sorted(glob.glob(ctx.user(".config", "gcloud", "configurations", "config_*"))):
        text, _ = read_text(path)
        for section, _line, body in _ini(text):
            if section == "core" and "project" in body:
                project, line = body["project"]
                name = os.path.basename(path)[len("config_") :]
                out.append(
                    _credential(ctx, "gcloud-config", f"{name}:{project}", path, line, {"gcp_project": project}, envs)
                )
    return out


def azure(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    path = ctx.user(".azure", "azureProfile.json")
    parsed = ctx.load(path)
    if parsed is None:
        return []
    out = []
    for sub in parsed.data.get("subscriptions") or []:
        if not isinstance(sub, dict):
            continue
        name, sid = str(sub.get("name", "")), str(sub.get("id", ""))
        line = parsed.line_of("subscriptions", sid) if sid else 1
        out.append(
            _credential(
                ctx,
                "az-subscription",
                name or sid,
                path,
                line,
                {"azure_subscription": [v for v in (name, sid) if v]},
                envs,
            )
        )
    return out


def env_file(ctx: ScanContext, path: str, envs: Mapping[str, Mapping[str, Any]], project: str) -> list[Credential]:
    text, problem = read_text(path)
    if problem:
        return []
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        m = _ENV_LINE.match(raw)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip("'\"")
        if key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE") and value:
            out.append(_credential(ctx, "aws-profile-ref", value, path, i, {"aws_profile": value}, envs, project))
            continue
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme.split("+")[0] in _DB_SCHEMES or scheme in _DB_SCHEMES:
            parts = urlsplit(value)
            host = parts.hostname or ""
            # the name shows scheme, host and database only: never the user or password
            name = f"{key}={scheme}://{host}{parts.path}"
            evidence = {"db_url": _without_password(value), "host": host}
            out.append(_credential(ctx, "db-url", name, path, i, evidence, envs, project))
    return out


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def netrc(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    path = ctx.user(".netrc")
    text, _ = read_text(path) if os.path.isfile(path) else ("", None)
    out = []
    for m in re.finditer(r"\bmachine\s+(\S+)", text):
        host = m.group(1)
        out.append(_credential(ctx, "netrc", host, path, text.count("\n", 0, m.start()) + 1, {"host": host}, envs))
    return out


def ssh(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    out = []
    base = ctx.user(".ssh")
    for path in sorted(glob.glob(os.path.join(base, "*"))):
        name = os.path.basename(path)
        if name.endswith(".pub") or name in ("config", "known_hosts", "authorized_keys") or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as fh:
                head = fh.read(64)
        except OSError:
            continue
        if b"PRIVATE KEY" in head:
            out.append(_credential(ctx, "ssh-key", name, path, 1, {}, envs))
    text, _ = read_text(os.path.join(base, "config")) if os.path.isfile(os.path.join(base, "config")) else ("", None)
    for m in re.finditer(r"^\s*Host(?:Name)?\s+(.+)$", text, re.M | re.I):
        for host in m.group(1).split():
            if "*" not in host:
                out.append(
                    _credential(
                        ctx,
                        "ssh-host",
                        host,
                        os.path.join(base, "config"),
                        text.count("\n", 0, m.start()) + 1,
                        {"host": host},
                        envs,
                    )
                )
    return out


def github(ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]]) -> list[Credential]:
    path = ctx.user(".config", "gh", "hosts.yml")
    parsed = ctx.load(path, "yaml")
    if parsed is None:
        return []
    out = []
    for host, spec in parsed.data.items():
        if isinstance(spec, dict) and (spec.get("oauth_token") or spec.get("users")):
            line = parsed.line_of(str(host))
            out.append(_credential(ctx, "github-token", str(host), path, line, {"host": str(host)}, envs))
    return out


def scan(
    ctx: ScanContext, envs: Mapping[str, Mapping[str, Any]], repo_env_files: dict[str, list[str]]
) -> list[Credential]:
    """Every credential under ``ctx``'s home, and the ``.env`` files of each repository."""
    out: list[Credential] = []
    for reader in (aws, kube, gcloud, azure, netrc, ssh, github):
        try:
            out.extend(reader(ctx, envs))
        except Exception as exc:
            ctx.findings.append(
                Finding(
                    "malformed-config",
                    "low",
                    "credential file could not be read",
                    f"{reader.__name__}: {type(exc).__name__}",
                    ctx.home,
                    0,
                    "check the file's format",
                    subject=reader.__name__,
                )
            )
    for path in sorted(glob.glob(ctx.user(".env*"))):
        out.extend(env_file(ctx, path, envs, ""))
    for root, files in repo_env_files.items():
        for path in files:
            out.extend(env_file(ctx, path, envs, root))
    return out
