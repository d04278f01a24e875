"""Attacks on key rotation: trust passes between two keys only through a later checkpoint both signed,
and callers cannot write the kinds the log reserves for itself (SQLite and real PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from blastdoor.audit import checkpoint as cp
from blastdoor.audit import events as ev
from blastdoor.audit.keys import KEY_NAME
from blastdoor.audit.log import AuditLog
from blastdoor.audit.merkle import frontier_root
from blastdoor.errors import InputError
from blastdoor.store import open_log


@pytest.fixture
def log(store_url: str, tmp_path: Path) -> Iterator[AuditLog]:
    with open_log(store_url, key_path=tmp_path / "keys" / "audit.key", checkpoint_every=10**6) as opened:
        yield opened


def _fill(log: AuditLog, n: int, verdict: str = "allow") -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": "a", "verdict": verdict, "n": i})


def _sign_head(log: AuditLog, signers: list[cp.Signer]) -> str:
    head = log.store.head()
    note = cp.Checkpoint(log.origin, head.size, frontier_root(head.frontier)).sign(signers)
    log.store.add_checkpoint(head.size, ev.format_time(time.time_ns()), note)
    return note


def test_an_inserted_rotation_to_the_attackers_key_passes_no_trust(log: AuditLog) -> None:
    """Mallory can write rows (here through the log's internal path, as any writer of the store could)
    but holds no log key. An honest checkpoint that happens to cover her rotation event must not make
    her key trusted: else every checkpoint she signs afterwards vouches for entries she wrote."""
    old = log.keys.signer()
    mallory = cp.Signer.generate(KEY_NAME)
    _fill(log, 5)
    log._append(ev.key_event(str(old.verifier), str(mallory.verifier)), reserved=True)
    log.checkpoint(force=True)  # the honest log signs over it, none the wiser
    assert log.verify(trusted=[old.verifier]).status == "ok"  # the event alone changes nothing yet
    _fill(log, 3, verdict="deny")  # entries Mallory wants vouched for
    forged = _sign_head(log, [mallory])
    report = log.verify(trusted=[old.verifier])
    assert report.status == "FAILED", report.summary()
    assert "not signed by a trusted key" in report.summary()
    # Nor does trusting Mallory's key reach back to the old one: the rotation was never co-signed.
    from blastdoor.audit.verify import verify_entries

    rows = list(log.store.rows())
    alone = verify_entries(rows, external=[forged], trusted=[mallory.verifier], origin=log.origin, complete=False)
    assert alone.ok and alone.anchored_size == len(rows)  # her own note vouches for itself...
    honest = [n for _, _, n in log.store.checkpoints() if n != forged]
    both = verify_entries(rows, checkpoints=honest, trusted=[mallory.verifier], origin=log.origin, complete=False)
    assert both.status == "FAILED", both.summary()  # ...but not for the honest checkpoints of the old key


def test_a_rotation_co_signed_only_before_it_passes_no_trust(log: AuditLog) -> None:
    """A checkpoint signed by both keys counts only if it covers the rotation (is later than it)."""
    old = log.keys.signer()
    new = cp.Signer.generate(KEY_NAME)
    _fill(log, 4)
    _sign_head(log, [old, new])  # both keys, but before the rotation exists
    log._append(ev.key_event(str(old.verifier), str(new.verifier)), reserved=True)
    _fill(log, 2)
    _sign_head(log, [new])
    report = log.verify(trusted=[old.verifier])
    assert report.status == "FAILED", report.summary()
    # Once a later checkpoint carries both signatures, the rotation holds and the log verifies.
    _fill(log, 1)
    _sign_head(log, [old, new])
    report = log.verify(trusted=[old.verifier])
    assert report.status == "ok", report.summary()


def test_the_real_rotation_verifies_from_either_end(log: AuditLog) -> None:
    old = log.keys.signer().verifier
    _fill(log, 6)
    new = cp.Verifier.parse(log.rotate_key(reason="scheduled"))
    _fill(log, 6)
    log.checkpoint()
    for anchor in (old, new):
        assert log.verify(trusted=[anchor]).status == "ok", anchor


@pytest.mark.parametrize("kind", sorted(ev.RESERVED))
def test_callers_cannot_write_reserved_kinds(log: AuditLog, kind: str) -> None:
    _fill(log, 2)
    size = log.size()
    event = {"kind": kind, "old_key": "x", "new_key": "y", "size": 1, "root": "00"}
    with pytest.raises(InputError, match="written by the log itself"):
        log.append(dict(event))
    with pytest.raises(InputError, match="written by the log itself"):
        log.submit(dict(event))
    with pytest.raises(InputError, match="written by the log itself"):
        log.append_many([{"kind": "decision", "verdict": "allow"}, dict(event)])
    assert log.size() == size  # nothing written, not even the good event of the batch
    assert ev.KEY_ROTATED in ev.RESERVED and ev.CHECKPOINT in ev.RESERVED
