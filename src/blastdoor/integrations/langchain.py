"""LangChain v1 / LangGraph: agent middleware around every tool call, approvals as LangGraph interrupts.

    from blastdoor.integrations.langchain import BlastdoorMiddleware

    agent = create_agent(model, tools=[run_sql, run_shell], checkpointer=InMemorySaver(),
                         middleware=[BlastdoorMiddleware(guard, hints={"run_sql": Hint(sql="query")})])

- ``allow``: the tool runs; its outcome is recorded.
- ``deny``: the tool does not run; the model reads the reason as the tool's message (status ``error``).
- ``approve`` and ``ask``: the graph is interrupted (``interrupt({"blastdoor": {...}})``; it needs a
  checkpointer). Resume with ``Command(resume=...)``: the call is judged again, so once the request is
  approved in blastdoor it runs, once. For ``approve`` the resume value does not count (the people of
  the policy decide, not the app); for ``ask`` it is the user's confirmation: ``{"type": "accept"}``
  runs the call, anything else rejects it. ``middleware.settle(interrupt_value)`` waits for the
  approval when the app wants to block until people answer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.types import interrupt

from blastdoor.sdk import Guard, Hint, blocked_text, new_call_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from langgraph.prebuilt.tool_node import ToolCallRequest
    from langgraph.types import Command

    from blastdoor.action import Action, Decision

__all__ = ["BlastdoorMiddleware"]


class BlastdoorMiddleware(AgentMiddleware[Any, Any]):
    """Judges each tool call of a ``create_agent`` agent with ``guard`` before it runs."""

    def __init__(self, guard: Guard, *, hints: dict[str, Hint] | None = None) -> None:
        super().__init__()
        self.guard = guard
        self.hints = dict(hints or {})
        self._granted: dict[str, tuple[str, str]] = {}  # tool_call_id -> (action digest, correlation id)
        self._waiting: dict[str, tuple[Action, Decision]] = {}
        self._refused: dict[str, str] = {}  # tool_call_id -> why, for calls settle() saw refused

    @property
    def name(self) -> str:
        return "BlastdoorMiddleware"

    def _prepare(self, request: ToolCallRequest) -> tuple[Action | None, str, bool, str]:
        """(action, correlation id, already granted by ``settle``, refusal text)."""
        call = request.tool_call
        try:
            action = self.guard.action(call["name"], call.get("args") or {}, hint=self.hints.get(call["name"]))
        except ValueError as exc:
            return None, "", False, f"blastdoor: deny: the call cannot be judged: {exc}"
        refused = self._refused.pop(call.get("id") or "", "")
        if refused:
            return action, "", False, refused
        granted = self._granted.pop(call.get("id") or "", None)
        if granted is not None and granted[0] == action.digest():
            return action, granted[1], True, ""
        return action, new_call_id(), False, ""

    def _settle(self, request: ToolCallRequest, action: Action, decision: Decision) -> str:
        """ "" to run the call, else the text the model reads; interrupts the graph for approve and ask."""
        if decision.verdict == "allow":
            return ""
        if decision.verdict not in ("approve", "ask"):
            return blocked_text(decision)
        call_id = request.tool_call.get("id") or ""
        self._waiting[call_id] = (action, decision)
        why = blocked_text(decision)
        answer = interrupt(
            {
                "blastdoor": {
                    "verdict": decision.verdict,
                    "request": decision.request_id,
                    "tool_call_id": call_id,
                    "why": why,
                }
            }
        )
        self._waiting.pop(call_id, None)
        if decision.verdict == "ask":
            if isinstance(answer, dict) and answer.get("type") == "accept":
                return ""
            return f"blastdoor: the user did not confirm this call. {why}"
        return why  # still pending: the app's resume value is not an approval

    def _message(self, request: ToolCallRequest, text: str) -> ToolMessage:
        call = request.tool_call
        return ToolMessage(content=text, tool_call_id=call.get("id") or "", name=call["name"], status="error")

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        action, cid, granted, refusal = self._prepare(request)
        if action is None or refusal:
            return self._message(request, refusal)
        if not granted:
            decision = self.guard.decide(action, correlation_id=cid, ask_as_approve=False)
            refusal = self._settle(request, action, decision)
            if refusal:
                return self._message(request, refusal)
        started = time.monotonic()
        try:
            result = handler(request)
        except Exception as exc:
            self.guard.record_outcome(cid, error=f"{type(exc).__name__}: {exc}", duration_ms=_ms(started), wait=False)
            raise
        self.guard.record_outcome(cid, exit_code=0, duration_ms=_ms(started), wait=False)
        return result

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]
    ) -> ToolMessage | Command[Any]:
        action, cid, granted, refusal = self._prepare(request)
        if action is None or refusal:
            return self._message(request, refusal)
        if not granted:
            decision = await self.guard.adecide(action, correlation_id=cid, ask_as_approve=False)
            refusal = self._settle(request, action, decision)
            if refusal:
                return self._message(request, refusal)
        started = time.monotonic()
        try:
            result = await handler(request)
        except Exception as exc:
            self.guard.record_outcome(cid, error=f"{type(exc).__name__}: {exc}", duration_ms=_ms(started), wait=False)
            raise
        self.guard.record_outcome(cid, exit_code=0, duration_ms=_ms(started), wait=False)
        return result

    def settle(self, value: Any, *, timeout: float = 300.0) -> dict[str, str]:
        """Wait for blastdoor's approval of an interrupted call; the value to resume the graph with.

        ``value``: the interrupt's value (``{"blastdoor": {...}}``). Approved: the call runs once when the
        graph resumes (the approval was used here, bound to the call's id and its exact arguments).
        Denied, expired or not settled within ``timeout``: the resumed call is refused with the reason.
        """
        info = value.get("blastdoor") if isinstance(value, dict) else None
        call_id = info.get("tool_call_id", "") if isinstance(info, dict) else ""
        found = self._waiting.pop(call_id, None)
        if found is None or found[1].verdict != "approve":
            return {"type": "pending"}
        action, decision = found
        cid = new_call_id()
        settled = self.guard.wait_for_approval(decision, action=action, timeout=timeout, correlation_id=cid)
        if settled.verdict == "allow":
            self._granted[call_id] = (action.digest(), cid)
            return {"type": "approved"}
        why = blocked_text(settled)
        self._refused[call_id] = why
        return {"type": "refused", "why": why}


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
