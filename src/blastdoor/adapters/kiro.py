"""Kiro CLI: preToolUse decides by exit code (0 runs, 2 blocks with stderr to the model); postToolUse
records the outcome. Kiro has no "ask" from a hook: ``ask`` and ``approve`` block with instructions.
``use_aws`` arrives as a structured call and becomes ``aws:<service>:<Operation>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.adapters._base import (
    IGNORE,
    POST,
    PRE,
    HookEvent,
    PayloadError,
    Reply,
    blocked_message,
    derived_call_id,
    failure_message,
    make_agent,
    obj,
    text,
)
from blastdoor.adapters.tools import tool_action

if TYPE_CHECKING:
    from blastdoor.action import Decision

JSON = Any

NAME = "kiro"
PHASES = {
    "preToolUse": PRE,
    "postToolUse": POST,
    "agentSpawn": IGNORE,
    "userPromptSubmit": IGNORE,
    "stop": IGNORE,
}


def parse(payload: JSON) -> HookEvent:
    if not isinstance(payload, dict):
        raise PayloadError("the hook input is not a JSON object")
    name = text(payload, "hook_event_name", required=True)
    phase = PHASES.get(name)
    if phase is None:
        raise PayloadError(f"unknown hook event `{name}`")
    if phase == IGNORE:
        return HookEvent(name, phase)
    tool_name = text(payload, "tool_name", required=True)
    tool_input = obj(payload, "tool_input", required=True)
    session = text(payload, "session_id", "conversation_id")
    call_id = derived_call_id(NAME, session, tool_name, tool_input)
    if phase == POST:
        response = obj(payload, "tool_response")
        error = None
        if response.get("success") is False:
            result = response.get("result")
            error = result if isinstance(result, str) and result else "the tool failed"
        return HookEvent(name, POST, call_id=call_id, error=error)
    agent = make_agent(NAME, session=session, user=text(payload, "user", "user_email"))
    return HookEvent(
        name, PRE, action=tool_action(tool_name, tool_input, agent=agent, cwd=text(payload, "cwd")), call_id=call_id
    )


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    if decision.verdict == "allow":
        return Reply(None)
    return Reply(None, 2, blocked_message(decision, request_id))


def failure(event_name: str, message: str) -> Reply:
    return Reply(None, 2, failure_message(message))


def acknowledge(event: HookEvent) -> Reply:
    return Reply(None)
