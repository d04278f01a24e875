"""verify's loop takes rows in the types the stores hand over (bytes; text times from PostgreSQL and
bundles) on its fast path, and any other row through the slow checks: the same report either way, and a
problem named at its own sequence number wherever the row sits."""

from __future__ import annotations

from typing import Any

from blastdoor.audit.log import AuditLog
from blastdoor.audit.verify import verify_entries


def _rows(log: AuditLog, n: int = 25) -> tuple[list[Any], list[str], Any]:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": f"agent-{i % 3}", "verdict": "allow", "n": i})
    log.checkpoint()
    rows = [(s, bytes(t), bytes(b), bytes(leaf), None) for s, t, b, leaf, _ in log.store.rows()]
    return rows, [note for _, _, note in log.store.checkpoints()], log.keys.trusted()


def _same(a: Any, b: Any) -> None:
    assert (a.status, a.size, a.root, a.checked_sizes, a.anchored_size) == (
        b.status,
        b.size,
        b.root,
        b.checked_sizes,
        b.anchored_size,
    )


def test_bytes_like_and_text_rows_verify_as_bytes_rows_do(log: AuditLog) -> None:
    rows, notes, trusted = _rows(log)
    clean = verify_entries(rows, checkpoints=notes, trusted=trusted)
    assert clean.status == "ok" and clean.size == len(rows) and len(clean.checked_sizes) >= 3, clean.summary()
    text = [(s, t.decode(), b, leaf, i) for s, t, b, leaf, i in rows]
    mixed = [
        (s, t, bytearray(b), memoryview(leaf), i) if s % 4 == 1 else (s, t.decode(), b, leaf, i) if s % 4 == 2 else row
        for row in rows
        for s, t, b, leaf, i in [row]
    ]
    for variant in (text, mixed):
        _same(verify_entries(variant, checkpoints=notes, trusted=trusted), clean)


def test_a_bad_row_after_odd_ones_is_named_at_its_seq(log: AuditLog) -> None:
    rows, notes, trusted = _rows(log)
    for bad_at in (0, 7, 13, len(rows) - 1):
        # Before the bad row: text times and bytearray bodies (the slow checks, then encoded on the way in).
        odd = [
            (s, t.decode(), bytearray(b), leaf, i) if s < bad_at else row for row in rows for s, t, b, leaf, i in [row]
        ]
        s, t, b, leaf, i = odd[bad_at]
        edited = {
            "body": (s, t, b[:15] + bytes([b[15] ^ 1]) + b[16:], leaf, i),
            "time": (s, t.replace(b"20", b"19", 1), b, leaf, i),
            "seq": (s + 1, t, b, leaf, i),
            "text body": (s, t, b.decode(), leaf, i),
        }
        for what, row in edited.items():
            report = verify_entries([*odd[:bad_at], row, *odd[bad_at + 1 :]], checkpoints=notes, trusted=trusted)
            assert report.status == "FAILED" and report.first_bad == bad_at, (what, bad_at, report.summary())


def test_rows_that_are_not_rows_fail_at_their_seq(log: AuditLog) -> None:
    rows, notes, trusted = _rows(log, 5)
    for junk in (None, (1, 2), "row", (2, b"t", b"b", b"l", None, "extra")):
        report = verify_entries([*rows[:2], junk, *rows[3:]], checkpoints=notes, trusted=trusted)
        assert report.status == "FAILED" and report.first_bad == 2, (junk, report.summary())
