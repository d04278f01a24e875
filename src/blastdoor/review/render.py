"""A range report as SARIF 2.1.0 (code scanning) and as Markdown (a pull request comment)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.review.gate import RangeReport

__all__ = ["markdown", "sarif"]

JSON = Any
_LEVEL = {"deny": "error", "needs-review": "warning"}


def sarif(report: RangeReport) -> dict[str, JSON]:
    """One result per commit that does not pass, located at the first file its rule matched."""
    results: list[dict[str, JSON]] = []
    for c in report.commits:
        if c.status == "pass":
            continue
        strong = [r for r in c.need.reasons if r.get("verdict") in ("deny", "signoff")] or c.need.reasons
        first = strong[0] if strong else {"rule": "changes.reviews", "path": "", "reason": "review"}
        path = first.get("path") or (c.commit.files[0].path if c.commit.files else "")
        result: dict[str, JSON] = {
            "ruleId": first["rule"],
            "level": _LEVEL[c.status],
            "message": {"text": f"{c.commit.id[:12]} ({c.commit.subject}): {c.status}: {first['reason']}"},
            "partialFingerprints": {"commit": c.commit.id},
        }
        if path:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": path}}}]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "blastdoor-review", "rules": []}}, "results": results}],
    }


def markdown(report: RangeReport) -> str:
    """A summary a CI job can post as a pull request comment."""
    ai = sum(1 for c in report.commits if c.provenance.ai)
    lines = [
        f"### blastdoor change gate: **{report.verdict}**",
        "",
        f"{len(report.commits)} commit(s), {ai} AI-authored.",
        "",
        "| commit | author | needs | status |",
        "|---|---|---|---|",
    ]
    for c in report.commits:
        who = "AI: " + ", ".join(c.provenance.tools) if c.provenance.ai else "human"
        need = c.need
        needs = {"allow": "-", "deny": "denied"}.get(need.verdict, f"{need.reviews} review(s)")
        if need.groups:
            needs = "sign-off " + ", ".join(f"{n} of `{g}`" for g, n in need.groups.items())
        subject = c.commit.subject.replace("|", "\\|")
        lines.append(f"| `{c.commit.id[:12]}` {subject} | {who} | {needs} | {c.status} |")
    return "\n".join(lines) + "\n"
