"""Google ADK: a real LlmAgent on ADK's InMemoryRunner, driven by a scripted BaseLlm (ADK ships no test
model), blastdoor in the tool callbacks, tools on a real SQLite file and file tree."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.genai import types

from blastdoor.integrations.google_adk import BlastdoorCallbacks
from blastdoor.sdk import Guard, Hint
from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending

HINTS = {"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")}


class Scripted(BaseLlm):
    """One planned function call per turn, then text; records every function response it is shown."""

    plan: list[tuple[str, str]]
    seen: dict[str, str] = {}  # noqa: RUF012 - pydantic field

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        for content in llm_request.contents:
            for part in content.parts or []:
                if part.function_response is not None:
                    self.seen[part.function_response.id or ""] = str(part.function_response.response)
        turn = sum(1 for c in llm_request.contents if c.role == "model")
        if turn < len(self.plan):
            name, text = self.plan[turn]
            arg = "query" if name == "run_sql" else "command"
            call = types.FunctionCall(name=name, args={arg: text}, id=f"call-{turn}")
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))
        else:
            yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text="done")]))


def _run(world: World, guard: Guard, plan: list[tuple[str, str]], wait: float = 0.0) -> Scripted:
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        return world.run_sql(query)

    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        return world.run_shell(command)

    model = Scripted(model="scripted", plan=plan)
    bd = BlastdoorCallbacks(guard, hints=HINTS, wait=wait)
    agent = LlmAgent(name="ops", model=model, tools=[run_sql, run_shell],
                     before_tool_callback=bd.before_tool, after_tool_callback=bd.after_tool)  # fmt: skip

    async def go() -> None:
        runner = InMemoryRunner(agent=agent, app_name="t")
        session = await runner.session_service.create_session(app_name="t", user_id="u")
        message = types.Content(role="user", parts=[types.Part(text="clean up")])
        async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
            pass

    asyncio.run(go())
    return model


def check_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    model = _run(world, guard, [("run_sql", DROP), ("run_shell", RM), ("run_sql", SELECT), ("run_sql", DELETE)])
    assert world.intact() and world.calls == [("sql", SELECT)]
    assert "no-drop" in model.seen["call-0"] and "no-rm" in model.seen["call-1"] and "'ada'" in model.seen["call-2"]
    (request_id,) = pending(services)
    assert request_id in model.seen["call-3"] and "is pending" in model.seen["call-3"]

    # The same call again, with the callback waiting: bob approves once it waits; it runs exactly once.
    asked = sum(e["kind"] == "decision" and e["verdict"] == "approve" for e in events(services))

    def bob() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the second run's call is decided (and waits)
            if sum(e["kind"] == "decision" and e["verdict"] == "approve" for e in events(services)) > asked:
                approve(services, request_id)
                return
            time.sleep(0.02)

    threading.Thread(target=bob, daemon=True).start()
    _run(world, guard, [("run_sql", DELETE)], wait=20)
    assert world.users() == ["ada", "cy"] and world.calls.count(("sql", DELETE)) == 1

    assert guard.flush()
    evs = events(services)
    decisions = [(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions and ("allow", "delete-rows") in decisions
    allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
    assert allowed == {e["correlation_id"] for e in evs if e["kind"] == "outcome"}
