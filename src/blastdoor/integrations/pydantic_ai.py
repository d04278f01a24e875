"""Pydantic AI: a wrapper toolset that judges every tool call, approvals as deferred tool calls.

    from blastdoor.integrations.pydantic_ai import BlastdoorToolset

    guarded = BlastdoorToolset(FunctionToolset([run_sql, run_shell]), guard, hints={"run_sql": Hint(sql="query")})
    agent = Agent(model, toolsets=[guarded], output_type=[str, DeferredToolRequests])

- ``allow``: the tool runs; its outcome is recorded.
- ``deny``: the tool does not run; the model reads the reason as the tool's result.
- ``approve``: the call is deferred (``ApprovalRequired``): the run ends with ``DeferredToolRequests``.
  ``await guarded.settle(requests)`` waits for the people blastdoor's policy names and answers with the
  ``DeferredToolResults`` to resume with; the resumed call runs once. An app that marks a call
  approved on its own does not get past blastdoor: the call is judged again.
- ``ask``: deferred too; the app's own user confirming it (``approvals={id: True}``) lets it run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.exceptions import ApprovalRequired
from pydantic_ai.toolsets import WrapperToolset

from blastdoor.sdk import Guard, Hint, blocked_text, new_call_id

if TYPE_CHECKING:
    from pydantic_ai import RunContext
    from pydantic_ai.toolsets.abstract import ToolsetTool

    from blastdoor.action import Decision

__all__ = ["BlastdoorToolset"]

_META = "blastdoor"


@dataclass
class BlastdoorToolset(WrapperToolset[Any]):
    """Every call of the wrapped toolset's tools judged by ``guard`` before it runs."""

    guard: Guard = field(kw_only=True)
    hints: dict[str, Hint] = field(default_factory=dict, kw_only=True)
    # tool_call_id -> (action digest, correlation id): approvals blastdoor granted (and used), by settle()
    _granted: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)
    _deferred: dict[str, tuple[Any, Decision]] = field(default_factory=dict, init=False, repr=False)

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> Any:
        call_id = ctx.tool_call_id or ""
        try:
            action = self.guard.action(name, tool_args, hint=self.hints.get(name))
        except ValueError as exc:
            return f"blastdoor: deny: the call cannot be judged: {exc}"
        granted = self._granted.pop(call_id, None) if ctx.tool_call_approved else None
        if granted is not None and granted[0] == action.digest():
            return await self._run(name, tool_args, ctx, tool, granted[1])
        cid = new_call_id()
        decision = await self.guard.adecide(action, correlation_id=cid, ask_as_approve=False)
        if decision.verdict == "ask" and ctx.tool_call_approved:
            decision = decision.with_verdict("allow", decision.rule, "the user confirmed it")
        if decision.verdict == "allow":
            return await self._run(name, tool_args, ctx, tool, cid)
        if decision.verdict in ("approve", "ask") and not ctx.tool_call_approved and call_id:
            self._deferred[call_id] = (action, decision)
            raise ApprovalRequired(
                metadata={
                    _META: {"verdict": decision.verdict, "request": decision.request_id, "why": blocked_text(decision)}
                }
            )
        return blocked_text(decision)

    async def _run(
        self, name: str, args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any], cid: str
    ) -> Any:
        started = time.monotonic()
        try:
            result = await self.wrapped.call_tool(name, args, ctx, tool)
        except Exception as exc:
            self.guard.record_outcome(cid, error=f"{type(exc).__name__}: {exc}", duration_ms=_ms(started), wait=False)
            raise
        self.guard.record_outcome(cid, exit_code=0, duration_ms=_ms(started), wait=False)
        return result

    async def settle(self, requests: DeferredToolRequests, *, timeout: float = 300.0) -> DeferredToolResults:
        """Wait for blastdoor's approvals of the deferred calls; the results to resume the run with.

        A call blastdoor approved is answered ``True`` and runs once when the run resumes; one it did not
        (denied, expired, not settled within ``timeout``) is a ``ToolDenied`` whose message the model reads.
        An ``ask`` is left out: it is the app's own user who confirms it.
        """
        results = DeferredToolResults()
        deadline = time.monotonic() + timeout
        for call in requests.approvals:
            found = self._deferred.get(call.tool_call_id)
            if found is None or found[1].verdict != "approve":
                continue
            action, decision = found
            cid = new_call_id()
            left = max(0.0, deadline - time.monotonic())
            settled = await self.guard.await_approval(decision, action=action, timeout=left, correlation_id=cid)
            if settled.verdict == "allow":
                self._granted[call.tool_call_id] = (action.digest(), cid)
                results.approvals[call.tool_call_id] = True
            else:
                results.approvals[call.tool_call_id] = ToolDenied(blocked_text(settled))
            del self._deferred[call.tool_call_id]
        return results


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
