"""``blastdoor people``: approvers and admins, and their API tokens."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options
from blastdoor.errors import Refused

DESCRIPTION = """\
The people who approve requests (approvers) and manage people and agents (admins). Each signs in to
the web inbox, the API and this CLI with an API token, shown once when it is issued and stored only as
a hash. Approver groups are named in the policy (`approvers: {sre-leads: [bob, carol]}`) by these
names. The first person can be added without a token, and only while nobody at all is configured;
after that only admins add or remove people. Requesters may only ask for decisions over TCP (give
their token to a service or an HTTP hook, never an approver's)."""

EPILOG = """\
examples:
  blastdoor people add root --role admin > root.token     the first admin (no token needed yet)
  BLASTDOOR_TOKEN=$(cat root.token) blastdoor people add bob
  blastdoor people list --json
  blastdoor people token bob        issue bob a new token (the old one stops working)
  blastdoor people remove bob

exit codes: 0 done, 1 refused (not an admin), 2 usage, 7 bad name or role, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "people",
        help="add and remove approvers and admins; issue API tokens",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="people_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]
    cmds.add_parser("list", parents=parents, help="people and their roles").set_defaults(func=_list)
    add = cmds.add_parser("add", parents=parents, help="add a person; prints their token once")
    add.add_argument("name")
    add.add_argument("--role", choices=("approver", "admin", "requester"), default="approver")
    add.set_defaults(func=_add)
    for name, help_text in (("token", "issue a new token (the old one stops working)"), ("remove", "remove")):
        c = cmds.add_parser(name, parents=parents, help=help_text)
        c.add_argument("name")
        c.set_defaults(func=_change, change=name)


def _admin(args: argparse.Namespace, services: Any) -> Any:
    # Without a token only while nobody at all exists (not merely no admin: approvers, requesters or
    # removed people mean someone is configured, and the local user is not an admin by default).
    bootstrap = not services.people.all()
    person = acting_person(args, services, bootstrap=bootstrap)
    if person.role != "admin":
        raise Refused(f"{person.name} is not an admin")
    return person


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        people = services.people.all()
    if args.json:
        emit_json(people)
        return 0
    if not people:
        print("no people yet: `blastdoor people add NAME --role admin` adds the first admin")
    for p in people:
        print(f"{p['name']:<24} {p['role']:<10}" + (" (removed)" if p["disabled"] else ""))
    return 0


def _add(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        admin = _admin(args, services)
        token = services.people.add(args.name, args.role, by=admin.name)
    if args.json:
        emit_json({"name": args.name, "role": args.role, "token": token})
    else:
        print(token)
    return 0


def _change(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        admin = _admin(args, services)
        if args.change == "token":
            token = services.people.reissue(args.name, by=admin.name)
            if args.json:
                emit_json({"name": args.name, "token": token})
            else:
                print(token)
        else:
            services.people.remove(args.name, by=admin.name)
            if args.json:
                emit_json({"name": args.name, "removed": True})
            else:
                print(f"{args.name}: removed")
    return 0
