"""What an inventory is made of: agents, the scopes they hold, credentials, findings, and the report.

Plain data with ``to_dict``; the rules that fill them live in the scanners (``scanners/``), the
credential readers (``credentials.py``) and the assessment (``assess.py``). A finding's ``id`` is
stable across runs and machines: a digest of its rule, the agent it concerns and the setting it is
about (never the line, which moves when a file is edited, nor any secret).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

JSON = Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
RANK = {s: i for i, s in enumerate(SEVERITIES)}  # lower is more severe
TIER_NAMES = {1: "critical", 2: "high", 3: "medium", 4: "low"}


def at_least(severity: str, threshold: str) -> bool:
    """Whether ``severity`` is as severe as ``threshold`` or more."""
    return RANK.get(severity, 99) <= RANK.get(threshold, -1)


@dataclass
class Scope:
    """One thing an agent may do without asking (or a guard that narrows it), and where it is set.

    ``kind``: ``shell-any`` (any command runs unasked), ``shell-infra`` (cloud/cluster/database CLIs
    run unasked), ``bypass`` (the harness's prompts are off: bypass mode, yolo, trust-all, full access),
    ``write-any`` (file edits unasked), ``mcp-auto`` (MCP tools run unasked), ``mcp-server`` (an MCP
    server is configured), ``network`` (sandbox with network), ``guard`` (something that narrows).
    """

    kind: str
    detail: str
    file: str
    line: int
    setting: str  # the key path or rule text, for the register and the finding id

    def to_dict(self) -> dict[str, JSON]:
        return {"kind": self.kind, "detail": self.detail, "file": self.file, "line": self.line, "setting": self.setting}


@dataclass
class Credential:
    """A credential an agent running as this user could use; never its value."""

    kind: str  # aws-profile, aws-static-key, aws-sso-session, kube-context, gcloud-config, az-subscription,
    # db-url, netrc, ssh-key, github-token, secret-in-config
    name: str
    file: str
    line: int
    env: str = "unknown"  # the environment it resolves to under the policy
    why: str = ""  # the environment note (which glob matched)
    project: str = ""  # set for credentials inside a repository (.env files): reachable from there only

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    def to_dict(self) -> dict[str, JSON]:
        d = {"kind": self.kind, "name": self.name, "file": self.file, "line": self.line, "env": self.env}
        if self.why:
            d["why"] = self.why
        return d


@dataclass
class Finding:
    rule: str
    severity: str
    title: str
    message: str
    file: str
    line: int
    fix: str
    agent: str = ""
    column: int = 0
    subject: str = ""  # what the finding is about (a setting, a credential): part of the stable id
    portable: str = ""  # the agent and file without machine-specific paths (set by ``scan``), for the id

    @property
    def id(self) -> str:
        where = self.portable or f"{self.agent}\0{self.file}"
        digest = hashlib.sha256(f"{self.rule}\0{where}\0{self.subject}".encode()).hexdigest()
        return f"INV-{digest[:12]}"

    def to_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "fix": self.fix,
            "agent": self.agent,
        }


@dataclass
class Agent:
    """One agentic tool configured at one place (a repository, the home directory, the machine)."""

    tool: str  # claude-code, codex, cursor, gemini, kiro, copilot, claude-desktop, ...
    scope: str  # managed, user, project
    root: str  # the repository or home it belongs to
    files: list[str] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    mcp_servers: list[str] = field(default_factory=list)
    hooks: str = "absent"  # absent, installed (fails open or gaps), fail-closed, n/a (the tool has none)
    hook_gaps: list[str] = field(default_factory=list)
    version: str = ""
    credentials: list[str] = field(default_factory=list)  # Credential.key of those it can reach
    prod_credentials: list[str] = field(default_factory=list)
    tier: int = 4
    reasons: list[str] = field(default_factory=list)
    name: str = ""  # e.g. the Kiro agent's name

    @property
    def id(self) -> str:
        label = f"{self.tool}/{self.name}" if self.name else self.tool
        return f"{label}@{self.root}" if self.scope == "project" else f"{label}@{self.scope}"

    def kinds(self) -> set[str]:
        return {s.kind for s in self.scopes}

    def to_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "tool": self.tool,
            "name": self.name,
            "scope": self.scope,
            "root": self.root,
            "version": self.version,
            "files": self.files,
            "scopes": [s.to_dict() for s in self.scopes],
            "mcp_servers": self.mcp_servers,
            "hooks": self.hooks,
            "hook_gaps": self.hook_gaps,
            "credentials": self.credentials,
            "prod_credentials": self.prod_credentials,
            "tier": self.tier,
            "tier_name": TIER_NAMES[self.tier],
            "reasons": self.reasons,
        }


@dataclass
class Report:
    host: str
    roots: list[str]
    home: str
    agents: list[Agent] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    binaries: list[dict[str, str]] = field(default_factory=list)
    generated: str = ""

    def to_dict(self) -> dict[str, JSON]:
        return {
            "version": 1,
            "host": self.host,
            "generated": self.generated,
            "home": self.home,
            "roots": self.roots,
            "agents": [a.to_dict() for a in self.agents],
            "credentials": [c.to_dict() for c in self.credentials],
            "findings": [f.to_dict() for f in sorted(self.findings, key=lambda f: (RANK[f.severity], f.file, f.line))],
            "binaries": self.binaries,
            "summary": self.summary(),
        }

    def summary(self) -> dict[str, JSON]:
        counts = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            counts[f.severity] += 1
        return {
            "agents": len(self.agents),
            "tier_1": sum(1 for a in self.agents if a.tier == 1),
            "reach_production": sum(1 for a in self.agents if a.prod_credentials),
            "findings": counts,
        }
