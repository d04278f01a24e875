"""The SDK's cost per guarded tool call, against the same call unguarded, measured in the same run.

    .venv/bin/python bench/sdk.py [--quick] [--calls N]

The tool is a SELECT on a small SQLite table (a connection kept open), so its own cost is a few
microseconds and what is measured is the Guard: building the action, classifying the SQL, deciding,
recording the decision durably in the audit log (SQLite, fsync per commit unless batched) and the
outcome. In-process: ``Guard.local`` (the pipeline in this process). Server: ``Guard.remote`` over
the unix socket of a ``blastdoor serve`` started here. Calls are interleaved, so noise hits all three
alike. The last line is one JSON object; its keys ``inprocess_added_p50_us``, ``server_added_p50_ms``
and ``server_added_p99_ms`` are the contract of issue #21.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, summary

POLICY = """version: 1
extends: [recommended]
rules:
  - id: no-drop
    match: { tool: sql, effects: [irreversible] }
    verdict: deny
"""


def wait_socket(path: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited early ({proc.returncode})")
        if os.path.exists(path):
            try:
                with httpx.Client(transport=httpx.HTTPTransport(uds=path), base_url="http://x") as c:
                    if c.get("/healthz", timeout=1).status_code == 200:
                        return
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    sys.exit("the server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    parser.add_argument("--calls", type=int, default=0, help="calls per variant (default 2000, quick 200)")
    opts = parser.parse_args()
    calls = opts.calls or (200 if opts.quick else 2000)

    with tempfile.TemporaryDirectory(prefix="blastdoor-bench-sdk-") as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "BLASTDOOR_HOME": home,
            "BLASTDOOR_MANAGED_POLICY": "none",
        }
        os.environ.update(env)
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        policy = os.path.join(project, "blastdoor.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        db = sqlite3.connect(os.path.join(tmp, "app.db"), check_same_thread=False)
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO users VALUES (?, ?)", [(i, f"user{i}") for i in range(20)])
        db.commit()

        def run_sql(query: str) -> list[tuple[object, ...]]:
            return db.execute(query).fetchall()

        sock = os.path.join(home, "server.sock")
        blastdoor = os.path.join(os.path.dirname(sys.executable), "blastdoor")
        server = subprocess.Popen([blastdoor, "serve", "--listen", "127.0.0.1:0", "--socket", sock], env=env, cwd=tmp)
        try:
            wait_socket(sock, server)
            from blastdoor.sdk import Guard

            local = Guard.local(policy=policy, store=os.path.join(tmp, "sdk-audit.db"), cwd=project, agent="bench")
            remote = Guard.remote(socket=sock, cwd=project, agent="bench")
            variants = {
                "unguarded": run_sql,
                "inprocess": local.tool(sql="query")(run_sql),
                "server": remote.tool(sql="query")(run_sql),
            }
            query = "SELECT name FROM users WHERE id = 7"
            for fn in variants.values():  # warm up: imports, policy compile, connections
                for _ in range(20):
                    fn(query)
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(calls):
                for name, fn in variants.items():
                    start = time.perf_counter()
                    fn(query)
                    times[name].append((time.perf_counter() - start) * 1e6)
            local.close()
            remote.close()
        finally:
            server.terminate()
            server.wait(timeout=60)

    s = {name: summary(values) for name, values in times.items()}
    for name, st in s.items():
        print(f"{name:10s} p50 {st['p50']:9.1f} us  p90 {st['p90']:9.1f} us  p99 {st['p99']:9.1f} us")
    finish(
        {
            "calls": calls,
            "unguarded_p50_us": round(s["unguarded"]["p50"], 2),
            "inprocess_p50_us": round(s["inprocess"]["p50"], 1),
            "server_p50_ms": round(s["server"]["p50"] / 1000, 3),
            "inprocess_added_p50_us": round(s["inprocess"]["p50"] - s["unguarded"]["p50"], 1),
            "server_added_p50_ms": round((s["server"]["p50"] - s["unguarded"]["p50"]) / 1000, 3),
            "server_added_p99_ms": round((s["server"]["p99"] - s["unguarded"]["p99"]) / 1000, 3),
        }
    )


if __name__ == "__main__":
    main()
