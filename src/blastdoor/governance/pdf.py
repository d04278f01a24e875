"""The auditor memo as PDF (fpdf2, imported only here): the risk category, the controls in place with
their cited evidence, compensating controls (the gaps and what covers them) and residual risk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def _latin(text: str) -> str:
    """The core PDF fonts hold Latin-1 only: replace what they cannot show."""
    return text.replace("\u2014", "-").replace("\u2019", "'").encode("latin-1", "replace").decode("latin-1")


def write_memo(path: Path, controls: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    try:
        from fpdf import FPDF
    except ImportError as exc:
        from blastdoor.errors import Unavailable

        raise Unavailable(
            "the PDF memo needs fpdf2, which is not installed",
            hints=["pip install 'blastdoor[governance]'"],
        ) from exc

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, "Auditor memo: AI agent action boundary", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 10)
    period = summary.get("period") or {}
    facts = [
        "Risk category: agentic AI with tool access (coding agents acting on infrastructure, data and code).",
        f"Audit log: {summary['origin']} ({summary['log_size']} entries); policy in force {summary['policy']['hash']}.",
        f"Period: {period.get('since') or 'start of the log'} to {period.get('until') or 'now'}.",
        "Decisions: " + (", ".join(f"{k} {v}" for k, v in sorted(summary["decisions"].items())) or "none"),
        f"Policy tests: {summary['policy_tests']['passed']} of {summary['policy_tests']['run']} pass. "
        f"Drills recorded: {len(summary['drills'])}, passed: {sum(1 for d in summary['drills'] if d['passed'])}. "
        f"Approvals decided: {len(summary['approvals'])}; agents revoked: {len(summary['revocations'])}.",
    ]
    for line in facts:
        pdf.multi_cell(0, 6, _latin(line), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Controls in place", new_x="LMARGIN", new_y="NEXT", align="L")
    for c in controls:
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(
            0, 6, _latin(f"{c['framework']} {c['id']}: {c['title']}"), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.set_font("Helvetica", "", 9)
        cited = ", ".join(map(str, c["cited"])) or "no event in the period"
        pdf.multi_cell(
            0, 5, _latin(f"Mechanism: {c['mechanism']}. Evidence: log entries {cited}."), new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Compensating controls and residual risk", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 9)
    for c in controls:
        if c.get("gap"):
            pdf.multi_cell(
                0, 5, _latin(f"{c['framework']} {c['id']}: residual: {c['gap']}."), new_x="LMARGIN", new_y="NEXT"
            )
    pdf.multi_cell(
        0,
        5,
        _latin(
            "Every cited entry carries an inclusion proof against a signed checkpoint; "
            "`blastdoor evidence verify DIR` checks them offline."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.output(str(path))
