"""Reports for people: a terminal table and a Markdown report (JSON is ``Report.to_dict``; SARIF: ``sarif``).

Paths are shown relative to the home directory (``~/...``) so reports from many machines read alike.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.inventory.model import RANK, TIER_NAMES

if TYPE_CHECKING:
    from blastdoor.inventory.model import Report


def short(path: str, home: str) -> str:
    if home and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")) :]
    return path


def table(report: Report) -> str:
    lines = []
    agents = sorted(report.agents, key=lambda a: (a.tier, a.id))
    if not agents:
        lines.append("no agent configuration found")
    else:
        from blastdoor.inventory.register import key

        width = max(len(key(a, report)) for a in agents)
        lines.append(f"{'TIER':<12} {'AGENT':<{width}}  {'HOOK':<11}  PRODUCTION")
        for a in agents:
            tier = f"{a.tier} {TIER_NAMES[a.tier]}"
            prod = ", ".join(a.prod_credentials) or "-"
            lines.append(f"{tier:<12} {key(a, report):<{width}}  {a.hooks:<11}  {prod}")
            for reason in a.reasons:
                lines.append(f"{'':<12}   - {reason}")
    findings = sorted(report.findings, key=lambda f: (RANK[f.severity], f.file, f.line))
    if findings:
        lines += ["", "findings:"]
        for f in findings:
            where = f"{short(f.file, report.home)}:{f.line}" if f.line else short(f.file, report.home)
            lines.append(f"  {f.severity.upper():<8} {f.id}  {where}  {f.title}")
            lines.append(f"           {f.message}")
            lines.append(f"           fix: {f.fix}")
    s = report.summary()
    counts = ", ".join(f"{n} {k}" for k, n in s["findings"].items() if n)
    lines += [
        "",
        f"{s['agents']} agents, {s['tier_1']} at tier 1, {s['reach_production']} reach production; "
        f"findings: {counts or 'none'}",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    home = report.home
    out = [
        f"# Agent inventory: {report.host}",
        "",
        f"Generated {report.generated}. Scanned: "
        + ", ".join(f"`{short(r, home)}`" for r in report.roots[:20])
        + (f" and {len(report.roots) - 20} more" if len(report.roots) > 20 else "")
        + ".",
        "",
    ]
    out += [
        "## Agents",
        "",
        "| Tier | Agent | blastdoor hook | Production credentials | Reasons |",
        "|---|---|---|---|---|",
    ]
    from blastdoor.inventory.register import key

    for a in sorted(report.agents, key=lambda a: (a.tier, a.id)):
        out.append(
            f"| {a.tier} ({TIER_NAMES[a.tier]}) | `{_cell(key(a, report))}` | {a.hooks} | "
            f"{_cell(', '.join(a.prod_credentials) or '-')} | {_cell('; '.join(a.reasons))} |"
        )
    out += ["", "## Findings", ""]
    if not report.findings:
        out.append("None.")
    for f in sorted(report.findings, key=lambda f: (RANK[f.severity], f.file, f.line)):
        out += [
            f"- **{f.severity}** `{f.id}` {_cell(f.title)}: `{short(f.file, home)}:{f.line}`",
            f"  {_cell(f.message)}",
            f"  Fix: {_cell(f.fix)}",
        ]
    out += ["", "## Credentials", "", "| Kind | Name | Environment | Where |", "|---|---|---|---|"]
    for c in report.credentials:
        out.append(f"| {c.kind} | `{_cell(c.name)}` | {c.env} | `{short(c.file, home)}:{c.line}` |")
    return "\n".join(out) + "\n"


def relative(path: str, bases: list[str]) -> str:
    for base in sorted(bases, key=len, reverse=True):
        if base and (path == base or path.startswith(base.rstrip("/") + "/")):
            return os.path.relpath(path, base)
    return path
