"""`blastdoor drill --live URL` against the real server (`blastdoor serve`), its webhooks and kill switch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.governance.test_drill import NO_PROD, PROD, Receiver
from tests.server.harness import Server


def _serve(tmp_path: Path, policy: str, receiver: Receiver) -> Server:
    (tmp_path / "blastdoor.yaml").write_text(policy)
    (tmp_path / "server.yaml").write_text(f"webhooks:\n  - url: {receiver.url}\n")
    extra = ["--config", str(tmp_path / "server.yaml"), "--policy", str(tmp_path / "blastdoor.yaml")]
    return Server(tmp_path / "home", extra=extra)


def _drill(srv: Server, token: str) -> tuple[int, Any]:
    out = srv.cli("drill", "incident-stack-recreate", "--live", srv.url, "--json", token=token, check=False)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode, json.loads(out.stdout)


def test_live_drill_through_the_server(tmp_path: Path) -> None:
    receiver = Receiver()
    srv = _serve(tmp_path, PROD, receiver)
    try:
        token = srv.add_person("lead", "admin")
        code, (r,) = _drill(srv, token)
        assert code == 0, r["failures"]
        assert r["stopped_at"] == 2
        assert r["detection"]["recorded"]
        assert r["detection"]["alerts_delivered"] >= 1
        assert any(b.get("type") == "blastdoor.approval.requested" for b in receiver.bodies)
        c = r["containment"]
        assert c["held"] and c["rule"] == "agent.revoked" and c["restored"]
        agents = srv.tcp.get("/v1/agents", headers=srv.auth(token)).json()
        listed = agents.get("agents", agents) if isinstance(agents, dict) else agents
        mine = [a for a in listed if a["id"] == "drill-agent-operator"]
        assert mine and mine[0]["status"] == "active", "the drill gives the agent back"
    finally:
        srv.stop()
        receiver.close()


def test_live_drill_fails_without_the_prod_account(tmp_path: Path) -> None:
    receiver = Receiver()
    srv = _serve(tmp_path, NO_PROD, receiver)
    try:
        token = srv.add_person("lead", "admin")
        code, (r,) = _drill(srv, token)
        assert code == 1 and not r["passed"]
    finally:
        srv.stop()
        receiver.close()
