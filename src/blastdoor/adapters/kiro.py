"""Kiro CLI: preToolUse decides by exit code (0 runs, 2 blocks with stderr to the model); postToolUse
records the outcome. Kiro has no "ask" from a hook: ``ask`` and ``approve`` block with instructions.
``use_aws`` arrives as a structured call and becomes ``aws:<service>:<Operation>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.wording import blocked_message, failure_message
from blastdoor.adapters._base import IGNORE, POST, PRE, HookEvent, Reply, obj, tool_event
from blastdoor.adapters.outcome import Outcome, read_outcome

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


def _outcome(name: str, payload: dict[str, JSON]) -> Outcome:
    """Kiro reports success and a result (an exit code and stderr for execute_bash when given), no duration."""
    obj(payload, "tool_response")  # a malformed response is a malformed payload
    return read_outcome(payload)


def parse(payload: JSON) -> HookEvent:
    return tool_event(payload, NAME, PHASES, _outcome, session=("session_id", "conversation_id"))


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    if decision.verdict == "allow":
        return Reply(None)
    return Reply(None, 2, blocked_message(decision, request_id))


def failure(event_name: str, message: str) -> Reply:
    return Reply(None, 2, failure_message(message))


def acknowledge(event: HookEvent) -> Reply:
    return Reply(None)
