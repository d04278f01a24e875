"""The command hook as a fresh process against the bare interpreter start, measured interleaved.

    .venv/bin/python bench/hook.py [--quick] [--runs N]

Runs the command ``blastdoor install claude-code`` writes (``python -I -S launcher hook claude-code``)
on a PreToolUse payload for a plain read (``ls -la``), against the floor ``python -I -S -c pass``:

  hook            the command hook while ``blastdoor serve`` runs: it hands the payload to the server
                  over the unix socket (the deployment ``make run`` gives)
  hook_cold       the same command starting with no server running, as a user's session sees it: the
                  first call misses, starts the per-user server (``hook/launch.py``) and decides
                  in-process; the calls after it are served once the server answers. Several rounds,
                  the server stopped before each; ``hook_cold_first_ms`` is the first call of a round,
                  ``hook_cold_ready_s`` the time from its start until the server answers
  hook_inprocess  the same command deciding in-process ($BLASTDOOR_SERVER=off: no server asked or
                  started; policy cache warm): what every call would cost without a server
  script          the ``blastdoor hook`` console script (with ``site``), no server
  lean_floor      not blastdoor: the least any in-process hook does to record durably (``-I -S``, import
                  ``sqlite3``, open a WAL file, one synchronous insert), the floor of a lean in-process design
  hook_verified   ``hook`` presenting an enrolled agent's credential (``$BLASTDOOR_AGENT_CREDENTIAL_FILE``):
                  the client reads the file and sends the token, the server verifies it (docs/IDENTITY.md)
  http            Claude Code's ``type: http`` hook: one keep-alive POST to /v1/hooks/claude-code (no process)

Every run appends its decision durably to the audit log. Budgets (issue 22): hook_cold p50 <= 2.5 x
the floor p50, hook (served) p50 <= 2.0 x, measured in the same run. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, summary, time_processes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

BUDGET = 2.5  # cold: no server at the start of the series
BUDGET_SERVED = 2.0
LEAN_FLOOR = """import sys, sqlite3
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("pragma journal_mode=wal"); db.execute("pragma synchronous=full")
db.execute("create table if not exists t (x)"); db.execute("insert into t values (?)", (sys.stdin.read(),))
db.close()"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 runs instead of 100")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=0, help="cold series (default 2 with --quick, else 3)")
    opts = ap.parse_args()
    runs = opts.runs or (20 if opts.quick else 100)
    rounds = opts.rounds or (2 if opts.quick else 3)
    python = os.path.abspath(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        project = os.path.join(tmp, "project")
        os.makedirs(home)
        os.makedirs(project)
        # Real installs have compiled bytecode: this machine sets PYTHONDONTWRITEBYTECODE, so drop it for
        # the measured processes (the warm-up below then writes the .pyc files).
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "BLASTDOOR_HOME": os.path.join(home, ".blastdoor"),
            "BLASTDOOR_MANAGED_POLICY": "none",
        }
        with open(os.path.join(project, "blastdoor.yaml"), "w") as fh:
            fh.write("version: 1\nextends: [recommended]\n")
        blastdoor = os.path.join(os.path.dirname(sys.executable), "blastdoor")
        subprocess.run([blastdoor, "install", "claude-code"], cwd=project, env=env, check=True, capture_output=True)
        with open(os.path.join(project, ".claude", "settings.json")) as fh:
            command = json.load(fh)["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        import shlex

        payload = json.dumps(
            {
                "hook_event_name": "PreToolUse",
                "session_id": "bench",
                "cwd": project,
                "tool_name": "Bash",
                "tool_input": {"command": "ls -la"},
                "tool_use_id": "toolu_bench",
            }
        ).encode()
        commands = {
            "floor": [python, "-I", "-S", "-c", "pass"],
            "hook_inprocess": shlex.split(command),
            "script": [blastdoor, "hook", "claude-code"],
            # The lean in-process option's floor: no blastdoor at all, only what any in-process decision
            # must do to record durably (import sqlite3, open a WAL store, one synchronous insert).
            "lean_floor": [python, "-I", "-S", "-c", LEAN_FLOOR, os.path.join(tmp, "lean.db")],
        }
        off = {**env, "BLASTDOOR_SERVER": "off"}  # in-process only: nothing asked, nothing started
        # Warm-up: compile the policy cache, create the log, check the reply.
        check = subprocess.run(commands["hook_inprocess"], input=payload, capture_output=True, env=off, cwd=project)
        reply = json.loads(check.stdout)["hookSpecificOutput"]["permissionDecision"]
        if check.returncode != 0 or reply != "allow":
            sys.exit(f"the hook did not allow the plain read: {check.returncode} {check.stdout!r} {check.stderr!r}")
        times = time_processes(commands, runs, input=payload, env=off, cwd=project)
        from blastdoor.adapters.config import launcher_config

        sock = str(launcher_config(env)["socket"])
        cold = time_cold(shlex.split(command), commands["floor"], payload, env, project, sock, runs, rounds)
        times["floor"] += cold["floor"]
        times["hook_cold"] = cold["hook_cold"]
        stop_started_server(sock)
        # An enrolled agent (before anyone is configured: the local user enrols it as the first admin).
        credential = os.path.join(tmp, "bench-agent.jwt")
        enrol = [blastdoor, "agents", "enrol", "bench-agent", "--out", credential]
        subprocess.run(enrol, env=env, check=True, capture_output=True)
        with running_server(env, project) as (url, token):
            served = {"floor": commands["floor"], "hook": shlex.split(command)}
            check = subprocess.run(served["hook"], input=payload, capture_output=True, env=env, cwd=project)
            if json.loads(check.stdout)["hookSpecificOutput"]["permissionDecision"] != "allow":
                sys.exit(f"the served hook did not allow the plain read: {check.stdout!r} {check.stderr!r}")
            more = time_processes(served, runs, input=payload, env=env, cwd=project)
            times["floor"] += more["floor"]
            times["hook"] = more["hook"]
            verified_env = {**env, "BLASTDOOR_AGENT": "bench-agent", "BLASTDOOR_AGENT_CREDENTIAL_FILE": credential}
            check = subprocess.run(served["hook"], input=payload, capture_output=True, env=verified_env, cwd=project)
            if json.loads(check.stdout)["hookSpecificOutput"]["permissionDecision"] != "allow":
                sys.exit(f"the verified hook did not allow the plain read: {check.stdout!r} {check.stderr!r}")
            verified = {"floor": commands["floor"], "hook_verified": served["hook"]}
            more = time_processes(verified, runs, input=payload, env=verified_env, cwd=project)
            times["floor"] += more["floor"]
            times["hook_verified"] = more["hook_verified"]
            times["http"] = time_http(url, payload, runs, token)
    stats = {name: summary(values) for name, values in times.items()}
    floor = stats["floor"]["p50"]
    for name, s in stats.items():
        print(f"{name:7} p50 {s['p50']:7.2f} ms   p90 {s['p90']:7.2f} ms   ({s['p50'] / floor:.2f} x floor)")
    ratio = stats["hook"]["p50"] / floor
    cold_ratio = stats["hook_cold"]["p50"] / floor
    print(
        f"budget: hook p50 <= {BUDGET_SERVED} x floor: {'met' if ratio <= BUDGET_SERVED else 'NOT met'} ({ratio:.2f} x)"
    )
    verdict = "met" if cold_ratio <= BUDGET else "NOT met"
    print(f"budget: hook_cold p50 <= {BUDGET} x floor: {verdict} ({cold_ratio:.2f} x)")
    verified_ratio = stats["hook_verified"]["p50"] / floor
    print(f"budget: hook_verified p50 <= {BUDGET} x floor: {'met' if verified_ratio <= BUDGET else 'NOT met'}")
    print(f"cold: first call {median(cold['first']):.1f} ms, server answering after {median(cold['ready']):.2f} s")
    finish(
        {
            "runs": runs,
            "cold_rounds": rounds,
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "python_floor_p50_ms": round(floor, 3),
            "hook_cold_p50_ms": round(stats["hook_cold"]["p50"], 3),
            "hook_cold_p90_ms": round(stats["hook_cold"]["p90"], 3),
            "hook_cold_p50_ratio": round(cold_ratio, 3),
            "hook_cold_first_ms": round(median(cold["first"]), 3),
            "hook_cold_ready_s": round(median(cold["ready"]), 3),
            "hook_p50_ms": round(stats["hook"]["p50"], 3),
            "hook_p90_ms": round(stats["hook"]["p90"], 3),
            "hook_p50_ratio": round(ratio, 3),
            "hook_verified_p50_ms": round(stats["hook_verified"]["p50"], 3),
            "hook_verified_p50_ratio": round(stats["hook_verified"]["p50"] / floor, 3),
            "hook_inprocess_p50_ms": round(stats["hook_inprocess"]["p50"], 3),
            "hook_inprocess_p50_ratio": round(stats["hook_inprocess"]["p50"] / floor, 3),
            "http_p50_ms": round(stats["http"]["p50"], 3),
            "http_p99_ms": round(stats["http"]["p99"], 3),
            "script_p50_ms": round(stats["script"]["p50"], 3),
            "lean_floor_p50_ms": round(stats["lean_floor"]["p50"], 3),
            "lean_floor_p50_ratio": round(stats["lean_floor"]["p50"] / floor, 3),
            "script_p50_ratio": round(stats["script"]["p50"] / floor, 3),
            "budget_ratio": BUDGET,
            "budget_served_ratio": BUDGET_SERVED,
            "budget_met": cold_ratio <= BUDGET and ratio <= BUDGET_SERVED and verified_ratio <= BUDGET,
        }
    )


def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def time_cold(
    hook: list[str], floor: list[str], payload: bytes, env: dict[str, str], cwd: str, sock: str, runs: int, rounds: int
) -> dict[str, list[float]]:
    """``rounds`` series of ``runs`` hook calls, each series starting with no server (the floor interleaved).

    Also: the first call of each series (ms), and the time from its start until the server it started
    answers /healthz on the socket (s), watched by a thread while the series runs.
    """
    import threading
    import time

    out: dict[str, list[float]] = {"floor": [], "hook_cold": [], "first": [], "ready": []}
    for _ in range(rounds):
        stop_started_server(sock)
        t0 = time.perf_counter()
        ready: list[float] = []
        watcher = threading.Thread(target=_watch, args=(ready, sock, t0), daemon=True)
        for i in range(runs):
            for name, cmd in (("hook_cold", hook), ("floor", floor)):
                start = time.perf_counter()
                subprocess.run(
                    cmd, input=payload, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
                )
                out[name].append((time.perf_counter() - start) * 1000)
                if i == 0 and name == "hook_cold":
                    out["first"].append(out[name][-1])
                    watcher.start()
        watcher.join(120)
        if not ready:
            sys.exit("the hook did not start a server within 120 s of its first cold call")
        out["ready"].append(ready[0])
    return out


def _watch(ready: list[float], sock: str, t0: float) -> None:
    ready.append(wait_answering(sock, t0))


def wait_answering(sock: str, t0: float) -> float:
    """Seconds from ``t0`` until a server answers /healthz on the unix socket (polled every 5 ms)."""
    import socket
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(sock)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.005)
    return float("nan")


def stop_started_server(sock: str) -> None:
    """Stop the server a hook started on ``sock`` (its pid is in server.lock), and wait for it to exit."""
    import select
    import signal

    from blastdoor.hook.launch import server_pid

    pid = server_pid(sock)
    if pid is None:
        return
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        if not select.select([fd], [], [], 30)[0]:
            os.kill(pid, signal.SIGKILL)
            select.select([fd], [], [], 10)
    finally:
        os.close(fd)


@contextlib.contextmanager
def running_server(env: dict[str, str], cwd: str) -> Iterator[tuple[str, str]]:
    """``blastdoor serve`` on a free port and the default socket, until the block ends: (its URL, a
    requester's API token for the HTTP hook: over TCP the server establishes who asks by a token)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    blastdoor = os.path.join(os.path.dirname(sys.executable), "blastdoor")
    proc = subprocess.Popen([blastdoor, "serve", "--listen", f"127.0.0.1:{port}"], env=env, cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        made = subprocess.run(
            [blastdoor, "people", "add", "bench-hook", "--role", "requester"],
            env=env, cwd=cwd, capture_output=True, text=True, check=True,
        )  # fmt: skip
        yield url, made.stdout.strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def time_http(url: str, payload: bytes, runs: int, token: str) -> list[float]:
    """ms per POST of the payload to the Claude Code HTTP hook endpoint, on one keep-alive connection."""
    import http.client
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    out: list[float] = []
    for i in range(runs + 5):
        start = time.perf_counter()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        conn.request("POST", "/v1/hooks/claude-code", body=payload, headers=headers)
        body = conn.getresponse().read()
        if i >= 5:  # warm-up first
            out.append((time.perf_counter() - start) * 1000)
        if b'"allow"' not in body:
            sys.exit(f"the HTTP hook did not allow the plain read: {body!r}")
    conn.close()
    return out


if __name__ == "__main__":
    main()
