"""Honest verification output (issue 17.5): nothing unanchored prints `ok`, nothing malformed crashes.

Proofs and bundles checked without a trust anchor say UNANCHORED and exit 9; a forged signature is
FAILED whenever a trusted key is configured; mutated bundles and stores (hypothesis) yield FAILED at a
sequence number, never an exception.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.audit.log import AuditLog
from blastdoor.audit.verify import parse_bundle, verify_entries
from blastdoor.cli.exits import FAILED, OK, UNANCHORED
from blastdoor.cli.main import main
from blastdoor.store import open_log


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": f"agent-{i % 3}", "verdict": "allow", "n": i})


def _forge_zero_signature(note: str) -> str:
    """The same checkpoint text, its signature replaced by the key id and 64 zero bytes."""
    text, _, sigs = note.rpartition("\n\n")
    first = sigs.splitlines()[0].split(" ")
    raw = base64.b64decode(first[2])
    zero = base64.b64encode(raw[:4] + bytes(64)).decode()
    return f"{text}\n\n{first[0]} {first[1]} {zero}\n"


def _proof(log: AuditLog, tmp_path: Path, seq: int, forge: bool) -> Path:
    proof = log.prove(seq)
    assert "checkpoint" in proof
    if forge:
        proof["checkpoint"] = _forge_zero_signature(proof["checkpoint"])
    path = tmp_path / f"proof-{seq}-{forge}.json"
    path.write_text(json.dumps(proof))
    return path


def test_prove_check_without_trust_is_unanchored_never_ok(
    log: AuditLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 12)
    log.checkpoint(force=True)
    empty_ring = tmp_path / "nobody" / "audit.key"
    for forge in (False, True):
        path = _proof(log, tmp_path, 3, forge)
        capsys.readouterr()
        code = main(["audit", "prove", "--check", str(path), "--key", str(empty_ring)])
        out = capsys.readouterr().out
        assert code == UNANCHORED, out
        assert out.startswith("UNANCHORED") and "NOT checked" in out and not out.startswith("ok")


def test_forged_zero_signature_fails_with_any_trusted_key(
    log: AuditLog, key_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 12)
    log.checkpoint(force=True)
    forged = _proof(log, tmp_path, 3, True)
    honest = _proof(log, tmp_path, 3, False)
    trusted = str(key_path) + ".trusted"
    # Explicit --trust, and the key ring's trusted keys by default: both reject the forgery.
    for extra in (["--trust", trusted], ["--key", str(key_path)]):
        assert main(["audit", "prove", "--check", str(forged), *extra]) == FAILED
        assert "FAILED" in capsys.readouterr().out
        assert main(["audit", "prove", "--check", str(honest), *extra]) == OK
        assert capsys.readouterr().out.startswith("ok:")


def test_bundle_without_trust_is_unanchored(
    log: AuditLog, log_path: Path, key_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 15)
    bundle = tmp_path / "b.jsonl"
    args = ["audit", "export", "--db", str(log_path), "--key", str(key_path), "--format", "bundle"]
    assert main([*args, "--out", str(bundle)]) == 0
    nobody = str(tmp_path / "nobody" / "audit.key")
    capsys.readouterr()
    assert main(["audit", "verify", "--bundle", str(bundle), "--key", nobody]) == UNANCHORED
    out = capsys.readouterr().out
    assert out.startswith("UNANCHORED") and "NOT checked" in out
    assert main(["audit", "verify", "--bundle", str(bundle), "--key", str(key_path)]) == OK


def _no_triggers(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def test_text_body_fails_at_its_seq_not_a_crash(
    log: AuditLog, log_path: Path, key_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(log, 20)
    _no_triggers(log_path).execute("UPDATE audit_event SET body = CAST(body AS TEXT) WHERE seq = 7")
    report = log.verify()
    assert report.first_bad == 7 and "not bytes" in report.summary()
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(log_path), "--key", str(key_path)]) == FAILED
    assert "seq 7" in capsys.readouterr().out


# -- fuzzing: mutated bundles and stores --------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_text(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("bundle")
    log = open_log(str(d / "a.db"), key_path=d / "k" / "audit.key", checkpoint_every=6)
    _fill(log, 20)
    log.close()
    out = d / "b.jsonl"
    key = str(d / "k" / "audit.key")
    assert (
        main(["audit", "export", "--db", str(d / "a.db"), "--key", key, "--format", "bundle", "--out", str(out)]) == 0
    )
    return out.read_text(), str(d / "k" / "audit.key")


MUTATIONS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.characters(codec="utf-8")),
    st.tuples(st.just("drop"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("swap"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just("")),
    st.tuples(st.just("dup"), st.integers(0, 10**6), st.just("")),
)


def _mutate(text: str, how: tuple[str, int, str]) -> str:
    kind, at, ch = how
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = at % len(lines)
    if kind == "flip":
        j = at % len(text)
        return text[:j] + ch + text[j + 1 :]
    if kind == "drop":
        return "".join(lines[:i] + lines[i + 1 :])
    if kind == "swap":
        k = (i + 1) % len(lines)
        lines[i], lines[k] = lines[k], lines[i]
        return "".join(lines)
    if kind == "dup":
        return "".join(lines[: i + 1] + lines[i:])
    return text[: at % len(text)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MUTATIONS, min_size=1, max_size=3))
def test_mutated_bundles_fail_or_are_unchanged_never_crash(
    bundle_text: tuple[str, str], mutations: list[tuple[str, int, str]]
) -> None:
    from blastdoor.audit.keys import KeyRing

    text, key = bundle_text
    trusted = KeyRing(key).trusted()
    origin0, rows0, notes0, _ = parse_bundle(text)
    mutated = text
    for m in mutations:
        mutated = _mutate(mutated, m)
    origin, rows, notes, bad = parse_bundle(mutated)  # never raises
    report = verify_entries(rows, checkpoints=notes, trusted=trusted, origin=origin, complete=bool(notes))
    if bad is not None:
        report.add(*bad)
    if report.status == "ok":
        # Only what the bundle said may pass, or a signed prefix of it (a cut tail is a shorter valid log:
        # the report says how many entries it vouches for, and only an outside anchor knows more).
        assert [r[:3] for r in rows] == [r[:3] for r in rows0][: len(rows)] and origin in ("", origin0)
        assert report.size == len(rows)
        assert set(notes) <= set(notes0)
    else:
        assert report.status in ("FAILED", "UNANCHORED")
        if report.status == "FAILED":
            assert report.first_bad is not None and 0 <= report.first_bad <= len(rows0)


@pytest.mark.parametrize(
    "edit",
    [
        lambda body: body.replace('"key_ids"', '"0ey_ids"'),  # found by the fuzz test above
        lambda body: body.replace('"kind":"checkpoint"', '"kind":"checkpoint","note":"all clear"'),
        lambda body: body.replace('"v":2', '"v":1'),  # a version whose time vouches for nothing
        lambda body: body.replace('"time":"20', '"time":"2O'),  # a time the log never writes
        lambda body: body.replace('"key_ids":["', '"key_ids":["0'),  # an id of a key that never signed it
    ],
)
def test_the_tail_checkpoint_entry_vouches_only_as_the_log_writes_it(bundle_text: tuple[str, str], edit: Any) -> None:
    # The last checkpoint event comes after the checkpoint it restates, so no signature covers it yet: it
    # counts as covered only when it is exactly what the log writes. Anything edited into it is unvouched.
    from blastdoor.audit.keys import KeyRing

    text, key = bundle_text
    at = text.rfind('"kind":"checkpoint"')
    start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    edited = text[:start] + edit(text[start:end]) + text[end:]
    assert edited != text
    origin, rows, notes, bad = parse_bundle(edited)
    report = verify_entries(rows, checkpoints=notes, trusted=KeyRing(key).trusted(), origin=origin, complete=True)
    if bad is not None:
        report.add(*bad)
    assert report.status != "ok" or report.size < len(rows)
    _, rows0, notes0, _ = parse_bundle(text)
    clean = verify_entries(rows0, checkpoints=notes0, trusted=KeyRing(key).trusted(), origin=origin, complete=True)
    assert clean.status == "ok" and clean.size == len(rows0) == len(rows)


def test_an_older_log_still_verifies_but_its_tail_checkpoint_entry_vouches_for_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before checkpoint events took their predecessor's time they were version 1, with a time of their
    # own: such a log verifies, but its last entry (a version 1 checkpoint event) is covered by nothing, so
    # a bundle without the seal key is UNANCHORED there (not FAILED), and stays so with its time moved.
    from blastdoor.audit import events
    from blastdoor.audit.keys import KeyRing

    key = tmp_path / "k" / "audit.key"
    monkeypatch.setattr(events, "CHECKPOINT_VERSION", 1)
    with open_log(str(tmp_path / "a.db"), key_path=key, checkpoint_every=6) as log:
        _fill(log, 8)
    monkeypatch.undo()
    with open_log(str(tmp_path / "a.db"), key_path=key, checkpoint_on_close=False) as log:
        report = log.verify()  # the sealed head covers the tail
        assert report.status == "ok", report.summary()
        rows = list(log.store.rows())
        notes = [n for _, _, n in log.store.checkpoints()]
    assert b'"v":1' in rows[-1][2] and b'"kind":"checkpoint"' in rows[-1][2]
    trusted = KeyRing(str(key)).trusted()
    for moved in (False, True):
        if moved:
            seq, stored, body = rows[-1][:3]
            t = stored.decode() if isinstance(stored, bytes) else stored  # SQLite hands the time over as bytes
            later = "2999" + t[4:]
            rows[-1] = (seq, later, body.replace(f'"{t}"'.encode(), f'"{later}"'.encode()), None, None)
        bare = verify_entries([(r[0], r[1], r[2], None, None) for r in rows], checkpoints=notes, trusted=trusted)
        assert bare.status == "UNANCHORED" and bare.anchored_size == len(rows) - 1, bare.summary()


_SNAPSHOT = "SELECT seq, time, body, leaf, typeof(time), typeof(body), typeof(leaf) FROM audit_event ORDER BY seq"
STORE_EDITS = st.tuples(
    st.integers(0, 24),
    st.sampled_from(["seq", "time", "body", "leaf"]),
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=20),
        st.integers(-5, 10**12),
        st.none(),
        st.just("CAST_TEXT"),
        st.just("SWAP"),
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STORE_EDITS, min_size=1, max_size=3))
def test_mutated_stores_fail_at_a_seq_never_crash(tmp_path: Path, edits: list[tuple[int, str, object]]) -> None:
    base = tmp_path / "base.db"
    key = tmp_path / "k" / "audit.key"
    if not base.exists():
        log = open_log(str(base), key_path=key, checkpoint_every=8)
        _fill(log, 22)
        log.close()
    work = tmp_path / "work.db"
    shutil.copy(base, work)
    db = _no_triggers(work)
    db.text_factory = bytes
    before = db.execute(_SNAPSHOT).fetchall()
    for seq, column, value in edits:
        try:
            if value == "CAST_TEXT":
                db.execute(f"UPDATE audit_event SET {column} = CAST({column} AS TEXT) WHERE seq = ?", (seq,))
            elif value == "SWAP":
                db.execute("UPDATE audit_event SET seq = -seq - 1 WHERE seq = ?", (seq,))
            else:
                db.execute(f"UPDATE audit_event SET {column} = ? WHERE seq = ?", (value, seq))
        except sqlite3.DatabaseError:
            pass  # a NOT NULL or key clash the database refused: the attacker's edit did not happen
    after = db.execute(_SNAPSHOT).fetchall()
    db.close()
    log = open_log(str(work), key_path=key)
    try:
        report = log.verify()  # never raises
    finally:
        log.close()
    if after == before:
        assert report.ok
    else:
        assert report.status == "FAILED", report.summary()
        old, new = {r[0]: r for r in before}, {r[0]: r for r in after}
        first = min(s for s in old.keys() | new.keys() if s >= 0 and old.get(s) != new.get(s))
        assert report.first_bad is not None and report.first_bad <= first, (edits, report.summary())
