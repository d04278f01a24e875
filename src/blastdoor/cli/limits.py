"""``blastdoor limits``: the circuit breaker's state, and the reset that restores service."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli.common import acting_person, emit_json, json_option, open_services_from, store_options
from blastdoor.errors import Refused

DESCRIPTION = """\
The policy's `limits:` count what each agent does (e.g. at most 3 deletes in prod a minute); the
action that would cross one trips it, and every later action that hits the tripped limit gets its
verdict (deny unless the limit says otherwise) until a person resets it. Counters live in the store,
so every process on it (hooks, exec, every server, the MCP gateway) counts together. `list` shows
the tripped and counting limits; `reset` (approvers and admins) clears them. Trips and resets are
audit events (docs/IDENTITY.md)."""

EPILOG = """\
examples:
  blastdoor limits list
  blastdoor limits list --agent ci-bot --json
  blastdoor limits reset --agent ci-bot -m "looked at the deletes, all intended"
  blastdoor limits resume --agent ci-bot -m "talked to its operator"

exit codes: 0 done, 1 refused, 2 usage, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "limits",
        help="the circuit breaker: tripped limits, and resetting them",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="limits_command", metavar="SUBCOMMAND", required=True)
    parents = [store_options(), json_option()]
    ls = cmds.add_parser("list", parents=parents, help="limits tripped or counting, per agent")
    ls.add_argument("--agent", default="", help="only this agent's")
    ls.set_defaults(func=_list)
    r = cmds.add_parser("reset", parents=parents, help="restore service to an agent (approvers and admins)")
    r.add_argument("--agent", required=True, help="the agent whose tripped limits to reset")
    r.add_argument("--limit", default="", help="only this limit (default: every tripped one)")
    r.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
    r.set_defaults(func=_reset)
    u = cmds.add_parser("resume", parents=parents, help="resume an agent paused after a run of denials")
    u.add_argument("--agent", required=True, help="the paused agent")
    u.add_argument("--session", default=None, help="only this session (default: every paused one)")
    u.add_argument("-m", "--reason", default="", help="why (recorded in the audit log)")
    u.set_defaults(func=_resume)


def _breaker(services: Any) -> Any:
    from blastdoor.limits import Breaker

    return Breaker(services.store, services.log)


def _list(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        rows = _breaker(services).state(agent_id=args.agent)
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no limits counted yet")
    for r in rows:
        status = r["status"].upper() if r["status"] == "tripped" else r["status"]
        print(f"{status:<8} {r['agent_id']:<30} {r['limit']:<24} counted {r['counted']}  {r['tripped']}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    with open_services_from(args) as services:
        person = acting_person(args, services)
        if person.role not in ("admin", "approver"):
            raise Refused(f"{person.name} ({person.role}) may not reset limits")
        ids = _breaker(services).reset(args.agent, by=person.name, limit_id=args.limit, reason=args.reason)
    if args.json:
        emit_json({"agent_id": args.agent, "reset": ids})
    else:
        print(f"{args.agent}: reset {', '.join(ids) if ids else 'nothing (no tripped limit)'} by {person.name}")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from blastdoor.limits.memory import Memory

    with open_services_from(args) as services:
        person = acting_person(args, services)
        if person.role not in ("admin", "approver"):
            raise Refused(f"{person.name} ({person.role}) may not resume agents")
        sessions = Memory(services.store, services.log).resume(
            args.agent, by=person.name, session=args.session, reason=args.reason
        )
    if args.json:
        emit_json({"agent_id": args.agent, "resumed": sessions})
    else:
        print(f"{args.agent}: resumed {len(sessions)} paused session(s) by {person.name}")
    return 0
