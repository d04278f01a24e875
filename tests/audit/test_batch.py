"""Group commit: batches overlapping appends, hands every waiter its own sequence number, fails whole batches."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future
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


class SealedRecorder(Recorder):
    """A store that also takes rows sealed as they queued (``append_sealed``), like SQLite and PostgreSQL:
    refused (None) unless sealed after its head; it can be made to fail or to wait as well."""

    def __init__(self) -> None:
        super().__init__()
        self.sealed_calls = 0
        self.refused = 0
        self.fail_sealed = -1  # the append_sealed call (0-based) that raises
        self.sealed_gate: threading.Event | None = None
        self.sealed_entered = threading.Event()

    def append_sealed(self, rows: list[Any], base: Head, head: Head) -> Head | None:
        self.sealed_entered.set()
        if self.sealed_gate is not None:
            assert self.sealed_gate.wait(30), "the test never opened the gate"
        self.sealed_calls += 1
        if self.sealed_calls - 1 == self.fail_sealed:
            raise RuntimeError("disk on fire")
        if base.size != self.head.size:
            self.refused += 1
            return None
        assert [r[0] for r in rows] == list(range(base.size, head.size))
        self.leaves.extend(r[3] for r in rows)
        self.batches.append([r[2] for r in rows])
        self.head = head
        return head


def _sealed_commit(rec: SealedRecorder) -> GroupCommit:
    return GroupCommit(rec.flush, flush_sealed=rec.append_sealed, clock=lambda: 1_700_000_000 * 10**9)


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


@pytest.mark.parametrize("sealed_ahead", [False, True])
@pytest.mark.parametrize("writers", [2, 8])
def test_many_threads_many_appends_stay_gapless(writers: int, sealed_ahead: bool) -> None:
    rec = SealedRecorder()
    commit = _sealed_commit(rec) if sealed_ahead else GroupCommit(rec.flush)
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
    assert (rec.sealed_calls > 0) is sealed_ahead


class _Interrupted(Exception):
    pass


def test_a_waiter_whose_wait_a_signal_ends_does_not_strand_the_rest_of_its_batch() -> None:
    # A batch's threads wake one another in turn; the main thread's wait can end in a signal's exception,
    # so it must never hold the others' turn. Here it queues first in its batch, then is interrupted.
    rec = Recorder()
    commit = GroupCommit(rec.flush)
    rec.gate = threading.Event()
    results: dict[int, int] = {}

    def append(n: int) -> None:
        results[n] = commit.submit(_item(n))[0]

    def interrupt(_signum: int, _frame: object) -> None:
        raise _Interrupted

    first = threading.Thread(target=append, args=(0,))
    others = [threading.Thread(target=append, args=(n,)) for n in (2, 3, 4)]
    main = threading.get_ident()

    def after_main_queued() -> None:
        _queued(commit, 1)
        for t in others:
            t.start()
        _queued(commit, 4)
        signal.pthread_kill(main, signal.SIGUSR1)

    old = signal.signal(signal.SIGUSR1, interrupt)
    helper = threading.Thread(target=after_main_queued)
    try:
        first.start()
        assert rec.entered.wait(10)  # the first append holds the gate: what follows queues behind it
        helper.start()
        with pytest.raises(_Interrupted):
            commit.submit(_item(1))
    finally:
        signal.signal(signal.SIGUSR1, old)
    rec.gate.set()
    for t in [first, helper, *others]:
        t.join(10)
    assert not any(t.is_alive() for t in [first, *others]), "the rest of the batch was never woken"
    commit.close()
    assert [len(b) for b in rec.batches] == [1, 4]  # the interrupted append was committed all the same
    assert sorted(results.values()) == [0, 2, 3, 4] and results[0] == 0


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


def _sealed_commit_held(rec: SealedRecorder) -> tuple[GroupCommit, Future[int]]:
    """Item 0 committed (the tip follows its head), then item 1 sealed as it queued and held in its commit."""
    commit = _sealed_commit(rec)
    assert commit.submit(_item(0))[0] == 0  # inline, sealed by the store
    rec.sealed_gate = threading.Event()
    held = commit.submit_later(_item(1))
    assert rec.sealed_entered.wait(10)  # sealed when queued, being committed as it was sealed
    return commit, held


def test_items_queued_behind_a_commit_are_sealed_as_they_queue_and_committed_as_sealed() -> None:
    rec = SealedRecorder()
    commit, held = _sealed_commit_held(rec)
    futures = [held] + [commit.submit_later(_item(n)) for n in (2, 3, 4)]
    assert all(w.row is not None for w in commit._queue)  # sealed while the first waits for its commit
    rec.sealed_gate.set()
    assert [f.result(10) for f in futures] == [1, 2, 3, 4]
    commit.close()
    assert rec.calls == 1 and rec.sealed_calls == 2 and rec.refused == 0
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_a_failed_sealed_commit_leaves_no_gap_and_what_queued_behind_it_is_sealed_again() -> None:
    rec = SealedRecorder()
    rec.fail_sealed = 0
    commit, doomed = _sealed_commit_held(rec)
    behind = [commit.submit_later(_item(n)) for n in (2, 3)]  # sealed after item 1, which will not commit
    rec.sealed_gate.set()
    with pytest.raises(RuntimeError, match="disk on fire"):
        doomed.result(10)
    assert [f.result(10) for f in behind] == [1, 2]  # sealed again after the head that was committed
    assert commit.submit(_item(4))[0] == 3
    commit.close()
    assert not any(b'{"n":1}' in e for batch in rec.batches for e in batch)  # nothing of the failed batch
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_another_writer_moving_the_head_sends_the_batch_through_the_store_and_reseals_the_queue() -> None:
    rec = SealedRecorder()
    commit, first = _sealed_commit_held(rec)
    rec.flush([_item(100)])  # another process appends while item 1 waits: the head it was sealed after is gone
    behind = [commit.submit_later(_item(n)) for n in (2, 3)]
    rec.sealed_gate.set()
    assert first.result(10) == 2  # refused, then sealed by the store after the other writer's entry
    assert [f.result(10) for f in behind] == [3, 4]
    commit.close()
    assert rec.refused >= 1
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_sealing_ahead_on_a_real_store_survives_another_writer_and_batches_of_its_own(
    store_url: str, tmp_path: Any
) -> None:
    # Threads appending through one log (sealed as they queue), a second handle on the same store (another
    # process: its own connection and head), and append_many on the first handle (this process writing past
    # the group commit): every acknowledged event is the entry at its sequence number, and verify holds.
    import json

    from blastdoor.store import open_log

    key = tmp_path / "keys" / "audit.key"
    options: dict[str, Any] = {"checkpoint_every": 10**6, "checkpoint_interval": 3600}
    main = open_log(store_url, key_path=key, **options)
    other = open_log(store_url, key_path=key, **options)
    acked: dict[int, str] = {}
    lock = threading.Lock()
    sealed = {"ok": 0, "refused": 0}
    assert main._commit._flush_sealed is not None

    def counted(flush: Any) -> Any:
        def call(rows: Any, base: Head, end: Head) -> Head | None:
            head = flush(rows, base, end)
            sealed["ok" if head is not None else "refused"] += 1
            return head

        return call

    # Both ways rows sealed ahead go: durable now, or (PostgreSQL's writer) durable at the next sync.
    main._commit._flush_sealed = counted(main._commit._flush_sealed)
    if main._commit._flush_deferred is not None:
        main._commit._flush_deferred = counted(main._commit._flush_deferred)

    def record(seqs: list[int], marks: list[str]) -> None:
        with lock:
            for seq, mark in zip(seqs, marks, strict=True):
                assert seq not in acked
                acked[seq] = mark

    def thread_writer(w: int) -> None:
        for i in range(60):
            mark = f"t{w}-{i}"
            record([main.append({"kind": "decision", "agent_id": mark})], [mark])

    def other_writer() -> None:
        for i in range(40):
            mark = f"o-{i}"
            record([other.append({"kind": "decision", "agent_id": mark})], [mark])

    def many_writer() -> None:
        for i in range(10):
            marks = [f"m{i}-{j}" for j in range(3)]
            record(main.append_many([{"kind": "decision", "agent_id": m} for m in marks]), marks)

    threads = [threading.Thread(target=thread_writer, args=(w,)) for w in range(6)]
    threads += [threading.Thread(target=other_writer), threading.Thread(target=many_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    try:
        report = main.verify()
        assert report.ok, report.summary()
        events = {seq: json.loads(body)["event"] for seq, _t, body, _leaf, _ in main.store.rows()}
        entries = {seq: e["agent_id"] for seq, e in events.items() if e["kind"] == "decision"}
        assert entries == acked  # each acknowledged event is where its sequence number says; verify: gapless
        assert len(acked) == 6 * 60 + 40 + 30
        assert sealed["ok"] > 0  # the sealed path carried batches
    finally:
        main.close()
        other.close()


class DeferredRecorder(SealedRecorder):
    """A store that can also commit now and flush later (``append_sealed_deferred`` and ``sync``), like
    PostgreSQL: ``durable`` is the size up to which everything committed is durable."""

    def __init__(self) -> None:
        super().__init__()
        self.durable = 0
        self.deferred_calls = 0
        self.syncs = 0
        self.sync_gate: threading.Event | None = None
        self.sync_entered = threading.Event()
        self.fail_sync = -1  # the sync call (0-based) that raises

    def flush(self, items: Sequence[Pending]) -> Head:
        head = super().flush(items)
        self.durable = self.head.size  # a durable commit flushes everything before it too
        return head

    def append_sealed(self, rows: list[Any], base: Head, head: Head) -> Head | None:
        done = super().append_sealed(rows, base, head)
        if done is not None:
            self.durable = self.head.size
        return done

    def append_sealed_deferred(self, rows: list[Any], base: Head, head: Head) -> Head | None:
        self.deferred_calls += 1
        return super().append_sealed(rows, base, head)  # committed, not yet durable (not ours: that one is)

    def sync(self) -> None:
        covered = self.head.size  # what was committed before the flush began
        self.sync_entered.set()
        if self.sync_gate is not None:
            assert self.sync_gate.wait(30), "the test never opened the gate"
        self.syncs += 1
        if self.syncs - 1 == self.fail_sync:
            raise RuntimeError("fsync failed")
        self.durable = max(self.durable, covered)


def _deferred_commit(rec: DeferredRecorder, after_later: Any = None) -> GroupCommit:
    return GroupCommit(
        rec.flush,
        after_later,
        flush_sealed=rec.append_sealed,
        flush_deferred=rec.append_sealed_deferred,
        sync=rec.sync,
        clock=lambda: 1_700_000_000 * 10**9,
    )


def test_deferred_commits_are_acknowledged_only_once_a_sync_covers_them() -> None:
    rec = DeferredRecorder()
    commit = _deferred_commit(rec)
    early: list[tuple[int, int]] = []  # (seq, durable size) of every append that returned too soon
    seqs: list[int] = []
    lock = threading.Lock()

    def run(w: int) -> None:
        for i in range(150):
            seq, _ = commit.submit(_item(w * 1000 + i))
            with lock:
                seqs.append(seq)
                if rec.durable <= seq:
                    early.append((seq, rec.durable))

    # The first append is held until the other seven queue behind it: appends overlap from the start
    # (without it, the GIL can serialise these in-memory commits so that none ever waits for another).
    rec.gate = threading.Event()
    threads = [threading.Thread(target=run, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    assert rec.entered.wait(10)
    _queued(commit, 7)
    rec.gate.set()
    for t in threads:
        t.join(60)
    commit.close()
    assert not any(t.is_alive() for t in threads)
    assert early == []
    assert sorted(seqs) == list(range(1200))
    assert rec.deferred_calls > 0 and rec.syncs > 0  # the writer's batches went the deferred way
    assert frontier_root(rec.head.frontier) == root(rec.leaves)


def test_the_writer_commits_the_next_batch_while_the_last_one_is_being_flushed() -> None:
    rec = DeferredRecorder()
    commit = _deferred_commit(rec)
    rec.gate = threading.Event()
    rec.sync_gate = threading.Event()
    results: dict[int, int] = {}

    def append(n: int) -> None:
        results[n] = commit.submit(_item(n))[0]

    first = threading.Thread(target=append, args=(0,))
    first.start()
    assert rec.entered.wait(10)  # a lone append commits durably in its own thread (held here)
    batch = [threading.Thread(target=append, args=(n,)) for n in (1, 2, 3)]
    for t in batch:
        t.start()
    _queued(commit, 3)
    rec.gate.set()
    assert rec.sync_entered.wait(10)  # the writer committed 1-3 deferred; their flush is held
    assert rec.deferred_calls == 1 and rec.durable == 1
    later = [threading.Thread(target=append, args=(n,)) for n in (4, 5)]
    for t in later:
        t.start()
    # The writer is free while the flush runs: 4 and 5 are committed too, and nobody is told yet.
    for _ in range(10_000):
        if rec.head.size == 6:
            break
        threading.Event().wait(0.001)
    assert rec.head.size == 6, "the next appends waited for the last batch's flush"
    assert all(t.is_alive() for t in [*batch, *later])
    rec.sync_gate.set()
    for t in [first, *batch, *later]:
        t.join(10)
    commit.close()
    assert sorted(results.values()) == list(range(6)) and rec.durable == 6


def test_a_failed_flush_fails_the_batches_it_covered_and_appends_go_on() -> None:
    rec = DeferredRecorder()
    later: list[Head] = []
    commit = _deferred_commit(rec, after_later=later.append)
    rec.gate = threading.Event()
    rec.fail_sync = 0
    held = commit.submit_later(_item(0))  # futures always go through the writer: deferred, then synced
    doomed = [commit.submit_later(_item(n)) for n in (1, 2)]
    rec.gate.set()
    outcomes = []
    for f in [held, *doomed]:
        try:
            outcomes.append(f.result(10))
        except RuntimeError as exc:
            outcomes.append(str(exc))
    assert "fsync failed" in outcomes  # whatever the first flush covered was never acknowledged
    assert later == [] or all(h.size <= rec.durable for h in later)  # checkpoints only over durable entries
    assert commit.submit_later(_item(3)).result(10) == 3  # the entries stand; the log goes on after them
    commit.close()
    assert rec.durable == 4
