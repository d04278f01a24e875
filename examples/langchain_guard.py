"""blastdoor in front of a LangChain v1 / LangGraph agent's tools (docs/SDK.md, "LangChain v1 / LangGraph").

    pip install 'blastdoor[langchain]'
    python examples/langchain_guard.py                    # a scripted model: no key, no network
    OPENAI_API_KEY=... python examples/langchain_guard.py --model openai:gpt-4o-mini   # + langchain-openai

The agent gets a SQL tool on a real SQLite database and a shell tool on a real file tree, with
blastdoor's middleware around every tool call: the model's `DROP TABLE users` and `rm -rf ./data` are
refused and the model reads why; its `SELECT` runs. (A rule with `verdict: approve` would interrupt the
graph until your approvers say yes: `middleware.settle(...)`, see docs/SDK.md.)
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import tempfile
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from blastdoor.integrations.langchain import BlastdoorMiddleware
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


class Scripted(FakeMessagesListChatModel):
    """A stand-in model (LangChain's fake chat model): its messages in order, whatever tools it is given."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def scripted() -> Scripted:
    """The planned calls, one per turn, then a last word."""
    turns: list[BaseMessage] = [
        AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call-{i}"}])
        for i, (name, args) in enumerate(PLAN)
    ]
    return Scripted(responses=[*turns, AIMessage("Done: I was not allowed to drop or delete anything.")])


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
    parser.add_argument("--model", default="", help="a LangChain model name (default: the scripted stand-in)")
    parser.add_argument("--dir", default="", help="where the database and files go (default: a new temp dir)")
    opts = parser.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="blastdoor-langchain-")
    make_world(work)

    @tool
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        with sqlite3.connect(os.path.join(work, "app.db")) as con:
            return repr(con.execute(query).fetchall())

    @tool
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        done = subprocess.run(["sh", "-c", command], cwd=work, capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr

    # Decides in this process; the audit log goes to work/audit.db (by default, the hooks' own store).
    guard = Guard.local(policy=os.path.join(work, "blastdoor.yaml"), store=os.path.join(work, "audit.db"),
                        agent="langchain-example")  # fmt: skip
    # The hints say which argument is SQL and which is a shell line: that is what the policy judges.
    middleware = BlastdoorMiddleware(guard, hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")})
    model: BaseChatModel | str = opts.model or scripted()
    # The checkpointer lets an `approve` or `ask` verdict interrupt the graph and resume it later.
    agent = create_agent(model, tools=[run_sql, run_shell], middleware=[middleware], checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "example"}}
    start: Any = {"messages": [("user", TASK)]}
    out = agent.invoke(start, config)
    guard.close()  # waits for the outcomes of the calls that ran to reach the audit log

    for message in out["messages"]:  # what each tool call gave the model to read
        if isinstance(message, ToolMessage):
            print(f"the model read ({message.name}): {message.content}")
    print(f"the agent said: {out['messages'][-1].content}")
    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")
    print(f"files: {sorted(os.listdir(os.path.join(work, 'data')))}")


if __name__ == "__main__":
    main()
