"""Attacks: an agent claims another agent's identity (issue 16, item 1), against a real `blastdoor serve`.

The agent id a caller gives is a claim; an enrolled agent is only itself with its credential. Every
route to the decision is tried: the thin hook over the socket, the in-process hook, the HTTP API.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.attacks.boundary import bash_payload
from tests.server.harness import Server

POLICY = """version: 1
default: allow
unknown: allow
rules:
  - id: strangers-change-nothing
    match: { agent: unknown-agent, effects: [write, delete, create] }
    verdict: deny
    reason: an unknown agent may not change anything
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
    root.mkdir()
    (root / "blastdoor.yaml").write_text(POLICY)
    (root / "old.log").write_text("x")
    return root


def _enrol(server: Server, agent: str, out: Path) -> str:
    server.cli("agents", "enrol", agent, "--out", str(out))
    return out.read_text().strip()


def _decision(reply: Any) -> str:
    assert reply is not None
    return str(reply["hookSpecificOutput"]["permissionDecision"])


def _last_agent(server: Server) -> dict[str, Any]:
    out = server.cli("audit", "search", "--kind", "decision", "--json", "--limit", "1").stdout
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    return dict(entries[0]["event"]["agent"])


def _hook(server: Server, project: Path, **env: str) -> tuple[str, str]:
    payload = json.dumps(bash_payload(f"rm {project}/old.log", project)).encode()
    _code, reply, _err = server.hook("claude-code", payload, BLASTDOOR_AGENT="ci-deployer", **env)
    return _decision(reply), json.dumps(reply)


def test_thin_hook_claim_without_credential_is_unknown_agent(server: Server, project: Path, tmp_path: Path) -> None:
    cred = tmp_path / "ci.jwt"
    _enrol(server, "ci-deployer", cred)
    decision, reply = _hook(server, project)
    assert decision == "deny" and "unknown agent" in reply
    agent = _last_agent(server)
    assert agent["id"] == "unknown-agent" and agent["claimed"] == "ci-deployer"
    decision, _ = _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL_FILE=str(cred))
    assert decision == "allow"
    agent = _last_agent(server)
    assert agent["id"] == "ci-deployer" and agent["verified"] is True
    # Withdrawn by another process (the CLI): refused at the very next call.
    server.cli("agents", "withdraw", "ci-deployer", "-m", "leaked")
    decision, reply = _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL_FILE=str(cred))
    assert decision == "deny" and "revoked" in reply


def test_in_process_hook_verifies_too(server: Server, project: Path, tmp_path: Path) -> None:
    cred = tmp_path / "ci.jwt"
    _enrol(server, "ci-deployer", cred)
    off = {"BLASTDOOR_SERVER": "off"}
    assert _hook(server, project, **off)[0] == "deny"
    assert _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL_FILE=str(cred), **off)[0] == "allow"


def _claims(agent: str = "ci-deployer", **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": agent, "aud": "blastdoor", "iss": "blastdoor", "iat": now, "exp": now + 3600, "jti": "x", **extra}


def _forgeries(real: str) -> dict[str, str]:
    """Tokens an agent could make itself: its own key, no signature, a real token edited."""
    header = jwt.get_unverified_header(real)
    own = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]})
    none = jwt.encode(_claims(), None, algorithm="none")
    head, body, sig = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "prod-admin"
    edited = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), sig])
    guess = "secret-guess-at-least-32-bytes-long!"
    hs = jwt.encode(_claims(), guess, algorithm="HS256", headers={"kid": header["kid"]})
    return {"own-key": own, "alg-none": none, "edited-sub": edited, "hmac": hs, "garbage": "not-a-token"}


def test_forged_credentials_are_refused(server: Server, project: Path, tmp_path: Path) -> None:
    real = _enrol(server, "ci-deployer", tmp_path / "ci.jwt")
    _enrol(server, "prod-admin", tmp_path / "admin.jwt")
    for name, token in _forgeries(real).items():
        decision, reply = _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL=token)
        assert decision == "deny" and "credential refused" in reply, name
        assert _last_agent(server)["id"] == "unknown-agent", name


def test_another_agents_credential_makes_the_caller_that_agent(server: Server, project: Path, tmp_path: Path) -> None:
    _enrol(server, "ci-deployer", tmp_path / "ci.jwt")
    other = _enrol(server, "docs-bot", tmp_path / "docs.jwt")
    assert _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL=other)[0] == "allow"
    agent = _last_agent(server)
    assert agent["id"] == "docs-bot" and agent["claimed"] == "ci-deployer"  # the token, not the claim


def test_unreadable_credential_file_is_not_silence(server: Server, project: Path, tmp_path: Path) -> None:
    """A caller naming a credential file the client cannot read is refused, not judged by its claim."""
    decision, reply = _hook(server, project, BLASTDOOR_AGENT_CREDENTIAL_FILE=str(tmp_path / "nope"))
    assert decision == "deny" and "refused" in reply


def test_the_server_never_reads_a_file_the_caller_names(server: Server, project: Path, tmp_path: Path) -> None:
    """Over the wire, a credential file name is the caller's side: the server refuses instead of reading."""
    cred = tmp_path / "ci.jwt"
    _enrol(server, "ci-deployer", cred)
    body = {
        "action": {"shell": f"rm {project}/old.log", "cwd": str(project), "agent": {"id": "ci-deployer"}},
        "environ": {"BLASTDOOR_AGENT_CREDENTIAL_FILE": str(cred)},
    }
    answer = server.client.post("/v1/decide", json=body).json()
    assert answer["decision"]["verdict"] == "deny"
    body = {**body, "environ": {}, "credential": cred.read_text().strip()}
    answer = server.client.post("/v1/decide", json=body).json()
    assert answer["decision"]["verdict"] == "allow"


def test_claiming_verified_in_the_action_is_ignored(server: Server, project: Path, tmp_path: Path) -> None:
    _enrol(server, "ci-deployer", tmp_path / "ci.jwt")
    body = {
        "action": {
            "shell": f"rm {project}/old.log",
            "cwd": str(project),
            "agent": {"id": "ci-deployer", "verified": True},
        },
        "environ": {},
    }
    answer = server.client.post("/v1/decide", json=body).json()
    assert answer["decision"]["verdict"] == "deny"


def test_revoked_agent_cannot_hide_as_unknown_agent(server: Server, project: Path, tmp_path: Path) -> None:
    _enrol(server, "ci-deployer", tmp_path / "ci.jwt")
    server.cli("agents", "revoke", "ci-deployer", "-m", "incident")
    payload = json.dumps(bash_payload(f"cat {project}/old.log", project)).encode()
    _, reply, _ = server.hook("claude-code", payload, BLASTDOOR_AGENT="ci-deployer")
    assert _decision(reply) == "deny" and "revoked" in json.dumps(reply)


def test_credential_file_path_is_not_sent_over_the_socket(tmp_path: Path) -> None:
    """The thin client sends the token, never the file's name (the server must not open caller files)."""
    import socket
    import sys
    import threading

    sock_path = str(tmp_path / "s.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        data = b""
        while b"\0\0" not in data:
            data += conn.recv(65536)
        got.append(data)
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    (tmp_path / "c.jwt").write_text("tok.en.value\n")
    from blastdoor import hookclient

    env = {**os.environ, "BLASTDOOR_SOCKET": sock_path, "BLASTDOOR_AGENT_CREDENTIAL_FILE": str(tmp_path / "c.jwt")}
    subprocess.run(
        [sys.executable, "-I", "-S", hookclient.__file__, "claude-code"], input=b"{}", env=env, timeout=60, check=False
    )
    t.join(timeout=30)
    listener.close()
    assert got and b"BLASTDOOR_AGENT_CREDENTIAL=tok.en.value\0" in got[0]
    assert b"BLASTDOOR_AGENT_CREDENTIAL_FILE" not in got[0]
