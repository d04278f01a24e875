"""Streamable HTTP on both sides: `blastdoor mcp --listen`, and a downstream server reached by URL."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp import Client
from tests.gateway.harness import BANK, BLASTDOOR, Project, text

POLICY = """version: 1
extends: [recommended]
rules:
  - id: no-repo-deletes
    match: { operation: "mcp:*/delete_repository" }
    verdict: deny
    reason: Repositories are deleted by people.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(argv: list[str], port: int, **kwargs: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, until it accepts connections on ``port``; stopped (by its pid) afterwards."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"{argv} exited with {proc.returncode}: {err}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{argv} did not listen on {port}")
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_the_gateway_over_http_in_front_of_a_server_over_http(tmp_path: Path, mode: str) -> None:
    bank_port, gateway_port = free_port(), free_port()
    p = Project(tmp_path, {"bank": {"url": f"http://127.0.0.1:{bank_port}/mcp"}}, POLICY)
    listen = ["mcp", "--config", str(p.config), "--listen", f"127.0.0.1:{gateway_port}"]
    with (
        running([sys.executable, BANK, "--http", str(bank_port)], bank_port),
        running([BLASTDOOR, *listen], gateway_port, env=p.env(), cwd=tmp_path),
    ):

        async def main() -> tuple[set[str], Any, Any]:
            async with Client(f"http://127.0.0.1:{gateway_port}/mcp", mode=mode) as c:
                names = {t.name for t in (await c.list_tools()).tools}
                balance = await c.call_tool("bank__get_balance", {})
                return names, balance, await c.call_tool("bank__delete_repository", {"name": "api"})

        names, balance, delete = anyio.run(main)
    assert {"bank__send_money", "bank__get_balance"} <= names
    assert not balance.is_error and text(balance) == "1000.00"
    assert delete.is_error and "deny by rule `no-repo-deletes`" in text(delete)
    decisions = p.events("decision")
    assert [d["verdict"] for d in decisions] == ["allow", "deny"]
    assert all(d["agent"]["session"] for d in decisions)
