"""``blastdoor agents``: the agents seen, and the kill switch."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.action.wording import past
from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options
from blastdoor.errors import Refused

DESCRIPTION = """\
Every agent blastdoor has decided for (from the audit log: harness, operator, host, first and last
seen, decisions), and its status. `revoke` is the kill switch: the agent's very next action, in any
process that uses the same store (hooks, exec, the server, the MCP gateway), is denied with "revoked"
as the reason, and its open approval requests are cancelled (approvers and admins). `restore` lifts it
(admins only). Both are audit events naming who did it.

`enrol` gives an agent a credential (a signed token, docs/IDENTITY.md): present it with
$BLASTDOOR_AGENT_CREDENTIAL_FILE in the hook command, and a caller that claims the agent's id without
it is judged as unknown-agent. `rotate` replaces it, `withdraw` ends it (admins; audited)."""

EPILOG = """\
examples:
  blastdoor agents list
  blastdoor agents revoke claude-code:alice@laptop -m "deleting prod, incident 42"
  blastdoor agents restore claude-code:alice@laptop -m "incident closed"
  blastdoor agents enrol ci-deployer --ttl 30d --out ci-deployer.jwt
  blastdoor agents credentials
  blastdoor agents rotate ci-deployer --out ci-deployer.jwt
  blastdoor agents withdraw ci-deployer -m "retired"

exit codes: 0 done, 1 refused (not allowed to act), 2 usage, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "agents",
        help="list agents; revoke (kill switch) and restore them",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="agents_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]
    cmds.add_parser("list", parents=parents, help="agents seen, most recent first").set_defaults(func=_list)
    for name in ("revoke", "restore"):
        c = cmds.add_parser(name, parents=parents, help=f"{name} an agent")
        c.add_argument("agent_id", metavar="AGENT_ID")
        c.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
        c.set_defaults(func=_change, change=name)
    from blastdoor.cli.agent_credentials import register as register_credentials

    register_credentials(cmds, parents)


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        records = services.agents.all()
    if args.json:
        emit_json([r.to_dict() for r in records])
        return 0
    if not records:
        print("no agents seen yet")
    for r in records:
        status = r.status.upper() if r.status == "revoked" else r.status
        print(f"{status:<8} {r.id:<40} {r.harness or '-':<12} {r.operator or '-':<12} last {r.last_seen or '-'}")
    return 0


def _change(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = acting_person(args, services)
        if args.change == "restore" and person.role != "admin":
            raise Refused(f"{person.name} is not an admin: only admins restore agents")
        if args.change == "revoke" and person.role not in ("admin", "approver"):
            raise Refused(f"{person.name} ({person.role}) may not revoke agents")
        if args.change == "revoke":
            cancelled = services.agents.revoke(
                args.agent_id, by=person.name, reason=args.reason, approvals=services.approvals
            )
        else:
            services.agents.restore(args.agent_id, by=person.name, reason=args.reason)
            cancelled = []
    if args.json:
        emit_json({"agent_id": args.agent_id, "status": past(args.change), "cancelled": cancelled})
    else:
        extra = f"; cancelled {len(cancelled)} open request(s)" if cancelled else ""
        print(f"{args.agent_id}: {past(args.change)} by {person.name}{extra}")
    return 0
