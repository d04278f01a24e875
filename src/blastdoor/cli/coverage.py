"""``blastdoor coverage``: where the policy actually holds, harness by harness."""

from __future__ import annotations

import argparse
import os
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option

_DESCRIPTION = """\
For each harness, read its hook configuration at project and user scope and say whether blastdoor's
hook is installed, which verdicts the harness really enforces (Codex enforces only deny from PreToolUse;
Gemini and Kiro have no ask; no harness has approve, so it is enforced as deny), and the known gaps:
hooks that fail open (Claude Code without "onFailure": "block", Cursor without "failClosed": true),
events without the hook, subagent tool calls that have skipped hooks, Gemini's BeforeTool firing after
its own permission prompt, and so on."""

_EXAMPLES = """\
examples:
  blastdoor coverage
  blastdoor coverage --json | jq '.[] | select(.installed) | {harness, gaps}'
  blastdoor coverage --project ~/src/api

exit codes:
  0   at least one harness has blastdoor's hook      1   none has"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "coverage",
        parents=[json_option()],
        help="which harnesses run blastdoor, what they enforce, and their gaps",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--project", metavar="DIR", help="the project root (default: the current directory)")
    p.add_argument("--kiro-agent", metavar="NAME", default="default", help="Kiro agent config (default: default)")
    p.set_defaults(func=run_coverage)


def run_coverage(args: argparse.Namespace) -> int:
    from blastdoor.adapters.coverage import report

    records = report(args.project or os.getcwd(), kiro_agent=args.kiro_agent)
    installed = [r for r in records if r.get("installed")]
    if args.json:
        emit_json(records)
    else:
        for r in installed:
            print(f"{r['harness']} ({r['scope']}: {r['path']})")
            print(f"  enforces: {', '.join(r['enforces'])}; {r['expressed_as_deny']}")
            for gap in r["gaps"]:
                print(f"  gap: {gap}")
        missing = sorted({r["harness"] for r in records} - {r["harness"] for r in installed})
        for r in records:
            if r.get("error"):
                print(f"{r['harness']}: {r['path']}: {r['error']}")
        if missing:
            print(f"not installed: {', '.join(missing)} (blastdoor install HARNESS)")
    return exits.OK if installed else exits.FAILED
