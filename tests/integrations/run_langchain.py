"""LangChain v1 / LangGraph: create_agent driven by LangChain's fake chat model, the middleware in front
of real tools (a SQLite file, a file tree), approvals as LangGraph interrupts on a checkpointer."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from blastdoor.approvals import Person
from blastdoor.integrations.langchain import BlastdoorMiddleware
from blastdoor.sdk import Guard, Hint
from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending


class Scripted(FakeMessagesListChatModel):
    """LangChain's fake model, recording every tool message it is shown; tools bind to it as they are."""

    seen: dict[str, str] = {}  # noqa: RUF012 - pydantic field, one per instance

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        for m in messages:
            if isinstance(m, ToolMessage):
                self.seen[m.tool_call_id] = str(m.content)
        return super()._generate(messages, *args, **kwargs)


def _calls(*plan: tuple[str, str]) -> list[BaseMessage]:
    turns: list[BaseMessage] = []
    for i, (name, text) in enumerate(plan):
        arg = "query" if name == "run_sql" else "command"
        turns.append(AIMessage("", tool_calls=[{"name": name, "args": {arg: text}, "id": f"call-{i}"}]))
    return [*turns, AIMessage("done")]


def _agent(world: World, guard: Guard, model: Scripted) -> tuple[Any, BlastdoorMiddleware]:
    @tool
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        return world.run_sql(query)

    @tool
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        return world.run_shell(command)

    middleware = BlastdoorMiddleware(guard, hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")})
    agent = create_agent(model, tools=[run_sql, run_shell], middleware=[middleware], checkpointer=InMemorySaver())
    return agent, middleware


def check_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    model = Scripted(responses=_calls(("run_sql", DROP), ("run_shell", RM), ("run_sql", SELECT), ("run_sql", DELETE)))
    agent, _ = _agent(world, guard, model)
    config: Any = {"configurable": {"thread_id": "t1"}}
    out = agent.invoke({"messages": [("user", "clean up")]}, config)

    assert world.intact() and world.calls == [("sql", SELECT)]
    assert "no-drop" in model.seen["call-0"] and "no-rm" in model.seen["call-1"] and "'ada'" in model.seen["call-2"]
    (interrupted,) = out["__interrupt__"]
    (request_id,) = pending(services)
    assert interrupted.value["blastdoor"]["request"] == request_id

    # Resuming without an approval in blastdoor: the app's answer is not one; nothing runs.
    agent.invoke(Command(resume={"type": "accept"}), config)
    assert world.users() == ["ada", "bob", "cy"] and "is pending" in model.seen["call-3"]
    assert pending(services) == [request_id]

    # A new run asks again, bob approves in blastdoor, the graph resumes: the call runs exactly once.
    model2 = Scripted(responses=_calls(("run_sql", DELETE)))
    agent2, _ = _agent(world, guard, model2)
    config2: Any = {"configurable": {"thread_id": "t2"}}
    out2 = agent2.invoke({"messages": [("user", "delete bob")]}, config2)
    assert out2["__interrupt__"][0].value["blastdoor"]["request"] == request_id
    approve(services, request_id)
    final = agent2.invoke(Command(resume={"type": "approved"}), config2)
    assert final["messages"][-1].content == "done"
    assert world.users() == ["ada", "cy"] and world.calls.count(("sql", DELETE)) == 1
    assert "'ada'" not in model2.seen["call-0"] and "blastdoor" not in model2.seen["call-0"]

    assert guard.flush()
    decisions = [(e["verdict"], e["rule"]) for e in events(services) if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions and ("allow", "delete-rows") in decisions
    assert sum(e["kind"] == "outcome" for e in events(services)) == 2  # SELECT and the approved DELETE


def check_settle_waits_for_people_and_a_denial_reaches_the_model(
    world: World, guard: Guard, services: Services
) -> None:
    model = Scripted(responses=_calls(("run_sql", DELETE)))
    agent, middleware = _agent(world, guard, model)
    config: Any = {"configurable": {"thread_id": "t3"}}
    out = agent.invoke({"messages": [("user", "delete bob")]}, config)
    (request_id,) = pending(services)
    services.approvals.deny(request_id, Person("bob"))
    answer = middleware.settle(out["__interrupt__"][0].value, timeout=10)
    assert answer["type"] == "refused"
    agent.invoke(Command(resume=answer), config)
    assert world.intact() and "denied" in model.seen["call-0"]
