"""POST /v1/outcomes against a real `blastdoor serve`: a requester records the outcome of its own allowed
call, once; every other attempt is refused and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.sdk import Guard
from tests.server.harness import Server


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "server-home")
    try:
        yield srv
    finally:
        srv.stop()


def _events(server: Server, admin: str, cid: str) -> list[dict[str, Any]]:
    r = server.tcp.get("/v1/audit/events", params={"correlation_id": cid}, headers=server.auth(admin))
    assert r.status_code == 200, r.text
    return [entry["event"] for entry in r.json()["entries"]]


def _decide(server: Server, token: str, action: dict[str, Any], cid: str) -> str:
    r = server.tcp.post("/v1/decide", json={"action": action, "correlation_id": cid}, headers=server.auth(token))
    assert r.status_code == 200, r.text
    return str(r.json()["decision"]["verdict"])


def test_only_the_requester_records_its_allowed_calls_outcome_once(server: Server) -> None:
    admin = server.add_person("root-admin", "admin")
    svc = server.add_person("svc", "requester", admin_token=admin)
    mallory = server.add_person("mallory", "requester", admin_token=admin)
    assert _decide(server, svc, {"shell": "ls -la"}, "cid-read") == "allow"
    assert _decide(server, svc, {"shell": "rm -rf /"}, "cid-rm") not in ("allow", "ask")

    def post(token: str, body: dict[str, Any]) -> tuple[int, str]:
        r = server.tcp.post("/v1/outcomes", json=body, headers=server.auth(token))
        return r.status_code, r.json().get("error", {}).get("code", "") if r.status_code >= 400 else ""

    # Someone else's decision, an unknown one, a call that was not allowed, a malformed body: refused.
    assert post(mallory, {"correlation_id": "cid-read", "exit_code": 0}) == (403, "not_yours")
    assert post(svc, {"correlation_id": "cid-nothing", "exit_code": 0}) == (404, "unknown_decision")
    assert post(svc, {"correlation_id": "cid-rm", "exit_code": 0}) == (409, "not_run")
    assert post(svc, {"correlation_id": "cid-read", "exit_code": "0"})[0] == 400
    assert post(svc, {"correlation_id": ""})[0] == 400
    assert post(svc, {"correlation_id": "cid-read", "exit_code": 10**30})[0] == 400
    nan = server.tcp.post("/v1/outcomes", content=b'{"correlation_id": "cid-read", "duration_ms": NaN}',
                          headers={**server.auth(svc), "content-type": "application/json"})  # fmt: skip
    assert nan.status_code == 400
    no_token = server.tcp.post("/v1/outcomes", json={"correlation_id": "cid-read", "exit_code": 0})
    assert no_token.status_code == 401
    assert [e["kind"] for e in _events(server, admin, "cid-read")] == ["decision"]  # nothing was written

    assert post(svc, {"correlation_id": "cid-read", "exit_code": 0, "duration_ms": 3.5}) == (201, "")
    assert post(svc, {"correlation_id": "cid-read", "exit_code": 1, "error": "lie"}) == (409, "outcome_recorded")
    outcomes = [e for e in _events(server, admin, "cid-read") if e["kind"] == "outcome"]
    assert len(outcomes) == 1 and outcomes[0]["outcome"] == {"exit_code": 0, "duration_ms": 3.5}


def test_a_remote_guard_records_the_outcome_of_each_call_it_ran(server: Server, tmp_path: Path) -> None:
    admin = server.add_person("root-admin", "admin")
    svc = server.add_person("svc", "requester", admin_token=admin)
    g = Guard.remote(server.url, token=svc, agent="remote-agent", cwd=str(tmp_path))
    ran: list[str] = []

    @g.tool(shell="command")
    def shell(command: str) -> str:
        ran.append(command)
        if "boom" in command:
            raise RuntimeError("boom")
        return "ok"

    assert shell("ls -la") == "ok"
    with pytest.raises(RuntimeError):
        shell("ls boom")
    assert g.flush()
    g.close()
    assert ran == ["ls -la", "ls boom"]
    r = server.tcp.get("/v1/audit/events", params={"kind": "outcome"}, headers=server.auth(admin))
    outcomes = [entry["event"] for entry in r.json()["entries"]]
    assert sorted(o["status"] for o in outcomes) == ["error", "ok"]


def test_a_hook_outcome_is_recorded_only_for_the_caller_whose_call_it_was(server: Server, tmp_path: Path) -> None:
    # Think like another requester on a shared server: it copies (or guesses) svc's tool-use id and posts a
    # PostToolUse for it, to write a lie into svc's record. Refused, nothing written; svc's own is recorded.
    admin = server.add_person("root-admin", "admin")
    svc = server.add_person("svc", "requester", admin_token=admin)
    mallory = server.add_person("mallory", "requester", admin_token=admin)
    call = {"session_id": "s", "cwd": str(tmp_path), "tool_name": "Bash", "tool_input": {"command": "ls -la"}}
    pre = {**call, "hook_event_name": "PreToolUse", "tool_use_id": "toolu_svc"}
    r = server.tcp.post("/v1/hooks/claude-code", json=pre, headers=server.auth(svc))
    assert r.json()["hookSpecificOutput"]["permissionDecision"] == "allow"

    def post_tool_use(token: str, response: dict[str, Any]) -> Any:
        body = {**call, "hook_event_name": "PostToolUse", "tool_use_id": "toolu_svc", "tool_response": response}
        return server.tcp.post("/v1/hooks/claude-code", json=body, headers=server.auth(token))

    forged = post_tool_use(mallory, {"stdout": "", "stderr": "rm: everything deleted", "interrupted": False})
    assert forged.headers["x-blastdoor-exit"] == "2"
    assert [e["kind"] for e in _events(server, admin, "claude-code:toolu_svc")] == ["decision"]  # nothing was written
    own = post_tool_use(svc, {"stdout": "README.md", "stderr": "", "interrupted": False})
    assert own.headers["x-blastdoor-exit"] == "0"
    assert sorted(e["kind"] for e in _events(server, admin, "claude-code:toolu_svc")) == ["decision", "outcome"]
