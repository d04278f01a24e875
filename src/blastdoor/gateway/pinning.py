"""Pinning tool definitions: what a tool's definition is, its digest, and what a listing means for it.

A tool's definition is its name, description, input schema and annotations, as its server lists
them (wire names). The digest is ``sha256:`` over the RFC 8785 canonical JSON of that object, so the
same definition has the same digest on every machine. This module is pure: the gateway applies its
plans to the store and the audit log.

What a listing means, per tool (``plan``):

| pin in the store | digest listed | plan | the tool is |
|---|---|---|---|
| none | any | ``first``: pinned (trust on first use) or ``new`` | listed if trusted |
| pinned | the approved one | ``same`` | listed |
| pinned or changed | another | ``changed`` (news once per new digest) | withheld (on_change: allow re-pins) |
| changed | the approved one again | ``settle`` | listed |
| new | any | ``new`` | withheld until approved |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action import canonical_json
from blastdoor.action.canonical import sha256_hex

if TYPE_CHECKING:
    from blastdoor.store.mcp_pins import ToolPin

__all__ = ["CHANGED", "FIRST", "NEW", "SAME", "SETTLE", "definition_of", "digest_of", "plan"]

FIRST = "first"
SAME = "same"
CHANGED = "changed"
SETTLE = "settle"
NEW = "new"


def definition_of(tool: dict[str, Any]) -> dict[str, Any]:
    """The pinned part of a listed tool (a wire dict): name, description, input schema, annotations."""
    return {
        "name": tool.get("name"),
        "description": tool.get("description"),
        "inputSchema": tool.get("inputSchema"),
        "annotations": tool.get("annotations"),
    }


def digest_of(definition: dict[str, Any]) -> tuple[str, str]:
    """(``sha256:<hex>``, canonical JSON text) of a definition."""
    text = canonical_json(definition)
    return "sha256:" + sha256_hex(text), text.decode("utf-8")


def plan(pin: ToolPin | None, digest: str) -> str:
    """What seeing a tool with ``digest`` means, given its pin (see the module table)."""
    if pin is None:
        return FIRST
    if pin.status == "new":
        return NEW
    if digest == pin.digest:
        return SETTLE if pin.status == "changed" else SAME
    return CHANGED


def listed(step: str, *, trust_new: bool, on_change: str) -> bool:
    """Whether a tool whose plan is ``step`` is listed (and callable) in this session."""
    if step in (SAME, SETTLE):
        return True
    if step == FIRST:
        return trust_new
    if step == CHANGED:
        return on_change == "allow"
    return False
