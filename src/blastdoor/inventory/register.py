"""The register: a version-controlled YAML list of the agents found, and the diff of a scan against it.

Written by ``blastdoor inventory --write-register FILE``; the scan fills what it knows (tool, version,
scopes, credentials reachable, production credentials, tier) and keeps what people wrote (owner,
review date, vendor, data handling, notes) when the file is rewritten. ``--register FILE`` diffs a scan
against it: an agent not in the register, a scope it did not have (or a guard it lost), and a newly
reachable production credential are findings, so ``--fail-on`` fails CI on them.

Agent keys are portable: the repository part is relative to the first scanned path, the home is ``~``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from blastdoor.inventory.model import TIER_NAMES, Finding

if TYPE_CHECKING:
    from blastdoor.inventory.model import Agent, Report

JSON = Any
PEOPLE_FIELDS = ("owner", "review_date", "vendor", "data_handling", "notes")
VENDORS = {
    "claude-code": "Anthropic",
    "claude-desktop": "Anthropic",
    "codex": "OpenAI",
    "cursor": "Anysphere",
    "gemini": "Google",
    "kiro": "Amazon Web Services",
    "copilot": "GitHub (Microsoft)",
    "windsurf": "Windsurf",
    "continue": "Continue Dev",
    "cline": "Cline Bot",
    "roo-code": "Roo Code",
    "aider": "Aider (open source)",
    "goose": "Block (open source)",
    "opencode": "SST (open source)",
}
_TIER_SEVERITY = {1: "critical", 2: "high", 3: "medium", 4: "low"}


def key(agent: Agent, report: Report) -> str:
    label = f"{agent.tool}/{agent.name}" if agent.name else agent.tool
    if agent.scope != "project":
        return f"{label}@{agent.scope}"
    first = report.roots[0] if report.roots else ""
    if agent.root == report.home:
        return f"{label}@~"
    rel = (
        os.path.relpath(agent.root, first)
        if first and (agent.root + "/").startswith(first.rstrip("/") + "/")
        else agent.root
    )
    return f"{label}@{rel}"


def _scopes(agent: Agent) -> list[str]:
    return sorted({f"{s.kind}: {s.setting}" for s in agent.scopes})


def entries(report: Report, previous: dict[str, JSON] | None = None) -> dict[str, JSON]:
    """The register's content for ``report``, keeping the people's fields of ``previous``."""
    old = (previous or {}).get("agents") or {}
    agents: dict[str, JSON] = {}
    for a in sorted(report.agents, key=lambda a: key(a, report)):
        k = key(a, report)
        found = old.get(k)
        before: dict[str, JSON] = found if isinstance(found, dict) else {}
        agents[k] = {
            "tool": a.tool,
            "version": a.version,
            "scope": a.scope,
            "scopes": _scopes(a),
            "blastdoor_hook": a.hooks,
            "credentials_reachable": a.credentials,
            "production_credentials": a.prod_credentials,
            "risk_tier": a.tier,
            "risk": TIER_NAMES[a.tier],
            "reasons": a.reasons,
            "owner": before.get("owner", ""),
            "review_date": before.get("review_date", time.strftime("%Y-%m-%d", time.gmtime())),
            "vendor": before.get("vendor", VENDORS.get(a.tool, "")),
            "data_handling": before.get("data_handling", ""),
            "notes": before.get("notes", ""),
        }
    return {"version": 1, "host": report.host, "generated": report.generated, "agents": agents}


def dump(data: dict[str, JSON]) -> str:
    import yaml

    head = (
        "# blastdoor agent register (blastdoor inventory --write-register). Scan fields are rewritten on\n"
        "# every run; owner, review_date, vendor, data_handling and notes are yours and are kept.\n"
    )
    return head + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)


def load(path: str) -> tuple[dict[str, JSON], str]:
    """The register at ``path`` and its text; raises ValueError (what and where) when it is not one."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{where}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("agents", {}), dict):
        raise ValueError(f"{path}: not a register (expected a mapping with `agents`)")
    return data, text


def _line(text: str, needle: str) -> int:
    i = text.find(needle)
    return text.count("\n", 0, i) + 1 if i >= 0 else 0


def diff(report: Report, register: dict[str, JSON], text: str, path: str) -> list[Finding]:
    """What changed since the register: added agents, widened permissions, new production credentials."""
    old = register.get("agents") or {}
    out: list[Finding] = []
    for a in report.agents:
        k = key(a, report)
        where = a.files[0] if a.files else path
        before = old.get(k)
        if not isinstance(before, dict):
            out.append(
                Finding(
                    "register-agent-added",
                    _TIER_SEVERITY[a.tier],
                    f"new agent: {k}",
                    f"{k} (tier {a.tier} {TIER_NAMES[a.tier]}) is not in the register {path}",
                    where,
                    1,
                    f"review it and record it: blastdoor inventory --write-register {path}",
                    a.id,
                    subject=k,
                )
            )
            continue
        line = _line(text, f"{k}:")
        was = set(before.get("scopes") or [])
        now = set(_scopes(a))
        widened = sorted(s for s in now - was if not s.startswith("guard:"))
        lost = sorted(s for s in was - now if s.startswith("guard:"))
        for s in widened + [f"lost {s}" for s in lost]:
            out.append(
                Finding(
                    "register-permission-widened",
                    "high" if a.tier <= 2 else "medium",
                    f"permission widened: {k}",
                    f"{k} now has `{s}`, not in the register",
                    where,
                    next((sc.line for sc in a.scopes if f"{sc.kind}: {sc.setting}" == s), 1),
                    "narrow it back, or review and record it with --write-register",
                    a.id,
                    subject=f"{k}:{s}",
                )
            )
        old_prod = set(before.get("production_credentials") or [])
        for cred in sorted(set(a.prod_credentials) - old_prod):
            out.append(
                Finding(
                    "register-production-credential-added",
                    "critical" if a.tier == 1 else "high",
                    f"newly reachable production credential: {k}",
                    f"{k} now reaches production credential {cred}",
                    path,
                    line,
                    "remove the credential from the agent's reach, or review and record it",
                    a.id,
                    subject=f"{k}:{cred}",
                )
            )
        old_tier = before.get("risk_tier")
        if isinstance(old_tier, int) and a.tier < old_tier:
            out.append(
                Finding(
                    "register-tier-raised",
                    _TIER_SEVERITY[a.tier],
                    f"risk tier raised: {k}",
                    f"{k} went from tier {old_tier} to tier {a.tier}",
                    path,
                    line,
                    "see the agent's reasons; narrow it or record the change",
                    a.id,
                    subject=k,
                )
            )
    now_keys = {key(a, report) for a in report.agents}
    for k in sorted(set(old) - now_keys):
        out.append(
            Finding(
                "register-agent-removed",
                "info",
                f"agent gone: {k}",
                f"{k} is in the register but was not found",
                path,
                _line(text, f"{k}:"),
                "drop it from the register",
                subject=k,
            )
        )
    return out
