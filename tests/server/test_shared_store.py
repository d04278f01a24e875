"""Two server processes on one PostgreSQL store: a revoke in one holds for the next decision in the other."""

from __future__ import annotations

from pathlib import Path

from tests.server.harness import Server


def test_revoke_in_one_server_denies_the_next_decision_in_the_other(pg_url: str, tmp_path: Path) -> None:
    first = Server(tmp_path / "one", db=pg_url)
    second = Server(tmp_path / "two", db=pg_url)
    try:
        admin = first.add_person("root", "admin")
        action = {"action": {"shell": "ls", "agent": {"id": "claude-code:alice@laptop", "harness": "claude-code"}}}
        assert second.client.post("/v1/decide", json=action).json()["decision"]["verdict"] == "allow"
        revoked = first.client.post(
            "/v1/agents/claude-code:alice@laptop/revoke", json={"reason": "kill switch"}, headers=first.auth(admin)
        )
        assert revoked.status_code == 200
        decision = second.client.post("/v1/decide", json=action).json()["decision"]
        assert decision["verdict"] == "deny" and decision["rule"] == "agent.revoked"
        assert "revoked" in decision["reasons"][0] and "kill switch" in decision["reasons"][0]
        # The token issued through one server signs in at the other: one control plane.
        agents = second.client.get("/v1/agents", headers=second.auth(admin)).json()["agents"]
        assert {"id": "claude-code:alice@laptop", "status": "revoked"}.items() <= {
            k: v for a in agents if a["id"] == "claude-code:alice@laptop" for k, v in a.items()
        }.items()
    finally:
        first.stop()
        second.stop()
    # Both wrote to one gapless tree, each signing with its own key (and sealing the head with its own).
    rings = [s.home / "audit.key.trusted" for s in (first, second)]
    trust = [a for ring in rings if ring.exists() for a in ("--trust", str(ring))]
    verify = first.cli("audit", "verify", "--db", pg_url, *trust, check=False)
    assert verify.returncode in (0, 9) and "FAILED" not in verify.stdout, verify.stdout + verify.stderr
