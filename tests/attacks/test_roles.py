"""Attacks on roles and edges (issue 13, item 6): restore, bootstrap, the gateway's listener, login,
refused votes, and `check` against the kill switch."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.attacks.boundary import BLASTDOOR, bash_payload
from tests.server.harness import Server, free_port


def _cli(*args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BLASTDOOR_TOKEN"}
    if token:
        env["BLASTDOOR_TOKEN"] = token
    return subprocess.run([BLASTDOOR, *args], env=env, capture_output=True, text=True, timeout=60)


def _status(agent: str) -> str:
    from blastdoor.services import open_services

    with open_services(checkpoint_on_close=False) as services:
        return services.agents.status(agent)[0]


# -- the CLI ------------------------------------------------------------------------------------------


def test_an_approver_cannot_restore_a_revoked_agent() -> None:
    admin = _cli("people", "add", "root", "--role", "admin").stdout.strip()
    bob = _cli("people", "add", "bob", token=admin).stdout.strip()
    assert _cli("agents", "revoke", "claude-code:eve@box", "-m", "incident", token=bob).returncode == 0
    refused = _cli("agents", "restore", "claude-code:eve@box", token=bob)
    assert refused.returncode == 1 and "admin" in refused.stderr
    assert _status("claude-code:eve@box") == "revoked"
    assert _cli("agents", "restore", "claude-code:eve@box", token=admin).returncode == 0
    assert _status("claude-code:eve@box") == "active"


@pytest.mark.parametrize("who", ["an approver only", "an admin removed"])
def test_people_add_without_a_token_only_while_nobody_exists(who: str) -> None:
    if who == "an approver only":
        assert _cli("people", "add", "bob").returncode == 0  # nobody at all yet: the first person
    else:
        admin = _cli("people", "add", "root", "--role", "admin").stdout.strip()
        assert _cli("people", "add", "bob", token=admin).returncode == 0
        assert _cli("people", "remove", "root", token=admin).returncode == 0
    for argv in (
        ("people", "add", "mallory", "--role", "admin"),
        ("people", "token", "bob"),
        ("people", "remove", "bob"),
    ):
        refused = _cli(*argv)
        assert refused.returncode == 1, (argv, refused.stdout)
    people = {p["name"]: p for p in json.loads(_cli("people", "list", "--json").stdout)}
    assert "mallory" not in people and not people["bob"]["disabled"]


def test_check_honours_the_kill_switch(tmp_path: Path) -> None:
    assert _cli("agents", "revoke", "claude-code:eve@box", "-m", "incident").returncode == 0
    for command in (["touch", str(tmp_path / "x")], ["ls"]):
        revoked = _cli("check", "--agent", "claude-code:eve@box", "--json", "--", *command)
        assert revoked.returncode == 5, revoked.stdout + revoked.stderr
        assert json.loads(revoked.stdout)["rule"] == "agent.revoked"
    other = _cli("check", "--agent", "claude-code:ann@box", "--", "ls")
    assert other.returncode == 0


# -- the server --------------------------------------------------------------------------------------


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "home")
    try:
        yield srv
    finally:
        srv.stop()


def test_refused_votes_are_audit_events(server: Server, tmp_path: Path) -> None:
    import getpass

    me = getpass.getuser()
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "blastdoor.yaml").write_text(
        "version: 1\nextends: [recommended]\napprovers:\n  leads: [" + me + ", carol]\nrules:\n"
        "  - id: deletes\n    match: { effects: [delete] }\n    verdict: approve\n"
        "    approvals: { count: 2, from: leads }\n"
    )
    admin = server.add_person("root-admin", "admin")
    mine, carol, zed = (server.add_person(n, admin_token=admin) for n in (me, "carol", "zed"))
    _, reply, _ = server.hook("claude-code", json.dumps(bash_payload("rm -rf ./data", project)).encode())
    request_id = reply["hookSpecificOutput"]["permissionDecisionReason"].split("request ")[1].split(" ")[0]

    def vote(token: str) -> str:
        r = server.client.post(f"/v1/approvals/{request_id}/approve", json={}, headers=server.auth(token))
        return str(r.json().get("error", {}).get("code", r.json().get("status")))

    assert [vote(mine), vote(zed), vote(carol), vote(carol)] == ["self", "group", "pending", "repeat"]
    events = server.client.get(
        "/v1/audit/events", params={"kind": "approval.refused", "limit": 100}, headers=server.auth(admin)
    ).json()["entries"]
    seen = [(e["event"]["approval"]["approver"], e["event"]["refused"]["code"]) for e in events]
    assert sorted(seen) == sorted([(me, "self"), ("zed", "group"), ("carol", "repeat")])
    assert all(e["event"]["approval"]["request_id"] == request_id for e in events)
    assert server.cli("audit", "verify", check=False).returncode == 0


def test_login_checks_the_origin(server: Server) -> None:
    token = server.add_person("root", "admin")
    cross = server.tcp.post(
        "/login", data={"token": token}, headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert cross.status_code == 403 and "blastdoor_session" not in cross.headers.get("set-cookie", "")
    fetch = server.tcp.post(
        "/login", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False
    )
    assert fetch.status_code == 403 and "blastdoor_session" not in fetch.headers.get("set-cookie", "")
    own = server.tcp.post("/login", data={"token": token}, headers={"Origin": server.url}, follow_redirects=False)
    assert own.status_code == 303 and "blastdoor_session" in own.headers["set-cookie"]


# -- the MCP gateway ---------------------------------------------------------------------------------

BANK = str(Path(__file__).resolve().parents[1] / "mcp" / "servers" / "bank.py")


def _gateway_config(tmp_path: Path) -> Path:
    (tmp_path / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    config = tmp_path / "mcp.json"
    body = {"policy": "blastdoor.yaml", "store": str(tmp_path / "audit.db"),
            "servers": {"bank": {"command": sys.executable, "args": [BANK]}}}  # fmt: skip
    config.write_text(json.dumps(body))
    return config


def _listening(proc: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def test_the_gateway_refuses_a_public_listen_without_a_token(tmp_path: Path) -> None:
    config = _gateway_config(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [BLASTDOOR, "mcp", "--config", str(config), "--listen", f"0.0.0.0:{port}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    try:
        listening = _listening(proc, port)
    finally:
        if proc.poll() is None:
            proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert not listening
    assert proc.returncode == 2 and "--token-file" in err.decode(), err.decode()


def test_the_gateways_token_is_required_on_every_http_request(tmp_path: Path) -> None:
    config = _gateway_config(tmp_path)
    token_file = tmp_path / "mcp.token"
    token_file.write_text("s3cret-token-for-the-gateway\n")
    port = free_port()
    argv = [BLASTDOOR, "mcp", "--config", str(config), "--listen", f"127.0.0.1:{port}", "--token-file", str(token_file)]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=tmp_path)  # fmt: skip
    try:
        assert _listening(proc, port)
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "attack", "version": "1"}}}  # fmt: skip
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        url = f"http://127.0.0.1:{port}/mcp"
        for bad in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0"}):
            r = httpx.post(url, json=init, headers={**headers, **bad}, timeout=30)
            assert r.status_code == 401, (bad, r.status_code)
        ok = httpx.post(url, json=init, headers={**headers, "Authorization": "Bearer s3cret-token-for-the-gateway"},
                        timeout=30)  # fmt: skip
        assert ok.status_code == 200, ok.text
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_requester_token_approves_nothing(tmp_path: Path) -> None:
    """A token that can only ask cannot approve a request, a tool, or restore or revoke an agent."""
    admin = _cli("people", "add", "root", "--role", "admin").stdout.strip()
    svc = _cli("people", "add", "svc", "--role", "requester", token=admin).stdout.strip()
    assert svc.startswith("bd_")
    for argv in (
        ("agents", "revoke", "claude-code:eve@box"),
        ("agents", "restore", "claude-code:eve@box"),
        ("mcp", "tools", "approve", "fs/write_file", "--db", str(tmp_path / "audit.db")),
        ("people", "add", "mallory", "--role", "admin"),
    ):
        refused = _cli(*argv, token=svc)
        assert refused.returncode == 1, (argv, refused.stdout, refused.stderr)
