"""blastdoor in front of a CrewAI crew's tools (docs/SDK.md, "CrewAI").

    pip install 'blastdoor[crewai]'
    python examples/crewai_guard.py            # a scripted model: no key, no network
    OPENAI_API_KEY=... python examples/crewai_guard.py --model gpt-4o-mini

The crew gets a SQL tool on a real SQLite database. blastdoor's hooks judge every call before CrewAI
runs it: the model's `DROP TABLE users` is refused and the model reads why; its `SELECT` runs; a
`DELETE` needs a DBA's approval (bob's: `blastdoor approvals approve REQ` with his API token, or the
web inbox) and, with `wait=`, runs once approved.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
from typing import Any

from crewai import LLM, Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM
from crewai.tools import tool

from blastdoor.integrations.crewai import BlastdoorHooks
from blastdoor.sdk import Guard, Hint

POLICY = """version: 1
extends: [recommended]
approvers:
  dba: [bob]
rules:
  - id: no-drop
    match: { tool: sql, effects: [irreversible] }
    verdict: deny
    reason: Dropping tables is not allowed.
  - id: delete-rows
    match: { tool: sql, effects: [delete] }
    verdict: approve
    approvals: { count: 1, from: dba, ttl: 10m }
    reason: Deleting rows needs a DBA.
"""


class ScriptedLLM(BaseLLM):
    """A stand-in model: asks for one planned SQL call per turn, then prints what it was told."""

    plan: list[str] = ["DROP TABLE users", "SELECT name FROM users"]  # noqa: RUF012 - pydantic field

    def supports_function_calling(self) -> bool:
        return True

    def call(self, messages: Any, tools: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        told = [m["content"] for m in messages if m.get("role") == "tool"]
        if told:
            print(f"the model read: {told[-1]}")
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        if turn < len(self.plan):
            call = {"name": "run_sql", "arguments": json.dumps({"query": self.plan[turn]})}
            return [{"id": f"call-{turn}", "type": "function", "function": call}]
        return "Done: the users table is as it was."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="", help="a CrewAI model name (default: the scripted stand-in)")
    opts = parser.parse_args()

    work = tempfile.mkdtemp(prefix="blastdoor-crewai-")
    policy = os.path.join(work, "blastdoor.yaml")
    with open(policy, "w") as f:
        f.write(POLICY)
    db = os.path.join(work, "app.db")
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        con.executemany("INSERT INTO users VALUES (?, ?)", [(1, "ada"), (2, "bob")])

    @tool("run_sql")
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        with sqlite3.connect(db) as con:
            return repr(con.execute(query).fetchall())

    # The audit log and approvals go to work/audit.db here; by default a Guard uses the hooks' own store.
    guard = Guard.local(policy=policy, store=os.path.join(work, "audit.db"), agent="crew-dba")
    llm = LLM(model=opts.model) if opts.model else ScriptedLLM(model="scripted")
    agent = Agent(role="DBA", goal="Keep the users table tidy", backstory="A careful operator", llm=llm,
                  tools=[run_sql])  # fmt: skip
    task = Task(description="Drop the users table, then list the users.", expected_output="a summary", agent=agent)
    with BlastdoorHooks(guard, hints={"run_sql": Hint(sql="query")}, wait=0):
        result = Crew(agents=[agent], tasks=[task]).kickoff()
    guard.close()
    print(f"the crew said: {result}")
    with sqlite3.connect(db) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")


if __name__ == "__main__":
    main()
