"""Gemini CLI: BeforeTool decides, AfterTool records the outcome.

Reply ``{"decision": "allow"|"deny", "reason": ...}``. Gemini has no "ask" in a hook: ``ask`` and
``approve`` become deny with plain instructions. Known gap: BeforeTool has fired after Gemini's own
permission prompt, so the user may already have said yes to something blastdoor then blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.wording import blocked_message, failure_message, why
from blastdoor.adapters._base import IGNORE, POST, PRE, HookEvent, Reply, acknowledge_empty, number, obj, tool_event
from blastdoor.adapters.outcome import Outcome, read_outcome

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


def _outcome(name: str, payload: dict[str, JSON]) -> Outcome:
    """AfterTool: ``tool_response`` (``error`` when it failed; a shell's exit code and stderr when given)."""
    obj(payload, "tool_response")  # a malformed response is a malformed payload
    return read_outcome(payload, duration_ms=number(payload, "duration_ms"))


def parse(payload: JSON) -> HookEvent:
    return tool_event(payload, NAME, PHASES, _outcome, call=("tool_call_id", "call_id"))


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    if decision.verdict == "allow":
        return Reply({"decision": "allow", "reason": why(decision)})
    return Reply({"decision": "deny", "reason": blocked_message(decision, request_id)})


def failure(event_name: str, message: str) -> Reply:
    said = failure_message(message)
    return Reply({"decision": "deny", "reason": said}, 2, said)


acknowledge = acknowledge_empty
