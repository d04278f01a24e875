"""Sealing a batch of events into entries, and the group commit that forms the batches.

Sealing is pure: given the log's head (size, frontier, last time) and events already in canonical
form, it assigns gapless sequence numbers and one monotonic time, builds the entry bytes and leaf
hashes, and advances the frontier. A store calls it inside its write transaction, under whatever lock
makes it the only writer (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's row lock on the head).

Group commit: many threads append at once; what queues up while one batch is being committed becomes
the next batch, committed in one durable transaction (one fsync for the batch), and each thread waits for
its own sequence number. Throughput then grows with the number of writers instead of being one fsync per
event.
"""

from __future__ import annotations

import threading
from hashlib import sha256

from blastdoor.audit.events import entry_bytes, format_time

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from concurrent.futures import Future

# (seq, time, entry bytes, leaf hash): the indexed columns are derived from the bytes by the store
SealedRow = tuple[int, str, bytes, bytes]

MAX_BATCH = 2048


class Pending:
    """An event ready to append: its canonical bytes and the values of its indexed columns."""

    __slots__ = ("body", "index", "marks_checkpoint")

    def __init__(self, body: bytes, index: tuple[str, str, str, str, str, str], marks_checkpoint: bool = False):
        self.body = body
        self.index = index
        self.marks_checkpoint = marks_checkpoint


class Head:
    """The state a writer needs: size, frontier, last time, and where the last checkpoint left off.

    ``cp_mark`` is the size just after the last ``checkpoint`` event: nothing new since then means no
    new checkpoint is due. ``cp_time`` is when that checkpoint was signed (Unix seconds).
    """

    __slots__ = ("cp_mark", "cp_time", "frontier", "last_time", "seal", "size")

    def __init__(
        self, size: int, frontier: list[bytes], last_time: str, cp_mark: int, cp_time: float, seal: bytes = b""
    ) -> None:
        self.size = size
        self.frontier = frontier
        self.last_time = last_time
        self.cp_mark = cp_mark
        self.cp_time = cp_time
        self.seal = seal  # the head's MAC (``blastdoor.audit.seal``) as stored; b"" when unsealed

    def copy(self) -> Head:
        """An independent copy (sealing advances a head and its frontier in place)."""
        return Head(self.size, list(self.frontier), self.last_time, self.cp_mark, self.cp_time, self.seal)


def seal_batch(head: Head, items: Sequence[Pending], now_ns: int) -> list[SealedRow]:
    """Entries for ``items`` appended after ``head``; advances ``head`` in place.

    INVARIANT: sequence numbers are ``head.size, head.size + 1, ...`` and times never go backwards,
    even when the clock does (the time is clamped to the last one); a checkpoint event's time is the time
    of the entry before it.
    """
    now = format_time(now_ns)
    return [seal_one(head, item, now) for item in items]


def seal_one(head: Head, item: Pending, now: str) -> SealedRow:
    """The entry for ``item`` appended after ``head`` at time ``now`` (``format_time``); advances ``head``."""
    t = head.last_time
    # A checkpoint event takes the time of the entry before it (``events.CHECKPOINT_VERSION``): the
    # signature on that entry vouches for it. Every other entry takes ``now``, clamped to the last time.
    if (not item.marks_checkpoint or not t) and now > t:
        t = now
    seq = head.size
    body = entry_bytes(item.body, seq, t)
    leaf = sha256(b"\x00" + body).digest()
    # frontier_push, inlined: this is the whole cost of sealing an entry.
    frontier = head.frontier
    h, n = leaf, seq
    while n & 1:
        h = sha256(b"\x01" + frontier.pop() + h).digest()
        n >>= 1
    frontier.append(h)
    head.size = seq + 1
    head.last_time = t
    if item.marks_checkpoint:
        head.cp_mark = seq + 1
    return (seq, t, body, leaf)


class _Waiter:
    """A thread blocked in ``submit`` (woken through ``wake``) or a ``submit_later`` future."""

    __slots__ = ("error", "future", "head", "item", "next", "row", "seq", "signalled", "wake")

    def __init__(self, item: Pending, future: Future[int] | None = None, *, blocks: bool = True) -> None:
        self.item = item
        self.row: SealedRow | None = None  # sealed when it was queued (``GroupCommit``'s tip)
        self.seq = -1
        self.head: Head | None = None
        self.error: BaseException | None = None
        self.future = future
        # The waiter of the same batch this one wakes once it is awake itself (``_release``).
        self.next: _Waiter | None = None
        # Python runs signal handlers in the main thread only: its wait can end in an exception.
        self.signalled = threading.current_thread() is threading.main_thread()
        # Held until the waiter's batch is done: one targeted wake-up each.
        self.wake = threading.Lock()
        if future is None and blocks:  # not blocks: the caller commits it in its own thread
            self.wake.acquire()

    def done(self) -> None:
        future = self.future
        if future is None:
            self.wake.release()
        elif self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.seq)

    def chainable(self) -> bool:
        """Fit to be woken by the waiter before it in its batch, and to wake the one after it: a thread
        blocked in ``submit`` whose wait no signal can end early, so it is certain to pass the turn on."""
        return self.future is None and self.error is None and not self.signalled


class GroupCommit:
    """Batching in front of ``flush(items) -> head after the batch``.

    An append that finds nothing else in flight flushes in its own thread (a hook's single append starts
    no thread). Once appends overlap, a writer thread takes over: it flushes whatever queued up while the
    previous batch was being committed, and wakes that batch's threads. The next batch therefore forms
    during the current fsync, and the thread that commits never waits for another to be scheduled before
    it starts the next commit (a hand-over costs as much as a commit on a busy 2-core machine).

    With ``flush_sealed`` (a store's ``append_sealed``), an item is sealed when it is queued, by the
    thread that queues it, against the tip: the head after everything sealed so far. The commit's critical
    path then holds no sealing: the writer hands the rows over as they are. ``flush_sealed`` answers None
    when the store's head is no longer the one the batch was sealed against (another process wrote, or
    this one through another path); the batch then goes through ``flush``, which seals under the store's
    lock, and what is queued is sealed again against the head that commit left. A failed commit unseals
    the queue the same way, so no entry is ever written against a head that was not committed.

    With ``flush_deferred`` and ``sync`` (PostgreSQL's ``append_sealed_deferred`` and ``sync``), the
    writer commits without waiting for durability and goes straight on to the next batch; a syncer thread
    makes everything committed so far durable with one ``sync`` and only then wakes those batches. The
    fsync of one batch then overlaps the writing of the next, and an append still returns only once it is
    durable. An append in its own thread (nothing in flight) commits durably as before.
    """

    def __init__(
        self,
        flush: Callable[[Sequence[Pending]], Head],
        after_later: Callable[[Head], None] | None = None,
        *,
        flush_sealed: Callable[[list[SealedRow], Head, Head], Head | None] | None = None,
        flush_deferred: Callable[[list[SealedRow], Head, Head], Head | None] | None = None,
        sync: Callable[[], None] | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self._flush = flush
        self._flush_sealed = flush_sealed
        self._flush_deferred = flush_deferred if sync is not None else None
        self._sync = sync if flush_deferred is not None else None
        # Batches the writer committed, not yet durable: the syncer's work.
        self._unsynced: list[tuple[list[_Waiter], Head]] = []
        self._syncer: threading.Thread | None = None
        self._synced = threading.Condition(threading.Lock())
        self._clock = clock
        # Called in the writer thread after a batch that held ``submit_later`` items (nobody waits in a
        # thread of its own for those to run what follows an append, such as a checkpoint that fell due).
        self._after_later = after_later
        self._mu = threading.Lock()
        self._queue: list[_Waiter] = []
        # The head after every sealed item, committed or queued (None: items queue unsealed), and a copy
        # of the head after the last batch taken: what the first queued item was sealed against.
        self._tip: Head | None = None
        self._base: Head | None = None
        self._busy = False  # a flush is running, inline or in the writer
        self._writer: threading.Thread | None = None
        self._idle = True  # the writer waits on ``_kick``; whoever clears this releases ``_kick`` once
        self._kick = threading.Lock()
        self._kick.acquire()
        self._closing = False

    def submit(self, item: Pending) -> tuple[int, Head]:
        """Append one item; returns its sequence number and the head once it is durable."""
        mu = self._mu
        mu.acquire()
        if not self._busy and not self._queue and self._idle:
            # Nothing in flight: commit in this thread, sealed against the tip when there is one (then what
            # queues meanwhile is sealed after it), else by the store.
            self._busy = True
            me = _Waiter(item, blocks=False)
            self._seal(me)
            batch, base, end = self._take([me])
            # Once appends have overlapped (a writer exists), commit deferred too and flush after letting
            # go, so the writer can send the next batch during this flush; a lone appender (a hook)
            # commits durably on its one connection.
            deferred = self._sync is not None and self._writer is not None
            mu.release()
            head: Head | None = None
            try:
                head = self._commit(batch, base, end, deferred=deferred)
            finally:
                with mu:
                    if head is None:  # the commit failed: what queued behind it was sealed after it
                        self._settle(None)
                    self._busy = False
                    self._wake_writer()
            if deferred:
                assert self._sync is not None
                self._sync()
            return head.size - 1, head
        me = _Waiter(item)
        self._enqueue(me)
        mu.release()
        me.wake.acquire()
        after = me.next
        if after is not None:  # the next waiter of my batch: its turn (``_release``)
            after.wake.release()
        if me.error is not None:
            raise me.error
        assert me.head is not None
        return me.seq, me.head

    def submit_later(self, item: Pending) -> Future[int]:
        """Queue one item for the writer thread; a future of its sequence number once it is durable.

        Never flushes in the caller's thread, so an event loop can call it: the loop goes on serving while
        the batch is committed.
        """
        from concurrent.futures import Future

        future: Future[int] = Future()
        future.set_running_or_notify_cancel()  # running: a caller that gives up cannot cancel a durable append
        with self._mu:
            if self._closing:
                raise RuntimeError("the group commit is closed")
            self._enqueue(_Waiter(item, future))
        return future

    def _seal(self, waiter: _Waiter) -> None:
        # Called with ``_mu`` held: seal against the tip, if there is one.
        tip = self._tip
        if tip is not None:
            assert self._clock is not None
            waiter.row = seal_one(tip, waiter.item, format_time(self._clock()))

    def _enqueue(self, waiter: _Waiter) -> None:
        # Called with ``_mu`` held.
        self._seal(waiter)
        self._queue.append(waiter)
        if self._writer is None:
            self._writer = threading.Thread(target=self._run, name="blastdoor-audit-writer", daemon=True)
            self._idle = False
            self._kick.release()
            self._writer.start()
            if self._sync is not None and self._syncer is None:
                self._syncer = threading.Thread(target=self._sync_run, name="blastdoor-audit-syncer", daemon=True)
                self._syncer.start()
        elif not self._busy:
            self._wake_writer()

    def _settle(self, head: Head | None) -> None:
        """After a commit that sealed through ``flush`` (``head``) or failed (None): seal what is queued
        against the committed head, or leave it unsealed. Called with ``_mu`` held, no flush running."""
        if self._flush_sealed is None:
            return
        if head is None:
            self._tip = self._base = None
            for w in self._queue:
                w.row = None
            return
        self._base = head.copy()
        tip = self._tip = head.copy()
        if self._queue:
            assert self._clock is not None
            now = format_time(self._clock())
            for w in self._queue:
                w.row = seal_one(tip, w.item, now)

    def close(self) -> None:
        """Stop the writer thread (after it has flushed what is queued)."""
        with self._mu:
            writer = self._writer
            self._closing = True
            self._wake_writer()
        if writer is not None and writer is not threading.current_thread():
            writer.join()
        with self._synced:
            syncer = self._syncer
            self._synced.notify()
        if syncer is not None and syncer is not threading.current_thread():
            syncer.join()

    def _wake_writer(self) -> None:
        # Called with ``_mu`` held.
        if self._idle and self._writer is not None and (self._queue or self._closing):
            self._idle = False
            self._kick.release()

    def _take(self, queue: list[_Waiter]) -> tuple[list[_Waiter], Head | None, Head | None]:
        """The next batch from ``queue``, and the heads it was sealed between (None: unsealed). Called with
        ``_mu`` held."""
        if len(queue) > MAX_BATCH:  # the tip is past the batch's end: seal the rest again after it
            batch = queue[:MAX_BATCH]
            del queue[:MAX_BATCH]
            self._settle(None)
            return batch, None, None
        batch = queue[:]
        queue.clear()
        tip, base = self._tip, self._base
        if tip is None or base is None:
            return batch, None, None
        end = self._base = tip.copy()
        return batch, base, end

    def _commit(self, batch: list[_Waiter], base: Head | None, end: Head | None, *, deferred: bool = False) -> Head:
        """Commit ``batch``: as sealed when it was queued, else (or when that head went stale) through
        ``flush``; ``_settle`` then reseals what is queued. Raises what the store raised. ``deferred``:
        through ``flush_deferred`` when sealed (durable once ``sync`` returns)."""
        sealed = self._flush_deferred if deferred and self._flush_deferred is not None else self._flush_sealed
        if base is not None and end is not None and sealed is not None:
            rows = [w.row for w in batch if w.row is not None]
            if len(rows) == len(batch):
                head = sealed(rows, base, end)
                if head is not None:
                    return head
        head = self._flush([w.item for w in batch])
        with self._mu:
            self._settle(head)
        return head

    def _run(self) -> None:
        mu = self._mu
        while True:
            self._kick.acquire()
            while True:
                with mu:
                    if self._busy or not self._queue:
                        # An inline flush is running (it wakes us when it ends), or there is nothing to do.
                        self._idle = True
                        if self._closing and not self._queue:
                            self._writer = None
                            return
                        break
                    batch, base, end = self._take(self._queue)
                    self._busy = True
                head: Head | None = None
                try:
                    head = self._commit(batch, base, end, deferred=self._sync is not None)
                    seq = head.size - len(batch)
                    for w in batch:
                        w.seq = seq
                        w.head = head
                        seq += 1
                except BaseException as exc:  # every waiter of a failed batch fails: nothing was written
                    for w in batch:
                        w.error = exc
                    with mu:
                        self._settle(None)
                with mu:
                    self._busy = False
                if head is not None and self._sync is not None:
                    with self._synced:  # durable once the syncer's next ``sync`` returns
                        self._unsynced.append((batch, head))
                        self._synced.notify()
                else:
                    self._finish(batch, head)

    def _sync_run(self) -> None:
        """The syncer: make what the writer committed durable, one ``sync`` for all of it, then wake it."""
        assert self._sync is not None
        cond = self._synced
        while True:
            with cond:
                while not self._unsynced:
                    if self._writer is None:  # closed, and the writer handed over its last batch
                        self._syncer = None
                        return
                    cond.wait()
                done, self._unsynced = self._unsynced, []
            error: BaseException | None = None
            try:
                self._sync()
            except BaseException as exc:  # committed but maybe not durable: nobody may be told it is
                error = exc
            for batch, head in done:
                if error is not None:
                    for w in batch:
                        w.error = error
                self._finish(batch, None if error is not None else head)

    def _finish(self, batch: list[_Waiter], head: Head | None) -> None:
        """Wake a batch that is durable (``head``) or failed (None), then run what follows its futures."""
        _release(batch)
        if head is not None and self._after_later is not None and any(w.future for w in batch):
            try:
                self._after_later(head)
            except Exception as exc:  # the batch is durable; the writer must live on
                import sys

                print(f"blastdoor: after an audit batch: {exc}", file=sys.stderr)


def _release(batch: list[_Waiter]) -> None:
    """Wake the waiters of a batch that is done: futures at once, blocked threads one after another.

    The writer wakes only the first thread; each thread, once awake, wakes the next. Every wake-up is a
    futex system call (~15 µs measured on this project's 2-core VMs), and the writer's are on the critical
    path: the next commit starts only after them. Woken all at once, the threads would also each wake only
    to queue for the GIL, and the writer, back from its commit, would wait behind them for it. With 8
    writer threads the chain commits 10-15 % more appends per second on 12 % less CPU each
    (docs/PERFORMANCE.md, "Issue 17, fifth look").
    """
    last: _Waiter | None = None
    for w in batch:
        if not w.chainable():
            w.done()
        elif last is None:
            first = last = w
        else:
            last.next = w
            last = w
    if last is not None:
        first.done()
