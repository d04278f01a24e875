"""OpenAI Codex CLI: Claude Code's wire format, but PreToolUse enforces only ``deny``.

An ``allow`` answer there is ignored (Codex's own approval policy then applies), and so is ``ask``: so
``allow`` prints nothing, and ``ask`` / ``approve`` become deny with plain instructions. The
PermissionRequest event takes allow and deny, and an unanswered request shows Codex's own prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.wording import blocked_message
from blastdoor.adapters import claude_code
from blastdoor.adapters._base import PERMISSION, HookEvent, Reply

if TYPE_CHECKING:
    from blastdoor.action import Decision

JSON = Any

NAME = "codex"


def parse(payload: JSON) -> HookEvent:
    return claude_code.parse(payload, NAME)


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    if event.phase == PERMISSION:
        return claude_code.answer(event, decision, request_id)
    if decision.verdict == "allow":
        return Reply(None)
    return Reply(claude_code.pre_tool_use("deny", blocked_message(decision, request_id)))


failure = claude_code.failure
acknowledge = claude_code.acknowledge
