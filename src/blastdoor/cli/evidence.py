"""``blastdoor evidence``: the evidence pack an auditor accepts, and its offline check."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option, load_policy_from, policy_options, store_options

_DESCRIPTION = """\
Write the evidence pack into DIR: SOC 2, ISO 27001:2022, NIST AI RMF, ISO/IEC 42001 and OWASP agentic
controls mapped to the blastdoor mechanism that meets them, each citing audit log entries with an
inclusion proof against a signed checkpoint; the boundary statement; statistics; an OSCAL
assessment-results document and a PDF memo. `blastdoor evidence verify DIR` checks every cited entry
offline."""

_EXAMPLES = """\
examples:
  blastdoor evidence --out pack
  blastdoor evidence --since 2026-01-01 --until 2026-04-01 --out q1
  blastdoor evidence verify pack

exit codes:
  0   written, or every cited entry verified      1   verification failed
  7   DIR is not empty, or an unreadable register  8   store unavailable"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "evidence",
        parents=[policy_options(), store_options(), json_option()],
        help="the compliance evidence pack (controls, proofs, OSCAL, PDF) and its check",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("verify", nargs="?", choices=["verify"], help="check a pack instead of writing one")
    p.add_argument("dir", nargs="?", metavar="DIR", help="the pack to verify")
    p.add_argument("--out", metavar="DIR", help="write the pack here")
    p.add_argument("--since", default="", metavar="TIME", help="the period's start (RFC 3339 or a date)")
    p.add_argument("--until", default="", metavar="TIME", help="the period's end")
    p.add_argument("--register", metavar="FILE", help="include this agent register (`inventory --write-register`)")
    p.add_argument("--trust", action="append", default=[], metavar="KEY", help="pin the log's verifier key")
    p.set_defaults(func=run_evidence)


def run_evidence(args: argparse.Namespace) -> int:
    from blastdoor.errors import UsageError

    if args.verify:
        if not args.dir:
            raise UsageError("give the pack directory: blastdoor evidence verify DIR")
        return _verify(args)
    if not args.out:
        raise UsageError("give --out DIR (or `verify DIR`)")
    from blastdoor.cli.audit import parse_when
    from blastdoor.cli.common import open_services_from
    from blastdoor.governance.evidence import build_pack

    policy = load_policy_from(args)
    since = parse_when(args.since) if args.since else ""
    until = parse_when(args.until) if args.until else ""
    with open_services_from(args) as services:
        summary = build_pack(
            services, policy, args.out, since=since, until=until, project=args.cwd or "", register=args.register or ""
        )
    if args.json:
        emit_json(summary)
    else:
        print(f"evidence pack written to {args.out}: {sum(summary['events'].values())} events in the period")
    return exits.OK


def _verify(args: argparse.Namespace) -> int:
    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.governance.evidence import verify_pack

    problems, checked = verify_pack(args.dir, [Verifier.parse(k) for k in args.trust])
    if args.json:
        emit_json({"ok": not problems, "checked": checked, "problems": problems})
    else:
        for p in problems:
            print(f"FAILED: {p}")
        if not problems:
            print(f"ok: {checked} cited entries verified against the pack's signed checkpoint")
    return exits.FAILED if problems else exits.OK
