"""What every adapter shares: the event an adapter parses, the reply it gives, identity and wording."""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from contextvars import Token

    from blastdoor.action import Action, Agent, Decision
    from blastdoor.adapters.outcome import Outcome

JSON = Any

PRE = "pre"  # decide before the tool runs
POST = "post"  # the tool ran: record its outcome
PERMISSION = "permission"  # the harness is about to prompt its user (PermissionRequest)
IGNORE = "ignore"  # an event blastdoor has nothing to say about (SessionStart, Stop, ...)


class HookEvent:
    """One hook call: its event name and phase, the action (pre) or the outcome (post), the call id."""

    __slots__ = ("action", "call_id", "duration_ms", "error", "exit_code", "extra", "name", "phase")

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
        extra: dict[str, JSON] | None = None,
    ) -> None:
        self.name = name
        self.phase = phase
        self.action = action
        self.call_id = call_id
        self.exit_code = exit_code
        self.error = error
        self.duration_ms = duration_ms
        self.extra = extra or {}  # what the outcome adds: interrupted, a stderr summary


class Reply:
    """What the hook process prints and how it exits."""

    __slots__ = ("exit_code", "printed", "stderr", "stdout")

    def __init__(self, stdout: JSON = None, exit_code: int = 0, stderr: str = "") -> None:
        self.stdout = stdout  # a JSON value to print, or None to print nothing
        self.exit_code = exit_code
        self.stderr = stderr
        self.printed: str | None = None  # the exact text to print, when another process rendered it

    @classmethod
    def raw(cls, printed: bytes, exit_code: int, stderr: str) -> Reply:
        """A reply rendered elsewhere (the server's, relayed by the hook client)."""
        reply = cls(None, exit_code, stderr)
        reply.printed = printed.decode("utf-8", "replace")
        return reply

    def stdout_text(self) -> str:
        if self.printed is not None:
            return self.printed
        return "" if self.stdout is None else json.dumps(self.stdout, ensure_ascii=False) + "\n"


class Adapter(Protocol):
    """What every harness module is (``adapters/claude_code.py``...): pure payload <-> Action translation.

    Checked statically: ``adapters/__init__.py`` assigns each harness module to this type under
    ``TYPE_CHECKING``, so a module whose functions drift from it fails ``mypy``.
    """

    NAME: str  # the harness name (``claude-code``, ``codex``, ...)

    def parse(self, payload: JSON) -> HookEvent:
        """The harness's JSON -> an event (with an Action on pre-events); ``PayloadError`` if unreadable."""
        ...

    def answer(self, event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
        """A Decision -> the harness's exact reply and exit code."""
        ...

    def failure(self, event_name: str, message: str) -> Reply:
        """The fail-closed reply: deny, exit 2."""
        ...

    def acknowledge(self, event: HookEvent) -> Reply:
        """The reply to a post-event or an event blastdoor ignores."""
        ...


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


def event_phase(payload: JSON, phases: Mapping[str, str], *keys: str) -> tuple[str, str]:
    """(event name, phase) of a hook payload read from ``keys``; PayloadError for a non-object or an
    event ``phases`` does not list. The caller answers an ``IGNORE`` phase with its acknowledgement."""
    if not isinstance(payload, dict):
        raise PayloadError("the hook input is not a JSON object")
    name = text(payload, *keys, required=True)
    phase = phases.get(name)
    if phase is None:
        raise PayloadError(f"unknown hook event `{name}`")
    return name, phase


def tool_event(
    payload: JSON,
    harness: str,
    phases: Mapping[str, str],
    outcome: Callable[[str, dict[str, JSON]], Outcome],
    *,
    event: tuple[str, ...] = ("hook_event_name",),
    tool: tuple[str, ...] = ("tool_name",),
    args: tuple[str, ...] = ("tool_input",),
    session: tuple[str, ...] = ("session_id",),
    call: tuple[str, ...] = (),
    subagent: tuple[str, ...] = (),
) -> HookEvent:
    """The parse of harnesses whose every event is one tool call, read from the given keys.

    Both the tool name and its input are required. The call id is the harness's own (from ``call``)
    or derived from the session and the call. A post-event carries ``outcome(name, payload)`` (exit
    code, error, duration, interruption, stderr summary: ``adapters.outcome``); a pre-event (or
    permission event) the agent (user from ``user`` /
    ``user_email``, subagent from ``subagent``) and the Action.
    """
    name, phase = event_phase(payload, phases, *event)
    if phase == IGNORE:
        return HookEvent(name, phase)
    tool_name = text(payload, *tool, required=True)
    tool_input = obj(payload, *args, required=True)
    session_id = text(payload, *session)
    given = text(payload, *call) if call else ""
    call_id = f"{harness}:{given}" if given else derived_call_id(harness, session_id, tool_name, tool_input)
    if phase == POST:
        found = outcome(name, payload)
        extra = found.extra()
        from blastdoor.adapters.outcome import commit_made

        made = commit_made(tool_input, text(payload, "cwd"), found)
        if made:
            extra["git_commit"] = made  # the change gate links the commit to this call (review/)
        return HookEvent(
            name,
            POST,
            call_id=call_id,
            exit_code=found.exit_code,
            error=found.error,
            duration_ms=found.duration_ms,
            extra=extra,
        )
    from blastdoor.adapters.tools import tool_action

    agent = make_agent(
        harness,
        session=session_id,
        user=text(payload, "user", "user_email"),
        subagent=text(payload, *subagent) if subagent else "",
    )
    cwd = text(payload, "cwd")
    return HookEvent(name, phase, action=tool_action(tool_name, tool_input, agent=agent, cwd=cwd), call_id=call_id)


def derived_call_id(harness: str, *parts: JSON) -> str:
    """A call id for harnesses that send none: the same on the pre- and the post-event of one call."""
    from blastdoor.action import digest

    return f"{harness}:{digest(list(parts))[7:31]}"


# The environment of the process that runs the hook: this process's own, or, when the server answers for
# a thin hook client, the client's (set per call by ``runner.run_hook``).
CALLER_HOST = "BLASTDOOR_CLIENT_HOST"
_caller_env: ContextVar[Mapping[str, str] | None] = ContextVar("blastdoor_caller_env", default=None)


def caller_environ() -> Mapping[str, str]:
    env = _caller_env.get()
    return os.environ if env is None else env


def set_caller_environ(env: Mapping[str, str] | None) -> Token[Mapping[str, str] | None]:
    return _caller_env.set(env)


def reset_caller_environ(token: Token[Mapping[str, str] | None]) -> None:
    _caller_env.reset(token)


def make_agent(harness: str, *, session: str = "", user: str = "", subagent: str = "") -> Agent:
    """Who asks. The id is stable per harness, human and host, so it can be revoked.

    ``BLASTDOOR_AGENT`` overrides the id (a CI job or a shared service account names itself).
    """
    from blastdoor.action import Agent

    env = caller_environ()
    human = user or env.get("USER") or env.get("LOGNAME") or _os_user()
    host = env.get(CALLER_HOST) or os.uname().nodename
    agent_id = env.get("BLASTDOOR_AGENT") or f"{harness}:{human or 'unknown'}@{host}"
    return Agent(agent_id, harness, session=session, on_behalf_of=human, host=host, subagent=subagent)


def _os_user() -> str:
    """This process's OS user: the requester when the environment names none (never left empty)."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return ""


def acknowledge_empty(event: HookEvent) -> Reply:
    """The reply to a post-event or an ignored event for harnesses that expect a JSON object: ``{}``."""
    return Reply({})
