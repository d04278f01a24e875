"""``blastdoor drill``: tabletop drills of destructive agent actions against the active policy."""

from __future__ import annotations

import argparse
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option, load_policy_from, policy_options

_DESCRIPTION = """\
Replay a scenario (a sequence of agent actions with their harness, agent identity and environment
variables) through the same pipeline a hook runs, and report step by step: the verdict, the rule, who
would have to approve, and what a tabletop exercise validates: detection (every step recorded, with an
inclusion proof; approval requests delivered to the server's webhooks), containment (where the sequence
stopped; revoking the agent denies the next step, seen through a second connection to the store) and
recovery (what would have run, so what must be restored).

Without SCENARIO every built-in scenario runs (`--list` names them); a SCENARIO is a built-in id or a
scenario file (docs/GOVERNANCE.md describes the format). By default a drill runs on a scratch store of
its own, so it never revokes a real agent; `--db URL` runs it on that store instead."""

_EXAMPLES = """\
examples:
  blastdoor drill --list
  blastdoor drill incident-stack-recreate
  blastdoor drill incident-stack-recreate --json | jq '.[0].containment'
  blastdoor drill --out drills.md                                  every built-in scenario, also to a file
  blastdoor drill incident-stack-recreate --record                 the outcome goes into the audit log

exit codes:
  0   every drill passed (each must-stop step stopped, recorded, contained)
  1   a drill failed: a step got through, was not recorded, an alert was not delivered, or revocation
      did not hold; or the scenario's agent is revoked in the store (the drill refuses to run)
  6   invalid policy      7   malformed scenario      8   store or server unreachable"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "drill",
        parents=[policy_options(), json_option()],
        help="tabletop drills: replay destructive scenarios against the policy",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="a built-in scenario id or a scenario file")
    p.add_argument("--list", action="store_true", help="name the built-in scenarios and stop")
    p.add_argument("--db", metavar="URL", help="run on this store instead of a scratch one")
    p.add_argument("--webhook", action="append", default=[], metavar="URL", help="deliver alerts here (repeatable)")
    p.add_argument("--config", metavar="FILE", help="a server config whose webhooks receive the alerts")
    p.add_argument(
        "--record",
        action="store_true",
        help="record each drill's outcome in the audit log (--db, else the default store): evidence for the pack",
    )
    p.add_argument("--out", metavar="FILE", help="also write the Markdown report here")
    p.add_argument("--html", metavar="FILE", help="also write the report as HTML here")
    live = p.add_argument_group("against a running server")
    live.add_argument("--live", metavar="URL", help="ask the server at URL (its policy, store, webhooks, kill switch)")
    live.add_argument("--token-file", metavar="FILE", help="your API token (default: $BLASTDOOR_TOKEN)")
    live.add_argument("--trust", action="append", default=[], metavar="KEY", help="the log's verifier key")
    p.set_defaults(func=run_drill_command)


def run_drill_command(args: argparse.Namespace) -> int:
    from blastdoor.governance.drill import markdown, run_drill
    from blastdoor.governance.scenario import builtin_scenarios, resolve

    if args.list:
        found = builtin_scenarios()
        if args.json:
            emit_json([{"id": s.id, "title": s.title, "steps": len(s.steps)} for s in found])
        else:
            for s in found:
                print(f"{s.id:28} {s.title}")
        return exits.OK
    scenarios = resolve(args.scenarios)
    if args.live:
        results = _live(args, scenarios)
    else:
        policy = load_policy_from(args)
        hooks, public_url = _webhooks(args)
        results = [
            run_drill(s, policy, store=args.db or None, webhooks=hooks, public_url=public_url) for s in scenarios
        ]
    if args.record:
        from blastdoor.cli.common import open_services_from
        from blastdoor.governance.drill import record_result

        with open_services_from(args) as services:
            for r in results:
                record_result(services.log, r)
    text = markdown(results)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    if args.html:
        from blastdoor.governance.render import markdown_to_html

        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(markdown_to_html(text, title="blastdoor drills"))
    if args.json:
        emit_json([r.to_dict() for r in results])
    else:
        print(text)
    return exits.OK if all(r.passed for r in results) else exits.FAILED


def _live(args: argparse.Namespace, scenarios: list[Any]) -> list[Any]:
    import os

    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.errors import InputError
    from blastdoor.governance.live import run_live

    token = os.environ.get("BLASTDOOR_TOKEN", "")
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise InputError(f"cannot read the token file: {exc}") from exc
    trusted = [Verifier.parse(k) for k in args.trust]
    return [run_live(s, args.live, token, trusted) for s in scenarios]


def _webhooks(args: argparse.Namespace) -> tuple[list[Any], str]:
    """The webhooks to alert (``--webhook``, the server config's) and the inbox URL for their links."""
    from blastdoor.server.config import ServerConfig, Webhook

    hooks = [Webhook(url) for url in args.webhook]
    public_url = "http://127.0.0.1:8787"
    if args.config:
        config = ServerConfig.load(args.config)
        hooks += config.webhooks
        public_url = config.public_url
    return hooks, public_url
