"""blastdoor in front of a hand-written agent loop, with the plain SDK (docs/SDK.md, "A Guard").

    pip install blastdoor
    python examples/sdk_guard.py                      # a scripted model: no key, no network
    OPENAI_API_KEY=... python examples/sdk_guard.py --model gpt-4o-mini   # needs `pip install openai`

The agent gets a SQL tool on a real SQLite database and a shell tool on a real file tree, both judged by
blastdoor before they run: the model's `DROP TABLE users` and `rm -rf ./data` are refused and the model
reads why; its `SELECT` runs; a `DELETE` needs a DBA's approval (you, here: the agent acts for `alice`).
Run with `--wait 300` and approve it from another terminal with the command the example prints: the
call then runs, once.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from blastdoor.sdk import Guard, blocked_text

POLICY = """version: 1
extends: [recommended]
approvers:
  dba: [{me}]
rules:
  - id: no-drop
    match: { tool: sql, effects: [irreversible] }
    verdict: deny
    reason: Dropping tables is not allowed.
  - id: no-rm
    match: { tool: shell, effects: [delete] }
    verdict: deny
    reason: Deleting files is not allowed here.
  - id: delete-rows
    match: { tool: sql, effects: [delete] }
    verdict: approve
    approvals: { count: 1, from: dba, ttl: 10m }
    reason: Deleting rows needs a DBA.
"""

# What the scripted model asks for, one tool call per turn.
PLAN = [
    ("run_sql", {"query": "DROP TABLE users"}),
    ("run_shell", {"command": "rm -rf ./data"}),
    ("run_sql", {"query": "SELECT name FROM users ORDER BY id"}),
    ("run_sql", {"query": "DELETE FROM users WHERE id = 2"}),
]
TASK = "Drop the users table, delete ./data with rm -rf, list the users, then delete user 2."
TOOLS = [  # the tools as an OpenAI chat model sees them (--model)
    {"type": "function", "function": {"name": name, "description": doc, "parameters": {
        "type": "object", "properties": {arg: {"type": "string"}}, "required": [arg]}}}
    for name, arg, doc in [("run_sql", "query", "Run one SQL statement on the application database."),
                           ("run_shell", "command", "Run one shell command in the project directory.")]
]  # fmt: skip


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
        f.write(POLICY.replace("{me}", getpass.getuser()))  # you approve; the agent acts for alice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="", help="an OpenAI chat model (default: the scripted stand-in)")
    parser.add_argument("--dir", default="", help="where the database and files go (default: a new temp dir)")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for a DBA's approval")
    opts = parser.parse_args()
    work = opts.dir or tempfile.mkdtemp(prefix="blastdoor-sdk-")
    make_world(work)

    # Decides in this process; the audit log and approval requests go to work/audit.db (by default a
    # Guard shares the hooks' store, so `blastdoor approvals` and the web inbox see its requests).
    store = os.path.join(work, "audit.db")
    guard = Guard.local(policy=os.path.join(work, "blastdoor.yaml"), store=store, agent="sdk-example",
                        requester="alice")  # fmt: skip

    # The easy way: a decorated tool is judged on every call. `sql="query"` says the argument is SQL;
    # `on_block="return"` hands the model the reason instead of raising `Blocked`; `wait` waits for approvers.
    @guard.tool(sql="query", on_block="return", wait=opts.wait)
    def run_sql(query: str) -> str:
        """Run one SQL statement on the application database."""
        with sqlite3.connect(os.path.join(work, "app.db")) as con:
            return repr(con.execute(query).fetchall())

    # The explicit way, for a dispatcher you already have: decide, wait for approvers, run, record.
    def run_shell(command: str) -> str:
        """Run one shell command in the project directory."""
        action = guard.action("run_shell", {"command": command}, shell="command")
        call_id = f"shell-{uuid.uuid4().hex}"  # links the decision and the outcome in the audit log
        decision = guard.decide(action, correlation_id=call_id)
        if decision.verdict == "approve":
            decision = guard.wait_for_approval(decision, action=action, timeout=opts.wait, correlation_id=call_id)
        if decision.verdict != "allow":  # deny, a pending approval, an error: never runs
            return blocked_text(decision)  # the verdict, the rule and the reason, for the model
        started = time.monotonic()
        try:
            done = subprocess.run(["sh", "-c", command], cwd=work, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as exc:  # a failure is an outcome too
            guard.record_outcome(call_id, error=str(exc), duration_ms=(time.monotonic() - started) * 1000)
            return f"error: {exc}"
        guard.record_outcome(call_id, exit_code=done.returncode, duration_ms=(time.monotonic() - started) * 1000)
        return done.stdout + done.stderr

    tools: dict[str, Callable[..., str]] = {"run_sql": run_sql, "run_shell": run_shell}
    print(f"approve a DBA's requests from another terminal: blastdoor approvals list --db {store}, then")
    print(f"                                                 blastdoor approvals approve REQ --db {store}")
    if opts.model:
        chat_loop(opts.model, tools)
    else:
        for name, args in PLAN:  # the hand-written loop: the model asks, the tool answers, the model reads
            print(f"the model asked: {name}({json.dumps(args)})")
            print(f"the model read: {tools[name](**args)}")
    guard.close()  # waits for queued outcomes to reach the audit log

    with sqlite3.connect(os.path.join(work, "app.db")) as con:
        print(f"users: {[r[0] for r in con.execute('SELECT name FROM users ORDER BY id')]}")
    print(f"files: {sorted(os.listdir(os.path.join(work, 'data')))}")


def chat_loop(model: str, tools: dict[str, Callable[..., str]]) -> None:
    """The same loop with a real model: OpenAI chat completions with tool calling."""
    from openai import OpenAI

    client = OpenAI()
    messages: list[Any] = [{"role": "user", "content": TASK}]
    for _ in range(10):
        reply = client.chat.completions.create(model=model, messages=messages, tools=TOOLS).choices[0].message  # type: ignore[arg-type]
        messages.append(reply.model_dump(exclude_none=True))
        if not reply.tool_calls:
            print(f"the model said: {reply.content}")
            return
        for call in reply.tool_calls:
            name, args = call.function.name, json.loads(call.function.arguments)  # type: ignore[union-attr]
            print(f"the model asked: {name}({json.dumps(args)})")
            result = tools[name](**args) if name in tools else f"no tool {name}"
            print(f"the model read: {result}")
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})


if __name__ == "__main__":
    main()
