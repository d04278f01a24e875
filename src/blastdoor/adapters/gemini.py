"""Gemini CLI: BeforeTool decides, AfterTool records the outcome.

Reply ``{"decision": "allow"|"deny", "reason": ...}``. Gemini has no "ask" in a hook: ``ask`` and
``approve`` become deny with plain instructions. Known gap: BeforeTool has fired after Gemini's own
permission prompt, so the user may already have said yes to something blastdoor then blocks.
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
    number,
    obj,
    text,
    why,
)
from blastdoor.adapters.tools import tool_action

if TYPE_CHECKING:
    from blastdoor.action import Decision

JSON = Any

NAME = "gemini"
PHASES = {
    "BeforeTool": PRE,
    "AfterTool": POST,
    "SessionStart": IGNORE,
    "SessionEnd": IGNORE,
    "BeforeAgent": IGNORE,
    "AfterAgent": IGNORE,
    "BeforeModel": IGNORE,
    "AfterModel": IGNORE,
    "BeforeToolSelection": IGNORE,
    "PreCompress": IGNORE,
    "Notification": IGNORE,
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
    session = text(payload, "session_id")
    call = text(payload, "tool_call_id", "call_id")
    call_id = f"{NAME}:{call}" if call else derived_call_id(NAME, session, tool_name, tool_input)
    if phase == POST:
        response = obj(payload, "tool_response")
        err = response.get("error")
        error = None
        if err:
            error = err if isinstance(err, str) else str(err.get("message", err)) if isinstance(err, dict) else str(err)
        return HookEvent(name, POST, call_id=call_id, error=error, duration_ms=number(payload, "duration_ms"))
    agent = make_agent(NAME, session=session, user=text(payload, "user", "user_email"))
    return HookEvent(
        name, PRE, action=tool_action(tool_name, tool_input, agent=agent, cwd=text(payload, "cwd")), call_id=call_id
    )


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    if decision.verdict == "allow":
        return Reply({"decision": "allow", "reason": why(decision)})
    return Reply({"decision": "deny", "reason": blocked_message(decision, request_id)})


def failure(event_name: str, message: str) -> Reply:
    said = failure_message(message)
    return Reply({"decision": "deny", "reason": said}, 2, said)


def acknowledge(event: HookEvent) -> Reply:
    return Reply({})
