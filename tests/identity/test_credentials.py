"""Agent credentials (issue 16, item 1): enrol, verify, rotate, withdraw; audited; on both stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from blastdoor.audit import events as ev
from blastdoor.errors import InputError, NotFound
from blastdoor.identity.credentials import ENV_FILE, ENV_TOKEN, UNKNOWN_AGENT, CredentialRefused
from blastdoor.pipeline import IDENTITY_REFUSED, judge
from tests.identity.helpers import action, policy, services

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))


def _kinds(svc: object) -> list[str]:
    kinds = [str(e["event"]["kind"]) for e in svc.log.entries()]  # type: ignore[attr-defined]
    return [k for k in kinds if k != ev.CHECKPOINT]


def test_enrol_verify_rotate_withdraw_are_audited(store_url: str, tmp_path: Path) -> None:
    with services(store_url, tmp_path) as svc:
        creds = svc.agents.credentials
        first = creds.enrol("ci-deployer", by="alice", ttl=3600, reason="CI")
        assert creds.verify(first.token) == "ci-deployer"
        assert creds.enrolled("ci-deployer") and not creds.enrolled("someone-else")
        second = creds.rotate("ci-deployer", by="alice")
        assert creds.verify(second.token) == "ci-deployer"
        with pytest.raises(CredentialRefused, match="rotated"):
            creds.verify(first.token)
        assert creds.revoke("ci-deployer", by="bob", reason="retired") == [second.jti]
        with pytest.raises(CredentialRefused, match="revoked"):
            creds.verify(second.token)
        assert not creds.enrolled("ci-deployer")
        kinds = _kinds(svc)
        assert kinds == [ev.AGENT_ENROLLED, ev.AGENT_ROTATED, ev.AGENT_CREDENTIAL_REVOKED]
        for entry in svc.log.entries():
            assert first.token not in str(entry) and second.token not in str(entry)  # never logged
        statuses = {r["jti"]: r["status"] for r in creds.all()}
        assert statuses == {first.jti: "rotated", second.jti: "revoked"}


def test_expired_credential_is_refused(store_url: str, tmp_path: Path) -> None:
    now = [1_000_000.0]
    with services(store_url, tmp_path) as svc:
        from blastdoor.identity.credentials import Credentials

        creds = Credentials(svc.store, svc.log, clock=lambda: now[0])
        issued = creds.enrol("a1", by="alice", ttl=60)
        now[0] += 61
        with pytest.raises(CredentialRefused, match="expired"):
            creds.verify(issued.token)
        assert not creds.enrolled("a1")


@pytest.mark.parametrize("bad", ["", "unknown-agent", "two words"])
def test_bad_agent_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc, pytest.raises(InputError):
        svc.agents.credentials.enrol(bad, by="alice")


def test_rotate_or_withdraw_without_credential_is_not_found(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        with pytest.raises(NotFound):
            svc.agents.credentials.rotate("nobody", by="alice")
        with pytest.raises(NotFound):
            svc.agents.credentials.revoke("nobody", by="alice")


def test_signing_key_is_private_and_reused(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        a = svc.agents.credentials.enrol("a1", by="x")
        b = svc.agents.credentials.enrol("a2", by="x")
    key = tmp_path / "agents.key"
    assert key.stat().st_mode & 0o077 == 0
    import jwt

    assert jwt.get_unverified_header(a.token)["kid"] == jwt.get_unverified_header(b.token)["kid"]


# -- the pipeline: who the caller is judged as -------------------------------------------------------


def test_claiming_an_enrolled_id_without_the_credential_is_unknown_agent(store_url: str, tmp_path: Path) -> None:
    pol = policy()
    with services(store_url, tmp_path) as svc:
        issued = svc.agents.credentials.enrol("ci-deployer", by="alice")
        claimed, d = judge(pol, action("ci-deployer"), agents=svc.agents, environ={})
        assert claimed.agent.id == UNKNOWN_AGENT and claimed.agent.claimed == "ci-deployer"
        assert not claimed.agent.verified
        assert d.verdict == "deny" and d.rule == "strangers-ask"
        proven, d = judge(pol, action("ci-deployer"), agents=svc.agents, environ={ENV_TOKEN: issued.token})
        assert proven.agent.id == "ci-deployer" and proven.agent.verified
        assert d.verdict == "allow"


OPEN = "version: 1\ndefault: allow\nunknown: allow\n"  # no rule about unknown-agent: the refusal alone denies


def test_credential_file_is_read_in_process(tmp_path: Path) -> None:
    pol = policy(base=OPEN)
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        issued = svc.agents.credentials.enrol("ci-deployer", by="alice")
        path = tmp_path / "cred.jwt"
        path.write_text(issued.token + "\n")
        got, d = judge(pol, action("ci-deployer"), agents=svc.agents, environ={ENV_FILE: str(path)})
        assert got.agent.verified and d.verdict == "allow"
        got, d = judge(pol, action("ci-deployer"), agents=svc.agents, environ={ENV_FILE: str(tmp_path / "missing")})
        assert got.agent.id == UNKNOWN_AGENT and d.verdict == "deny" and d.rule == IDENTITY_REFUSED


def test_unenrolled_ids_keep_working_unverified(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        got, d = judge(policy(), action("claude-code:bob@host"), agents=svc.agents, environ={})
        assert got.agent.id == "claude-code:bob@host" and not got.agent.verified and d.verdict == "allow"


def test_credential_withdrawn_in_another_process_is_refused_at_the_next_call(pg_url: str, tmp_path: Path) -> None:
    """A long-running process (the server, the gateway) sees a withdrawal made by another at once."""
    pol = policy(base=OPEN)
    with services(pg_url, tmp_path) as svc:
        issued = svc.agents.credentials.enrol("ci-deployer", by="alice")
        env = {ENV_TOKEN: issued.token}
        assert judge(pol, action("ci-deployer"), agents=svc.agents, environ=env)[1].verdict == "allow"
        proc = subprocess.run(
            [BLASTDOOR, "agents", "withdraw", "ci-deployer", "--db", pg_url, "-m", "leaked"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**__import__("os").environ, "BLASTDOOR_HOME": str(tmp_path)},
        )
        assert proc.returncode == 0, proc.stderr
        got, d = judge(pol, action("ci-deployer"), agents=svc.agents, environ=env)
        assert d.verdict == "deny" and d.rule == IDENTITY_REFUSED and "revoked" in d.reasons[0]
        assert got.agent.id == UNKNOWN_AGENT
        # A plain read still passes (fail closed only for what changes something).
        got, d = judge(pol, action("ci-deployer", "cat /srv/staging/app/log"), agents=svc.agents, environ=env)
        assert d.verdict == "allow"
