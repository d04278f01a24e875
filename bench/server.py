"""Decisions through the running server against the floor, measured in the same run.

    .venv/bin/python bench/server.py [--quick] [--requests N] [--seconds S]

The floor: a bare echo endpoint on the same stack (Starlette on uvicorn with uvloop and httptools, the
handler in a worker thread as blastdoor's are) plus one durable SQLite commit (WAL, synchronous=FULL).
blastdoor: ``POST /v1/decide`` on ``blastdoor serve`` (recommended policy, embedded SQLite; over TCP
with a requester's API token, on the unix socket by its peer credentials), which
classifies, checks the agent's revocation, decides and appends the decision durably before answering
(in the event loop; the append is committed by the audit log's writer thread, batched with others).

Latency: sequential requests on one keep-alive connection, over TCP and over the unix socket.
Throughput: 8 concurrent keep-alive clients for S seconds; afterwards the log's count of decision
events must equal the count of answered decisions (no event lost). Budgets (issue 5): p50 <= 2 x the
floor's p50, p99 <= 4 x the floor's p99, >= 2,000 decisions/s with 8 clients. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, summary

FLOOR_APP = r"""
import sqlite3, sys, threading
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

db = sqlite3.connect(sys.argv[2], isolation_level=None, check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS echo (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
lock = threading.Lock()

def commit(body):
    with lock:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO echo (body) VALUES (?)", (body,))
        db.execute("COMMIT")

async def echo(request):
    body = await request.body()
    await run_in_threadpool(commit, body)
    return Response(body, media_type="application/json")

app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools", log_level="warning",
            access_log=False)
"""

COMMANDS = ["git status", "ls -la src", "rm -rf ./build", "kubectl get pods -n web", "cat README.md | grep bench"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, proc: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    import urllib.error
    import urllib.request

    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"a server exited early ({proc.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # it answers (405 for GET on a POST route)
        except OSError:
            time.sleep(0.1)
    sys.exit("a server did not come up")


class Client:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (httpx costs more than the server)."""

    # A requester's API token (TCP decisions need one); sent on every connection, the floor's too, so
    # both sides carry the same header bytes.
    token = ""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.auth = f"Authorization: Bearer {Client.token}\r\n" if Client.token else ""

    @classmethod
    async def tcp(cls, port: int) -> Client:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    @classmethod
    async def unix(cls, path: str) -> Client:
        return cls(*await asyncio.open_unix_connection(path))

    async def post(self, path: str, body: bytes) -> bytes:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{self.auth}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {head[:80]!r}")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def bodies(n: int, prefix: str) -> list[bytes]:
    return [
        json.dumps({"action": {"shell": COMMANDS[i % len(COMMANDS)]}, "correlation_id": f"{prefix}-{i}"}).encode()
        for i in range(n)
    ]


async def sequential(client: Client, path: str, payloads: list[bytes], warmup: int = 50) -> list[float]:
    for body in payloads[:warmup]:
        await client.post(path, body)
    out = []
    for body in payloads[warmup:]:
        start = time.perf_counter()
        await client.post(path, body)
        out.append((time.perf_counter() - start) * 1000)
    return out


async def sustained(connect: Any, path: str, clients: int, seconds: float, prefix: str) -> tuple[int, float]:
    """(answered requests, elapsed seconds) with ``clients`` connections posting back to back."""
    conns = [await connect() for _ in range(clients)]
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    async def run(i: int, client: Client) -> None:
        n = 0
        while time.perf_counter() < stop:
            body = json.dumps({"action": {"shell": COMMANDS[n % len(COMMANDS)]}, "correlation_id": f"{prefix}-{i}-{n}"})
            await client.post(path, body.encode())
            n += 1
        counts[i] = n

    start = time.perf_counter()
    await asyncio.gather(*(run(i, c) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return sum(counts), elapsed


def count_decisions(home: str) -> int:
    import sqlite3

    db = sqlite3.connect(os.path.join(home, "blastdoor.db"))
    try:
        return int(db.execute("SELECT COUNT(*) FROM audit_event WHERE kind = 'decision'").fetchone()[0])
    finally:
        db.close()


async def measure(opts: argparse.Namespace, floor_port: int, bd_port: int, bd_socket: str) -> dict[str, Any]:
    n = opts.requests
    floor_client = await Client.tcp(floor_port)
    bd_client = await Client.tcp(bd_port)
    bd_unix = await Client.unix(bd_socket)
    floor_ms: list[float] = []
    bd_ms: list[float] = []
    unix_ms: list[float] = []
    # Interleaved rounds: machine noise hits both sides alike.
    rounds = 5
    for r in range(rounds):
        per = n // rounds
        floor_ms += await sequential(floor_client, "/echo", bodies(per + 50, f"f{r}"))
        bd_ms += await sequential(bd_client, "/v1/decide", bodies(per + 50, f"t{r}"))
        unix_ms += await sequential(bd_unix, "/v1/decide", bodies(per + 50, f"u{r}"))
        print(f"round {r + 1}/{rounds}", file=sys.stderr)
    for c in (floor_client, bd_client, bd_unix):
        c.close()
    answered, elapsed = await sustained(lambda: Client.tcp(bd_port), "/v1/decide", 8, opts.seconds, "c8")
    floor_answered, floor_elapsed = await sustained(lambda: Client.tcp(floor_port), "/echo", 8, opts.seconds, "f8")
    return {
        "floor": summary(floor_ms),
        "tcp": summary(bd_ms),
        "unix": summary(unix_ms),
        "answered_8": answered,
        "rate_8": answered / elapsed,
        "floor_rate_8": floor_answered / floor_elapsed,
        "sequential_decisions": len(bd_ms) + len(unix_ms) + 2 * rounds * 50,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer requests and a shorter throughput run")
    ap.add_argument("--requests", type=int, default=0, help="sequential requests per side (default 5000)")
    ap.add_argument("--seconds", type=float, default=0.0, help="throughput run length (default 10 s)")
    opts = ap.parse_args()
    opts.requests = opts.requests or (1000 if opts.quick else 5000)
    opts.seconds = opts.seconds or (3.0 if opts.quick else 10.0)
    import uvloop

    with tempfile.TemporaryDirectory() as tmp:
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
        floor_port, bd_port = free_port(), free_port()
        bd_socket = os.path.join(home, "server.sock")
        floor = subprocess.Popen([sys.executable, "-c", FLOOR_APP, str(floor_port), os.path.join(tmp, "floor.db")])
        blastdoor = os.path.join(os.path.dirname(sys.executable), "blastdoor")
        server = subprocess.Popen(
            [blastdoor, "serve", "--listen", f"127.0.0.1:{bd_port}", "--socket", bd_socket], env=env, cwd=tmp
        )
        try:
            wait_up(floor_port, floor, "/echo")
            wait_up(bd_port, server)
            made = subprocess.run(
                [blastdoor, "people", "add", "bench", "--role", "requester"],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            Client.token = made.stdout.strip()
            figures = uvloop.run(measure(opts, floor_port, bd_port, bd_socket))
        finally:
            server.terminate()
            floor.terminate()
            server.wait(timeout=60)
            floor.wait(timeout=60)
        logged = count_decisions(home)
    expected = figures["sequential_decisions"] + figures["answered_8"]
    floor_s, tcp, unix = figures["floor"], figures["tcp"], figures["unix"]
    p50_ratio = tcp["p50"] / floor_s["p50"]
    p99_ratio = tcp["p99"] / floor_s["p99"]
    for name, s in (("floor", floor_s), ("decide tcp", tcp), ("decide unix", unix)):
        print(f"{name:12} p50 {s['p50']:.3f} ms  p90 {s['p90']:.3f} ms  p99 {s['p99']:.3f} ms")
    print(f"ratios: p50 {p50_ratio:.2f} x (budget 2), p99 {p99_ratio:.2f} x (budget 4)")
    print(f"8 clients: {figures['rate_8']:.0f} decisions/s (floor echo {figures['floor_rate_8']:.0f}/s)")
    print(f"decision events in the log: {logged}, decisions answered: {expected}")
    finish(
        {
            "floor_p50_ms": round(floor_s["p50"], 4),
            "floor_p99_ms": round(floor_s["p99"], 4),
            "decide_p50_ms": round(tcp["p50"], 4),
            "decide_p99_ms": round(tcp["p99"], 4),
            "unix_p50_ms": round(unix["p50"], 4),
            "unix_p99_ms": round(unix["p99"], 4),
            "p50_ratio": round(p50_ratio, 3),
            "p99_ratio": round(p99_ratio, 3),
            "decisions_per_s_8": round(figures["rate_8"], 1),
            "floor_per_s_8": round(figures["floor_rate_8"], 1),
            "lost_events": expected - logged,
            "budget_met": p50_ratio <= 2 and p99_ratio <= 4 and figures["rate_8"] >= 2000 and expected == logged,
        }
    )


if __name__ == "__main__":
    main()
