"""Verdicts in MCP terms: what a client sees for allow, deny, ask and approve, and for failures.

- allow: the downstream server's own result, unchanged.
- deny: a tool result with ``isError: true`` whose text gives the rule and the reason.
- ask: an elicitation asking the operator (``elicitation/create``; on 2026-07-28 connections an
  ``input_required`` result, answered with the retried call); accepted runs it, anything else
  refuses it. Clients that cannot elicit get the approve answer.
- approve: a tool result with ``isError: true`` that says what approval is needed and how to get it.
- failure (blastdoor could not decide or record, or the downstream server failed): ``isError: true``
  with why.

Everything a downstream server wrote about its tool (its description above all) is shown to people
as quoted, untrusted text; nothing here ever follows it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.action import Action, Decision

__all__ = ["CONFIRM_KEY", "confirm_message", "error_result", "quoted"]

CONFIRM_KEY = "blastdoor.confirm"
CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {
            "type": "boolean",
            "title": "Run this tool call",
            "description": "Yes runs it once, exactly as shown. No refuses it.",
        }
    },
    "required": ["confirm"],
}
_SHOWN = 600  # characters of arguments and descriptions shown in a confirmation


def error_result(text: str) -> dict[str, Any]:
    """A tool result that tells the model the call did not run, and why (``isError: true``)."""
    return {"content": [{"type": "text", "text": text}], "isError": True, "resultType": "complete"}


def quoted(text: str, limit: int = _SHOWN) -> str:
    """Untrusted text made safe to show: control characters (terminal escapes) escaped, length bounded."""
    out = "".join(c if c.isprintable() or c in "\n\t" else f"\\x{ord(c):02x}" for c in text[:limit])
    return out + (f"... ({len(text) - limit} more characters)" if len(text) > limit else "")


def confirm_message(exposed: str, action: Action, decision: Decision, description: str) -> str:
    """The question put to the operator for an ``ask`` verdict."""
    args = json.dumps(action.args, ensure_ascii=False, sort_keys=True)
    effects = ", ".join(sorted(action.effects)) or "unknown"
    lines = [
        f"blastdoor: the agent wants to call `{exposed}` ({action.operation}).",
        f"Why this is asked: {decision.reason or 'the policy asks'} (rule `{decision.rule}`).",
        f"What it does: {effects}" + (f"; on {', '.join(action.targets[:5])}" if action.targets else "") + ".",
        f"Arguments: {quoted(args)}",
    ]
    if description:
        lines.append(f"The server describes the tool as (its words, not blastdoor's): {quoted(description, 300)!r}")
    return "\n".join(lines)
