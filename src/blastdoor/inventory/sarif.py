"""The report as SARIF 2.1.0 (OASIS), so findings show in code scanning (GitHub, Azure DevOps, ...).

One run; one rule per finding kind; each result has the finding's stable id as its
``partialFingerprints`` (code scanning tracks it across commits), a location with a line when one is
known, and the fix as text. Paths inside a scanned repository are relative to it (``%SRCROOT%``);
others are absolute ``file://`` URIs. Written by hand: the maintained Python SARIF libraries are object
models without validation, and this is a small, fixed shape validated against the schema in the tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from blastdoor.inventory.model import RANK

if TYPE_CHECKING:
    from blastdoor.inventory.model import Finding, Report

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
RULES = {
    "unrestricted-execution": "An agent runs any command (or every tool) without asking",
    "infrastructure-cli-unasked": "An agent runs cloud, cluster or database CLIs without asking",
    "mcp-tools-unasked": "An agent runs an MCP server's tools without asking",
    "edits-unasked": "An agent edits files without asking",
    "hook-fails-open": "blastdoor's hook is installed but does not fail closed",
    "production-credential-reachable": "A production credential is reachable by agents",
    "production-credential-unguarded": "A production credential is reachable by agents blastdoor does not guard",
    "production-credential-guarded": "A production credential is reachable only by guarded agents",
    "register-agent-added": "An agent not in the register",
    "register-agent-removed": "An agent in the register was not found",
    "register-permission-widened": "An agent's permissions widened since the register",
    "register-production-credential-added": "An agent newly reaches a production credential",
    "register-tier-raised": "An agent's risk tier rose since the register",
    "secret-in-config": "A literal secret in an agent's configuration",
    "malformed-config": "A configuration file cannot be read",
    "scanner-error": "A scanner failed",
}


def _location(f: Finding, root: str) -> dict[str, Any]:
    if root and f.file.startswith(root.rstrip("/") + "/"):
        artifact: dict[str, Any] = {"uri": quote(os.path.relpath(f.file, root)), "uriBaseId": "%SRCROOT%"}
    else:
        artifact = {"uri": Path(f.file).absolute().as_uri() if f.file else "file:///"}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if f.line > 0:
        region: dict[str, Any] = {"startLine": f.line}
        if f.column > 0:
            region["startColumn"] = f.column
        physical["region"] = region
    return {"physicalLocation": physical}


def to_sarif(report: Report, *, root: str = "") -> dict[str, Any]:
    """The SARIF log; ``root`` (default: the first scanned path) is ``%SRCROOT%``."""
    from blastdoor import __version__

    root = root or (report.roots[0] if report.roots else "")
    used = sorted({f.rule for f in report.findings})
    rules = [
        {
            "id": rule,
            "name": rule.title().replace("-", ""),
            "shortDescription": {"text": RULES.get(rule, rule)},
            "helpUri": "https://github.com/blastdoor/blastdoor/blob/main/docs/INVENTORY.md",
            "properties": {"tags": ["security", "ai-agents"]},
        }
        for rule in used
    ]
    index = {rule: i for i, rule in enumerate(used)}
    results = []
    for f in sorted(report.findings, key=lambda f: (RANK[f.severity], f.file, f.line)):
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL[f.severity],
                "message": {"text": f"{f.message}. Fix: {f.fix}"},
                "locations": [_location(f, root)],
                "partialFingerprints": {"blastdoorFindingId/v1": f.id},
                "properties": {"severity": f.severity, "security-severity": SCORE[f.severity], "agent": f.agent},
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "blastdoor-inventory",
                "version": __version__,
                "informationUri": "https://github.com/blastdoor/blastdoor",
                "rules": rules,
            }
        },
        "results": results,
        "properties": {"host": report.host, "agents": [a.id for a in report.agents]},
    }
    if root:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": Path(root).absolute().as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
