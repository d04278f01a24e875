"""GitHub Copilot (VS Code agent hooks and the Copilot CLI): Claude Code's format, its own tool names.

Input accepts both spellings (``tool_name``/``tool_input`` and the CLI's ``toolName``/``toolArgs``, the
latter a JSON string). The reply carries Claude Code's ``hookSpecificOutput`` (VS Code) and the same
decision at the top level (``permissionDecision``, which the Copilot CLI reads); each side ignores the
other's keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.adapters import claude_code
from blastdoor.adapters._base import PRE, HookEvent, Reply

if TYPE_CHECKING:
    from blastdoor.action import Decision

JSON = Any

NAME = "copilot"


def parse(payload: JSON) -> HookEvent:
    if isinstance(payload, dict) and "hook_event_name" not in payload and "hookEventName" not in payload:
        # The Copilot CLI names the event by the config key only; a tool call without a result is a pre-event.
        payload = {**payload, "hook_event_name": "PostToolUse" if "toolResult" in payload else "PreToolUse"}
    return claude_code.parse(payload, NAME)


def _both(reply: Reply) -> Reply:
    out = reply.stdout
    if isinstance(out, dict) and "hookSpecificOutput" in out:
        inner = out["hookSpecificOutput"]
        if "permissionDecision" in inner:
            out = {
                **out,
                "permissionDecision": inner["permissionDecision"],
                "permissionDecisionReason": inner["permissionDecisionReason"],
            }
    return Reply(out, reply.exit_code, reply.stderr)


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    reply = claude_code.answer(event, decision, request_id)
    return _both(reply) if event.phase == PRE else reply


def failure(event_name: str, message: str) -> Reply:
    return _both(claude_code.failure(event_name, message))


acknowledge = claude_code.acknowledge
