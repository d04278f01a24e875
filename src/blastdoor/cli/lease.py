"""``blastdoor lease``: task leases, just-in-time scope for one agent and one task (docs/IDENTITY.md)."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli.agent_credentials import parse_ttl
from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options
from blastdoor.errors import InputError, Refused

DESCRIPTION = """\
A lease narrows (never widens) what one agent may do while it works on one task: anything outside the
lease's scope gets the lease's `otherwise` verdict (ask unless said otherwise), whatever the standing
policy would allow. The scope is written in the policy's own matchers (--allow, a YAML/JSON mapping:
tool, operation, effects, env, targets, args), each read as an allow rule reads them; --env adds an
`env:` to every matcher that has none. A lease whose scope reaches production (an env named prod* or
production*, or no env at all), or that asks for --approvals, waits for an ordinary approval request
(see `blastdoor approvals`) and applies once approved. Leases expire on their own, end with `revoke` or
when the agent is revoked, and every change is an audit event. A harness session can be bound to one
lease with BLASTDOOR_LEASE=ID in its environment."""

EPILOG = """\
examples:
  blastdoor lease grant --agent ci-bot --task "fix CE-1" --env staging --ttl 2h \\
      --allow '{effects: [read, write, create]}'
  blastdoor lease list
  blastdoor lease list --agent ci-bot --json

exit codes: 0 done, 1 refused, 2 usage, 7 bad input or not found, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lease",
        help="task leases: narrow an agent to one task's scope for a while",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="lease_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]
    g = cmds.add_parser("grant", parents=parents, help="grant (or request) a lease")
    g.add_argument("--agent", required=True, help="the agent id the lease narrows")
    g.add_argument("--task", required=True, help="what the agent is doing (shown to approvers and in the log)")
    g.add_argument(
        "--allow", action="append", default=[], metavar="MATCHER", help="a policy matcher (YAML/JSON mapping)"
    )
    g.add_argument("--env", action="append", default=[], help="environment(s) added to every matcher without env")
    g.add_argument("--ttl", type=parse_ttl, default=3600, help="how long it lasts (e.g. 2h; default 1h, at most 7d)")
    g.add_argument("--otherwise", default="ask", choices=("ask", "approve", "deny"), help="outside the scope")
    g.add_argument("--approvals", type=int, default=0, help="approvals it needs (production scope: at least 1)")
    g.set_defaults(func=_grant)
    ls = cmds.add_parser("list", parents=parents, help="leases, newest first")
    ls.add_argument("--agent", default="", help="only this agent's")
    ls.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=parents, help="one lease")
    show.add_argument("lease_id", metavar="LEASE_ID")
    show.set_defaults(func=_show)
    r = cmds.add_parser("revoke", parents=parents, help="end a lease now (approvers and admins)")
    r.add_argument("lease_id", metavar="LEASE_ID")
    r.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
    r.set_defaults(func=_revoke)


def _matchers(texts: list[str]) -> list[dict[str, Any]]:
    import yaml

    out = []
    for i, text in enumerate(texts, 1):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"--allow #{i} is not YAML/JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise InputError(f"--allow #{i} must be a mapping such as '{{effects: [read]}}', got {text!r}")
        out.append(value)
    return out


def _grant(args: argparse.Namespace) -> int:
    allow = _matchers(args.allow)
    with open_services_from(args) as services:
        person = acting_person(args, services)
        if person.role not in ("admin", "approver", "requester"):
            raise Refused(f"{person.name} ({person.role}) may not grant leases")
        lease = services.agents.leases.grant(
            args.agent,
            args.task,
            allow,
            by=person.name,
            envs=args.env or None,
            ttl=args.ttl,
            otherwise=args.otherwise,
            approvals=args.approvals,
        )
    if args.json:
        emit_json(lease.to_dict())
    elif lease.status == "pending":
        req = lease.request_id
        print(f"{lease.id}: waiting for approval (request {req}): blastdoor approvals show {req}")
    else:
        print(f"{lease.id}: active for {lease.agent_id} until {lease.to_dict()['expires']}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        leases = services.agents.leases.all(agent_id=args.agent)
    if args.json:
        emit_json([lease.to_dict() for lease in leases])
        return 0
    if not leases:
        print("no leases")
    for lease in leases:
        d = lease.to_dict()
        print(f"{lease.id:<11} {lease.status:<8} {lease.agent_id:<30} until {d['expires']}  {lease.task}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        services.agents.leases.settle()
        lease = services.agents.leases.get(args.lease_id)
    d = lease.to_dict()
    if args.json:
        emit_json(d)
        return 0
    for key in ("id", "agent_id", "task", "status", "otherwise", "requested_by", "request_id", "created", "expires"):
        print(f"{key:<13} {d[key]}")
    for m in lease.scope:
        print(f"allow         {m}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = acting_person(args, services)
        if person.role not in ("admin", "approver"):
            raise Refused(f"{person.name} ({person.role}) may not revoke leases")
        lease = services.agents.leases.revoke(args.lease_id, by=person.name, reason=args.reason)
    if args.json:
        emit_json(lease.to_dict())
    else:
        print(f"{lease.id}: revoked by {person.name}")
    return 0
