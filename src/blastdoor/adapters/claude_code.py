"""Claude Code: PreToolUse / PermissionRequest decide, PostToolUse(Failure) record the outcome.

Reply on exit 0 with ``hookSpecificOutput``. ``ask`` is Claude Code's own prompt; ``approve`` becomes
deny with what the approval needs (the retry passes once approved). Codex and Copilot speak the same
wire format and reuse these functions with their own gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.adapters._base import (
    IGNORE,
    PERMISSION,
    POST,
    PRE,
    HookEvent,
    PayloadError,
    Reply,
    blocked_message,
    derived_call_id,
    failure_message,
    make_agent,
    number,
    obj,
    text,
    why,
)
from blastdoor.adapters.tools import tool_action

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


def parse(payload: JSON, harness: str = NAME) -> HookEvent:
    if not isinstance(payload, dict):
        raise PayloadError("the hook input is not a JSON object")
    name = text(payload, "hook_event_name", "hookEventName", required=True)
    phase = PHASES.get(name)
    if phase is None:
        raise PayloadError(f"unknown hook event `{name}`")
    if phase == IGNORE:
        return HookEvent(name, phase)
    tool_name = text(payload, "tool_name", "toolName", required=True)
    tool_input = obj(payload, "tool_input", "toolInput", "toolArgs", required=True)
    session = text(payload, "session_id", "sessionId")
    call = text(payload, "tool_use_id", "toolUseId")
    call_id = f"{harness}:{call}" if call else derived_call_id(harness, session, tool_name, tool_input)
    if phase == POST:
        error = None
        if name == "PostToolUseFailure":
            error = text(payload, "error") or "the tool failed"
            if payload.get("is_interrupt"):
                error = f"interrupted: {error}"
        return HookEvent(name, POST, call_id=call_id, error=error, duration_ms=number(payload, "duration_ms"))
    agent = make_agent(
        harness,
        session=session,
        user=text(payload, "user", "user_email"),
        subagent=text(payload, "agent_id", "agent_type"),
    )
    cwd = text(payload, "cwd")
    return HookEvent(name, phase, action=tool_action(tool_name, tool_input, agent=agent, cwd=cwd), call_id=call_id)


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


def acknowledge(event: HookEvent) -> Reply:
    return Reply({})
