"""Attacks: the caller claims who asks (issue 13, item 2), against a real `blastdoor serve`.

Who asks is established, not asserted: the unix socket's peer (SO_PEERCRED) or, over TCP, a person's
API token. The requester is part of what an approval binds to, and a request with no known requester
can never be approved by anybody (so never by the person driving the agent).
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.attacks.boundary import BLASTDOOR, bash_payload
from tests.server.harness import Server

ME = getpass.getuser()  # the OS user of this test process: the unix socket's peer

APPROVE_ALL_DELETES = """version: 1
extends: [recommended]
approvers:
  leads: [{me}, carol, dave]
rules:
  - id: deletes-need-two
    match: {{ effects: [delete] }}
    verdict: approve
    approvals: {{ count: 2, from: leads }}
    reason: deletes need two leads
"""


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "home")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "blastdoor.yaml").write_text(APPROVE_ALL_DELETES.format(me=ME))
    return root


def _people(server: Server, *, requesters: bool = True) -> dict[str, str]:
    admin = server.add_person("root-admin", "admin")
    tokens = {"admin": admin}
    for name in (ME, "carol", "dave"):
        tokens[name] = server.add_person(name, "approver", admin_token=admin)
    if requesters:
        tokens["svc"] = server.add_person("svc", "requester", admin_token=admin)
        tokens["svc2"] = server.add_person("svc2", "requester", admin_token=admin)
    return tokens


def _vote(server: Server, token: str, request_id: str) -> Any:
    return server.client.post(f"/v1/approvals/{request_id}/approve", json={"comment": "ok"}, headers=server.auth(token))


# -- TCP: a token, or nothing is decided ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/decide", json.dumps({"action": {"shell": "ls"}}).encode()),
        ("/v1/hooks/claude-code", json.dumps(bash_payload("ls", Path("/tmp"))).encode()),
        ("/v1/hook-client/claude-code", b"USER=alice\0\0" + json.dumps(bash_payload("ls", Path("/tmp"))).encode()),
    ],
)
def test_deciding_over_tcp_needs_a_token(server: Server, path: str, body: bytes) -> None:
    tokens = _people(server)
    anonymous = server.tcp.post(path, content=body)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "no_token"
    forged = server.tcp.post(path, content=body, headers=server.auth("bd_forged"))
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_token"
    # The unix socket does not take a bad token either: a token given must be valid.
    assert server.client.post(path, content=body, headers=server.auth("bd_forged")).status_code == 401
    assert server.tcp.post(path, content=body, headers=server.auth(tokens["svc"])).status_code == 200


def test_the_body_cannot_name_the_requester(server: Server, tmp_path: Path) -> None:
    tokens = _people(server)
    action = {"shell": "ls", "agent": {"id": "sdk:x", "on_behalf_of": "carol"}}
    over_tcp = server.tcp.post("/v1/decide", json={"action": action, "correlation_id": "tcp-1"},
                               headers=server.auth(tokens["svc"]))  # fmt: skip
    over_unix = server.client.post("/v1/decide", json={"action": action, "correlation_id": "unix-1"})
    assert over_tcp.status_code == 200 and over_unix.status_code == 200
    found = {}
    for cid in ("tcp-1", "unix-1"):
        (entry,) = server.client.get(
            "/v1/audit/events", params={"correlation_id": cid}, headers=server.auth(tokens["admin"])
        ).json()["entries"]
        found[cid] = entry["event"]["agent"].get("on_behalf_of")
    assert found == {"tcp-1": "svc", "unix-1": ME}


# -- approvals: the requester is established, and bound ---------------------------------------------


def test_a_claimed_user_in_the_hooks_environment_does_not_let_the_driver_approve(server: Server, project: Path) -> None:
    """The agent's process claims USER=dave; the driver (this OS user) then tries to approve its own delete."""
    tokens = _people(server, requesters=False)
    payload = json.dumps(bash_payload("rm -rf ./data", project)).encode()
    _, reply, err = server.hook("claude-code", payload, USER="dave", LOGNAME="dave")
    assert reply is not None, err
    reason = reply["hookSpecificOutput"]["permissionDecisionReason"]
    request_id = reason.split("request ")[1].split(" ")[0]
    shown = server.client.get(f"/v1/approvals/{request_id}", headers=server.auth(tokens["carol"])).json()
    assert shown["requester"] == ME
    own = _vote(server, tokens[ME], request_id)
    assert own.status_code == 403 and own.json()["error"]["code"] == "self"
    assert _vote(server, tokens["carol"], request_id).json()["status"] == "pending"  # one of two, not two


def test_an_approval_for_one_requester_is_not_anothers(server: Server, tmp_path: Path) -> None:
    """Two services send the identical action under the same agent id: svc's approval is svc's alone."""
    tokens = _people(server)
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "project" / "blastdoor.yaml").write_text(APPROVE_ALL_DELETES.format(me=ME))
    action = {"shell": "rm -rf ./data", "cwd": str(tmp_path / "project"), "agent": {"id": "sdk:shared"}}

    def decide(token: str) -> dict[str, Any]:
        r = server.tcp.post("/v1/decide", json={"action": action}, headers=server.auth(token))
        assert r.status_code == 200, r.text
        return r.json()["decision"]  # type: ignore[no-any-return]

    first = decide(tokens["svc"])
    assert first["verdict"] == "approve" and first["request_id"]
    assert _vote(server, tokens["carol"], first["request_id"]).json()["status"] == "pending"
    assert _vote(server, tokens["dave"], first["request_id"]).json()["status"] == "approved"
    other = decide(tokens["svc2"])
    assert other["verdict"] == "approve" and other.get("request_id") != first["request_id"]
    mine = decide(tokens["svc"])
    assert mine["verdict"] == "allow" and mine["request_id"] == first["request_id"]


def test_an_empty_on_behalf_of_does_not_let_the_requester_approve_their_own_action(
    server: Server, project: Path
) -> None:
    """The issue's attack: file the request with an empty `on_behalf_of`, then supply one approval yourself."""
    tokens = _people(server, requesters=False)
    action = {"shell": "rm -rf ./data", "cwd": str(project), "agent": {"id": "sdk:me", "on_behalf_of": ""}}
    r = server.client.post("/v1/decide", json={"action": action})
    decision = r.json()["decision"]
    assert decision["verdict"] == "approve" and decision["request_id"], decision
    own = _vote(server, tokens[ME], decision["request_id"])
    assert own.status_code == 403 and own.json()["error"]["code"] == "self"


@pytest.mark.parametrize("claimed", ["", "unknown"])
def test_a_request_with_an_unknown_requester_is_never_filed(project: Path, claimed: str) -> None:
    """In-process, the payload's `user` says "unknown", or the environment's USER is blank: no request
    may exist that nobody can be shown not to have asked for."""
    env = {k: v for k, v in os.environ.items() if k not in ("USER", "LOGNAME")}
    env["BLASTDOOR_SERVER"] = "off"
    if claimed == "":
        env["USER"] = " "  # blank, not absent: the hook must not treat whitespace as a person
    payload = json.dumps({**bash_payload("rm -rf ./data", project), "user": "unknown" if claimed else ""})
    proc = subprocess.run(
        [BLASTDOOR, "hook", "claude-code"], input=payload, env=env, capture_output=True, text=True, timeout=60
    )
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny"
    assert "no approval request could be filed" in out["permissionDecisionReason"]
    from blastdoor.services import open_services

    with open_services(checkpoint_on_close=False) as services:
        assert services.approvals.find(status="") == []


def test_a_requester_token_cannot_read_or_vote(server: Server, project: Path) -> None:
    tokens = _people(server)
    payload = json.dumps(bash_payload("rm -rf ./data", project)).encode()
    _, reply, _ = server.hook("claude-code", payload)
    request_id = reply["hookSpecificOutput"]["permissionDecisionReason"].split("request ")[1].split(" ")[0]
    svc = server.auth(tokens["svc"])
    assert server.client.get("/v1/approvals", headers=svc).status_code == 403
    assert server.client.get("/v1/audit/events", headers=svc).status_code == 403
    assert server.client.post(f"/v1/approvals/{request_id}/approve", json={}, headers=svc).status_code == 403
    assert server.client.post("/v1/agents/claude-code:x@y/restore", json={}, headers=svc).status_code == 403
