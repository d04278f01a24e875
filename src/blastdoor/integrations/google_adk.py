"""Google ADK: ``before_tool_callback`` judges each call, ``after_tool_callback`` records its outcome.

    from blastdoor.integrations.google_adk import BlastdoorCallbacks

    bd = BlastdoorCallbacks(guard, hints={"run_sql": Hint(sql="query")}, wait=0)
    agent = LlmAgent(name="ops", model=..., tools=[run_sql, run_shell],
                     before_tool_callback=bd.before_tool, after_tool_callback=bd.after_tool)

- ``allow``: the callback returns None and ADK runs the tool; its outcome is recorded after it.
- anything else: the callback returns ``{"error": reason}``, which ADK hands the model as the tool's
  result instead of running it.
- ``approve`` (and ``ask``, which becomes an approval request): with ``wait`` > 0 the callback waits up
  to that many seconds for the policy's approvers and then runs the call once; without, the model reads
  that request ``req_...`` is pending and that the same call, retried once approved, runs (once).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from blastdoor.sdk import Guard, Hint, blocked_text, new_call_id

if TYPE_CHECKING:
    from google.adk.tools.base_tool import BaseTool
    from google.adk.tools.tool_context import ToolContext

__all__ = ["BlastdoorCallbacks"]


class BlastdoorCallbacks:
    """The two tool callbacks of an ADK ``LlmAgent``, judging with ``guard``."""

    def __init__(self, guard: Guard, *, hints: dict[str, Hint] | None = None, wait: float = 0.0) -> None:
        self.guard = guard
        self.hints = dict(hints or {})
        self.wait = wait
        self._running: dict[str, tuple[str, float]] = {}  # function_call_id -> (correlation id, start)

    async def before_tool(
        self, tool: BaseTool, args: dict[str, Any], tool_context: ToolContext
    ) -> dict[str, Any] | None:
        try:
            action = self.guard.action(tool.name, args, hint=self.hints.get(tool.name))
        except ValueError as exc:
            return {"error": f"blastdoor: deny: the call cannot be judged: {exc}"}
        cid = new_call_id()
        decision = await self.guard.adecide(action, correlation_id=cid)
        if decision.verdict == "approve" and self.wait > 0:
            cid = new_call_id()
            decision = await self.guard.await_approval(decision, action=action, timeout=self.wait, correlation_id=cid)
        if decision.verdict != "allow":
            return {"error": blocked_text(decision)}
        self._running[tool_context.function_call_id or ""] = (cid, time.monotonic())
        return None

    async def after_tool(
        self, tool: BaseTool, args: dict[str, Any], tool_context: ToolContext, tool_response: dict[str, Any]
    ) -> dict[str, Any] | None:
        running = self._running.pop(tool_context.function_call_id or "", None)
        if running is not None:
            cid, started = running
            failed = isinstance(tool_response, dict) and "error" in tool_response
            self.guard.record_outcome(
                cid,
                exit_code=None if failed else 0,
                error=str(tool_response["error"]) if failed else None,
                duration_ms=(time.monotonic() - started) * 1000,
                wait=False,
            )
        return None
