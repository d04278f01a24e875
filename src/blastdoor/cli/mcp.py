"""``blastdoor mcp``: run the MCP gateway; ``blastdoor mcp tools``: review and approve pinned tool definitions."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option, store_options

if TYPE_CHECKING:
    from blastdoor.store.mcp_pins import ToolPin

_DESCRIPTION = """\
An MCP server in front of the MCP servers listed in FILE: it lists their tools as SERVER__TOOL and
puts every tools/call through blastdoor (classify, decide, record in the audit log) before it
forwards it. allow forwards the call; deny answers a tool error that gives the reason; ask asks the
user through the client (MCP elicitation) when it can, else is treated as approve; approve answers
what approval is needed. Resources and prompts are forwarded.

The first time the gateway sees a tool it pins a hash of its definition (name, description, input
schema, annotations). A definition that changes later is an audit event and the tool is withheld
until a person approves it: `blastdoor mcp tools approve SERVER/TOOL`. See docs/MCP.md."""

_EXAMPLES = """\
examples:
  blastdoor mcp --config mcp.yaml                     # stdio: put this command in the client's MCP config
  blastdoor mcp --config mcp.yaml --listen 127.0.0.1:8765   # streamable HTTP at http://127.0.0.1:8765/mcp
  head -c 32 /dev/urandom | base64 > mcp.token && chmod 600 mcp.token
  blastdoor mcp --config mcp.yaml --listen 0.0.0.0:8765 --token-file mcp.token   # other hosts: a token
  blastdoor mcp tools list --config mcp.yaml
  blastdoor mcp tools show fs/write_file --config mcp.yaml
  blastdoor mcp tools approve fs/write_file --config mcp.yaml --token-file ~/.blastdoor-token

Approving a tool takes the same identity as approving a request: your API token (--token-file or
$BLASTDOOR_TOKEN), unless no people are configured yet (then the local user stands in).

exit codes:
  0   the client left (stdio) or the gateway was stopped; a tools command succeeded
  1   refused (no or bad token, an agent approving)       2  usage error
  6   invalid or unreadable policy       7  invalid config, unknown tool, nothing to approve
  8   the store cannot be read or written"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "mcp",
        help="run the MCP gateway (every tool call through blastdoor); `mcp tools` reviews pinned tools",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="FILE", help="the gateway config (YAML or JSON; see docs/MCP.md)")
    p.add_argument(
        "--listen", metavar="HOST:PORT", help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio"
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="with --listen: HTTP clients must send `Authorization: Bearer <the file's token>` "
        "(required unless listening on loopback)",
    )
    p.set_defaults(func=run_gateway, mcp_command=None)
    store = argparse.ArgumentParser(add_help=False, parents=[store_options()])
    store.add_argument("--config", metavar="FILE", help="use the store named in this gateway config (unless --db)")
    tools = p.add_subparsers(dest="mcp_command", metavar="tools").add_parser(
        "tools", help="review and approve pinned tool definitions"
    )
    actions = tools.add_subparsers(dest="tools_command", metavar="COMMAND", required=True)
    listing = actions.add_parser("list", parents=[store, json_option()], help="every pinned tool and its status")
    listing.add_argument("--status", choices=("pinned", "changed", "new"), help="only tools with this status")
    listing.set_defaults(func=run_list)
    show = actions.add_parser(
        "show", parents=[store, json_option()], help="a tool's approved and pending definitions, for review"
    )
    show.add_argument("tool", metavar="SERVER/TOOL")
    show.set_defaults(func=run_show)
    approve = actions.add_parser(
        "approve", parents=[store, json_option()], help="approve a tool's pending definition (it is listed again)"
    )
    approve.add_argument("tool", metavar="SERVER/TOOL")
    approve.add_argument("--by", metavar="NAME", default="", help="who approves (default: $USER)")
    approve.add_argument(
        "--digest", metavar="SHA256", default="", help="approve only if the pending digest is this one"
    )
    approve.set_defaults(func=run_approve)


def _store(args: argparse.Namespace) -> str:
    if getattr(args, "db", None):
        return str(args.db)
    if getattr(args, "config", None):
        from blastdoor.gateway.config import load_config

        return load_config(args.config).store
    return ""


def run_gateway(args: argparse.Namespace) -> int:
    from blastdoor.errors import InputError, UsageError
    from blastdoor.gateway import run_gateway as serve
    from blastdoor.gateway.config import load_config

    if not args.config:
        raise UsageError(
            "blastdoor mcp needs --config FILE (the downstream servers)", hints=["see `blastdoor mcp --help`"]
        )
    token = ""
    if getattr(args, "token_file", None):
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise InputError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from exc
        if not token:
            raise InputError(f"--token-file {args.token_file} is empty")
    return serve(load_config(args.config), listen=args.listen or "", token=token)


def _line(pin: ToolPin) -> str:
    from blastdoor.gateway.tools import describe_pin
    from blastdoor.gateway.verdicts import quoted

    info = describe_pin(pin)
    shown = info["pending"] or info["approved"] or {}
    description = str((shown.get("definition") or {}).get("description") or "")
    text = quoted(" ".join(description.split()), 70)
    return f"{pin.status:8}  {pin.server}/{pin.tool:<32}  {text}"


def run_list(args: argparse.Namespace) -> int:
    from blastdoor.gateway.tools import describe_pin, open_pins

    log, pins = open_pins(_store(args))
    try:
        found = [p for p in pins.all() if args.status is None or p.status == args.status]
    finally:
        log.close()
    if args.json:
        emit_json([describe_pin(p) for p in found])
        return exits.OK
    if not found:
        print("no pinned MCP tools in this store (the gateway pins tools when it first lists them)")
        return exits.OK
    for pin in found:
        print(_line(pin))
    waiting = sum(1 for p in found if p.status != "pinned")
    if waiting:
        print(
            f"\n{waiting} withheld: review with `blastdoor mcp tools show SERVER/TOOL`, then approve", file=sys.stderr
        )
    return exits.OK


def _print_definition(title: str, digest: str, definition: dict[str, Any]) -> None:
    import json

    from blastdoor.gateway.verdicts import quoted

    print(f"{title} ({digest}):")
    print(
        f"  description (the server's words, shown as data): {quoted(str(definition.get('description') or ''), 4000)!r}"
    )
    schema = quoted(json.dumps(definition.get("inputSchema"), sort_keys=True, ensure_ascii=False), 2000)
    print(f"  input schema: {schema}")
    print(f"  annotations: {quoted(json.dumps(definition.get('annotations'), sort_keys=True), 500)}")


def run_show(args: argparse.Namespace) -> int:
    from blastdoor.gateway.tools import changed_fields, describe_pin, find_pin, open_pins

    log, pins = open_pins(_store(args))
    try:
        pin = find_pin(pins, args.tool)
    finally:
        log.close()
    info = describe_pin(pin)
    if args.json:
        emit_json(info)
        return exits.OK
    print(f"{info['tool']}: {pin.status}" + (f" (approved by {pin.approved_by})" if pin.approved_by else ""))
    if info["approved"]:
        _print_definition("approved definition", pin.digest, info["approved"]["definition"])
    if info["pending"]:
        _print_definition("pending definition", pin.seen_digest, info["pending"]["definition"])
        if info["approved"]:
            print(f"changed: {', '.join(changed_fields(pin)) or 'nothing visible (key order or types)'}")
        print(f"approve with: blastdoor mcp tools approve {args.tool} --digest {pin.seen_digest}")
    return exits.OK


def run_approve(args: argparse.Namespace) -> int:
    from blastdoor.cli.common import acting_person
    from blastdoor.errors import Forbidden
    from blastdoor.gateway.tools import approve_tool, describe_pin
    from blastdoor.services import open_services
    from blastdoor.store.mcp_pins import ToolPins

    with open_services(_store(args) or None, checkpoint_on_close=False) as services:
        person = acting_person(args, services)
        if person.role not in ("admin", "approver"):
            raise Forbidden(f"{person.name} ({person.role}) may not approve tools: approvers and admins do")
        if services.agents.is_agent(person.name):
            raise Forbidden(f"`{person.name}` is an agent: agents do not approve tools")
        pin = approve_tool(services.log, ToolPins(services.store), args.tool, by=person.name, expected=args.digest)
    if args.json:
        emit_json(describe_pin(pin))
        return exits.OK
    definition = describe_pin(pin)["approved"]["definition"]
    _print_definition(f"approved {pin.server}/{pin.tool}", pin.digest, definition)
    print("a running gateway lists it again at the next tools/list and calls it at once")
    return exits.OK
