"""Claude Code: PreToolUse / PermissionRequest decide, PostToolUse(Failure) record the outcome.

Reply on exit 0 with ``hookSpecificOutput``. ``ask`` is Claude Code's own prompt; ``approve`` becomes
deny with what the approval needs (the retry passes once approved). Codex and Copilot speak the same
wire format and reuse these functions with their own gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.wording import blocked_message, failure_message, why
from blastdoor.adapters._base import (
    IGNORE,
    PERMISSION,
    POST,
    PRE,
    HookEvent,
    Reply,
    acknowledge_empty,
    number,
    text,
    tool_event,
)
from blastdoor.adapters.outcome import Outcome, read_outcome

if TYPE_CHECKING:
    from blastdoor.action import Decision

JSON = Any

NAME = "claude-code"
PHASES = {
    "PreToolUse": PRE,
    "PermissionRequest": PERMISSION,
    "PostToolUse": POST,
    "PostToolUseFailure": POST,
    "UserPromptSubmit": IGNORE,
    "SessionStart": IGNORE,
    "SessionEnd": IGNORE,
    "Stop": IGNORE,
    "SubagentStop": IGNORE,
    "Notification": IGNORE,
    "PreCompact": IGNORE,
}


def _outcome(name: str, payload: dict[str, JSON]) -> Outcome:
    """PostToolUse: ``tool_response`` (Bash: stdout, stderr, interrupted; exit code when given).
    PostToolUseFailure: ``error`` (``Exit code N ...`` for a command that failed) and ``is_interrupt``."""
    error = None
    if name == "PostToolUseFailure":
        error = text(payload, "error") or "the tool failed"
    return read_outcome(payload, error=error, duration_ms=number(payload, "duration_ms"))


def parse(payload: JSON, harness: str = NAME) -> HookEvent:
    return tool_event(
        payload,
        harness,
        PHASES,
        _outcome,
        event=("hook_event_name", "hookEventName"),
        tool=("tool_name", "toolName"),
        args=("tool_input", "toolInput", "toolArgs"),
        session=("session_id", "sessionId"),
        call=("tool_use_id", "toolUseId"),
        subagent=("agent_id", "agent_type"),
    )


def pre_tool_use(decision: str, reason: str) -> JSON:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    }


def permission_request(behavior: str, message: str) -> JSON:
    decision: dict[str, JSON] = {"behavior": behavior}
    if message:
        decision["message"] = message
    return {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}}


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    verdict = decision.verdict
    if event.phase == PERMISSION:
        # The harness is about to prompt its user: allow answers for them, ask lets the prompt show.
        if verdict == "allow":
            return Reply(permission_request("allow", ""))
        if verdict == "ask":
            return Reply({})
        return Reply(permission_request("deny", blocked_message(decision, request_id)))
    if verdict == "allow":
        return Reply(pre_tool_use("allow", why(decision)))
    if verdict == "ask":
        return Reply(pre_tool_use("ask", why(decision)))
    return Reply(pre_tool_use("deny", blocked_message(decision, request_id)))


def failure(event_name: str, message: str) -> Reply:
    """Deny, exit 2: Claude Code then blocks the tool and shows stderr to the model."""
    said = failure_message(message)
    if event_name == "PermissionRequest":
        return Reply(permission_request("deny", said), 2, said)
    return Reply(pre_tool_use("deny", said), 2, said)


acknowledge = acknowledge_empty
