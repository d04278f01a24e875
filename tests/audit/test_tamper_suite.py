"""The tamper suite (issue 17): every kind of tampering, on SQLite and real PostgreSQL, against the
default ``verify`` of a log whose checkpoints go to a witness (a real HTTP server running the server's
witness routes) and an append-only file. Each must fail at the right sequence number.

The attacker owns the database: it drops (SQLite) or bypasses (PostgreSQL: session_replication_role)
the append-only triggers, edits rows, rewrites the schema, and restores older rows. It cannot read the
key directory and does not control the witness.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.audit import checkpoint as cp
from blastdoor.audit.log import AuditLog, Query
from blastdoor.audit.merkle import frontier_of, frontier_pack, leaf_hash
from blastdoor.audit.witness import CosignatureVerifier
from blastdoor.store import open_log

N = 30  # entries written by _fill; checkpoints every 10 (each adds its own event)


@pytest.fixture(scope="module")
def witness_url() -> Iterator[str]:
    import uvicorn
    from starlette.applications import Starlette

    from blastdoor.server import witness

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=witness.ROUTES), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the witness server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/witness"
    server.should_exit = True
    thread.join(10)


class Attacker:
    """Write access to the database, triggers out of the way."""

    def __init__(self, url: str) -> None:
        self.pg = url.startswith("postgresql://")
        if self.pg:
            import psycopg

            from blastdoor.store.postgres import split_url

            base, schema = split_url(url)
            self.db: Any = psycopg.connect(base, autocommit=True)
            self.db.execute(f'SET search_path TO "{schema}"')
            self.db.execute("SET session_replication_role = replica")
        else:
            self.db = sqlite3.connect(url, isolation_level=None)
            for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                self.db.execute(f"DROP TRIGGER {name}")

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.db.execute(sql.replace("?", "%s") if self.pg else sql, params)
        try:
            return [tuple(r) for r in cur.fetchall()]
        except Exception:
            return []

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def setup(store_url: str, tmp_path: Path, witness_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    key = tmp_path / "keys" / "audit.key"
    log = open_log(store_url, key_path=key, checkpoint_every=10, checkpoint_interval=3600)
    # The witness: its own key, told which log it witnesses (origin and the log's verifier key).
    wkey = tmp_path / "witness" / "w.key"
    wkey.parent.mkdir()
    signer = cp.Signer.generate("test-witness")
    wkey.write_text(str(signer) + "\n")
    logs = tmp_path / "witness" / "logs"
    logs.write_text(f"{log.origin} {log.keys.signer().verifier}\n")
    monkeypatch.setenv("BLASTDOOR_WITNESS_KEY", str(wkey))
    monkeypatch.setenv("BLASTDOOR_WITNESS_LOGS", str(logs))
    export = tmp_path / "anchor" / "checkpoints.jsonl"
    Path(str(key) + ".anchors").write_text(f"witness {witness_url} {CosignatureVerifier.of(signer)}\nfile {export}\n")
    yield log, store_url, key
    log.close()


def _fill(log: AuditLog, n: int = N) -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": f"agent-{i % 3}", "verdict": "allow", "n": i})


def _reopen(url: str, key: Path) -> AuditLog:
    return open_log(url, key_path=key, checkpoint_on_close=False)


def _verify(url: str, key: Path) -> Any:
    log = _reopen(url, key)
    try:
        return log.verify()
    finally:
        log.close()


def test_clean_log_is_ok_and_anchored_outside(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    log.checkpoint()
    report = _verify(url, key)
    assert report.status == "ok", report.summary()
    assert any("witness" in a for a in report.anchors), report.anchors
    assert not report.warnings


def test_edit(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    a = Attacker(url)
    body = bytes(a.run("SELECT body FROM audit_event WHERE seq = 17")[0][0])
    a.run("UPDATE audit_event SET body = ? WHERE seq = 17", (body.replace(b"allow", b"alloW"),))
    assert _verify(url, key).first_bad == 17


def test_delete(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    Attacker(url).run("DELETE FROM audit_event WHERE seq = 9")
    report = _verify(url, key)
    assert report.first_bad == 9 and "missing" in report.summary()


def test_reorder(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    a = Attacker(url)
    r5 = a.run("SELECT time, body, leaf FROM audit_event WHERE seq = 5")[0]
    r12 = a.run("SELECT time, body, leaf FROM audit_event WHERE seq = 12")[0]
    a.run("UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = 5", r12)
    a.run("UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = 12", r5)
    assert _verify(url, key).first_bad == 5


def test_truncate(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    Attacker(url).run("DELETE FROM audit_event WHERE seq >= 22")
    report = _verify(url, key)
    assert report.first_bad == 22, report.summary()


def test_tail_rewrite_after_the_last_checkpoint(setup: Any) -> None:
    log, url, key = setup
    _fill(log, 25)
    last_cp = max(size for size, _, _ in log.store.checkpoints())
    size = log.size()
    assert size - last_cp >= 3  # an unsigned tail, as hook processes leave it
    a = Attacker(url)
    edited = bytes(a.run("SELECT body FROM audit_event WHERE seq = ?", (size - 2,))[0][0]).replace(b"allow", b"deny!")
    a.run("UPDATE audit_event SET body = ?, leaf = ? WHERE seq = ?", (edited, leaf_hash(edited), size - 2))
    report = _verify(url, key)
    assert report.first_bad is not None and last_cp <= report.first_bad <= size - 2, report.summary()
    # Deleting the last entry instead (the head still counts it):
    Attacker(url).run("DELETE FROM audit_event WHERE seq = ?", (size - 1,))
    assert _verify(url, key).first_bad is not None


def _reset_head(a: Attacker, keep: int) -> None:
    leaves = [bytes(r[0]) for r in a.run("SELECT leaf FROM audit_event WHERE seq < ? ORDER BY seq", (keep,))]
    a.run("DELETE FROM audit_event WHERE seq >= ?", (keep,))
    a.run("DELETE FROM audit_checkpoint WHERE size > ?", (keep,))
    a.run("UPDATE audit_head SET size = ?, frontier = ?, cp_mark = 0", (keep, frontier_pack(frontier_of(leaves))))


def test_head_reset(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    _reset_head(Attacker(url), 22)
    report = _verify(url, key)
    assert report.first_bad == 22, report.summary()


def test_head_reset_is_caught_by_the_seal_alone(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    Path(str(key) + ".anchors").unlink()  # no witness, no export: the head's seal still catches it
    _reset_head(Attacker(url), 22)
    report = _verify(url, key)
    assert report.first_bad == 22 and "seal" in report.summary(), report.summary()


def test_whole_database_rollback(setup: Any) -> None:
    log, url, key = setup
    _fill(log, 15)
    log.checkpoint()
    a = Attacker(url)
    old_size = log.size()
    saved_head = a.run("SELECT size, frontier, last_time, cp_mark, cp_time, seal FROM audit_head")[0]
    _fill(log, 15)
    log.checkpoint()
    # Restore the older copy: its rows, its checkpoints and its (validly sealed) head.
    a.run("DELETE FROM audit_event WHERE seq >= ?", (old_size,))
    a.run("DELETE FROM audit_checkpoint WHERE size > ?", (old_size,))
    a.run(
        "UPDATE audit_head SET size = ?, frontier = ?, last_time = ?, cp_mark = ?, cp_time = ?, seal = ?",
        saved_head,
    )
    report = _verify(url, key)
    assert report.first_bad == old_size and "rolled back" in report.summary(), report.summary()
    # Without outside anchors the same database verifies, and says it cannot know.
    Path(str(key) + ".anchors").unlink()
    report = _verify(url, key)
    assert report.ok and any("no outside anchor" in w for w in report.warnings)


def test_indexed_column_edit(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    a = Attacker(url)
    if a.pg:
        a.run("ALTER TABLE audit_event ALTER COLUMN verdict DROP EXPRESSION")
    else:
        with pytest.raises(sqlite3.OperationalError, match="generated"):
            a.run("UPDATE audit_event SET verdict = 'deny' WHERE seq = 13")
        a.run("ALTER TABLE audit_event DROP COLUMN verdict")
        a.run("ALTER TABLE audit_event ADD COLUMN verdict TEXT NOT NULL DEFAULT ''")
        a.run("UPDATE audit_event SET verdict = coalesce(json_extract(CAST(body AS TEXT), '$.event.verdict'), '')")
    a.run("UPDATE audit_event SET verdict = 'deny' WHERE seq = 13")
    report = _verify(url, key)
    assert report.first_bad == 13 and "indexed columns" in report.summary(), report.summary()
    reader = _reopen(url, key)
    try:
        assert reader.search(Query(verdict="deny")) == []  # the lying row is never returned
    finally:
        reader.close()


def test_signature_swap(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    a = Attacker(url)
    notes = a.run("SELECT size, note FROM audit_checkpoint ORDER BY size")
    (s1, n1), (s2, n2) = notes[0], notes[1]
    swapped = n2.rpartition("\n\n")[0] + "\n\n" + n1.rpartition("\n\n")[2]
    a.run("UPDATE audit_checkpoint SET note = ? WHERE size = ?", (swapped, s2))
    report = _verify(url, key)
    assert report.first_bad == s1 and "bad signature" in report.summary(), report.summary()


def test_text_body(setup: Any) -> None:
    log, url, key = setup
    _fill(log)
    a = Attacker(url)
    if a.pg:  # the generated columns hang on the body: the attacker drops them to change its type
        a.run(
            "ALTER TABLE audit_event DROP COLUMN kind, DROP COLUMN agent_id, DROP COLUMN tool,"
            " DROP COLUMN verdict, DROP COLUMN env, DROP COLUMN correlation_id,"
            " ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8')"
        )
        expected = 0  # every body is TEXT now
    else:
        a.run("UPDATE audit_event SET body = CAST(body AS TEXT) WHERE seq = 7")
        expected = 7
    report = _verify(url, key)
    assert report.status == "FAILED" and report.first_bad == expected, report.summary()


def test_tail_checkpoint_time_moved_forward(setup: Any) -> None:
    # The log's last entry is a checkpoint event: no signature covers it yet. Its time is the time of the
    # entry before it (which the checkpoint covers), so moving it forward fails there, even for an
    # auditor without the seal key (who otherwise would take the tail as vouched by the checkpoint).
    log, url, key = setup
    _fill(log, 15)
    log.checkpoint()
    size = log.size()
    a = Attacker(url)
    (t, body), (prev_t,) = (
        a.run("SELECT time, body FROM audit_event WHERE seq = ?", (size - 1,))[0],
        a.run("SELECT time FROM audit_event WHERE seq = ?", (size - 2,))[0],
    )
    body = bytes(body)
    assert b'"kind":"checkpoint"' in body and str(t) == str(prev_t)
    later = "2999" + str(t)[4:]
    moved = body.replace(f'"time":"{t}"'.encode(), f'"time":"{later}"'.encode())
    assert moved != body
    a.run(
        "UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = ?", (later, moved, leaf_hash(moved), size - 1)
    )
    leaves = [bytes(r[0]) for r in a.run("SELECT leaf FROM audit_event ORDER BY seq")]
    a.run("UPDATE audit_head SET frontier = ?, last_time = ?", (frontier_pack(frontier_of(leaves)), later))
    report = _verify(url, key)
    assert report.first_bad == size - 1, report.summary()
    Path(str(key) + ".seal").unlink()  # an auditor without the seal key: only the signatures vouch
    report = _verify(url, key)
    assert report.first_bad == size - 1 and "time" in report.summary(), report.summary()
