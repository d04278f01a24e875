"""What every adapter shares: the event an adapter parses, the reply it gives, identity and wording."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.action import Action, Agent, Decision

JSON = Any

PRE = "pre"  # decide before the tool runs
POST = "post"  # the tool ran: record its outcome
PERMISSION = "permission"  # the harness is about to prompt its user (PermissionRequest)
IGNORE = "ignore"  # an event blastdoor has nothing to say about (SessionStart, Stop, ...)


class HookEvent:
    """One hook call: its event name and phase, the action (pre) or the outcome (post), the call id."""

    __slots__ = ("action", "call_id", "duration_ms", "error", "exit_code", "name", "phase")

    def __init__(
        self,
        name: str,
        phase: str,
        *,
        action: Action | None = None,
        call_id: str = "",
        exit_code: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
    ) -> None:
        self.name = name
        self.phase = phase
        self.action = action
        self.call_id = call_id
        self.exit_code = exit_code
        self.error = error
        self.duration_ms = duration_ms


class Reply:
    """What the hook process prints and how it exits."""

    __slots__ = ("exit_code", "stderr", "stdout")

    def __init__(self, stdout: JSON = None, exit_code: int = 0, stderr: str = "") -> None:
        self.stdout = stdout  # a JSON value to print, or None to print nothing
        self.exit_code = exit_code
        self.stderr = stderr

    def stdout_text(self) -> str:
        return "" if self.stdout is None else json.dumps(self.stdout, ensure_ascii=False) + "\n"


class PayloadError(ValueError):
    """The harness sent something this adapter cannot read (the hook then denies, exit 2)."""


# -- reading payloads ------------------------------------------------------------------------------


def pick(data: dict[str, JSON], *keys: str) -> JSON:
    """The first present, non-null value among ``keys`` (harness versions differ in spelling)."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


def text(data: dict[str, JSON], *keys: str, required: bool = False) -> str:
    value = pick(data, *keys)
    if value is None:
        if required:
            raise PayloadError(f"missing field `{keys[0]}`")
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"field `{keys[0]}`: expected a string, got {type(value).__name__}")
    return value


def obj(data: dict[str, JSON], *keys: str, required: bool = False) -> dict[str, JSON]:
    """An object field; some harness versions send it as a JSON string, so that is decoded."""
    value = pick(data, *keys)
    if value is None:
        if required:
            raise PayloadError(f"missing field `{keys[0]}`")
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise PayloadError(f"field `{keys[0]}`: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise PayloadError(f"field `{keys[0]}`: expected an object, got {type(value).__name__}")
    return value


def number(data: dict[str, JSON], *keys: str) -> float | None:
    value = pick(data, *keys)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def derived_call_id(harness: str, *parts: JSON) -> str:
    """A call id for harnesses that send none: the same on the pre- and the post-event of one call."""
    from blastdoor.action import digest

    return f"{harness}:{digest(list(parts))[7:31]}"


def make_agent(harness: str, *, session: str = "", user: str = "", subagent: str = "") -> Agent:
    """Who asks. The id is stable per harness, human and host, so it can be revoked.

    ``BLASTDOOR_AGENT`` overrides the id (a CI job or a shared service account names itself).
    """
    from blastdoor.action import Agent

    env = os.environ
    human = user or env.get("USER") or env.get("LOGNAME") or ""
    host = os.uname().nodename
    agent_id = env.get("BLASTDOOR_AGENT") or f"{harness}:{human or 'unknown'}@{host}"
    return Agent(agent_id, harness, session=session, on_behalf_of=human, host=host, subagent=subagent)


# -- wording ---------------------------------------------------------------------------------------


def why(decision: Decision) -> str:
    """One line: what blastdoor decided, by which rule, and why."""
    reason = decision.reason or "no reason given"
    return f"blastdoor: {decision.verdict} by rule `{decision.rule}`: {reason}"


def needs_approval(decision: Decision, request_id: str | None) -> str:
    """What an ``approve`` verdict needs, for harnesses that can only block it.

    ``request_id`` is the pending approval request, once the approvals service files one.
    """
    a = decision.approvals
    who = "1 approval"
    if a is not None:
        who = f"{a.count} approval{'s' if a.count != 1 else ''}"
        if a.group:
            who += f" from `{a.group}`"
    if request_id:
        return (
            f"{why(decision)}. It needs {who}: request {request_id} is pending. Once it is approved, "
            f"retry the same action unchanged (`blastdoor approvals show {request_id}` shows its state)."
        )
    return (
        f"{why(decision)}. It needs {who}, and approvals are not yet available in this setup, so it was "
        "blocked. Do not retry it: tell the user what you wanted to do and why, so that a person can run it "
        "or change the policy."
    )


def needs_confirmation(decision: Decision) -> str:
    """An ``ask`` verdict, for harnesses that cannot prompt their user from a hook."""
    return (
        f"{why(decision)}. It needs the user's confirmation and this harness cannot ask for it from a hook, "
        "so it was blocked. Do not retry it: ask the user to confirm it and to run it themselves, or to "
        "allow it in the blastdoor policy."
    )


def blocked_message(decision: Decision, request_id: str | None) -> str:
    """The deny message for any verdict a harness can only express as deny."""
    if decision.verdict == "approve":
        return needs_approval(decision, request_id)
    if decision.verdict == "ask":
        return needs_confirmation(decision)
    return why(decision)


def failure_message(message: str) -> str:
    return (
        f"blastdoor: blocked because the check could not complete ({message}). blastdoor fails closed: "
        "nothing runs until it can decide. Tell the user; `blastdoor coverage` and `blastdoor explain` help."
    )
