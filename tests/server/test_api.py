"""The running server, over real HTTP and its unix socket: decide, hooks, approvals, agents, audit, ops."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

from tests.server.harness import Server

APPROVE_POLICY = """version: 1
extends: [recommended]
approvers:
  sre-leads: [bob, carol]
rules:
  - id: data-wipe
    match: { tool: shell, effects: [delete] }
    verdict: approve
    approvals: { count: 2, from: sre-leads, ttl: 10m }
    reason: Deleting data needs two SRE leads.
"""


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "blastdoor.yaml").write_text(APPROVE_POLICY)
    return project


def _claude(command: str, cwd: Path, call: str = "t1") -> bytes:
    return json.dumps(
        {
            "hook_event_name": "PreToolUse",
            "session_id": "s1",
            "cwd": str(cwd),
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": call,
        }
    ).encode()


def test_decide_records_before_answering(server: Server) -> None:
    admin = server.add_person("root", "admin")
    r = server.client.post("/v1/decide", json={"action": {"shell": "rm -rf /"}, "correlation_id": "c-1"})
    assert r.status_code == 200
    body = r.json()
    assert body["decision"]["verdict"] == "deny" and "wipe" in body["action"]["effects"]
    ok = server.client.post("/v1/decide", json={"action": {"shell": "ls -la"}})
    assert ok.json()["decision"]["verdict"] == "allow"
    found = server.client.get("/v1/audit/events", params={"correlation_id": "c-1"}, headers=server.auth(admin))
    (entry,) = found.json()["entries"]
    recent = server.client.get(
        "/v1/audit/events", params={"since": "1h", "verdict": "deny"}, headers=server.auth(admin)
    )
    assert [e["seq"] for e in recent.json()["entries"]] == [entry["seq"]]
    future = server.client.get("/v1/audit/events", params={"since": "2999-01-01"}, headers=server.auth(admin))
    assert future.json()["entries"] == []
    bad = server.client.get("/v1/audit/events", params={"since": "yesterday"}, headers=server.auth(admin))
    assert bad.status_code == 400 and "30m" in bad.json()["error"]["message"]
    assert entry["event"]["verdict"] == "deny" and entry["event"]["action"]["raw"] == "rm -rf /"
    proof = server.client.get(f"/v1/audit/events/{entry['seq']}/proof", headers=server.auth(admin)).json()
    from blastdoor.audit.proofs import check_inclusion

    check_inclusion(proof)  # raises when the proof does not hold


def test_bad_input_gets_a_clear_error(server: Server) -> None:
    r = server.client.post("/v1/decide", content=b"{not json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"
    r = server.client.post("/v1/decide", json={"action": {"tool": 3}})
    assert r.status_code == 400 and "action" in r.json()["error"]["message"]
    r = server.client.post("/v1/decide", json={"action": {"shell": "ls"}, "environ": {"A": 1}})
    assert r.status_code == 400 and "environ" in r.json()["error"]["message"]
    assert server.client.get("/v1/approvals").status_code == 401
    assert server.client.get("/v1/approvals", headers=server.auth("bd_nope")).json()["error"]["code"] == "bad_token"
    assert server.client.post("/v1/hooks/nosuch", content=b"{}").status_code == 404
    big = server.client.post("/v1/decide", content=b" " * (4 * 1024 * 1024 + 1))
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert server.client.get("/v1/decide").status_code == 405  # only POST decides
    assert server.client.post("/v1/decide", content=b"[1]").json()["error"]["code"] == "bad_json"


def test_decide_reads_a_body_sent_in_chunks(server: Server) -> None:
    import http.client

    token = server.add_person("svc", "requester")
    body = json.dumps({"action": {"shell": "rm -rf /"}, "correlation_id": "chunked"}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        # Transfer-Encoding: chunked, three pieces: the handler must gather every part before parsing.
        conn.request(
            "POST",
            "/v1/decide",
            body=iter([body[:7], body[7:20], body[20:]]),
            encode_chunked=True,
            headers=server.auth(token),
        )
        answer = conn.getresponse()
        data = json.loads(answer.read())
    finally:
        conn.close()
    assert answer.status == 200 and answer.getheader("content-type") == "application/json"
    assert data["decision"]["verdict"] == "deny" and "wipe" in data["action"]["effects"]


def test_the_approval_flow_over_the_api_and_the_hook_socket(server: Server, tmp_path: Path) -> None:
    import getpass

    me = getpass.getuser()  # the socket's peer: the requester, whatever $USER the hook's environment claims
    project = _project(tmp_path)
    admin = server.add_person(me, "admin")
    bob, carol, alice = (server.add_person(n, admin_token=admin) for n in ("bob", "carol", "alice"))
    (project / "data").mkdir()
    payload = _claude("rm -rf ./data", project)

    code, reply, _ = server.hook("claude-code", payload, USER="alice")
    assert code == 0
    reason = reply["hookSpecificOutput"]["permissionDecisionReason"]
    assert reply["hookSpecificOutput"]["permissionDecision"] == "deny" and "is pending" in reason
    request_id = reason.split("request ")[1].split(" ")[0]
    shown = server.client.get(f"/v1/approvals/{request_id}", headers=server.auth(bob)).json()
    assert shown["status"] == "pending" and shown["command"] == "rm -rf ./data" and shown["requester"] == me
    assert shown["eligible"] == ["bob", "carol"]

    def vote(token: str, verdict: str = "approve", rid: str = request_id) -> Any:
        return server.client.post(f"/v1/approvals/{rid}/{verdict}", json={"comment": "ok"}, headers=server.auth(token))

    assert vote(admin).status_code == 403 and vote(admin).json()["error"]["code"] == "self"
    assert vote(alice).json()["error"]["code"] == "group"  # alice is not in sre-leads
    assert vote(bob).json()["status"] == "pending"
    assert vote(bob).json()["error"]["code"] == "repeat"
    assert vote(bob, rid="req_000000000000").status_code == 404
    code, reply, _ = server.hook("claude-code", payload, USER="alice")
    assert reply["hookSpecificOutput"]["permissionDecision"] == "deny"  # one of two
    assert vote(carol).json()["status"] == "approved"

    code, reply, _ = server.hook("claude-code", payload, USER="alice")
    assert reply["hookSpecificOutput"]["permissionDecision"] == "allow"
    code, reply, _ = server.hook("claude-code", payload, USER="alice")
    again = reply["hookSpecificOutput"]["permissionDecisionReason"]
    assert reply["hookSpecificOutput"]["permissionDecision"] == "deny" and request_id not in again
    assert vote(carol).status_code == 409  # consumed: closed

    # Every step is in the log, and the log verifies.
    verify = server.cli("audit", "verify", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    events = server.client.get("/v1/audit/events", params={"limit": 1000}, headers=server.auth(admin)).json()
    kinds = [e["event"]["kind"] for e in events["entries"]]
    assert kinds.count("approval.granted") == 2 and kinds.count("approval.requested") == 2
    allowed = [e["event"] for e in events["entries"] if e["event"].get("request_id") == request_id]
    assert any(e["verdict"] == "allow" and e["approvers"] == ["bob", "carol"] for e in allowed)


def test_the_http_hook_endpoint_answers_as_the_command_hook(server: Server, tmp_path: Path) -> None:
    payload = _claude("rm -rf /", tmp_path)
    r = server.client.post("/v1/hooks/claude-code", content=payload)
    assert r.status_code == 200 and r.headers["x-blastdoor-exit"] == "0"
    assert r.json()["hookSpecificOutput"]["permissionDecision"] == "deny"
    code, reply, _ = server.hook("claude-code", payload)
    assert (code, reply) == (0, r.json())
    broken = server.client.post("/v1/hooks/cursor", content=b"{")
    assert broken.headers["x-blastdoor-exit"] == "2" and broken.json()["permission"] == "deny"
    ignored = server.client.post("/v1/hooks/claude-code", json={"hook_event_name": "Stop", "session_id": "s"})
    assert ignored.status_code in (200, 204)


def test_the_hook_client_decides_in_process_when_no_server_answers(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.server.harness import HOOK_CLIENT

    env = {**os.environ, "BLASTDOOR_SOCKET": str(tmp_path / "nobody.sock")}
    proc = subprocess.run(
        [sys.executable, "-I", "-S", HOOK_CLIENT, "claude-code"],
        input=_claude("rm -rf /", tmp_path),
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_revoking_an_agent_over_the_api_denies_its_next_hook_call(server: Server, tmp_path: Path) -> None:
    admin = server.add_person("root", "admin")
    bob = server.add_person("bob", admin_token=admin)
    payload = _claude("ls", tmp_path)
    _code, reply, _ = server.hook("claude-code", payload, BLASTDOOR_AGENT="ci-bot")
    assert reply["hookSpecificOutput"]["permissionDecision"] == "allow"
    r = server.client.post("/v1/agents/ci-bot/revoke", json={"reason": "incident 7"}, headers=server.auth(bob))
    assert r.json()["status"] == "revoked"
    _, reply, _ = server.hook("claude-code", payload, BLASTDOOR_AGENT="ci-bot")
    assert reply["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "revoked" in reply["hookSpecificOutput"]["permissionDecisionReason"]
    restore = server.client.post("/v1/agents/ci-bot/restore", json={}, headers=server.auth(bob))
    assert restore.status_code == 403  # only admins restore
    agents = server.client.get("/v1/agents", headers=server.auth(bob)).json()["agents"]
    assert [a["status"] for a in agents if a["id"] == "ci-bot"] == ["revoked"]
    assert server.client.post("/v1/agents/ci-bot/restore", headers=server.auth(admin)).json()["status"] == "active"


def test_health_metrics_and_openapi(server: Server) -> None:
    server.client.post("/v1/decide", json={"action": {"shell": "ls"}})
    health = server.client.get("/healthz").json()
    assert health["status"] == "ok" and health["audit_entries"] >= 1
    metrics = server.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'blastdoor_decisions_total{front="api",verdict="allow"} 1' in metrics.text
    assert "blastdoor_decision_seconds_count 1" in metrics.text
    doc = server.client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/v1/decide" in doc["paths"]


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any], dict[str, str]]]] = []
    failures_left = 2

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((self.path, json.loads(body), dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhooks_are_retried_signed_and_carry_a_link(tmp_path: Path, monkeypatch: Any) -> None:
    import hashlib
    import hmac

    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    config = tmp_path / "server.yaml"
    config.write_text(
        f"public_url: https://inbox.example.com\nwebhooks:\n"
        f"  - {{ url: 'http://127.0.0.1:{port}/generic', format: generic, secret_env: HOOK_SECRET }}\n"
        f"  - {{ url: 'http://127.0.0.1:{port}/slack', format: slack }}\n"
    )
    project = _project(tmp_path)
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    srv = Server(tmp_path / "home", extra=["--config", str(config)])
    try:
        r = srv.client.post("/v1/decide", json={"action": {"shell": "rm -rf ./data", "cwd": str(project)}})
        request_id = r.json()["decision"]["request_id"]
        deadline = time.monotonic() + 20
        while len(_Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        srv.stop()
        receiver.shutdown()
    by_path = {path: (body, headers) for path, body, headers in _Receiver.received}
    generic, headers = by_path["/generic"]
    assert generic["type"] == "blastdoor.approval.requested" and generic["request"]["id"] == request_id
    assert generic["url"] == f"https://inbox.example.com/requests/{request_id}"
    raw = json.dumps(generic).encode()
    assert headers["X-Blastdoor-Signature"] == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    slack, _ = by_path["/slack"]
    assert request_id in slack["text"] and slack["blocks"][-1]["elements"][0]["url"].endswith(request_id)
    assert _Receiver.failures_left == 0  # two 503s were retried


def test_the_installed_command_hook_asks_the_running_server(server: Server, tmp_path: Path) -> None:
    import subprocess

    project = tmp_path / "proj"
    project.mkdir()
    server.cli("install", "claude-code", "--project", str(project))
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    assert " -I -S " in command
    env = {**server.env, "BLASTDOOR_SOCKET": server.socket}
    for _ in range(2):
        proc = subprocess.run(
            command, shell=True, input=_claude("rm -rf /", project), env=env, capture_output=True, timeout=60
        )
        assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    metrics = server.client.get("/metrics").text
    assert 'blastdoor_decisions_total{front="hook:claude-code",verdict="exit-0"} 2' in metrics
