"""Break-glass through the running server and the CLI: the API endpoints, the webhooks, `blastdoor
break-glass`, and the pipeline of the server honouring a granted break-glass exactly once."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

from tests.server.harness import Server

POLICY = """version: 1
default: allow
environments:
  staging: { aws_profiles: ["staging*"] }
approvers:
  sre-leads: [bob, carol, dave]
rules:
  - id: stack-deletes
    match: { operation: "aws:cloudformation:DeleteStack" }
    verdict: deny
    reason: Deleting a stack is never done by an agent.
break_glass:
  from: sre-leads
  count: 2
  max_ttl: 15m
  rules: [stack-deletes]
"""
STAGING = "aws cloudformation delete-stack --stack-name ce --profile staging"


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _wait_for(condition: Any, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_request_approve_use_once_over_the_api_with_webhooks(tmp_path: Path) -> None:
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    config = tmp_path / "server.yaml"
    config.write_text(
        f"public_url: https://inbox.example.com\nwebhooks:\n"
        f"  - {{ url: 'http://127.0.0.1:{receiver.server_address[1]}/hook', format: generic }}\n"
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "blastdoor.yaml").write_text(POLICY)
    srv = Server(tmp_path / "home", extra=["--config", str(config)])
    try:
        admin = srv.add_person("root", "admin")
        alice, bob, carol = (srv.add_person(n, admin_token=admin) for n in ("alice", "bob", "carol"))
        action = {"shell": STAGING, "cwd": str(project), "agent": {"id": "claude-code:x", "on_behalf_of": "alice"}}

        def decide(cid: str) -> dict[str, Any]:
            r = srv.client.post("/v1/decide", json={"action": action, "correlation_id": cid})
            return r.json()["decision"]  # type: ignore[no-any-return]

        denied = decide("toolu_1")
        assert denied["verdict"] == "deny" and denied["rule"] == "stack-deletes"

        assert srv.client.post("/v1/break-glass", json={"correlation_id": "toolu_1", "reason": "x"}).status_code == 401
        no_reason = srv.client.post("/v1/break-glass", json={"correlation_id": "toolu_1"}, headers=srv.auth(alice))
        assert no_reason.status_code == 403 and no_reason.json()["error"]["code"] == "reason"
        filed = srv.client.post(
            "/v1/break-glass",
            json={"correlation_id": "toolu_1", "reason": "INC-42: stack stuck, staging down", "ttl": "10m"},
            headers=srv.auth(alice),
        )
        assert filed.status_code == 201, filed.text
        glass = filed.json()
        assert glass["status"] == "pending" and glass["requester"] == "alice" and glass["rules"] == ["stack-deletes"]

        own = srv.client.post(f"/v1/break-glass/{glass['id']}/approve", json={}, headers=srv.auth(alice))
        assert own.status_code == 403 and own.json()["error"]["code"] == "self"
        assert srv.client.post(f"/v1/break-glass/{glass['id']}/approve", headers=srv.auth(bob)).status_code == 200
        assert decide("toolu_2")["verdict"] == "deny"  # one of two
        done = srv.client.post(
            f"/v1/break-glass/{glass['id']}/approve", json={"comment": "ok"}, headers=srv.auth(carol)
        )
        assert done.json()["status"] == "granted"

        used = decide("toolu_3")
        assert used["verdict"] == "allow" and used["rule"] == "break_glass.used" and used["request_id"] == glass["id"]
        assert decide("toolu_4")["verdict"] == "deny"

        listed = srv.client.get("/v1/break-glass?status=used", headers=srv.auth(bob)).json()["break_glass"]
        assert [g["id"] for g in listed] == [glass["id"]]
        assert srv.client.get(f"/v1/break-glass/{glass['id']}", headers=srv.auth(bob)).json()["status"] == "used"
        assert srv.client.get("/v1/break-glass/bg_nope", headers=srv.auth(bob)).status_code == 404

        # The CLI reads the same store.
        shown = json.loads(srv.cli("break-glass", "show", glass["id"], "--json", token=bob).stdout)
        assert shown["status"] == "used" and set(shown["approvers"]) == {"bob", "carol"}

        wanted = {"requested", "approved", "used"}
        assert _wait_for(lambda: wanted <= {b["type"].rsplit(".", 1)[-1] for b in _Receiver.received})
    finally:
        srv.stop()
        receiver.shutdown()
    used_hook = next(b for b in _Receiver.received if b["type"] == "blastdoor.break_glass.used")
    assert used_hook["break_glass"]["id"] == glass["id"] and used_hook["url"].endswith(glass["id"])
    assert used_hook["break_glass"]["reason"] == "INC-42: stack stuck, staging down"
    assert set(used_hook["break_glass"]["approvers"]) == {"bob", "carol"}


def test_the_cli_flow(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "blastdoor.yaml").write_text(POLICY)
    srv = Server(tmp_path / "home")
    try:
        admin = srv.add_person("root", "admin")
        alice, bob, carol = (srv.add_person(n, admin_token=admin) for n in ("alice", "bob", "carol"))
        action = {"shell": STAGING, "cwd": str(project)}
        srv.client.post("/v1/decide", json={"action": action, "correlation_id": "c1"})
        search = srv.cli("audit", "search", "--verdict", "deny", "--json").stdout.splitlines()
        seq = str(json.loads(search[0])["seq"])
        usage = srv.cli("break-glass", "request", seq, token=alice, check=False)
        assert usage.returncode == 2 and "--reason" in usage.stderr
        too_long = srv.cli("break-glass", "request", seq, "-r", "why", "--ttl", "1h", token=alice, check=False)
        assert too_long.returncode == 1 and "at most 900 s" in too_long.stderr
        filed = json.loads(srv.cli("break-glass", "request", seq, "-r", "INC-7", "--json", token=alice).stdout)
        assert filed["status"] == "pending" and filed["env"] == "staging"
        text = srv.cli("break-glass", "list", token=bob).stdout
        assert filed["id"] in text and STAGING in text
        srv.cli("break-glass", "approve", filed["id"], "-m", "checked", token=bob)
        out = srv.cli("break-glass", "approve", filed["id"], token=carol).stdout
        assert "now granted" in out
        again = srv.cli("break-glass", "approve", filed["id"], token=bob, check=False)
        assert again.returncode == 1 and "granted, not pending" in again.stderr
        assert "stack-deletes" in srv.cli("policy", "show", "--cwd", str(project)).stdout
        allowed = srv.client.post("/v1/decide", json={"action": action, "correlation_id": "c2"}).json()
        assert allowed["decision"]["verdict"] == "allow"
        help_text = srv.cli("break-glass", "--help").stdout
        assert "break-glass request" in help_text and "docs/BREAK-GLASS.md" in help_text
    finally:
        srv.stop()
