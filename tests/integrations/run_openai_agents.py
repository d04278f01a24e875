"""OpenAI Agents SDK: a real Runner loop driven by the SDK's ScriptedModel, blastdoor in the tools'
needs_approval and guardrails, tools on a real SQLite file and file tree."""

from __future__ import annotations

import asyncio
from typing import Any

from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call

from blastdoor.integrations.openai_agents import BlastdoorTools
from blastdoor.sdk import Guard, Hint
from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending

set_tracing_disabled(True)  # no network here: the SDK would try to export traces

HINTS = {"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")}


def _steps(*plan: tuple[str, str]) -> list[Any]:
    steps: list[Any] = []
    for i, (name, text) in enumerate(plan):
        arg = "query" if name == "run_sql" else "command"
        steps.append([function_call(name, {arg: text}, call_id=f"call-{i}")])
    return [*steps, [assistant_message("done")]]


def _agent(world: World, guard: Guard, model: ScriptedModel) -> tuple[Agent[Any], BlastdoorTools]:
    @function_tool
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        return world.run_sql(query)

    @function_tool
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        return world.run_shell(command)

    bd = BlastdoorTools(guard, hints=HINTS)
    return Agent(name="ops", model=model, tools=bd.protect([run_sql, run_shell])), bd


def _outputs(model: ScriptedModel) -> dict[str, str]:
    """Every tool output the model was shown, by call id."""
    seen: dict[str, str] = {}
    for call in model.calls:
        for item in call.input if isinstance(call.input, list) else []:
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                seen[item["call_id"]] = str(item["output"])
    return seen


def check_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    model = ScriptedModel(_steps(("run_sql", DROP), ("run_shell", RM), ("run_sql", SELECT), ("run_sql", DELETE)))
    agent, _bd = _agent(world, guard, model)
    result = asyncio.run(Runner.run(agent, "clean up"))

    assert world.intact() and world.calls == [("sql", SELECT)]
    seen = _outputs(model)
    assert "no-drop" in seen["call-0"] and "no-rm" in seen["call-1"] and "'ada'" in seen["call-2"]
    assert [i.call_id for i in result.interruptions] == ["call-3"]
    (request_id,) = pending(services)

    # The app approving in the run state on its own does not get past blastdoor.
    forged = result.to_state()
    forged.approve(result.interruptions[0])
    asyncio.run(Runner.run(agent, forged))
    assert world.users() == ["ada", "bob", "cy"] and "is pending" in _outputs(model)["call-3"]

    # Asked again, approved by bob in blastdoor, settled, resumed: it runs exactly once.
    model2 = ScriptedModel(_steps(("run_sql", DELETE)))
    agent2, bd2 = _agent(world, guard, model2)
    again = asyncio.run(Runner.run(agent2, "delete bob"))
    assert pending(services) == [request_id]
    approve(services, request_id)
    state = asyncio.run(bd2.settle(again, timeout=10))
    done = asyncio.run(Runner.run(agent2, state))
    assert done.final_output == "done"
    assert world.users() == ["ada", "cy"] and world.calls.count(("sql", DELETE)) == 1

    assert guard.flush()
    evs = events(services)
    decisions = [(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions and ("allow", "delete-rows") in decisions
    allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
    assert allowed == {e["correlation_id"] for e in evs if e["kind"] == "outcome"}
