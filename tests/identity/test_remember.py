"""Remembered identity reads (identity/remember.py): a change in any process holds for the next decision."""

from __future__ import annotations

from pathlib import Path

from blastdoor.identity.remember import RememberedReads
from blastdoor.pipeline import judge
from blastdoor.services import Services, open_services
from tests.identity.helpers import action, policy


def _two_processes(tmp_path: Path) -> tuple[Services, Services]:
    url = str(tmp_path / "blastdoor.db")
    server = open_services(url, key_path=str(tmp_path / "audit.key"))
    cli = open_services(url, key_path=str(tmp_path / "audit.key"))
    server.agents.remember()
    return server, cli


def test_a_revoke_by_another_connection_holds_for_the_next_decision(tmp_path: Path) -> None:
    server, cli = _two_processes(tmp_path)
    p = policy()
    try:
        for _ in range(3):  # remembered: the agent is active
            assert judge(p, action(), agents=server.agents)[1].verdict == "allow"
        cli.agents.revoke("ci-deployer", by="alice", reason="incident")
        assert judge(p, action(), agents=server.agents)[1].verdict == "deny"
        cli.agents.restore("ci-deployer", by="alice")
        assert judge(p, action(), agents=server.agents)[1].verdict == "allow"
    finally:
        server.close()
        cli.close()


def test_an_enrolment_elsewhere_makes_the_bare_claim_unknown_at_once(tmp_path: Path) -> None:
    server, cli = _two_processes(tmp_path)
    p = policy()
    try:
        assert judge(p, action(), agents=server.agents)[0].agent.id == "ci-deployer"
        cli.agents.credentials.enrol("ci-deployer", by="alice")
        # The id now holds a credential: a caller that only names it is an unknown agent.
        classified, decision = judge(p, action(), agents=server.agents)
        assert classified.agent.id == "unknown-agent"
        assert decision.verdict == "deny"
    finally:
        server.close()
        cli.close()


def test_reads_are_remembered_only_while_nothing_changes(tmp_path: Path) -> None:
    server, cli = _two_processes(tmp_path)
    store = server.agents.store
    assert isinstance(store, RememberedReads)
    reads: list[str] = []
    real = store.store.read

    def counted(sql: str, params: object = ()) -> object:
        reads.append(sql)
        return real(sql, params)

    store.store.read = counted  # type: ignore[method-assign]
    p = policy()
    try:
        judge(p, action(), agents=server.agents)
        reads.clear()
        judge(p, action(), agents=server.agents)
        assert reads == ["SELECT n FROM identity_epoch WHERE id = 1"]
        cli.agents.revoke("someone-else", by="alice")
        reads.clear()
        judge(p, action(), agents=server.agents)
        assert len(reads) > 1  # the counter moved: the tables are read again
        # Statements that read other tables are never remembered.
        with store.snapshot():
            store.read("SELECT COUNT(*) FROM approval_request")
            store.read("SELECT COUNT(*) FROM approval_request")
        assert reads.count("SELECT COUNT(*) FROM approval_request") == 2
    finally:
        server.close()
        cli.close()
