"""A tools/call through the MCP gateway against the same call made directly to the same server, same run.

    .venv/bin/python bench/mcp.py [--quick] [--calls N] [--server everything|bank] [--mode auto|legacy]
                                  [--transport both|stdio|http]

stdio: two official-SDK clients over stdio, both warm: one talks to the downstream server directly,
the other to ``blastdoor mcp`` in front of a second instance of the same server. HTTP: one client talks
streamable HTTP to the server itself (``everything streamableHttp``, ``bank.py --http``), the other to
``blastdoor mcp --listen`` in front of a second instance of the server over stdio (how the gateway
is deployed), so the HTTP figure is what a client of the gateway pays against a client of the server.
Calls alternate between the two so machine noise falls on both alike. Through the gateway every call
is classified, decided by the policy (compiled once at start) and recorded in an audit log (SQLite on
disk, in a temporary directory) before its answer is returned; its outcome is recorded with the next
decision. The server is the npm reference server (``everything``, its ``echo`` tool; ``make
mcp-servers`` installs it) or the FastMCP test server (``--server bank``), which spends about a
millisecond of CPU per call itself and so also measures how the gateway fares when a busy server
shares the two cores.

``gateway_cpu_ms`` (``_http``): the CPU time the gateway's own process spends per call (user + system,
from /proc/PID/stat over the measured calls): unlike latency it barely moves with the machine's load.
``load_avg_1m`` is the one-minute load average at the end of the run.

Budget (issue 7, issue 22): the gateway adds <= 1 ms at p50, over stdio and over HTTP (``budget_met``
needs both when both ran). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, percentile, repo_root

# This file is bench/mcp.py: its own directory must not shadow the `mcp` SDK it imports.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

BUDGET_MS = 1.0
_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _server(kind: str) -> tuple[str, list[str]]:
    root = repo_root()
    if kind == "everything":
        path = os.path.join(root, "tests", "mcp", "node_modules", ".bin", "mcp-server-everything")
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `make mcp-servers` first")
        return path, []
    return sys.executable, [os.path.join(root, "tests", "mcp", "servers", "bank.py")]


def _setup(opts: argparse.Namespace, tmp: str) -> tuple[str, dict[str, str]]:
    """The gateway's config file (in front of the server over stdio) and the environment of every process."""
    command, args = _server(opts.server)
    config = os.path.join(tmp, "mcp.yaml")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(
            f"policy: {os.path.join(tmp, 'blastdoor.yaml')}\nstore: {os.path.join(tmp, 'audit.db')}\n"
            f"servers:\n  s:\n    command: {command}\n    args: {args!r}\n"
        )
    with open(os.path.join(tmp, "blastdoor.yaml"), "w", encoding="utf-8") as fh:
        fh.write("version: 1\nextends: [recommended]\n")
    env = {
        "HOME": tmp,
        "BLASTDOOR_HOME": os.path.join(tmp, "bd"),
        "BLASTDOOR_MANAGED_POLICY": "none",
        "PATH": os.environ["PATH"],
    }
    return config, env


def _blastdoor() -> str:
    return os.path.join(os.path.dirname(sys.executable), "blastdoor")


def cpu_ms(pid: int) -> float:
    """The CPU time (user + system, all threads, not its children) process ``pid`` has used so far, ms."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_MS  # utime, stime (fields 14 and 15 of proc(5))


def _gateway_pid() -> int:
    """The pid of the ``blastdoor mcp`` process this process started over stdio."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                ppid = int(fh.read().rpartition(")")[2].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if ppid == me and b"mcp" in argv and any(a.endswith(b"blastdoor") for a in argv):
            return int(entry)
    sys.exit("the gateway's process was not found among this process's children")


async def _measure(opts: argparse.Namespace, direct: Any, gateway: Any, pid: int, calls: int) -> dict[str, Any]:
    """Interleaved calls to both clients; p50/p99 of each, the difference, and the gateway's CPU per call."""
    names = {t.name for t in (await gateway.list_tools()).tools}
    if "s__echo" not in names:
        sys.exit(f"the gateway does not list s__echo: {sorted(names)}")
    times: dict[str, list[float]] = {"direct": [], "gateway": []}
    message = {"message": "hello"}
    pairs = ((direct, "echo", "direct"), (gateway, "s__echo", "gateway"))
    cpu_before = 0.0
    for i in range(opts.warmup + calls):
        if i == opts.warmup:
            cpu_before = cpu_ms(pid)
        order = pairs if i % 2 == 0 else pairs[::-1]
        for client, tool, label in order:
            start = time.perf_counter()
            result = await client.call_tool(tool, message)
            elapsed = (time.perf_counter() - start) * 1000
            if result.is_error:
                sys.exit(f"{label} call failed: {result.content}")
            if i >= opts.warmup:
                times[label].append(elapsed)
    cpu = (cpu_ms(pid) - cpu_before) / calls
    d, g = times["direct"], times["gateway"]
    figures = {
        "direct_p50_ms": round(statistics.median(d), 3),
        "direct_p99_ms": round(percentile(d, 99), 3),
        "gateway_p50_ms": round(statistics.median(g), 3),
        "gateway_p99_ms": round(percentile(g, 99), 3),
    }
    figures["overhead_p50_ms"] = round(figures["gateway_p50_ms"] - figures["direct_p50_ms"], 3)
    figures["overhead_p99_ms"] = round(figures["gateway_p99_ms"] - figures["direct_p99_ms"], 3)
    figures["gateway_cpu_ms"] = round(cpu, 3)
    return figures


async def _run_stdio(opts: argparse.Namespace, tmp: str) -> dict[str, Any]:
    from contextlib import AsyncExitStack

    from mcp import Client, StdioServerParameters

    command, args = _server(opts.server)
    config, env = _setup(opts, tmp)
    direct_params = StdioServerParameters(command=command, args=args, env=env)
    gateway_params = StdioServerParameters(command=_blastdoor(), args=["mcp", "--config", config], env=env, cwd=tmp)
    async with AsyncExitStack() as stack:
        direct = await stack.enter_async_context(Client(direct_params, mode=opts.mode))
        gateway = await stack.enter_async_context(Client(gateway_params, mode=opts.mode))
        return await _measure(opts, direct, gateway, _gateway_pid(), opts.calls)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            sys.exit(f"{proc.args} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"{proc.args} did not listen on {port}")
            time.sleep(0.05)


async def _run_http(opts: argparse.Namespace, tmp: str) -> dict[str, Any]:
    from contextlib import AsyncExitStack

    from mcp import Client

    command, args = _server(opts.server)
    config, env = _setup(opts, tmp)
    server_port, gateway_port = _free_port(), _free_port()
    if opts.server == "everything":
        server_argv = [command, "streamableHttp"]
    else:
        server_argv = [command, *args, "--http", str(server_port)]
    procs = [
        subprocess.Popen(server_argv, env={**env, "PORT": str(server_port)}, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([_blastdoor(), "mcp", "--config", config, "--listen", f"127.0.0.1:{gateway_port}"],
                         env=env, cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    try:
        _listening(procs[0], server_port)
        _listening(procs[1], gateway_port)
        async with AsyncExitStack() as stack:
            direct = await stack.enter_async_context(Client(f"http://127.0.0.1:{server_port}/mcp", mode=opts.mode))
            gateway = await stack.enter_async_context(Client(f"http://127.0.0.1:{gateway_port}/mcp", mode=opts.mode))
            figures = await _measure(opts, direct, gateway, procs[1].pid, opts.http_calls)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return {f"{k}_http": v for k, v in figures.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="400 calls each instead of 3000 (HTTP: 200, 1000)")
    ap.add_argument("--calls", type=int, default=0)
    ap.add_argument("--server", choices=("everything", "bank"), default="everything")
    ap.add_argument("--mode", choices=("auto", "legacy"), default="auto", help="the clients' protocol negotiation")
    ap.add_argument("--transport", choices=("both", "stdio", "http"), default="both", help="which gateway to measure")
    opts = ap.parse_args()
    opts.calls = opts.calls or (400 if opts.quick else 3000)
    opts.http_calls = max(opts.calls // 3, 50)
    opts.warmup = 100 if opts.quick else 300
    import anyio

    figures: dict[str, Any] = {"calls": opts.calls, "server": opts.server, "mode": opts.mode}
    met = []
    if opts.transport in ("both", "stdio"):
        with tempfile.TemporaryDirectory() as tmp:
            figures.update(anyio.run(_run_stdio, opts, tmp))
        met.append(figures["overhead_p50_ms"] <= BUDGET_MS)
        print(f"tools/call over stdio, {opts.calls} calls each, {opts.server} server (ms):")
        print(f"  direct   p50 {figures['direct_p50_ms']:.3f}  p99 {figures['direct_p99_ms']:.3f}")
        print(f"  gateway  p50 {figures['gateway_p50_ms']:.3f}  p99 {figures['gateway_p99_ms']:.3f}")
        print(
            f"  overhead p50 {figures['overhead_p50_ms']:.3f} (budget <= {BUDGET_MS})  "
            f"p99 {figures['overhead_p99_ms']:.3f};  gateway CPU per call {figures['gateway_cpu_ms']:.3f}"
        )
    if opts.transport in ("both", "http"):
        figures["calls_http"] = opts.http_calls
        with tempfile.TemporaryDirectory() as tmp:
            figures.update(anyio.run(_run_http, opts, tmp))
        met.append(figures["overhead_p50_ms_http"] <= BUDGET_MS)
        print(f"tools/call over streamable HTTP, {opts.http_calls} calls each, {opts.server} server (ms):")
        print(f"  direct   p50 {figures['direct_p50_ms_http']:.3f}  p99 {figures['direct_p99_ms_http']:.3f}")
        print(f"  gateway  p50 {figures['gateway_p50_ms_http']:.3f}  p99 {figures['gateway_p99_ms_http']:.3f}")
        print(
            f"  overhead p50 {figures['overhead_p50_ms_http']:.3f} (budget <= {BUDGET_MS})  "
            f"p99 {figures['overhead_p99_ms_http']:.3f};  gateway CPU per call {figures['gateway_cpu_ms_http']:.3f}"
        )
    figures["budget_met"] = all(met)
    with open("/proc/loadavg", encoding="ascii") as fh:
        figures["load_avg_1m"] = float(fh.read().split()[0])
    finish(figures)


if __name__ == "__main__":
    main()
