"""Group commit: batches overlapping appends, hands every waiter its own sequence number, fails whole batches."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from blastdoor.audit.batch import GroupCommit, Head, Pending, seal_batch
from blastdoor.audit.merkle import frontier_root, root

ITEM_INDEX = ("decision", "", "", "", "", "")


class Recorder:
    """A flush that seals like a store, records each batch, and can be made to fail or to block."""

    def __init__(self) -> None:
        self.head = Head(0, [], "", 0, 0.0)
        self.batches: list[list[bytes]] = []
        self.threads: list[str] = []
        self.leaves: list[bytes] = []
        self.calls = 0
        self.fail_call = -1  # the flush call (0-based) that raises
        self.gate: threading.Event | None = None  # while set, flushes wait for it (so appends pile up)
        self.entered = threading.Event()

    def flush(self, items: Sequence[Pending]) -> Head:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(30), "the test never opened the gate"
        self.threads.append(threading.current_thread().name)
        self.calls += 1
        if self.calls - 1 == self.fail_call:
            raise RuntimeError("disk on fire")
        head = Head(self.head.size, list(self.head.frontier), self.head.last_time, 0, 0.0)
        rows = seal_batch(head, items, 1_700_000_000 * 10**9)
        self.leaves.extend(r[3] for r in rows)
        self.batches.append([i.body for i in items])
        self.head = head
        return head


def _item(n: int) -> Pending:
    return Pending(b'{"n":%d}' % n, ITEM_INDEX)


def _queued(commit: GroupCommit, n: int) -> None:
    """Wait (bounded) until ``n`` appends are queued behind the running flush."""
    for _ in range(10_000):
        if len(commit._queue) >= n:
            return
        threading.Event().wait(0.001)
    raise AssertionError(f"expected {n} queued appends, have {len(commit._queue)}")


def test_a_lone_append_flushes_in_its_own_thread() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    assert commit.submit(_item(0))[0] == 0
    assert commit.submit(_item(1))[0] == 1
    assert rec.threads == [threading.current_thread().name] * 2  # no writer thread for sequential appends
    commit.close()


def test_overlapping_appends_are_batched_and_each_gets_its_own_seq() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    results: dict[int, tuple[int, Head]] = {}

    def append(n: int) -> None:
        results[n] = commit.submit(_item(n))

    first = threading.Thread(target=append, args=(0,))
    first.start()
    assert rec.entered.wait(10)  # the first append is being flushed and holds the gate
    others = [threading.Thread(target=append, args=(n,)) for n in range(1, 7)]
    for t in others:
        t.start()
    _queued(commit, 6)  # all six behind the first flush
    rec.gate.set()
    for t in [first, *others]:
        t.join(10)
    assert not any(t.is_alive() for t in [first, *others]), "queued appends were never committed"
    commit.close()

    assert [len(b) for b in rec.batches] == [1, 6]  # the six that queued during the first flush: one batch
    assert sorted(seq for seq, _ in results.values()) == list(range(7))
    for n, (seq, head) in results.items():
        assert rec.batches[0 if seq == 0 else 1][seq - (0 if seq == 0 else 1)] == b'{"n":%d}' % n
        assert head.size > seq
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_a_failed_batch_fails_every_waiter_in_it_and_the_next_batch_commits() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    rec.fail_call = 1  # the first flush commits; the batch that queued behind it fails
    errors: list[BaseException] = []
    seqs: list[int] = []

    def append(n: int) -> None:
        try:
            seqs.append(commit.submit(_item(n))[0])
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=append, args=(0,))
    first.start()
    assert rec.entered.wait(10)
    others = [threading.Thread(target=append, args=(n,)) for n in range(1, 5)]
    for t in others:
        t.start()
    _queued(commit, 4)
    rec.gate.set()
    for t in [first, *others]:
        t.join(10)
    assert not any(t.is_alive() for t in [first, *others]), "queued appends were never committed"
    assert seqs == [0] and len(errors) == 4
    assert commit.submit(_item(9))[0] == 1  # nothing of the failed batch was written: no gap
    commit.close()


def test_close_stops_the_writer_thread() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    t = threading.Thread(target=commit.submit, args=(_item(0),))
    t.start()
    assert rec.entered.wait(10)
    t2 = threading.Thread(target=commit.submit, args=(_item(1),))
    t2.start()
    _queued(commit, 1)
    rec.gate.set()
    t.join(10)
    t2.join(10)
    writers = [th for th in threading.enumerate() if th.name == "blastdoor-audit-writer"]
    assert len(writers) == 1, "a queued append should have started the writer"
    commit.close()
    writers[0].join(10)
    assert not writers[0].is_alive()
    assert rec.threads == [t.name, "blastdoor-audit-writer"]


@pytest.mark.parametrize("writers", [2, 8])
def test_many_threads_many_appends_stay_gapless(writers: int) -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    seqs: list[int] = []
    lock = threading.Lock()

    def run(w: int) -> None:
        for i in range(200):
            seq, head = commit.submit(_item(w * 1000 + i))
            assert head.size > seq
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    commit.close()
    assert sorted(seqs) == list(range(200 * writers))
    assert sum(len(b) for b in rec.batches) == 200 * writers
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_submit_later_never_flushes_in_the_callers_thread_and_keeps_order() -> None:
    rec = Recorder()
    after: list[int] = []
    commit = GroupCommit(rec.flush, after_later=lambda head: after.append(head.size))
    futures = [commit.submit_later(_item(n)) for n in range(5)]
    assert [f.result(10) for f in futures] == list(range(5))  # queued order is sequence order
    assert threading.current_thread().name not in rec.threads  # an event loop's thread never waits on a commit
    assert set(rec.threads) == {"blastdoor-audit-writer"}
    assert [body for batch in rec.batches for body in batch] == [b'{"n":%d}' % n for n in range(5)]
    assert after and after[-1] == 5  # told after each batch that held later-appends
    commit.close()


def test_submit_later_and_blocking_submits_share_one_gapless_sequence() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    seqs: list[int] = []
    lock = threading.Lock()

    def blocking(w: int) -> None:
        for i in range(100):
            seq, _ = commit.submit(_item(w * 1000 + i))
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=blocking, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    later = [commit.submit_later(_item(5000 + i)) for i in range(300)]
    for t in threads:
        t.join(30)
    seqs += [f.result(30) for f in later]
    commit.close()
    assert sorted(seqs) == list(range(600))
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_a_failed_batch_fails_its_futures_and_the_writer_lives_on() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    rec.fail_call = 0
    doomed = commit.submit_later(_item(0))
    assert rec.entered.wait(10)
    assert not doomed.cancel()  # a caller that gives up cannot cancel an append in flight
    behind = [commit.submit_later(_item(n)) for n in (1, 2)]
    _queued(commit, 2)
    rec.gate.set()
    with pytest.raises(RuntimeError, match="disk on fire"):
        doomed.result(10)
    assert [f.result(10) for f in behind] == [0, 1]  # nothing of the failed batch was written: no gap
    commit.close()


def test_close_commits_what_was_queued_later_and_refuses_more() -> None:
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    futures = [commit.submit_later(_item(n)) for n in range(4)]
    assert rec.entered.wait(10)
    closer = threading.Thread(target=commit.close)
    closer.start()
    rec.gate.set()
    closer.join(10)
    assert [f.result(0) for f in futures] == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="closed"):
        commit.submit_later(_item(5))


def test_the_log_submits_without_waiting_checkpoints_when_due_and_verifies(log_path: Any, key_path: Any) -> None:
    from blastdoor.errors import InputError, StoreError
    from blastdoor.store import open_log

    log = open_log(str(log_path), key_path=key_path, checkpoint_every=10, checkpoint_interval=3600)
    futures = [log.submit({"kind": "acme.note", "n": n, "token": "ghp_" + "a" * 36}) for n in range(25)]
    seqs = [f.result(30) for f in futures]
    assert seqs == sorted(seqs) and len(set(seqs)) == 25
    with pytest.raises(InputError):
        log.submit({"no": "kind"})  # a bad event is refused at once, in the caller's thread
    for _ in range(1000):  # the count rule fires after the batch, on a thread of its own
        if log.store.checkpoints():
            break
        threading.Event().wait(0.01)
    assert log.store.checkpoints(), "no checkpoint was signed after 25 submitted events (every 10)"
    log.close()
    with pytest.raises(StoreError):
        log.submit({"kind": "acme.note"})

    log = open_log(str(log_path), key_path=key_path, checkpoint_on_close=False)
    try:
        report = log.verify()
        assert report.ok, report.problems
        assert report.checkpoints >= 1
        notes = [e for e in log.entries() if e["event"]["kind"] == "acme.note"]
        assert len(notes) == 25 and all("ghp_" not in str(e) for e in notes)  # redacted like any append
    finally:
        log.close()


def test_search_pages_by_sequence_number_from_the_cli(
    log_path: Any, key_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from blastdoor.cli.main import main
    from blastdoor.store import open_log

    with open_log(str(log_path), key_path=key_path, checkpoint_on_close=False) as log:
        seqs = [log.append({"kind": "acme.tick", "n": n}) for n in range(7)]
    common = ["audit", "search", "--db", str(log_path), "--key", str(key_path), "--kind", "acme.tick", "--json"]
    pages: list[list[int]] = []
    before: list[str] = []
    for _ in range(10):  # bounded: a cursor that restarts would page forever
        capsys.readouterr()
        assert main([*common, "--limit", "3", *before]) == 0
        page = [json.loads(line)["seq"] for line in capsys.readouterr().out.splitlines() if line.strip()]
        if not page:
            break
        pages.append(page)
        before = ["--before", str(page[-1])]
    assert pages == [seqs[6:3:-1], seqs[3:0:-1], seqs[0:1]]  # the last page's cursor is seq 0: nothing older
