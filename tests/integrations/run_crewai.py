"""CrewAI: a real Crew (one Agent, one Task) driven by a scripted BaseLLM (CrewAI ships no test model),
blastdoor in CrewAI's tool-call hooks, tools on a real SQLite file and file tree.

Run by test_crewai.py in tests/integrations/.venv-crewai (CrewAI's pins conflict with .venv's):

    python run_crewai.py CONFIG.json

CONFIG: {"policy", "store" (or "url" and "token" of a server), "db", "root", "calls" (a file each call
that really runs is appended to), "runs": [{"plan": [[tool, text], ...], "wait": seconds, "ask": "human"
| "approve", "react": CrewAI's text protocol instead of native tool calls}, ...]}. The last
line printed is one JSON object: {"runs": [{"seen": {tool_call_id: what the model read}}, ...]}.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from typing import Any

from crewai import Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM
from crewai.tools import tool

from blastdoor.integrations.crewai import BlastdoorHooks
from blastdoor.sdk import Guard, Hint

HINTS = {"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")}


class Scripted(BaseLLM):
    """One planned tool call per turn, then a final answer; records every tool result it is shown.

    Native function calls by default; with ``react`` CrewAI's text protocol (``Action:`` / ``Action
    Input:``, the result coming back as the turn's ``Observation:``), the path of models without tools.
    """

    plan: list[tuple[str, str]] = []  # noqa: RUF012 - pydantic field
    seen: dict[str, str] = {}  # noqa: RUF012 - pydantic field
    react: bool = False

    def supports_function_calling(self) -> bool:
        return not self.react

    def call(self, messages: Any, tools: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        mine = [str(m.get("content")) for m in messages if m.get("role") == "assistant"]
        for m in messages:
            if m.get("role") == "tool":
                self.seen[str(m.get("tool_call_id"))] = str(m.get("content"))
        if self.react:
            for i, text in enumerate(mine):
                self.seen[f"call-{i}"] = text.partition("\nObservation:")[2].strip()
        turn = len(mine)
        if turn < len(self.plan):
            name, text = self.plan[turn]
            args = json.dumps({"query" if name == "run_sql" else "command": text})
            if self.react:
                return f"Thought: next step\nAction: {name}\nAction Input: {args}"
            return [{"id": f"call-{turn}", "type": "function", "function": {"name": name, "arguments": args}}]
        return "Thought: all done\nFinal Answer: done" if self.react else "done"


def main(config: dict[str, Any]) -> dict[str, Any]:
    def ran(kind: str, text: str) -> None:
        with open(config["calls"], "a") as f:
            f.write(json.dumps([kind, text]) + "\n")

    @tool("run_sql")
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        ran("sql", query)
        with sqlite3.connect(config["db"]) as con:
            return repr(con.execute(query).fetchall())

    @tool("run_shell")
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        ran("shell", command)
        done = subprocess.run(["sh", "-c", command], cwd=config["root"], capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    if config.get("url"):  # a running `blastdoor serve`, with a requester's token; its policy for `root`
        guard = Guard.remote(config["url"], token=config["token"], agent="crew-ops", cwd=config["root"])
    else:
        guard = Guard.local(policy=config["policy"], store=config["store"], agent="crew-ops", requester="alice")
    out: list[dict[str, Any]] = []
    try:
        for run in config["runs"]:
            plan = [tuple(step) for step in run["plan"]]
            llm = Scripted(model="scripted", plan=plan, seen={}, react=run.get("react", False))
            agent = Agent(role="ops", goal="keep the app tidy", backstory="an operator", llm=llm,
                          tools=[run_sql, run_shell], verbose=False)  # fmt: skip
            task = Task(description="clean up", expected_output="what was done", agent=agent)
            with BlastdoorHooks(guard, hints=HINTS, wait=run.get("wait", 0.0), ask=run.get("ask", "human")):
                Crew(agents=[agent], tasks=[task], verbose=False).kickoff()
            out.append({"seen": llm.seen})
        if not guard.flush():
            raise RuntimeError("the outcomes could not be written")
    finally:
        guard.close()
    return {"runs": out}


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        result = main(json.load(f))
    print(json.dumps(result))
