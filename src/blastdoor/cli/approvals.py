"""``blastdoor approvals``: list, show, approve and deny approval requests."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from blastdoor.action.wording import past
from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options

DESCRIPTION = """\
Approval requests: filed when the policy's verdict is `approve` (a hook, `blastdoor exec`, the MCP
gateway or the server). A request binds to one exact action (its digest, the environment it resolved
to and its preview); it needs COUNT approvals from the rule's group, never from the requester (the
human the agent acts for) nor from an agent; it expires after its ttl; a deny is final; once approved,
the identical action is allowed exactly once.

Who you are comes from your API token (--token-file FILE or $BLASTDOOR_TOKEN; an admin issues it with
`blastdoor people add`). Every approval and denial is an audit event naming you."""

EPILOG = """\
examples:
  blastdoor approvals list                      pending requests
  blastdoor approvals list --status all --json
  blastdoor approvals show req_3f2a9c1b7d4e
  blastdoor approvals approve req_3f2a9c1b7d4e -m "stack is empty, checked"
  blastdoor approvals deny req_3f2a9c1b7d4e -m "not during the freeze"

exit codes: 0 done, 1 refused (self-approval, not in the group, expired, already closed, ...),
2 usage, 7 no such request, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "approvals",
        help="list, show, approve and deny approval requests",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="approvals_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]
    ls = cmds.add_parser("list", parents=parents, help="requests, newest first (default: pending)")
    ls.add_argument("--status", default="pending", help="pending (default), approved, denied, expired, ... or all")
    ls.add_argument("--agent", default="", help="only this agent's requests")
    ls.add_argument("-n", "--limit", type=int, default=50, help="at most this many (default 50)")
    ls.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=parents, help="one request: the exact action, why, and its votes")
    show.add_argument("request_id", metavar="ID")
    show.set_defaults(func=_show)
    for name, verb in (("approve", "approve"), ("deny", "deny (final)")):
        vote = cmds.add_parser(name, parents=parents, help=f"{verb} a request")
        vote.add_argument("request_id", metavar="ID")
        vote.add_argument("-m", "--comment", default="", help="why (recorded in the audit log)")
        vote.set_defaults(func=_vote, vote=name)


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        services.approvals.expire_due()
        status = "" if args.status == "all" else args.status
        requests = services.approvals.find(status=status, agent_id=args.agent, limit=args.limit)
    if args.json:
        emit_json([r.to_dict() for r in requests])
        return 0
    if not requests:
        print(f"no {args.status} requests" if args.status != "all" else "no requests")
        return 0
    now = time.time()
    for r in requests:
        left = f"{int((r.expires - now) / 60)}m left" if r.status == "pending" else r.status
        print(f"{r.id}  {left:>10}  {len(r.approvers)}/{r.needed}  {r.env or '-':<8} {r.agent_id}  {r.command}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        services.approvals.expire_due()
        r = services.approvals.get(args.request_id)
    if args.json:
        emit_json(r.to_dict())
        return 0
    d = r.to_dict()
    out = sys.stdout
    out.write(f"request   {r.id}  ({r.status})\n")
    out.write(f"action    {r.command}\n")
    out.write(f"operation {r.operation}   env {r.env or '-'}   tool {r.tool}\n")
    out.write(f"effects   {', '.join(r.detail.get('effects', [])) or '-'}\n")
    out.write(f"targets   {', '.join(r.detail.get('targets', [])) or '-'}\n")
    out.write(f"agent     {r.agent_id} ({r.harness or '-'}) for {r.requester or 'unknown'}\n")
    out.write(f"rule      {r.rule}: {r.reason}\n")
    group = f" from `{r.group}` ({', '.join(r.eligible)})" if r.group else ""
    out.write(f"needs     {r.needed} approval(s){group}; has {len(r.approvers)}\n")
    out.write(f"created   {d['created']}   expires {d['expires']}\n")
    for v in r.votes:
        out.write(f"  {v.vote:<8} {v.person}" + (f": {v.comment}" if v.comment else "") + "\n")
    return 0


def _vote(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = acting_person(args, services)
        agents = services.agents.among(person.name)
        if args.vote == "approve":
            r = services.approvals.approve(args.request_id, person, comment=args.comment, agents=agents)
        else:
            r = services.approvals.deny(args.request_id, person, comment=args.comment, agents=agents)
    if args.json:
        emit_json(r.to_dict())
    else:
        print(f"{r.id}: {past(args.vote)} by {person.name}; now {r.status} ({len(r.approvers)}/{r.needed} approvals)")
    return 0
