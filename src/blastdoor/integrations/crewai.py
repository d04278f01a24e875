"""CrewAI: a before-tool-call hook judges each call, an after-tool-call hook records its outcome.

    from blastdoor.integrations.crewai import BlastdoorHooks

    hooks = BlastdoorHooks(guard, hints={"run_sql": Hint(sql="query")}, wait=300).register()
    crew.kickoff()
    hooks.unregister()          # or: with BlastdoorHooks(guard, ...): crew.kickoff()

CrewAI's tool-call hooks are global (every agent of every crew in the process goes through them) and
run in the order they were registered.

- ``allow``: the hook lets CrewAI run the tool; the after hook records its outcome.
- anything else: the before hook returns False (CrewAI does not run the tool) and the after hook, which
  CrewAI runs for blocked calls too, replaces CrewAI's "Tool execution blocked by hook" with the
  reason, which the model reads as the tool's result.
- ``ask``: CrewAI's own human input (``context.request_human_input``): the call runs when the person at
  the console answers ``yes``; anything else, or no console (end of input), refuses it. With
  ``ask="approve"`` an ``ask`` becomes an approval request instead.
- ``approve``: with ``wait`` > 0 the hook waits up to that many seconds for the policy's approvers and
  then runs the call once; without, the model reads that request ``req_...`` is pending and that the
  same call, retried once approved, runs (once).

Fail closed: CrewAI ignores a hook that raises (the call runs), so these hooks never raise; any error
ends in False, with the reason for the model. CrewAI's text (ReAct) path retries a tool that raised
without calling the hooks again: an allowed call that fails can run more than once there.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from blastdoor.sdk import Guard, Hint, blocked_text, new_call_id

if TYPE_CHECKING:
    from crewai.hooks import ToolCallHookContext

    from blastdoor.action import Action, Decision

__all__ = ["BlastdoorHooks"]

YES = frozenset({"y", "yes", "approve", "approved", "allow", "run"})
# How CrewAI 1.15 words a tool that raised, on its native tool-call path and on its text (ReAct) path.
FAILED = ("Error executing tool:", "I encountered an error while trying to use the tool")


class BlastdoorHooks:
    """The before/after tool-call hooks of CrewAI, judging with ``guard``.

    ``hints``: per tool name, what its arguments are (``Hint(sql="query")``...). ``wait``: seconds an
    ``approve`` waits in the hook for the approvers (0: the model reads that it is pending). ``ask``:
    ``"human"`` (CrewAI's human input at the console) or ``"approve"`` (an approval request).
    """

    def __init__(
        self, guard: Guard, *, hints: dict[str, Hint] | None = None, wait: float = 0.0, ask: str = "human"
    ) -> None:
        if ask not in ("human", "approve"):
            raise ValueError(f"ask must be 'human' or 'approve', got {ask!r}")
        self.guard = guard
        self.hints = dict(hints or {})
        self.wait = wait
        self.ask = ask
        self._lock = threading.Lock()
        # One entry per call between its two hooks, keyed by the identity of its input dict, which CrewAI
        # hands both hooks (the dict itself is kept so that its id is not reused meanwhile):
        # (input, correlation id and start of an allowed call, or the text of a refused one).
        self._calls: dict[int, tuple[dict[str, Any], str, float, str]] = {}

    # -- registration ------------------------------------------------------------------------------------

    def register(self) -> BlastdoorHooks:
        """Register both hooks with CrewAI (globally); returns self."""
        from crewai.hooks import register_after_tool_call_hook, register_before_tool_call_hook

        register_before_tool_call_hook(self.before_tool_call)
        register_after_tool_call_hook(self.after_tool_call)
        return self

    def unregister(self) -> None:
        from crewai.hooks import unregister_after_tool_call_hook, unregister_before_tool_call_hook

        unregister_before_tool_call_hook(self.before_tool_call)
        unregister_after_tool_call_hook(self.after_tool_call)

    def __enter__(self) -> BlastdoorHooks:
        return self.register()

    def __exit__(self, *exc: object) -> None:
        self.unregister()

    # -- the hooks ---------------------------------------------------------------------------------------

    def before_tool_call(self, context: ToolCallHookContext) -> bool | None:
        """None lets CrewAI run the call; False blocks it (the after hook gives the model the reason)."""
        tool_input = context.tool_input
        try:
            cid, refusal = self._judge(context)
        except Exception as exc:  # CrewAI would run the tool if this raised: refuse instead
            cid, refusal = "", f"blastdoor: deny: the call could not be judged: {type(exc).__name__}: {exc}"
        try:
            with self._lock:
                self._calls[id(tool_input)] = (tool_input, cid, time.monotonic(), refusal)
        except Exception:
            return False
        return False if refusal else None

    def after_tool_call(self, context: ToolCallHookContext) -> str | None:
        """The reason, for a call blastdoor refused; otherwise records the outcome and keeps the result."""
        try:
            with self._lock:
                entry = self._calls.pop(id(context.tool_input), None)
            if entry is None or entry[0] is not context.tool_input:
                return None  # not a call these hooks judged (another hook blocked it first)
            _, cid, started, refusal = entry
            if refusal:
                return refusal
            result = (context.tool_result or "").lstrip()
            failed = result.startswith(FAILED)
            self.guard.record_outcome(
                cid,
                exit_code=None if failed else 0,
                error=result[:500] if failed else None,
                duration_ms=(time.monotonic() - started) * 1000,
                wait=False,
            )
        except Exception:
            return None  # the tool has run; a lost outcome must not change its result
        return None

    # -- judging -----------------------------------------------------------------------------------------

    def _judge(self, context: ToolCallHookContext) -> tuple[str, str]:
        """(correlation id the call runs under, "") to run it; ("", text for the model) to refuse it."""
        name = str(context.tool_name)
        try:
            action = self.guard.action(name, dict(context.tool_input), hint=self.hints.get(name))
        except ValueError as exc:
            return "", f"blastdoor: deny: the call cannot be judged: {exc}"
        cid = new_call_id()
        decision = self.guard.decide(action, correlation_id=cid, ask_as_approve=self.ask == "approve")
        if decision.verdict == "ask":
            return self._confirm(context, action, decision, cid)
        if decision.verdict == "approve" and self.wait > 0:
            cid = new_call_id()  # the approved call is decided again, under its own id
            decision = self.guard.wait_for_approval(decision, action=action, timeout=self.wait, correlation_id=cid)
        if decision.verdict != "allow":
            return "", blocked_text(decision)
        return cid, ""

    def _confirm(self, context: ToolCallHookContext, action: Action, decision: Decision, cid: str) -> tuple[str, str]:
        why = blocked_text(decision)
        args = json.dumps(action.args, sort_keys=True, default=str)[:500]
        try:
            answer = context.request_human_input(
                prompt=f"{why}\nRun {context.tool_name} {args}?",
                default_message="Type 'yes' to run it; anything else refuses it:",
            )
        except (Exception, KeyboardInterrupt) as exc:  # no console (end of input): nobody confirmed
            return "", f"blastdoor: nobody confirmed this call ({type(exc).__name__}). {why}"
        if str(answer).strip().lower() in YES:
            return cid, ""
        return "", f"blastdoor: the user did not confirm this call. {why}"
