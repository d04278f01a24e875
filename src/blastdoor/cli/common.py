"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError

if TYPE_CHECKING:
    from blastdoor.action import Action
    from blastdoor.policy.compiled import CompiledPolicy


def policy_options() -> argparse.ArgumentParser:
    """A parent parser with the options that choose the policy layers."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("policy layers")
    g.add_argument("--policy", metavar="FILE", help="project policy file (default: blastdoor.yaml found upward)")
    g.add_argument("--managed-policy", metavar="FILE", help="managed policy (default: /etc/blastdoor/policy.yaml)")
    g.add_argument("--user-policy", metavar="FILE", help="user policy (default: ~/.config/blastdoor/policy.yaml)")
    g.add_argument("--cwd", metavar="DIR", help="decide as if running in DIR (default: the current directory)")
    g.add_argument("--no-cache", action="store_true", help="compile the policy instead of using the cache")
    return p


def json_option() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def load_policy_from(args: argparse.Namespace) -> CompiledPolicy:
    from blastdoor.policy import load_policy

    return load_policy(
        args.cwd or os.getcwd(),
        project=args.policy,
        managed=args.managed_policy,
        user=args.user_policy,
        use_cache=not args.no_cache,
    )


def read_action(args: argparse.Namespace) -> Action:
    """The action from ``--action FILE|-``, ``-c STRING`` or the words after ``--``."""
    from blastdoor.action import Agent
    from blastdoor.action.shorthand import action_from_spec

    if args.action:
        where = "stdin" if args.action == "-" else args.action
        try:
            if args.action == "-":
                text = sys.stdin.read()
            else:
                with open(args.action, encoding="utf-8") as fh:
                    text = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read action from {where}: {exc}") from exc
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
        try:
            action = action_from_spec(spec)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from exc
    else:
        words: list[str] = args.command or []
        if args.c is not None:
            raw = args.c
        elif not words:
            raise InputError("nothing to decide: give --action FILE|-, -c 'COMMAND' or -- COMMAND...")
        else:
            # One word is a whole command line (`-- 'a && b'`); several are an argv to quote back.
            raw = words[0] if len(words) == 1 else shlex.join(words)
        from blastdoor.action import Action as _Action

        action = _Action("shell", raw=raw, cwd=os.path.abspath(args.cwd or os.getcwd()))
    if not action.cwd:
        action = action.replace(cwd=os.path.abspath(args.cwd or os.getcwd()))
    if args.agent or args.harness:
        agent = action.agent
        action = action.replace(
            agent=Agent(
                args.agent or agent.id,
                args.harness or agent.harness,
                agent.session,
                agent.on_behalf_of,
                agent.host,
                agent.subagent,
            )
        )
    return action


def action_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("the action")
    g.add_argument("--action", metavar="FILE", help="a JSON action (full or shorthand); - reads stdin")
    g.add_argument("-c", metavar="COMMAND", help="a shell command line as one string")
    g.add_argument("--agent", metavar="ID", help="the agent id to decide for")
    g.add_argument("--harness", metavar="NAME", help="the harness the agent runs in")
    g.add_argument("command", nargs="*", metavar="-- COMMAND", help="a shell command, after --")
    return p


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def store_options() -> argparse.ArgumentParser:
    """A parent parser with the options that choose the store and say who is acting."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("store and identity")
    g.add_argument("--db", metavar="URL", help="the store (default: $BLASTDOOR_DB, else $BLASTDOOR_HOME/blastdoor.db)")
    g.add_argument(
        "--token-file",
        metavar="FILE",
        help="a file holding your API token (default: $BLASTDOOR_TOKEN); it says who you are",
    )
    return p


def open_services_from(args: argparse.Namespace) -> Any:
    from blastdoor.services import open_services

    return open_services(args.db or None, checkpoint_on_close=False)


def acting_person(args: argparse.Namespace, services: Any, *, bootstrap: bool = False) -> Any:
    """Who runs this command: the person whose token is given.

    Without a token, and only while no person is configured at all (``bootstrap``: the first admin is
    being added) or no one could sign in anyway, the local user name stands in as an admin.
    """
    import getpass

    from blastdoor.approvals import Person
    from blastdoor.errors import Forbidden

    token = ""
    if getattr(args, "token_file", None):
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise InputError(f"cannot read the token file: {exc}") from exc
    token = token or os.environ.get("BLASTDOOR_TOKEN", "")
    if token:
        person = services.people.authenticate(token)
        if person is None:
            raise Forbidden("the API token is not valid (unknown, reissued or removed)")
        return person
    if bootstrap or not services.people.all():
        return Person(getpass.getuser(), "admin")
    raise Forbidden(
        "who are you? give your API token with --token-file FILE or $BLASTDOOR_TOKEN",
        hints=["an admin adds people with `blastdoor people add NAME --role approver`"],
    )
