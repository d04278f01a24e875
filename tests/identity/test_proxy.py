"""The platform side (issue 16, item 4): `blastdoor proxy` in front of a real upstream, real clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from blastdoor.server.proxy import build_proxy
from tests.identity.helpers import policy, services

POLICY = """version: 1
default: allow
unknown: ask
rules:
  - id: no-bulk-refunds
    match: { tool: http, operation: "http:POST", args: { amount: { gt: 100 } } }
    verdict: deny
    reason: refunds over 100 need a person
  - id: no-deletes
    match: { tool: http, effects: [delete] }
    verdict: deny
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """An ASGI app served by uvicorn in a thread, until stopped."""

    def __init__(self, app: Any) -> None:
        self.port = _port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            self.thread.join(timeout=0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def shop() -> Starlette:
    async def orders(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {"method": request.method, "path": request.url.path, "body": body.decode(), "seen": dict(request.headers)}
        )

    return Starlette(routes=[Route("/{path:path}", orders, methods=["GET", "POST", "DELETE"])])


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    upstream = Running(shop())
    svc = services(str(tmp_path / "s.db"), tmp_path)
    proxy = Running(build_proxy(upstream.url, policy(base=POLICY), svc))
    try:
        yield proxy.url, svc
    finally:
        proxy.stop()
        upstream.stop()
        svc.close()


def test_agents_identify_are_judged_and_cut_off(stack: tuple[str, Any], tmp_path: Path) -> None:
    url, svc = stack
    token = svc.agents.credentials.enrol("seller-bot", by="alice").token
    with httpx.Client(base_url=url, timeout=30) as client:
        anonymous = client.get("/orders")
        assert anonymous.status_code == 403 and "identify yourself" in anonymous.json()["error"]
        forged = client.get("/orders", headers={"Blastdoor-Agent-Credential": token[:-4] + "AAAA"})
        assert forged.status_code == 403
        who = {"Blastdoor-Agent-Credential": token}
        ok = client.get("/orders/7", headers=who)
        assert ok.status_code == 200 and ok.json()["path"] == "/orders/7"
        assert "blastdoor-agent-credential" not in ok.json()["seen"]  # never forwarded upstream
        assert client.post("/refunds", json={"amount": 20}, headers=who).status_code == 200
        big = client.post("/refunds", json={"amount": 500}, headers=who)
        assert big.status_code == 403 and big.json()["rule"] == "no-bulk-refunds"
        assert client.delete("/orders/7", headers=who).json()["rule"] == "no-deletes"
        # Cut off: revoked in another process on the same store, refused at the next request.
        with services(str(tmp_path / "s.db"), tmp_path) as other:
            other.agents.revoke("seller-bot", by="bob", reason="non-compliant")
        cut = client.get("/orders/7", headers=who)
        assert cut.status_code == 403 and cut.json()["rule"] == "agent.revoked"
    events = [e["event"] for e in svc.log.entries() if e["event"]["kind"] == "decision"]
    assert {e["tool"] for e in events} == {"http"} and any(e["agent"].get("verified") for e in events)
