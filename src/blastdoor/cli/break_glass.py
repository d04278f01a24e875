"""``blastdoor break-glass``: request, approve, deny, list and show break-glass overrides."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options

DESCRIPTION = """\
Break-glass: override a deny for one exact action, once. For the rare moment when a deny that is right
every other day (deleting a staging stack) stands between a team and fixing an incident, and the only
other way would be to disable the rule for everyone.

The policy decides who and what (`break_glass: {from: GROUP, count: N, max_ttl: 15m, rules: [...]}`):
only deny rules it lists can be overridden. A person requests it for a denied decision in the audit log
(its sequence number or correlation id), with a reason; N people of the group approve it (never the
requester, never the human the agent acts for, never an agent); the agent's retry of exactly that action
(same digest, same environment) is then allowed once, before the break-glass expires. Every step is an
audit event of its own (break_glass.requested/approved/denied/expired/used) and is sent to the
server's webhooks. See docs/BREAK-GLASS.md."""

EPILOG = """\
examples:
  blastdoor audit search --verdict deny --since 1h        find the denied decision (its seq)
  blastdoor break-glass request 1234 -r "INC-42: stack stuck in DELETE_FAILED, staging down"
  blastdoor break-glass request --latest --agent ci-bot -r "INC-42: ..." --ttl 10m
  blastdoor break-glass request --correlation toolu_01ABC -r "INC-42: ..."
  blastdoor break-glass list
  blastdoor break-glass show bg_3f2a9c1b7d4e
  blastdoor break-glass approve bg_3f2a9c1b7d4e -m "checked the stack: empty"
  blastdoor break-glass deny bg_3f2a9c1b7d4e -m "use the runbook instead"

exit codes: 0 done, 1 refused (not breakable, self-approval, not in the group, expired, used, ...),
2 usage, 6 invalid policy, 7 no such entry or break-glass, 8 store unavailable."""


def register(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "break-glass",
        help="override a deny for one exact action, once, with N approvals",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=fmt,
    )
    cmds = p.add_subparsers(dest="break_glass_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]

    from blastdoor.cli.common import policy_options

    req = cmds.add_parser(
        "request",
        parents=[*parents, policy_options()],
        help="ask to override the deny of one recorded decision",
        description="Request a break-glass for the denied decision at audit entry SEQ (or --correlation ID, or "
        "--latest). The policy is the one for the action's working directory (or the layers given).",
        epilog=EPILOG,
        formatter_class=fmt,
    )
    req.add_argument("seq", nargs="?", type=int, metavar="SEQ", help="the audit entry of the denied decision")
    req.add_argument("--correlation", default="", metavar="ID", help="or: the decision's correlation id")
    req.add_argument("--latest", action="store_true", help="or: the most recent denied decision (of --agent)")
    req.add_argument("--agent", default="", metavar="ID", help="with --latest: only this agent's decisions")
    req.add_argument("-r", "--reason", required=True, help="why (required; recorded and sent to the group)")
    req.add_argument("--ttl", default="", help="how long it stays usable (default and maximum: the policy's max_ttl)")
    req.set_defaults(func=_request)

    ls = cmds.add_parser("list", parents=parents, help="break-glasses, newest first (default: open ones)")
    ls.add_argument("--status", default="open", help="open (default), pending, granted, denied, expired, used, all")
    ls.add_argument("-n", "--limit", type=int, default=50, help="at most this many (default 50)")
    ls.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=parents, help="one break-glass: the exact action, why, its votes")
    show.add_argument("glass_id", metavar="ID")
    show.set_defaults(func=_show)
    for name, verb in (("approve", "approve"), ("deny", "deny (final)")):
        vote = cmds.add_parser(name, parents=parents, help=f"{verb} a break-glass")
        vote.add_argument("glass_id", metavar="ID")
        vote.add_argument("-m", "--comment", default="", help="why (recorded in the audit log)")
        vote.set_defaults(func=_vote, vote=name)


def _ttl(text: str) -> int | None:
    from blastdoor.errors import UsageError

    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = text[:-1], text[-1:]
    if text.isdigit():
        return int(text)
    if unit in units and number.isdigit():
        return int(number) * units[unit]
    raise UsageError(f"bad --ttl `{text}`: use seconds or 30s, 10m, 1h")


def _request(args: argparse.Namespace) -> int:
    from blastdoor.breakglass import action_of, denied_entry, request_break_glass
    from blastdoor.errors import UsageError
    from blastdoor.policy import load_policy

    if sum((args.seq is not None, bool(args.correlation), args.latest)) != 1:
        raise UsageError("which denied decision? give one of its audit SEQ, --correlation ID or --latest")
    ttl = _ttl(args.ttl)
    with open_services_from(args) as services:
        person = acting_person(args, services)
        entry = denied_entry(
            services.log,
            seq=args.seq,
            correlation_id=args.correlation,
            latest_of=args.agent if args.latest else None,
        )
        action_cwd = action_of(entry).cwd
        cwd = args.cwd or (action_cwd if action_cwd and os.path.isdir(action_cwd) else os.getcwd())
        policy = load_policy(
            cwd, project=args.policy, managed=args.managed_policy, user=args.user_policy, use_cache=not args.no_cache
        )
        glass = request_break_glass(services, policy, entry, person, args.reason, ttl=ttl)
    if args.json:
        emit_json(glass.to_dict())
    else:
        print(f"{glass.id}: requested by {person.name}; needs {glass.needed} approval(s) from `{glass.group}`")
        print(f"  action  {glass.command}  [{glass.env}]  agent {glass.agent_id}")
        print(f"  breaks  {', '.join(glass.rules)}")
        print(f"  expires {glass.to_dict()['expires']}")
    return exits.OK


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        services.break_glass.expire_due()
        if args.status == "open":
            found = [g for s in ("pending", "granted") for g in services.break_glass.find(status=s, limit=args.limit)]
        else:
            found = services.break_glass.find(status="" if args.status == "all" else args.status, limit=args.limit)
    if args.json:
        emit_json([g.to_dict() for g in found])
        return exits.OK
    if not found:
        print(f"no {args.status} break-glass" if args.status != "all" else "no break-glass")
        return exits.OK
    now = time.time()
    for g in found:
        left = f"{max(0, int((g.expires - now) / 60))}m left" if g.status in ("pending", "granted") else ""
        print(f"{g.id}  {g.status:<8} {left:>8}  {len(g.approvers)}/{g.needed}  {g.env or '-':<8} {g.command}")
    return exits.OK


def _show(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        services.break_glass.expire_due()
        g = services.break_glass.get(args.glass_id)
    d = g.to_dict()
    if args.json:
        emit_json(d)
        return exits.OK
    out = sys.stdout
    out.write(f"break-glass {g.id}  ({g.status})\n")
    out.write(f"action    {g.command}\n")
    out.write(f"operation {g.operation}   env {g.env or '-'}   tool {g.tool}\n")
    out.write(f"agent     {g.agent_id} for {g.on_behalf_of or 'unknown'}\n")
    out.write(f"breaks    {', '.join(g.rules)}\n")
    out.write(f"requester {g.requester}: {g.reason}\n")
    out.write(f"needs     {g.needed} approval(s) from `{g.group}` ({', '.join(g.eligible)}); has {len(g.approvers)}\n")
    out.write(f"created   {d['created']}   expires {d['expires']}\n")
    for person, vote, comment, _ in g.votes:
        out.write(f"  {vote:<8} {person}" + (f": {comment}" if comment else "") + "\n")
    return exits.OK


def _vote(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = acting_person(args, services)
        agents = services.agents.among(person.name)
        if args.vote == "approve":
            g = services.break_glass.approve(args.glass_id, person, comment=args.comment, agents=agents)
        else:
            g = services.break_glass.deny(args.glass_id, person, comment=args.comment, agents=agents)
    if args.json:
        emit_json(g.to_dict())
    else:
        done = "approved" if args.vote == "approve" else "denied"
        print(f"{g.id}: {done} by {person.name}; now {g.status} ({len(g.approvers)}/{g.needed} approvals)")
    return exits.OK
