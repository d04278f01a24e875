"""Sealing a batch of events into entries, and the group commit that forms the batches.

Sealing is pure: given the log's head (size, frontier, last time) and events already in canonical
form, it assigns gapless sequence numbers and one monotonic time, builds the entry bytes and leaf
hashes, and advances the frontier. A store calls it inside its write transaction, under whatever lock
makes it the only writer (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's row lock on the head).

Group commit: many threads append at once; the first to arrive leads, takes everything queued, and
commits it in one durable transaction (one fsync for the batch); the others wait for their sequence
numbers. Throughput then grows with the number of writers instead of being one fsync per event.
"""

from __future__ import annotations

import threading
import time
from hashlib import sha256

from blastdoor.audit.events import entry_bytes, format_time

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

# (seq, time, kind, agent_id, tool, verdict, env, correlation_id, entry bytes, leaf hash)
SealedRow = tuple[int, str, str, str, str, str, str, str, bytes, bytes]

MAX_BATCH = 2048
GATHER_S = 0.001


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

    __slots__ = ("cp_mark", "cp_time", "frontier", "last_time", "size")

    def __init__(self, size: int, frontier: list[bytes], last_time: str, cp_mark: int, cp_time: float) -> None:
        self.size = size
        self.frontier = frontier
        self.last_time = last_time
        self.cp_mark = cp_mark
        self.cp_time = cp_time


def seal_batch(head: Head, items: Sequence[Pending], now_ns: int) -> list[SealedRow]:
    """Entries for ``items`` appended after ``head``; advances ``head`` in place.

    INVARIANT: sequence numbers are ``head.size, head.size + 1, ...`` and times never go backwards,
    even when the clock does (the time is clamped to the last one).
    """
    t = format_time(now_ns)
    if t < head.last_time:
        t = head.last_time
    rows: list[SealedRow] = []
    frontier = head.frontier
    seq = head.size
    for item in items:
        body = entry_bytes(item.body, seq, t)
        leaf = sha256(b"\x00" + body).digest()
        rows.append((seq, t, *item.index, body, leaf))
        # frontier_push, inlined: this loop is the whole cost of an append under the lock.
        h, n = leaf, seq
        while n & 1:
            h = sha256(b"\x01" + frontier.pop() + h).digest()
            n >>= 1
        frontier.append(h)
        seq += 1
        if item.marks_checkpoint:
            head.cp_mark = seq
    head.size = seq
    head.last_time = t
    return rows


class _Waiter:
    __slots__ = ("done", "error", "head", "item", "seq", "wake")

    def __init__(self, item: Pending) -> None:
        self.item = item
        self.done = False
        self.seq = -1
        self.head: Head | None = None
        self.error: BaseException | None = None
        # Held until this waiter is either done or promoted to leader: one targeted wake-up each,
        # instead of every thread waking on every batch.
        self.wake = threading.Lock()
        self.wake.acquire()


class GroupCommit:
    """Leader/follower batching in front of ``flush(items) -> head after the batch``."""

    def __init__(self, flush: Callable[[Sequence[Pending]], Head]) -> None:
        self._flush = flush
        self._cv = threading.Condition()
        self._queue: list[_Waiter] = []
        self._leading = False
        self._gathering = False
        # Threads between ``enter`` and the end of ``submit``: a leader waits (briefly) for those still
        # preparing their event, so 8 writers make batches of 8 instead of alternating 1 and 7.
        self.active = 0

    def enter(self) -> None:
        """Announce an append that is being prepared (call ``submit``, then ``leave``)."""
        with self._cv:
            self.active += 1

    def leave(self) -> None:
        with self._cv:
            self.active -= 1

    def submit(self, item: Pending) -> tuple[int, Head]:
        """Append one item; returns its sequence number and the head once it is durable."""
        me = _Waiter(item)
        with self._cv:
            self._queue.append(me)
            lead = not self._leading
            if lead:
                self._leading = True
            elif self._gathering and len(self._queue) >= self.active:
                self._cv.notify()  # the last one the leader waits for: wake it once, not per arrival
        if not lead:
            me.wake.acquire()  # until our batch is done, or we are handed the lead
        while not me.done:
            self._lead()
        if me.error is not None:
            raise me.error
        assert me.head is not None
        return me.seq, me.head

    def _lead(self) -> None:
        with self._cv:
            self._gather()
            batch = self._queue[:MAX_BATCH]
            del self._queue[:MAX_BATCH]
        try:
            head = self._flush([w.item for w in batch])
            first = head.size - len(batch)
            for i, w in enumerate(batch):
                w.seq = first + i
                w.head = head
        except BaseException as exc:  # every waiter of a failed batch fails: nothing was written
            for w in batch:
                w.error = exc
        nxt: _Waiter | None = None
        with self._cv:
            for w in batch:
                w.done = True
            # INVARIANT: while the queue is not empty, exactly one thread leads.
            if self._queue:
                nxt = self._queue[0]
            else:
                self._leading = False
        for w in batch:
            w.wake.release()  # held since construction; wakes the follower blocked on it, if any
        if nxt is not None and not nxt.done:
            nxt.wake.release()

    def _gather(self) -> None:
        # Called with the lock held. Bounded: a writer that is slow to prepare costs at most GATHER_S.
        if len(self._queue) >= self.active:
            return
        self._gathering = True
        deadline = time.monotonic() + GATHER_S
        try:
            while len(self._queue) < self.active and len(self._queue) < MAX_BATCH:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cv.wait(left)
        finally:
            self._gathering = False
