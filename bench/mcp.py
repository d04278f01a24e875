"""A tools/call through the MCP gateway against the same call made directly to the same server, same run.

    .venv/bin/python bench/mcp.py [--quick] [--calls N] [--server everything|bank] [--mode auto|legacy]

Two official-SDK clients over stdio, both warm: one talks to the downstream server directly, the
other to ``blastdoor mcp`` in front of a second instance of the same server. Calls alternate between
the two so machine noise falls on both alike. Through the gateway every call is classified, decided
by the policy (compiled once at start) and durably recorded in an audit log (SQLite on disk, in a
temporary directory) before it is forwarded; its outcome is recorded with the next decision. The
server is the npm reference server (``everything``, its ``echo`` tool; ``make mcp-servers`` installs
it) or the FastMCP test server (``--server bank``), which spends about a millisecond of CPU per call
itself and so also measures how the gateway fares when a busy server shares the two cores.

Budget (issue 7): the gateway adds <= 1 ms at p50. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def _server(kind: str) -> tuple[str, list[str]]:
    root = repo_root()
    if kind == "everything":
        path = os.path.join(root, "tests", "mcp", "node_modules", ".bin", "mcp-server-everything")
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `make mcp-servers` first")
        return path, []
    return sys.executable, [os.path.join(root, "tests", "mcp", "servers", "bank.py")]


async def _run(opts: argparse.Namespace, tmp: str) -> dict[str, Any]:
    from contextlib import AsyncExitStack

    from mcp import Client, StdioServerParameters

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
    blastdoor = os.path.join(os.path.dirname(sys.executable), "blastdoor")
    direct_params = StdioServerParameters(command=command, args=args, env=env)
    gateway_params = StdioServerParameters(command=blastdoor, args=["mcp", "--config", config], env=env, cwd=tmp)
    times: dict[str, list[float]] = {"direct": [], "gateway": []}
    message = {"message": "hello"}
    async with AsyncExitStack() as stack:
        direct = await stack.enter_async_context(Client(direct_params, mode=opts.mode))
        gateway = await stack.enter_async_context(Client(gateway_params, mode=opts.mode))
        names = {t.name for t in (await gateway.list_tools()).tools}
        if "s__echo" not in names:
            sys.exit(f"the gateway does not list s__echo: {sorted(names)}")
        pairs = ((direct, "echo", "direct"), (gateway, "s__echo", "gateway"))
        for i in range(opts.warmup + opts.calls):
            order = pairs if i % 2 == 0 else pairs[::-1]
            for client, tool, label in order:
                start = time.perf_counter()
                result = await client.call_tool(tool, message)
                elapsed = (time.perf_counter() - start) * 1000
                if result.is_error:
                    sys.exit(f"{label} call failed: {result.content}")
                if i >= opts.warmup:
                    times[label].append(elapsed)
    d, g = times["direct"], times["gateway"]
    figures = {
        "calls": opts.calls,
        "server": opts.server,
        "direct_p50_ms": round(statistics.median(d), 3),
        "direct_p99_ms": round(percentile(d, 99), 3),
        "gateway_p50_ms": round(statistics.median(g), 3),
        "gateway_p99_ms": round(percentile(g, 99), 3),
    }
    figures["overhead_p50_ms"] = round(figures["gateway_p50_ms"] - figures["direct_p50_ms"], 3)
    figures["overhead_p99_ms"] = round(figures["gateway_p99_ms"] - figures["direct_p99_ms"], 3)
    figures["budget_met"] = figures["overhead_p50_ms"] <= BUDGET_MS
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="400 calls each instead of 3000")
    ap.add_argument("--calls", type=int, default=0)
    ap.add_argument("--server", choices=("everything", "bank"), default="everything")
    ap.add_argument("--mode", choices=("auto", "legacy"), default="auto", help="the clients' protocol negotiation")
    opts = ap.parse_args()
    opts.calls = opts.calls or (400 if opts.quick else 3000)
    opts.warmup = 100 if opts.quick else 300
    import anyio

    with tempfile.TemporaryDirectory() as tmp:
        figures = anyio.run(_run, opts, tmp)
    print(f"tools/call over stdio, {figures['calls']} calls each, {figures['server']} server (ms):")
    print(f"  direct   p50 {figures['direct_p50_ms']:.3f}  p99 {figures['direct_p99_ms']:.3f}")
    print(f"  gateway  p50 {figures['gateway_p50_ms']:.3f}  p99 {figures['gateway_p99_ms']:.3f}")
    print(
        f"  overhead p50 {figures['overhead_p50_ms']:.3f} (budget <= {BUDGET_MS})  p99 {figures['overhead_p99_ms']:.3f}"
    )
    finish(figures)


if __name__ == "__main__":
    main()
