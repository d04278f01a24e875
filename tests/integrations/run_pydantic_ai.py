"""Pydantic AI: a real agent loop driven by its FunctionModel, tools on a real SQLite file and file tree."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_ai import Agent, DeferredToolRequests, DeferredToolResults
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.toolsets import FunctionToolset

from blastdoor.integrations.pydantic_ai import BlastdoorToolset
from blastdoor.sdk import Guard, Hint
from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending

PLAN = [("run_sql", {"query": DROP}), ("run_shell", {"command": RM}), ("run_sql", {"query": SELECT}),
        ("run_sql", {"query": DELETE})]  # fmt: skip


class Script:
    """The model: one planned tool call per turn, and a record of every tool result it was shown."""

    def __init__(self, plan: list[tuple[str, dict[str, str]]] | None = None) -> None:
        self.seen: dict[str, str] = {}
        self.plan = PLAN if plan is None else plan

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        for m in messages:
            for part in getattr(m, "parts", []):
                if isinstance(part, ToolReturnPart):
                    self.seen[part.tool_call_id] = str(part.content)
        turn = sum(isinstance(m, ModelResponse) for m in messages)
        if turn < len(self.plan):
            name, args = self.plan[turn]
            return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call-{turn}")])
        return ModelResponse(parts=[TextPart("done")])


def _agent(world: World, guard: Guard, script: Script) -> tuple[Agent[None, Any], BlastdoorToolset]:
    tools = FunctionToolset([world.run_sql, world.run_shell])
    guarded = BlastdoorToolset(
        tools, guard=guard, hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")}
    )
    agent: Agent[None, Any] = Agent(FunctionModel(script), toolsets=[guarded], output_type=[str, DeferredToolRequests])
    return agent, guarded


def check_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    script = Script()
    agent, _guarded = _agent(world, guard, script)
    result = agent.run_sync("clean up")

    # DROP TABLE and rm -rf did not run; the model read why in its next turn; SELECT ran.
    assert world.intact()
    assert "no-drop" in script.seen["call-0"] and "Dropping tables is not allowed" in script.seen["call-0"]
    assert "no-rm" in script.seen["call-1"]
    assert "'ada'" in script.seen["call-2"]
    assert [c for c in world.calls] == [("sql", SELECT)]

    # DELETE needs a DBA: the run ends with the call deferred, and nothing ran.
    assert isinstance(result.output, DeferredToolRequests)
    assert [c.tool_call_id for c in result.output.approvals] == ["call-3"]
    (request_id,) = pending(services)
    assert result.output.metadata["call-3"]["blastdoor"]["request"] == request_id

    # The app marking the call approved on its own does not get past blastdoor.
    forged = agent.run_sync(
        message_history=result.all_messages(), deferred_tool_results=DeferredToolResults(approvals={"call-3": True})
    )
    assert world.users() == ["ada", "bob", "cy"] and "delete-rows" in script.seen["call-3"]

    # A second attempt: approved by bob in blastdoor, settled, resumed: it runs exactly once.
    script2 = Script()
    agent2, guarded2 = _agent(world, guard, script2)
    second = agent2.run_sync("clean up")
    assert isinstance(second.output, DeferredToolRequests)
    (rid,) = pending(services)
    assert rid == request_id  # the same action finds the same pending request
    approve(services, rid)
    answers = asyncio.run(guarded2.settle(second.output, timeout=10))
    assert answers.approvals == {"call-3": True}
    done = agent2.run_sync(message_history=second.all_messages(), deferred_tool_results=answers)
    assert done.output == "done"
    assert world.users() == ["ada", "cy"] and world.calls.count(("sql", DELETE)) == 1
    assert forged.output == "done"

    # The log holds each decision and the outcome of what ran.
    assert guard.flush()
    evs = events(services)
    decisions = [(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions
    assert ("allow", "delete-rows") in decisions
    ran = {e["correlation_id"] for e in evs if e["kind"] == "outcome"}
    allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
    assert allowed and allowed <= ran


def check_a_denied_approval_reaches_the_model_and_nothing_runs(world: World, guard: Guard, services: Services) -> None:
    script = Script()
    agent, guarded = _agent(world, guard, script)
    result = agent.run_sync("clean up")
    (rid,) = pending(services)
    from blastdoor.approvals import Person

    services.approvals.deny(rid, Person("bob"))
    answers = asyncio.run(guarded.settle(result.output, timeout=10))
    agent.run_sync(message_history=result.all_messages(), deferred_tool_results=answers)
    assert world.intact() and ("sql", DELETE) not in world.calls
    assert "denied" in script.seen["call-3"]


def check_an_ask_is_the_apps_user_to_confirm(world: World, guard: Guard, services: Services) -> None:
    update = "UPDATE users SET name = 'bea' WHERE id = 2"
    script = Script([("run_sql", {"query": update})])
    agent, guarded = _agent(world, guard, script)
    result = agent.run_sync("rename bob")
    assert isinstance(result.output, DeferredToolRequests)
    assert result.output.metadata["call-0"]["blastdoor"]["verdict"] == "ask" and world.calls == []
    assert pending(services) == []  # the user's word, not an approval request
    assert asyncio.run(guarded.settle(result.output, timeout=1)).approvals == {}  # settle leaves asks alone
    agent.run_sync(
        message_history=result.all_messages(), deferred_tool_results=DeferredToolResults(approvals={"call-0": True})
    )
    assert world.users() == ["ada", "bea", "cy"] and world.calls == [("sql", update)]
