"""``blastdoor boundary``: the action-boundary statement per tool, and staff acknowledgements."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option, load_policy_from, policy_options, store_options

_DESCRIPTION = """\
`statement` renders the action-boundary statement from the policy in force (all layers): per tool,
what is permitted, what needs the operator's confirmation, what needs approval and by whom, what is
prohibited, and the environments in scope. `acknowledge` records in the audit log that you read the
current version (named by its digest); `acknowledgements` lists who did."""

_EXAMPLES = """\
examples:
  blastdoor boundary statement > BOUNDARY.md
  blastdoor boundary statement --html boundary.html
  blastdoor boundary acknowledge
  blastdoor boundary acknowledgements --json"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "boundary",
        parents=[policy_options(), store_options(), json_option()],
        help="the action-boundary statement per tool, and who acknowledged it",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=["statement", "acknowledge", "acknowledgements"])
    p.add_argument("--document", metavar="FILE", help="acknowledge: your AI usage policy document, too")
    p.add_argument("--html", metavar="FILE", help="statement: also write it as HTML here")
    p.add_argument(
        "--no-coverage",
        action="store_true",
        help="statement: leave out how each harness enforces it here (`blastdoor coverage`)",
    )
    p.set_defaults(func=run_boundary)


def run_boundary(args: argparse.Namespace) -> int:
    from blastdoor.cli.common import acting_person, open_services_from
    from blastdoor.governance.boundary import acknowledge, acknowledgements, digest_of, statement

    policy = load_policy_from(args)
    if args.what == "statement":
        text = statement(policy)
        version = digest_of(text)
        if not args.no_coverage:
            import os

            from blastdoor.governance.boundary import enforcement

            text += "\n" + enforcement(args.cwd or os.getcwd())
        if args.html:
            from blastdoor.governance.render import markdown_to_html

            with open(args.html, "w", encoding="utf-8") as fh:
                fh.write(markdown_to_html(text, title="Action-boundary statement"))
        if args.json:
            emit_json({"version": version, "markdown": text})
        else:
            print(text)
        return exits.OK
    with open_services_from(args) as services:
        if args.what == "acknowledge":
            person = acting_person(args, services)
            document = ""
            if args.document:
                with open(args.document, encoding="utf-8") as fh:
                    document = fh.read()
            seq = acknowledge(services.log, policy, person.name, document=document)
            print(f"{person.name} acknowledged {digest_of(statement(policy))} (audit entry {seq})")
            return exits.OK
        report = acknowledgements(services.log, policy, [str(p["name"]) for p in services.people.all()])
    if args.json:
        emit_json(report)
    else:
        print(f"version {report['version']}")
        for a in report["acknowledged"]:
            print(f"  acknowledged: {a['by']} at {a['time']}")
        for name in report.get("not_acknowledged", []):
            print(f"  not yet: {name}")
    return exits.OK
