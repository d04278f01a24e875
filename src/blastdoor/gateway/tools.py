"""Reviewing and approving pinned MCP tool definitions (``blastdoor mcp tools list|show|approve``).

What a downstream server wrote (its tool's description above all) is shown to the approver as quoted
data: control characters escaped, never interpreted. An approval is bound to the digest of the
definition that was shown, and is itself an audit event.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError, NotFound

if TYPE_CHECKING:
    from blastdoor.audit.log import AuditLog
    from blastdoor.store.mcp_pins import ToolPin, ToolPins

__all__ = ["approve_tool", "describe_pin", "find_pin", "open_pins", "split_ref"]


def open_pins(store: str = "") -> tuple[AuditLog, ToolPins]:
    """The audit log and the pins of the store at ``store`` (default: ``$BLASTDOOR_DB`` or the default store)."""
    from blastdoor.services import store_url
    from blastdoor.store import open_log
    from blastdoor.store.mcp_pins import ToolPins

    log = open_log(store or store_url())
    try:
        return log, ToolPins(log.store)  # type: ignore[arg-type]  # open_log's store is one of the two
    except BaseException:
        log.close()
        raise


def split_ref(ref: str) -> tuple[str, str]:
    """``SERVER/TOOL`` -> (server, tool)."""
    server, sep, tool = ref.partition("/")
    if not sep or not server or not tool:
        raise InputError(f"name a tool as SERVER/TOOL (the server's name in the gateway config), not `{ref}`")
    return server, tool


def find_pin(pins: ToolPins, ref: str) -> ToolPin:
    server, tool = split_ref(ref)
    pin = pins.get(server, tool)
    if pin is None:
        known = sorted(f"{p.server}/{p.tool}" for p in pins.all() if p.server == server)
        hint = (
            [f"pinned tools of `{server}`: {', '.join(known)}"] if known else ["`blastdoor mcp tools list` shows them"]
        )
        raise NotFound(f"no pinned tool `{ref}` in this store", hints=hint)
    return pin


def _definition(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"unreadable": text}
    return value if isinstance(value, dict) else {"unreadable": text}


def describe_pin(pin: ToolPin) -> dict[str, Any]:
    """The JSON form of a pin for people and scripts: status, digests, both definitions, who approved."""
    out: dict[str, Any] = {
        "tool": f"{pin.server}/{pin.tool}",
        "status": pin.status,
        "approved": {"digest": pin.digest, "definition": _definition(pin.definition)} if pin.digest else None,
        "pending": {"digest": pin.seen_digest, "definition": _definition(pin.seen_definition)}
        if pin.seen_digest
        else None,
        "first_seen": pin.first_seen,
        "updated": pin.updated,
        "approved_by": pin.approved_by,
    }
    return out


def changed_fields(pin: ToolPin) -> list[str]:
    """Which parts of the definition differ between the approved and the pending one."""
    before, after = _definition(pin.definition), _definition(pin.seen_definition)
    return [k for k in ("name", "description", "inputSchema", "annotations") if before.get(k) != after.get(k)]


def approve_tool(log: AuditLog, pins: ToolPins, ref: str, *, by: str, expected: str = "") -> ToolPin:
    """Approve the pending definition of ``ref`` as ``by`` (bound to ``expected``, the digest shown when
    given, else the pending one); the approval is an audit event."""
    import time

    from blastdoor.audit.events import format_time

    pin = find_pin(pins, ref)
    if pin.status == "pinned" or not pin.seen_digest:
        raise InputError(f"`{ref}` has nothing to approve: its definition is the approved one ({pin.digest[:19]}...)")
    who = by
    approved = pins.approve(
        pin.server, pin.tool, by=who, now=format_time(time.time_ns()), expected=expected or pin.seen_digest
    )
    if approved is None:
        raise InputError(
            f"`{ref}` changed again while it was being approved: review it again (`blastdoor mcp tools show {ref}`)"
        )
    log.append(
        {
            "kind": "mcp.tool_approved",
            "tool": "mcp",
            "operation": f"mcp:{pin.server}/{pin.tool}",
            "server": pin.server,
            "name": pin.tool,
            "digest": approved.digest,
            "previous": pin.digest,
            "by": who,
        }
    )
    return approved
