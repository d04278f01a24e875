"""Attack: one request stalls the service. A huge decision must not queue the small ones behind it.

A real ``blastdoor serve``: while a decision on a 30,000-stage pipeline is being judged, small
decisions keep being answered. The property is fairness, not a stopwatch: every small decision that
starts and ends while the big one is in flight takes a small fraction of the big one's time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.harness import Server

BIG = " | ".join(["sort -u"] * 30_000)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "home")
    try:
        yield srv
    finally:
        srv.stop()


def _client(server: Server) -> httpx.Client:
    """A client on the server's unix socket (the caller is its peer's OS user: no token needed)."""
    return httpx.Client(base_url="http://blastdoor", transport=httpx.HTTPTransport(uds=server.socket), timeout=120)


def test_small_decisions_are_answered_while_a_huge_one_is_judged(server: Server, tmp_path: Path) -> None:
    big_started = threading.Event()
    big_done = threading.Event()
    big: dict[str, float | int] = {}

    def send_big() -> None:
        with _client(server) as client:
            big_started.set()
            t0 = time.monotonic()
            reply = client.post("/v1/decide", json={"action": {"shell": BIG, "cwd": str(tmp_path)}})
            big["seconds"] = time.monotonic() - t0
            big["status"] = reply.status_code
            big_done.set()

    thread = threading.Thread(target=send_big)
    during: list[float] = []
    with _client(server) as client:
        # Warm: the policy is compiled and cached before the race starts.
        assert client.post("/v1/decide", json={"action": {"shell": "ls", "cwd": str(tmp_path)}}).status_code == 200
        thread.start()
        assert big_started.wait(30)
        while not big_done.is_set():
            t0 = time.monotonic()
            reply = client.post("/v1/decide", json={"action": {"shell": "ls -la", "cwd": str(tmp_path)}})
            elapsed = time.monotonic() - t0
            assert reply.status_code == 200 and reply.json()["decision"]["verdict"] == "allow"
            if not big_done.is_set():
                during.append(elapsed)
    thread.join(timeout=120)
    assert big["status"] == 200
    assert during, "no small decision overlapped the big one: the test raced nothing"
    # Fairness: while the big decision took big["seconds"], each small one took a small part of it.
    assert max(during) < max(0.25 * float(big["seconds"]), 0.05), (during, big)
