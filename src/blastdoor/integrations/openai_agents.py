"""OpenAI Agents SDK: tool input guardrails and the SDK's own human-in-the-loop approvals.

    from blastdoor.integrations.openai_agents import BlastdoorTools

    bd = BlastdoorTools(guard, hints={"run_sql": Hint(sql="query")})
    agent = Agent(name="ops", tools=bd.protect([run_sql, run_shell]))

``protect`` sets three things on each function tool:

- ``needs_approval``: the call is judged when the model asks for it; ``approve`` and ``ask`` interrupt
  the run (``result.interruptions``), anything else does not.
- an input guardrail: ``deny`` (and an ``approve`` still pending) rejects the call with the reason as
  the tool's output, which the model reads; ``allow`` lets it run.
- an output guardrail that records the call's outcome in the audit log.

After an interruption, ``state = await bd.settle(result)`` waits for the people blastdoor's policy
names (``approve``) and approves or rejects each call in the run state; resume with
``Runner.run(agent, state)``: an approved call runs once. An ``ask`` is the app's own user's to
confirm with ``state.approve(item)``. Approving an ``approve`` call in the run state without blastdoor
does not get it past the guardrail: it is judged again.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from agents import FunctionTool, ToolGuardrailFunctionOutput, ToolInputGuardrail, ToolOutputGuardrail

from blastdoor.sdk import Guard, Hint, blocked_text, new_call_id

if TYPE_CHECKING:
    from collections.abc import Iterable

    from agents import RunContextWrapper
    from agents.run_state import RunState
    from agents.tool_guardrails import ToolInputGuardrailData, ToolOutputGuardrailData

    from blastdoor.action import Action, Decision

__all__ = ["BlastdoorTools"]


class BlastdoorTools:
    """Guards function tools of an OpenAI Agents SDK agent with ``guard``."""

    def __init__(self, guard: Guard, *, hints: dict[str, Hint] | None = None) -> None:
        self.guard = guard
        self.hints = dict(hints or {})
        # call_id -> (digest, correlation id, decision): judged at needs_approval, used by the guardrail
        self._judged: dict[str, tuple[str, str, Decision, Action]] = {}
        self._granted: dict[str, tuple[str, str]] = {}  # call_id -> (digest, correlation id), by settle()
        self._running: dict[str, tuple[str, float]] = {}  # call_id -> (correlation id, start)

    def protect(self, tools: Iterable[FunctionTool]) -> list[FunctionTool]:
        """The same tools, each judged by blastdoor (``needs_approval`` and the guardrails are set)."""
        out = []
        for tool in tools:
            tool.needs_approval = self._needs_approval(tool.name)
            tool.tool_input_guardrails = [*(tool.tool_input_guardrails or []), self._input_guardrail()]
            tool.tool_output_guardrails = [*(tool.tool_output_guardrails or []), self._output_guardrail()]
            out.append(tool)
        return out

    def _action(self, name: str, args: dict[str, Any]) -> Action:
        return self.guard.action(name, args, hint=self.hints.get(name))

    def _needs_approval(self, tool_name: str) -> Any:
        async def needs_approval(ctx: RunContextWrapper[Any], params: dict[str, Any], call_id: str) -> bool:
            try:
                action = self._action(tool_name, params)
            except ValueError:
                return False  # the guardrail refuses it with the reason
            cid = new_call_id()
            decision = await self.guard.adecide(action, correlation_id=cid, ask_as_approve=False)
            self._judged[call_id] = (action.digest(), cid, decision, action)
            return decision.verdict in ("approve", "ask")

        return needs_approval

    def _input_guardrail(self) -> ToolInputGuardrail[Any]:
        async def judge(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
            ctx = data.context
            try:
                args = json.loads(ctx.tool_arguments or "{}")
                action = self._action(ctx.tool_name, args if isinstance(args, dict) else {"input": args})
            except ValueError as exc:
                return ToolGuardrailFunctionOutput.reject_content(f"blastdoor: deny: the call cannot be judged: {exc}")
            digest = action.digest()
            granted = self._granted.pop(ctx.tool_call_id, None)
            judged = self._judged.pop(ctx.tool_call_id, None)
            if granted is not None and granted[0] == digest:
                return self._allow(ctx.tool_call_id, granted[1])
            if judged is not None and judged[0] == digest:
                _, cid, decision, _ = judged
                if decision.verdict == "ask":  # the run reached the tool: the app's user confirmed it
                    return self._allow(ctx.tool_call_id, cid)
                if decision.verdict == "allow":
                    return self._allow(ctx.tool_call_id, cid)
            cid = new_call_id()  # not judged here before (or changed since): judge now
            decision = await self.guard.adecide(action, correlation_id=cid, ask_as_approve=False)
            if decision.verdict == "allow":
                return self._allow(ctx.tool_call_id, cid)
            return ToolGuardrailFunctionOutput.reject_content(blocked_text(decision))

        return ToolInputGuardrail(guardrail_function=judge, name="blastdoor")

    def _allow(self, call_id: str, cid: str) -> ToolGuardrailFunctionOutput:
        self._running[call_id] = (cid, time.monotonic())
        return ToolGuardrailFunctionOutput.allow()

    def _output_guardrail(self) -> ToolOutputGuardrail[Any]:
        def record(data: ToolOutputGuardrailData) -> ToolGuardrailFunctionOutput:
            running = self._running.pop(data.context.tool_call_id, None)
            if running is not None:
                cid, started = running
                self.guard.record_outcome(cid, exit_code=0, duration_ms=(time.monotonic() - started) * 1000, wait=False)
            return ToolGuardrailFunctionOutput.allow()

        return ToolOutputGuardrail(guardrail_function=record, name="blastdoor-outcome")

    async def settle(self, result: Any, *, timeout: float = 300.0) -> RunState[Any]:
        """The run state to resume with: each call blastdoor approved is approved in it, each one it did
        not (denied, expired, not settled within ``timeout``) rejected with the reason. ``ask`` calls are
        left for the app's user."""
        state: RunState[Any] = result.to_state()
        deadline = time.monotonic() + timeout
        for item in result.interruptions:
            judged = self._judged.get(item.call_id or "")
            if judged is None or judged[2].verdict != "approve":
                continue
            digest, _, decision, action = judged
            cid = new_call_id()
            left = max(0.0, deadline - time.monotonic())
            settled = await self.guard.await_approval(decision, action=action, timeout=left, correlation_id=cid)
            del self._judged[item.call_id]
            if settled.verdict == "allow":
                self._granted[item.call_id] = (digest, cid)
                state.approve(item)
            else:
                state.reject(item, rejection_message=blocked_text(settled))
        return state
