"""blastdoor in front of a Google ADK agent's tools (docs/SDK.md, "Google ADK").

    pip install 'blastdoor[google-adk]'
    python examples/google_adk_guard.py                    # a scripted model: no key, no network
    GOOGLE_API_KEY=... python examples/google_adk_guard.py --model gemini-2.5-flash

The agent gets a SQL tool on a real SQLite database and a shell tool on a real file tree, with
blastdoor's before/after tool callbacks: the model's `DROP TABLE users` and `rm -rf ./data` are refused
and the model reads why; its `SELECT` runs. (A rule with `verdict: approve` would make the callback wait
up to `wait=` seconds for your approvers, see docs/SDK.md.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import AsyncGenerator

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.genai import types

from blastdoor.integrations.google_adk import BlastdoorCallbacks
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


class Scripted(BaseLlm):
    """A stand-in model (ADK ships no test model): the next planned call per turn, then a last word."""

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        turn = sum(1 for c in llm_request.contents if c.role == "model")
        if turn < len(PLAN):
            name, args = PLAN[turn]
            part = types.Part(function_call=types.FunctionCall(name=name, args=args, id=f"call-{turn}"))
        else:
            part = types.Part(text="Done: I was not allowed to drop or delete anything.")
        usage = types.GenerateContentResponseUsageMetadata(prompt_token_count=0, candidates_token_count=0)
        yield LlmResponse(content=types.Content(role="model", parts=[part]), usage_metadata=usage)


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
    parser.add_argument("--model", default="", help="an ADK model name (default: the scripted stand-in)")
    parser.add_argument("--dir", default="", help="where the database and files go (default: a new temp dir)")
    opts = parser.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="blastdoor-google-adk-")
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
                        agent="google-adk-example")  # fmt: skip
    # The hints say which argument is SQL and which is a shell line: that is what the policy judges.
    # `wait`: seconds an `approve` verdict waits in the callback for the policy's approvers.
    bd = BlastdoorCallbacks(guard, hints={"run_sql": Hint(sql="query"), "run_shell": Hint(shell="command")}, wait=0)
    model: BaseLlm | str = opts.model or Scripted(model="scripted")
    agent = LlmAgent(name="ops", model=model, instruction="You look after the app's database and files.",
                     tools=[run_sql, run_shell], before_tool_callback=bd.before_tool,
                     after_tool_callback=bd.after_tool)  # fmt: skip
    asyncio.run(run(agent))
    guard.close()  # waits for the outcomes of the calls that ran to reach the audit log
    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")
    print(f"files: {sorted(os.listdir(os.path.join(work, 'data')))}")


async def run(agent: LlmAgent) -> None:
    """One turn of the conversation on ADK's in-memory runner, printing what the model is shown."""
    runner = InMemoryRunner(agent=agent, app_name="example")
    session = await runner.session_service.create_session(app_name="example", user_id="me")
    message = types.Content(role="user", parts=[types.Part(text=TASK)])
    async for event in runner.run_async(user_id="me", session_id=session.id, new_message=message):
        for part in event.content.parts or [] if event.content is not None else []:
            if part.function_response is not None:  # what each tool call gave the model to read
                print(f"the model read ({part.function_response.name}): {part.function_response.response}")
            elif part.text and event.author == agent.name:
                print(f"the agent said: {part.text}")


if __name__ == "__main__":
    main()
