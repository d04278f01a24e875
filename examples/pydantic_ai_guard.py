"""blastdoor in front of a Pydantic AI agent's tools (docs/SDK.md, "Pydantic AI").

    pip install 'blastdoor[pydantic-ai]'
    python examples/pydantic_ai_guard.py                    # a scripted model: no key, no network
    OPENAI_API_KEY=... python examples/pydantic_ai_guard.py --model openai:gpt-4o-mini

The agent gets a SQL tool on a real SQLite database and a shell tool on a real file tree, wrapped in
blastdoor's toolset: the model's `DROP TABLE users` and `rm -rf ./data` are refused and the model reads
why; its `SELECT` runs. (A rule with `verdict: approve` would end the run with the call deferred until
your approvers say yes: `guarded.settle(...)`, see docs/SDK.md.)
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import tempfile
from typing import Any

from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.toolsets import FunctionToolset

from blastdoor.integrations.pydantic_ai import BlastdoorToolset
from blastdoor.sdk import Guard, Hint

POLICY = """version: 1
extends: [recommended]
rules:
  - id: no-drop
    match: { tool: sql, effects: [irreversible] }
    verdict: deny
    reason: Dropping tables is not allowed.
  - id: no-rm
    match: { tool: shell, effects: [delete] }
    verdict: deny
    reason: Deleting files is not allowed here.
"""

# What the scripted model asks for, one tool call per turn.
PLAN = [
    ("run_sql", {"query": "DROP TABLE users"}),
    ("run_shell", {"command": "rm -rf ./data"}),
    ("run_sql", {"query": "SELECT name FROM users ORDER BY id"}),
]
TASK = "Drop the users table, delete ./data with rm -rf, then list the users."


def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A stand-in model (Pydantic AI's FunctionModel): the next planned call, then a last word."""
    turn = sum(isinstance(m, ModelResponse) for m in messages)
    if turn < len(PLAN):
        name, args = PLAN[turn]
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call-{turn}")])
    return ModelResponse(parts=[TextPart("Done: I was not allowed to drop or delete anything.")])


def make_world(work: str) -> None:
    """A database with three users and a directory with three files, for the agent to (not) destroy."""
    os.makedirs(os.path.join(work, "data"), exist_ok=True)
    for i in range(3):
        with open(os.path.join(work, "data", f"f{i}.txt"), "w") as f:
            f.write(f"file {i}\n")
    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        con.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")
        con.executemany("INSERT OR REPLACE INTO users VALUES (?, ?)", [(1, "ada"), (2, "bob"), (3, "cy")])
    with open(os.path.join(work, "blastdoor.yaml"), "w") as f:
        f.write(POLICY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="", help="a Pydantic AI model name (default: the scripted stand-in)")
    parser.add_argument("--dir", default="", help="where the database and files go (default: a new temp dir)")
    opts = parser.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="blastdoor-pydantic-ai-")
    make_world(work)

    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        with sqlite3.connect(os.path.join(work, "app.db")) as con:
            return repr(con.execute(query).fetchall())

    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        done = subprocess.run(["sh", "-c", command], cwd=work, capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr

    # Decides in this process; the audit log goes to work/audit.db (by default, the hooks' own store).
    guard = Guard.local(policy=os.path.join(work, "blastdoor.yaml"), store=os.path.join(work, "audit.db"),
                        agent="pydantic-ai-example")  # fmt: skip
    # The hints say which argument is SQL and which is a shell line: that is what the policy judges.
    guarded = BlastdoorToolset(FunctionToolset([run_sql, run_shell]), guard=guard,
                               hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")})  # fmt: skip
    model: Model | str = opts.model or FunctionModel(scripted)
    agent: Agent[None, Any] = Agent(model, toolsets=[guarded], output_type=[str, DeferredToolRequests])
    result = agent.run_sync(TASK)
    guard.close()  # waits for the outcomes of the calls that ran to reach the audit log

    for message in result.all_messages():  # what each tool call gave the model to read
        for part in getattr(message, "parts", []):
            if isinstance(part, ToolReturnPart):
                print(f"the model read ({part.tool_name}): {part.content}")
    print(f"the agent said: {result.output}")
    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")
    print(f"files: {sorted(os.listdir(os.path.join(work, 'data')))}")


if __name__ == "__main__":
    main()
