"""Both stores behind one interface: gapless under concurrency, durable across SIGKILL, append-only."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from blastdoor.errors import StoreError
from blastdoor.store import migrations, open_log, open_store

WRITER = """
import sys, threading
from blastdoor.store import open_log
url, key, name, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
count = int(sys.argv[5]) if len(sys.argv) > 5 else None
log = open_log(url, key_path=key, checkpoint_every=50, checkpoint_interval=3600, checkpoint_on_close=False)
out = threading.Lock()

def run(who):
    i = 0
    while count is None or i < count:
        seq = log.append({"kind": "decision", "agent_id": who, "verdict": "allow", "n": i})
        # Acknowledged: printed only after append returned (the event is durable).
        with out:
            sys.stdout.write(f"{seq} {who} {i}\\n")
            sys.stdout.flush()
        i += 1

workers = [threading.Thread(target=run, args=(f"{name}.{t}",)) for t in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
log.close()
"""


def _spawn(url: str, key: Path, name: str, count: int | None = None, threads: int = 1) -> subprocess.Popen[str]:
    argv = [sys.executable, "-c", WRITER, url, str(key), name, str(threads)]
    if count is not None:
        argv.append(str(count))
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def _first_acks(proc: subprocess.Popen[str], n: int, timeout: float = 120.0) -> str:
    """The writer's first ``n`` acknowledgement lines, read as they come (the event waited for, not a time)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while len(lines) < n:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"writer {proc.pid} acknowledged {len(lines)} of {n} events in {timeout} s"
        line = proc.stdout.readline()
        assert line, f"writer {proc.pid} ended before acknowledging {n} events (exit {proc.wait()})"
        lines.append(line)
    return "".join(lines)


def test_schema_version_is_recorded(store_url: str) -> None:
    store = open_store(store_url)
    try:
        dialect = migrations.POSTGRES if store_url.startswith("postgresql") else migrations.SQLITE
        assert store.versions() == migrations.latest(dialect)
    finally:
        store.close()
    again = open_store(store_url)  # a second open migrates nothing and keeps the log id
    again.close()


def test_threads_make_one_gapless_tree(store_url: str, tmp_path: Path) -> None:
    log = open_log(store_url, key_path=tmp_path / "k", checkpoint_every=100, checkpoint_interval=3600)
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        for i in range(150):
            s = log.append({"kind": "decision", "agent_id": f"w{w}", "n": i})
            with lock:
                seqs.append(s)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(set(seqs)) == 900
        report = log.verify(deep=True)
        assert report.ok, report.summary()
        assert report.size == log.size()
    finally:
        log.close()


def test_processes_make_one_gapless_tree(store_url: str, tmp_path: Path) -> None:
    key = tmp_path / "k"
    open_log(store_url, key_path=key).close()  # migrate once, before the race
    procs = [_spawn(store_url, key, f"p{i}", 60) for i in range(4)]
    acked: list[int] = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        acked.extend(int(line.split()[0]) for line in out.splitlines())
    assert len(set(acked)) == 240
    log = open_log(store_url, key_path=key)
    try:
        report = log.verify(deep=True)
        assert report.ok, report.summary()
    finally:
        log.close()


@pytest.mark.parametrize("threads", [1, 4], ids=["1-thread", "4-threads"])
def test_sigkill_mid_append_loses_no_acknowledged_event(store_url: str, tmp_path: Path, threads: int) -> None:
    # With 4 threads per process the appends go through the group commit's writer thread.
    key = tmp_path / "k"
    open_log(store_url, key_path=key).close()
    procs = [_spawn(store_url, key, f"k{i}", threads=threads) for i in range(3)]
    # Kill each writer once it has acknowledged a few events (mid-stream, whatever the machine's load).
    seen = [_first_acks(p, 5) for p in procs]
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
    acked: dict[int, tuple[str, int]] = {}
    for p, first in zip(procs, seen, strict=True):
        assert p.stdout is not None
        out = first + p.stdout.read()  # through the same buffer readline filled (communicate would bypass it)
        p.wait(timeout=30)
        assert p.returncode == -signal.SIGKILL
        for line in out.split("\n")[:-1]:  # the last piece has no newline: cut by the kill, never acknowledged
            seq, who, n = line.split()
            acked[int(seq)] = (who, int(n))
    assert acked, "the writers should have acknowledged some events before being killed"
    log = open_log(store_url, key_path=key)
    try:
        for seq, (name, n) in acked.items():
            entry = log.entry(seq)
            assert entry is not None, f"acknowledged event {seq} is missing"
            assert entry["event"]["agent_id"] == name and entry["event"]["n"] == n
        report = log.verify(deep=True)
        assert report.ok, report.summary()
        # The log goes on after the crash.
        log.append({"kind": "decision", "agent_id": "after"})
        assert log.verify().ok
    finally:
        log.close()


def test_append_fails_closed(tmp_path: Path) -> None:
    log = open_log(str(tmp_path / "x.db"), key_path=tmp_path / "k")
    log.append({"kind": "decision"})
    log.store.close()  # the store goes away under the log
    with pytest.raises(StoreError):
        log.append({"kind": "decision"})


def test_append_only_in_postgres(pg_url: str, tmp_path: Path) -> None:
    store_url = pg_url  # the SQLite triggers are tested in tests/audit/test_tamper.py
    import psycopg

    from blastdoor.store.postgres import split_url

    log = open_log(store_url, key_path=tmp_path / "k")
    log.append({"kind": "decision"})
    log.close()
    url, schema = split_url(store_url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        for sql in (
            "UPDATE audit_event SET body = '\\x00'::bytea",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
            "UPDATE audit_head SET size = 0",
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(sql)


def test_bad_urls_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported store URL"):
        open_store("mysql://x")
    with pytest.raises(StoreError, match="bad schema name"):
        open_store("postgresql://postgres@127.0.0.1:5432/test?schema=Robert';DROP")
    with pytest.raises(StoreError):
        open_store("postgresql://nobody@127.0.0.1:1/none")


def test_handles_never_trust_a_head_another_handle_moved(store_url: str, tmp_path: Path) -> None:
    # Two handles on one store, as two processes have. A SQLite handle seals its next batch against the
    # head of its own last append; the store must refuse that head once the other handle has written, and
    # the append then goes through the locked path, so sequence numbers and the tree stay right.
    from blastdoor.audit.batch import Pending
    from blastdoor.store.sqlite import SqliteStore

    a, b = open_store(store_url), open_store(store_url)
    item = Pending(b'{"kind":"decision","v":1}', ("decision", "", "", "", "", ""))
    sizes = []
    try:
        for i in range(40):
            store = b if i % 5 == 4 else a  # runs on one handle (its cached head holds), then a switch (stale)
            sizes.append(store.append([item] * (1 + i % 3), time.time_ns).size)
        sqlite = isinstance(a, SqliteStore)  # only SQLite seals against a remembered head
        assert not (sqlite and a._contended), "a handle whose remembered head held again goes back to the fast path"
        sizes.append(a.append([item], time.time_ns).size)  # SQLite: stale after b's last append, so locked
        assert not sqlite or a._contended
    finally:
        a.close()
        b.close()
    assert sizes == [sum(1 + j % 3 for j in range(i + 1)) for i in range(40)] + [sizes[39] + 1]
    log = open_log(store_url, key_path=tmp_path / "k", checkpoint_on_close=False)
    try:
        report = log.verify(deep=True)
        assert report.ok, report.summary()
        assert report.size == sizes[-1]
    finally:
        log.close()


def test_state_reads_do_not_wait_for_a_commit_in_progress(store_url: str) -> None:
    """The agent-status read on every decision must not queue behind another decision's commit."""
    store = open_store(store_url)
    try:
        done = threading.Event()
        rows: list[object] = []

        def read() -> None:
            rows.extend(store.read("SELECT COUNT(*) FROM agent_status"))
            done.set()

        with store.write() as tx:  # a write transaction in progress holds the writing side
            tx.execute("INSERT INTO agent_status VALUES (?, ?, ?, ?, ?)", ("a1", "revoked", "", "root", 1.0))
            reader = threading.Thread(target=read)
            reader.start()
            assert done.wait(10), "the read waited for the write transaction"
            assert rows == [(0,)]  # and saw only what was committed
        reader.join()
        assert store.read("SELECT COUNT(*) FROM agent_status") == [(1,)]
    finally:
        store.close()
    with pytest.raises(StoreError):
        store.read("SELECT 1")


def test_postgres_acknowledges_overlapping_appends_only_after_the_flush(pg_url: str, tmp_path: Path) -> None:
    # Overlapping appends are committed without waiting for the WAL flush, then flushed by ``sync`` on
    # a connection of its own. A flush that fails must fail the appends it covered (the caller fails
    # closed); the entries themselves stand, and the log goes on after them and verifies.
    from blastdoor.store.postgres import PostgresStore

    log = open_log(pg_url, key_path=tmp_path / "k", checkpoint_every=10**6, checkpoint_interval=3600)
    store = log.store
    assert isinstance(store, PostgresStore)
    real_sync = store.sync
    failures = {"left": 1}
    lock = threading.Lock()

    def flaky_sync() -> None:
        with lock:
            fail = failures["left"] > 0
            failures["left"] -= int(fail)
        if fail:
            raise StoreError("audit append failed: cannot flush the write-ahead log (test)")
        real_sync()

    log._commit._sync = flaky_sync
    acked: list[int] = []
    refused: list[str] = []

    def writer(w: int) -> None:
        for i in range(40):
            try:
                seq = log.append({"kind": "decision", "agent_id": f"w{w}", "n": i})
            except StoreError as exc:
                with lock:
                    refused.append(str(exc))
                continue
            with lock:
                acked.append(seq)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not any(t.is_alive() for t in threads)
        assert store._deferred_db is not None, "overlapping appends never took the deferred path"
        assert refused and all("write-ahead log" in r for r in refused)
        assert len(acked) + len(refused) == 320 and len(set(acked)) == len(acked)
        report = log.verify(deep=True)
        assert report.ok, report.summary()
        decisions = [json.loads(body)["event"] for _s, _t, body, _l, _ in store.rows()]
        # Refused appends were committed all the same: every one is in the log, gapless, once.
        assert sorted((e["agent_id"], e["n"]) for e in decisions if e["kind"] == "decision") == sorted(
            (f"w{w}", i) for w in range(8) for i in range(40)
        )
    finally:
        log.close()
