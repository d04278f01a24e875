"""Tampering an attacker with write access to the database could do, each caught by verify.

The attacker bypasses the append-only triggers by dropping them, as anyone with the file could.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from blastdoor.audit.log import AuditLog
from blastdoor.cli.main import main
from blastdoor.store import open_log


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": f"agent-{i % 3}", "verdict": "allow", "n": i})


def _attack(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def _verify_cli(log_path: Path, key_path: Path, *extra: str) -> int:
    return main(["audit", "verify", "--db", str(log_path), "--key", str(key_path), *extra])


def test_clean_log_verifies(log: AuditLog, log_path: Path, key_path: Path) -> None:
    _fill(log, 40)
    log.checkpoint()
    report = log.verify(deep=True)
    assert report.ok, report.summary()
    assert report.checkpoints >= 4
    assert _verify_cli(log_path, key_path) == 0


def test_triggers_refuse_update_and_delete(log: AuditLog, log_path: Path) -> None:
    _fill(log, 3)
    db = sqlite3.connect(log_path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_event SET body = x'00' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_event WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="backwards"):
        db.execute("UPDATE audit_head SET size = 0")


def test_edited_byte_names_its_entry(
    log: AuditLog, log_path: Path, key_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 30)
    db = _attack(log_path)
    body = db.execute("SELECT body FROM audit_event WHERE seq = 17").fetchone()[0]
    edited = body.replace(b"allow", b"alloW")
    db.execute("UPDATE audit_event SET body = ? WHERE seq = 17", (edited,))
    report = log.verify()
    assert report.first_bad == 17
    assert _verify_cli(log_path, key_path) == 1
    assert "seq 17" in capsys.readouterr().out


def test_edited_byte_with_recomputed_leaf_is_caught_by_the_checkpoints(log: AuditLog, log_path: Path) -> None:
    from blastdoor.audit.merkle import leaf_hash

    _fill(log, 35)
    db = _attack(log_path)
    body = db.execute("SELECT body FROM audit_event WHERE seq = 25").fetchone()[0]
    edited = body.replace(b"allow", b"deny!")
    db.execute("UPDATE audit_event SET body = ?, leaf = ? WHERE seq = 25", (edited, leaf_hash(edited)))
    report = log.verify()
    assert not report.ok
    # Checkpoints every 10 entries (plus their own events): the first bad seq is where the last
    # checkpoint that still matches ends, at most a checkpoint interval before the edit.
    assert report.first_bad is not None and 15 <= report.first_bad <= 25
    assert "does not match" in report.summary()


def test_deleted_entry_names_the_gap(log: AuditLog, log_path: Path, key_path: Path) -> None:
    _fill(log, 30)
    _attack(log_path).execute("DELETE FROM audit_event WHERE seq = 9")
    report = log.verify()
    assert report.first_bad == 9
    assert "missing" in report.summary()


def test_reordered_entries_name_the_first(log: AuditLog, log_path: Path) -> None:
    _fill(log, 30)
    db = _attack(log_path)
    a = db.execute("SELECT time, body, leaf FROM audit_event WHERE seq = 5").fetchone()
    b = db.execute("SELECT time, body, leaf FROM audit_event WHERE seq = 12").fetchone()
    db.execute("UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = 5", b)
    db.execute("UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = 12", a)
    report = log.verify()
    assert report.first_bad == 5


def test_truncated_tail_is_caught_by_the_exported_checkpoint(
    log: AuditLog, log_path: Path, key_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 30)
    note = log.checkpoint(force=True)
    assert note is not None
    exported = tmp_path / "cp.txt"
    exported.write_text(note)
    size = log.size()
    db = _attack(log_path)
    # A careful attacker removes the tail, its checkpoints, and rewinds the head to match.
    from blastdoor.audit.merkle import frontier_of, frontier_pack

    leaves = [r[0] for r in db.execute("SELECT leaf FROM audit_event WHERE seq < 22 ORDER BY seq")]
    db.execute("DELETE FROM audit_event WHERE seq >= 22")
    db.execute("DELETE FROM audit_checkpoint WHERE size > 22")
    db.execute("UPDATE audit_head SET size = 22, frontier = ?, cp_mark = 0", (frontier_pack(frontier_of(leaves)),))
    assert size > 22
    report = log.verify(external=[note])
    assert report.first_bad == 22
    assert "truncated or rolled back" in report.summary()
    assert _verify_cli(log_path, key_path, "--checkpoint", str(exported)) == 1
    assert "seq 22" in capsys.readouterr().out


def test_rollback_to_an_older_copy_is_caught(log_path: Path, key_path: Path, tmp_path: Path) -> None:
    log = open_log(str(log_path), key_path=key_path, checkpoint_every=10, checkpoint_interval=3600)
    _fill(log, 20)
    log.close()  # signs a last checkpoint; a clean close leaves no WAL behind
    backup = tmp_path / "old.db"
    shutil.copy(log_path, backup)
    old_size = sqlite3.connect(backup).execute("SELECT count(*) FROM audit_event").fetchone()[0]
    log = open_log(str(log_path), key_path=key_path, checkpoint_every=10, checkpoint_interval=3600)
    _fill(log, 20)
    note = log.checkpoint(force=True)
    log.close()
    assert note is not None
    shutil.copy(backup, log_path)
    for suffix in ("-wal", "-shm"):
        Path(str(log_path) + suffix).unlink(missing_ok=True)
    log = open_log(str(log_path), key_path=key_path)
    try:
        assert log.verify().ok  # on its own, the old copy is a valid (shorter) log
        report = log.verify(external=[note])
        assert report.first_bad == old_size
        # Rolled back and then written to again: a fork, caught by the root at the checkpoint's size.
        _fill(log, 40)
        report = log.verify(external=[note])
        assert not report.ok and report.first_bad is not None and report.first_bad <= old_size
    finally:
        log.close()


def test_deleted_stored_checkpoint_is_noticed(log: AuditLog, log_path: Path) -> None:
    _fill(log, 25)
    db = _attack(log_path)
    size = db.execute("SELECT min(size) FROM audit_checkpoint").fetchone()[0]
    db.execute("DELETE FROM audit_checkpoint WHERE size = ?", (size,))
    report = log.verify()
    assert not report.ok
    assert "missing from the store" in report.summary()


def test_time_going_backwards_is_caught(log: AuditLog, log_path: Path) -> None:
    _fill(log, 5)
    db = _attack(log_path)
    row = db.execute("SELECT time, body FROM audit_event WHERE seq = 3").fetchone()
    old_time = row[0]
    new_time = "2000" + old_time[4:]
    body = row[1].replace(old_time.encode(), new_time.encode())
    from blastdoor.audit.merkle import leaf_hash

    db.execute("UPDATE audit_event SET time = ?, body = ?, leaf = ? WHERE seq = 3", (new_time, body, leaf_hash(body)))
    assert log.verify().first_bad == 3


def test_bundle_verifies_offline_and_catches_edits(
    log: AuditLog, log_path: Path, key_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 25)
    log.checkpoint(force=True)
    bundle = tmp_path / "b.jsonl"
    assert (
        main(
            [
                "audit",
                "export",
                "--db",
                str(log_path),
                "--key",
                str(key_path),
                "--format",
                "bundle",
                "--out",
                str(bundle),
            ]
        )
        == 0
    )
    trusted = str(key_path) + ".trusted"
    assert main(["audit", "verify", "--bundle", str(bundle), "--trust", trusted]) == 0
    lines = bundle.read_text().splitlines()
    idx = next(i for i, ln in enumerate(lines) if '"seq":7,' in ln)
    lines[idx] = lines[idx].replace('"n":6', '"n":66')
    bundle.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["audit", "verify", "--bundle", str(bundle), "--trust", trusted]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "seq" in out


def test_verify_suffix_template_matches_the_envelope() -> None:
    from blastdoor.audit.events import entry_suffix

    assert entry_suffix(42, "2026-01-01T00:00:00.000000Z") == b',"seq":%d,"time":"%s"}' % (
        42,
        b"2026-01-01T00:00:00.000000Z",
    )
