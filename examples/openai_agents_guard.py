"""blastdoor in front of an OpenAI Agents SDK agent's tools (docs/SDK.md, "OpenAI Agents SDK").

    pip install 'blastdoor[openai-agents]'
    python examples/openai_agents_guard.py                    # a scripted model: no key, no network
    OPENAI_API_KEY=... python examples/openai_agents_guard.py --model gpt-4o-mini

The agent gets a SQL tool on a real SQLite database and a shell tool on a real file tree, protected by
blastdoor (each tool's `needs_approval` and input guardrail): the model's `DROP TABLE users` and
`rm -rf ./data` are refused and the model reads why; its `SELECT` runs. (A rule with `verdict: approve`
would interrupt the run until your approvers say yes: `bd.settle(result)`, see docs/SDK.md.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import tempfile
from typing import Any

from agents import Agent, Runner, Tool, function_tool, set_tracing_disabled
from agents.items import ToolCallItem, ToolCallOutputItem
from agents.models.interface import Model
from agents.testing import ScriptedModel, assistant_message, function_call

from blastdoor.integrations.openai_agents import BlastdoorTools
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


def scripted() -> ScriptedModel:
    """A stand-in model (the Agents SDK's ScriptedModel): the planned calls, one per turn, then a last word."""
    steps: list[Any] = [[function_call(name, args, call_id=f"call-{i}")] for i, (name, args) in enumerate(PLAN)]
    return ScriptedModel([*steps, [assistant_message("Done: I was not allowed to drop or delete anything.")]])


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
    parser.add_argument("--model", default="", help="an OpenAI model name (default: the scripted stand-in)")
    parser.add_argument("--dir", default="", help="where the database and files go (default: a new temp dir)")
    opts = parser.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="blastdoor-openai-agents-")
    make_world(work)

    @function_tool
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        with sqlite3.connect(os.path.join(work, "app.db")) as con:
            return repr(con.execute(query).fetchall())

    @function_tool
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        done = subprocess.run(["sh", "-c", command], cwd=work, capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr

    # Decides in this process; the audit log goes to work/audit.db (by default, the hooks' own store).
    guard = Guard.local(policy=os.path.join(work, "blastdoor.yaml"), store=os.path.join(work, "audit.db"),
                        agent="openai-agents-example")  # fmt: skip
    # The hints say which argument is SQL and which is a shell line: that is what the policy judges.
    bd = BlastdoorTools(guard, hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")})
    if not opts.model:
        set_tracing_disabled(True)  # offline: the SDK would try to upload its traces
    model: Model | str = opts.model or scripted()
    tools: list[Tool] = [*bd.protect([run_sql, run_shell])]
    agent = Agent(name="ops", instructions="You look after the app's database and files.", model=model, tools=tools)
    result = asyncio.run(Runner.run(agent, TASK))
    guard.close()  # waits for the outcomes of the calls that ran to reach the audit log

    names: dict[str, str] = {}
    for item in result.new_items:  # what each tool call gave the model to read
        raw: Any = item.raw_item
        call_id = str(raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", ""))
        if isinstance(item, ToolCallItem):
            names[call_id] = str(getattr(raw, "name", "?"))
        elif isinstance(item, ToolCallOutputItem):
            print(f"the model read ({names.get(call_id, '?')}): {item.output}")
    print(f"the agent said: {result.final_output}")
    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")
    print(f"files: {sorted(os.listdir(os.path.join(work, 'data')))}")


if __name__ == "__main__":
    main()
