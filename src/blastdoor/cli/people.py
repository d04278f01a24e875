"""``blastdoor people``: approvers and admins, and their API tokens."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options
from blastdoor.errors import Forbidden

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

exit codes: 0 done, 1 refused (not an admin, or the name is taken), 2 usage, 7 bad name or role, or no
such person, 8 store unavailable."""

# One man page per subcommand: what it does, who may run it, what it prints, examples, exit codes.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "list": (
        "people and their roles",
        """\
Everyone who may approve requests or manage people, with their role; removed people are marked.
Anyone with access to the store may list them (no token needed).""",
        """\
examples:
  blastdoor people list
  blastdoor people list --json | jq -r '.[] | select(.role == "admin") | .name'

exit codes: 0 done, 2 usage, 8 store unavailable.""",
    ),
    "add": (
        "add a person; prints their token once",
        """\
Add an approver (the default), an admin or a requester and print their new API token on stdout, once:
it is stored only as a hash and cannot be shown again (`blastdoor people token NAME` issues a new one).
Give it to the person; approvers and admins sign in to the web inbox, the API and this CLI with it; a
requester's token only establishes who asks for decisions over TCP (give it to a service or an HTTP
hook, never an approver's). NAME is what the policy's approver groups list (`approvers: {sre-leads:
[bob, carol]}`): letters, digits, - _ . @.

The first person can be added without a token, and only while nobody at all is configured; after that
only an admin may add people (your token: --token-file FILE or $BLASTDOOR_TOKEN). The addition is an
audit event naming who added whom.""",
        """\
examples:
  blastdoor people add root --role admin > root.token        the first admin (no token needed yet)
  BLASTDOOR_TOKEN=$(cat root.token) blastdoor people add bob > bob.token
  blastdoor people add carol --role approver --token-file root.token --json
  blastdoor people add ci-deployer --role requester --token-file root.token > ci.token

exit codes: 0 added (the token is on stdout), 1 refused (you are not an admin, or NAME is taken),
2 usage, 7 bad name or role, 8 store unavailable.""",
    ),
    "token": (
        "issue a new token (the old one stops working)",
        """\
Issue NAME a new API token and print it once; their old token and web sessions stop working at once
(a lost or leaked token is replaced this way). Admins only.""",
        """\
examples:
  blastdoor people token bob --token-file root.token > bob.token

exit codes: 0 done, 1 refused (not an admin), 2 usage, 7 no such person, 8 store unavailable.""",
    ),
    "remove": (
        "remove a person (their token stops working)",
        """\
Remove NAME: their token and sessions stop working at once and they can no longer vote. Their past
votes stay in the audit log. Admins only.""",
        """\
examples:
  blastdoor people remove bob --token-file root.token

exit codes: 0 done, 1 refused (not an admin), 2 usage, 7 no such person, 8 store unavailable.""",
    ),
}


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
    made = {}
    for name, (help_text, description, epilog) in SUBCOMMANDS.items():
        made[name] = cmds.add_parser(
            name,
            parents=parents,
            help=help_text,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    made["list"].set_defaults(func=_list)
    made["add"].add_argument("name", metavar="NAME", help="the person's name, as approver groups list it")
    made["add"].add_argument(
        "--role",
        choices=("approver", "admin", "requester"),
        default="approver",
        help="approver (default), admin, or requester (may only ask for decisions over TCP)",
    )
    made["add"].set_defaults(func=_add)
    for name in ("token", "remove"):
        made[name].add_argument("name", metavar="NAME", help="an existing person")
        made[name].set_defaults(func=_change, change=name)


def _admin(args: argparse.Namespace, services: Any) -> Any:
    # Without a token only while nobody at all exists (not merely no admin: approvers, requesters or
    # removed people mean someone is configured, and the local user is not an admin by default).
    bootstrap = not services.people.all()
    person = acting_person(args, services, bootstrap=bootstrap)
    if person.role != "admin":
        raise Forbidden(f"{person.name} is not an admin")
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
