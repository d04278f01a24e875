"""``blastdoor agents enrol|rotate|withdraw|credentials``: agent credentials (docs/IDENTITY.md)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from blastdoor.cli.common import acting_person, emit_json, open_services_from
from blastdoor.errors import InputError, Refused

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """``90s``, ``30m``, ``12h``, ``30d`` or plain seconds -> seconds."""
    text = text.strip()
    try:
        value = int(text[:-1]) * _UNITS[text[-1]] if text and text[-1] in _UNITS else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a duration (e.g. 90s, 30m, 12h, 30d)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a duration must be positive")
    return value


def register(cmds: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the credential subcommands to ``blastdoor agents``."""
    for name, text in (
        ("enrol", "issue a credential to an agent (admins)"),
        ("rotate", "issue a new credential and withdraw the old ones (admins)"),
    ):
        c = cmds.add_parser(name, parents=parents, help=text)
        c.add_argument("agent_id", metavar="AGENT_ID")
        c.add_argument("--ttl", type=parse_ttl, default=30 * 86400, help="lifetime (e.g. 12h, 30d; default 30d)")
        c.add_argument("--out", metavar="FILE", help="write the token to FILE (mode 0600) instead of printing it")
        c.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
        c.set_defaults(func=_issue, issue=name)
    w = cmds.add_parser("withdraw", parents=parents, help="withdraw every credential of an agent (admins)")
    w.add_argument("agent_id", metavar="AGENT_ID")
    w.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
    w.set_defaults(func=_withdraw)
    cmds.add_parser("credentials", parents=parents, help="credentials issued, newest first").set_defaults(
        func=_credentials
    )


def _admin(args: argparse.Namespace, services: Any, what: str) -> Any:
    person = acting_person(args, services)
    if person.role != "admin":
        raise Refused(f"{person.name} is not an admin: only admins {what} agent credentials")
    return person


def _issue(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = _admin(args, services, args.issue)
        creds = services.agents.credentials
        method = creds.enrol if args.issue == "enrol" else creds.rotate
        issued = method(args.agent_id, by=person.name, ttl=args.ttl, reason=args.reason)
    if args.out:
        _write_private(args.out, issued.token + "\n")
    result = {"agent_id": issued.agent_id, "jti": issued.jti, "expires": int(issued.expires)}
    if args.json:
        emit_json({**result, **({"file": args.out} if args.out else {"token": issued.token})})
    elif args.out:
        print(f"{issued.agent_id}: credential {issued.jti} written to {args.out}")
    else:
        print(issued.token)
    return 0


def _write_private(path: str, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write the credential to {path}: {exc.strerror}") from exc


def _withdraw(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = _admin(args, services, "withdraw")
        jtis = services.agents.credentials.revoke(args.agent_id, by=person.name, reason=args.reason)
    if args.json:
        emit_json({"agent_id": args.agent_id, "withdrawn": jtis})
    else:
        print(f"{args.agent_id}: withdrew {len(jtis)} credential(s)")
    return 0


def _credentials(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        rows = services.agents.credentials.all()
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no agent credentials issued")
    for r in rows:
        print(f"{r['status']:<8} {r['agent_id']:<40} {r['jti']:<24} expires {r['expires']}")
    return 0
