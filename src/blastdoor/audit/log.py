"""The audit log service: append (redacted, group-committed, durable), checkpoint, prove, verify.

It owns no I/O of its own: entries go to a ``LogStore`` (declared here, implemented in
``blastdoor.store``), keys and salt come from a ``KeyRing``.
"""

from __future__ import annotations

import threading
import time

from blastdoor.audit import events as ev
from blastdoor.audit.batch import GroupCommit, Head, Pending
from blastdoor.audit.fastjson import canonical_bytes
from blastdoor.audit.merkle import consistency_proof_from, frontier_root, inclusion_proof_from
from blastdoor.audit.redact import Redactor, untouched
from blastdoor.errors import InputError, NotFound, StoreError

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from concurrent.futures import Future
    from typing import Any, Protocol

    from blastdoor.action import Action, Decision
    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.audit.keys import KeyRing
    from blastdoor.audit.verify import Report, Row

    JSON = Any
    # (size, frontier) -> the head's seal: what a store writes into its head row with every batch
    Sealer = Callable[[int, list[bytes]], bytes]
else:
    Protocol = object  # LogStore is a static interface: nothing checks it at run time


class Query:
    """What ``search`` filters on; empty fields match everything. Times are RFC 3339 strings."""

    __slots__ = ("agent", "before", "correlation_id", "env", "kind", "limit", "since", "tool", "until", "verdict")

    def __init__(
        self,
        *,
        agent: str = "",
        verdict: str = "",
        tool: str = "",
        env: str = "",
        kind: str = "",
        correlation_id: str = "",
        since: str = "",
        until: str = "",
        limit: int = 100,
        before: int | None = None,
    ) -> None:
        self.agent = agent
        self.verdict = verdict
        self.tool = tool
        self.env = env
        self.kind = kind
        self.correlation_id = correlation_id
        self.since = since
        self.until = until
        self.limit = limit
        # Paging, newest first: only entries with a smaller sequence number (None: no bound).
        self.before = before


class LogStore(Protocol):
    """Where the log's entries, head and checkpoints live (SQLite, PostgreSQL, or a test double).

    INVARIANT: ``append`` is atomic and durable when it returns: the items become entries
    ``head.size - len(items) .. head.size - 1`` of the returned head, sealed by ``seal_batch``
    under a lock that makes it the only writer; on any failure nothing is written and it raises
    ``StoreError``.

    Optional: ``append_sealed(rows, base, head) -> Head | None`` commits rows the group commit sealed
    after ``base`` as they queued (``blastdoor.audit.batch.GroupCommit``), with the same guarantees, or
    writes nothing and answers None when ``base`` is not its head. ``append_sealed_deferred`` (the same,
    atomic but durable only once ``sync()`` returns) and ``sync`` together let the group commit's writer
    send the next batch while the last one is flushed.
    """

    # Set by the ``AuditLog``: the seal of the head after each batch (``blastdoor.audit.seal``).
    sealer: Sealer | None

    def log_id(self) -> str: ...

    def append(self, items: Sequence[Pending], clock: Callable[[], int]) -> Head: ...

    def head(self) -> Head: ...

    def add_checkpoint(self, size: int, time: str, note: str) -> None: ...

    def checkpoints(self) -> list[tuple[int, str, str]]: ...

    def rows(self, start: int = 0, stop: int | None = None, *, index: bool = False) -> Iterator[Row]: ...

    def leaves(self, stop: int) -> list[bytes]: ...

    def search(self, query: Query, *, newest_first: bool = True) -> list[tuple[int, str, bytes]]: ...

    def close(self) -> None: ...


def origin_of(log_id: str) -> str:
    """The checkpoint origin line of a log: unique per log, stable for its life."""
    return f"blastdoor.audit/{log_id}"


class AuditLog:
    """One audit log. Thread-safe; share one instance per process.

    ``checkpoint_every`` events, ``checkpoint_interval`` seconds, and ``close`` (when
    ``checkpoint_on_close``) trigger a signed checkpoint. A hook process that appends one event should
    pass ``checkpoint_on_close=False``: signing imports ``cryptography`` (tens of ms), and the
    count/interval rules still checkpoint from whichever process appends when one is due.
    """

    def __init__(
        self,
        store: LogStore,
        keys: KeyRing,
        *,
        checkpoint_every: int = 1000,
        checkpoint_interval: float = 60.0,
        checkpoint_on_close: bool = True,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.keys = keys
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self.checkpoint_on_close = checkpoint_on_close
        self._clock = clock
        self._commit = GroupCommit(
            lambda items: store.append(items, clock),
            after_later=self._checkpoint_soon,
            # A store that takes rows sealed ahead (SQLite, PostgreSQL) gets them sealed as they queue.
            flush_sealed=getattr(store, "append_sealed", None),
            # One that can commit now and flush later (PostgreSQL) overlaps a batch's flush with the next.
            flush_deferred=getattr(store, "append_sealed_deferred", None),
            sync=getattr(store, "sync", None),
            clock=clock,
        )
        self._cp_lock = threading.Lock()
        self._origin = ""
        self._closed = False
        self._seal_key: bytes | None = None
        store.sealer = self._seal_head

    def _seal_head(self, size: int, frontier: list[bytes]) -> bytes:
        # Called by the store under its write lock: the origin and key were read before (``_pending``).
        from blastdoor.audit.seal import seal

        if self._seal_key is None or not self._origin:
            raise StoreError("the audit log's head seal key was not loaded before an append")
        return seal(self._seal_key, self._origin, size, frontier_root(frontier))

    @property
    def origin(self) -> str:
        if not self._origin:
            self._origin = origin_of(self.store.log_id())
        return self._origin

    # -- writing --------------------------------------------------------------------------------

    def append(self, event: dict[str, JSON]) -> int:
        """Record one event; returns its sequence number once it is durable.

        Secrets are replaced by salted hashes first (the event then lists them under ``redacted``).
        Raises ``InputError`` for an event that is not a JSON object with a kind, ``StoreError`` when
        it cannot be written: the caller must then not act (fail closed).
        """
        seq, head = self._append(event)
        self._maybe_checkpoint(head)
        return seq

    def _append(
        self, event: dict[str, JSON], *, marks_checkpoint: bool = False, reserved: bool = False
    ) -> tuple[int, Head]:
        if self._closed:
            raise StoreError("the audit log is closed")
        return self._append_entered(event, marks_checkpoint, reserved)

    def _pending(self, event: dict[str, JSON], marks_checkpoint: bool = False, reserved: bool = False) -> Pending:
        if not reserved and isinstance(event, dict) and event.get("kind") in ev.RESERVED:
            # Only the log writes these: an inserted rotation or checkpoint event would be read by verify.
            raise InputError(f"cannot record audit event: kind {event['kind']!r} is written by the log itself")
        if self._seal_key is None:  # before the store's lock: the seal needs both, and reading them locks
            self._seal_key = self.keys.seal_key()
            _ = self.origin
            self.keys.salt()  # created with the log's first event, whether or not that event needs it
        try:
            checked = ev.check_event(event)
            if untouched(checked):  # the common case: nothing to redact, nothing to copy
                clean, plain = checked, True
            else:
                redactor = Redactor(self.keys.salt())
                clean = redactor.event(checked)
                if redactor.found:
                    clean["redacted"] = [*checked.get("redacted", []), *redactor.found]
                plain = redactor.plain
            body = canonical_bytes(clean, plain=plain)
        except (TypeError, ValueError) as exc:
            raise InputError(f"cannot record audit event: {exc}") from exc
        return Pending(body, ev.index_of(clean), marks_checkpoint)

    def prepare(self, event: dict[str, JSON]) -> Pending:
        """An event redacted and encoded for ``append_prepared``, ahead of its append (``InputError`` for a
        bad event). Its sequence number and time are given when it is appended, so preparing early changes
        nothing that is recorded: the MCP gateway prepares a call's outcome once its answer has gone out,
        and the next decision's commit carries it without redacting and encoding it on that call's path."""
        return self._pending(event)

    def append_many(self, events: Sequence[dict[str, JSON]]) -> list[int]:
        """Record several events in one durable transaction (one fsync), in order; their sequence numbers.

        All or none: on ``StoreError`` nothing was written. For a caller with reports to file alongside
        an event that must precede an action: the MCP gateway records the outcomes of earlier calls in
        the commit of the next call's decision instead of paying a commit per outcome.
        """
        if self._closed:
            raise StoreError("the audit log is closed")
        return self.append_prepared([self._pending(e) for e in events])

    def append_prepared(self, items: Sequence[Pending]) -> list[int]:
        """``append_many`` of events ``prepare`` made ready."""
        if self._closed:
            raise StoreError("the audit log is closed")
        if not items:
            return []
        try:
            # The store serialises appends itself (under its lock, against the head it knows); group
            # commit only batches concurrent single appends, and these are one batch already.
            head = self.store.append(items, self._clock)
        except StoreError:
            raise
        except Exception as exc:  # a store that leaked a foreign error still fails closed
            raise StoreError(f"audit append failed: {exc}") from exc
        self._maybe_checkpoint(head)
        return list(range(head.size - len(items), head.size))

    def submit(self, event: dict[str, JSON]) -> Future[int]:
        """Record one event without waiting: a future of its sequence number once it is durable.

        For an event loop: the event is redacted and encoded in the caller's thread (``InputError``
        at once for a bad event), then committed by the writer thread with whatever else is queued. The
        future fails with ``StoreError`` when the batch could not be written. A checkpoint that falls
        due is signed on a thread of its own.
        """
        if self._closed:
            raise StoreError("the audit log is closed")
        item = self._pending(event)
        try:
            return self._commit.submit_later(item)
        except RuntimeError as exc:
            raise StoreError(f"the audit log is closing: {exc}") from exc

    def _append_entered(self, event: dict[str, JSON], marks_checkpoint: bool, reserved: bool) -> tuple[int, Head]:
        item = self._pending(event, marks_checkpoint, reserved)
        try:
            seq, head = self._commit.submit(item)
        except StoreError:
            raise
        except Exception as exc:  # a store that leaked a foreign error still fails closed
            raise StoreError(f"audit append failed: {exc}") from exc
        return seq, head

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int:
        """Record a decision before its action runs."""
        return self.append(ev.decision_event(action, decision, correlation_id=correlation_id))

    def submit_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> Future[int]:
        """``record_decision`` without waiting (see ``submit``)."""
        return self.submit(ev.decision_event(action, decision, correlation_id=correlation_id))

    def record_outcome(
        self,
        correlation_id: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
        extra: dict[str, JSON] | None = None,
    ) -> int:
        """Record what happened when the action decided under ``correlation_id`` ran."""
        try:
            event = ev.outcome_event(
                correlation_id, exit_code=exit_code, error=error, duration_ms=duration_ms, extra=extra
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        return self.append(event)

    # -- checkpoints ------------------------------------------------------------------------------

    def _checkpoint_due(self, head: Head) -> bool:
        fresh = head.size - head.cp_mark
        if fresh <= 0:
            return False
        return fresh >= self.checkpoint_every or (time.time() - head.cp_time >= self.checkpoint_interval)

    def _checkpoint_soon(self, head: Head) -> None:
        """After a batch of ``submit`` events (in the writer thread, which must not wait for its own
        append): sign a due checkpoint on another thread."""
        if self._checkpoint_due(head) and not self._cp_lock.locked():
            threading.Thread(target=self._maybe_checkpoint, args=(head,), name="blastdoor-checkpoint").start()

    def _maybe_checkpoint(self, head: Head) -> None:
        if not self._checkpoint_due(head) or not self._cp_lock.acquire(blocking=False):
            return
        try:
            if self._closed:
                return
            self._checkpoint_locked()
        except Exception as exc:  # the event itself is durable; say loudly that signing failed
            import warnings

            warnings.warn(f"blastdoor: audit checkpoint failed: {exc}", RuntimeWarning, stacklevel=3)
        finally:
            self._cp_lock.release()

    def checkpoint(self, *, force: bool = False) -> str | None:
        """Sign the current tree head now; returns the signed note (None for an empty log).

        When nothing was appended since the last checkpoint, returns that one unless ``force``.
        """
        with self._cp_lock:
            return self._checkpoint_locked(force=force)

    def _checkpoint_locked(self, *, force: bool = False, extra_signers: Sequence[Any] = ()) -> str | None:
        from blastdoor.audit.checkpoint import Checkpoint

        head = self.store.head()
        if head.size == 0:
            return None
        if head.size <= head.cp_mark and not force and not extra_signers:
            last = self.store.checkpoints()
            if last:
                return last[-1][2]
        signer = self.keys.signer()
        root = frontier_root(head.frontier)
        note = Checkpoint(self.origin, head.size, root).sign([signer, *extra_signers])
        self.store.add_checkpoint(head.size, ev.format_time(self._clock()), note)
        ids = [f"{s.verifier.id:08x}" for s in (signer, *extra_signers)]
        self._append(ev.checkpoint_event(head.size, root.hex(), ids), marks_checkpoint=True, reserved=True)
        self._publish(note)
        self._fill_tiles(head.size)
        return note

    def _fill_tiles(self, size: int) -> None:
        """Store the interior hashes up to ``size`` (proofs then read O(log n) hashes); never fatal."""
        if not hasattr(self.store, "add_subtrees"):
            return
        from blastdoor.audit.tiles import fill

        try:
            fill(self.store, size)
        except (StoreError, ValueError) as exc:
            import warnings

            warnings.warn(f"blastdoor: audit interior hashes: {exc}", RuntimeWarning, stacklevel=3)

    def anchors(self) -> list[Any]:
        """The outside anchors configured beside the key (``<key>.anchors``: witnesses, files, git)."""
        from blastdoor.audit.checkpoint import NoteError
        from blastdoor.audit.witness import load_anchors

        try:
            return load_anchors(self.keys.key_path + ".anchors")
        except (OSError, NoteError) as exc:
            raise StoreError(f"cannot read the audit anchors: {exc}") from exc

    def _publish(self, note: str) -> None:
        """Send a new checkpoint to the outside anchors; a failure is loud but never loses the event."""
        anchors = self.anchors()
        if not anchors:
            return
        from blastdoor.audit.witness import publish

        for error in publish(anchors, note, self.consistency):
            import warnings

            warnings.warn(f"blastdoor: audit anchor: {error}", RuntimeWarning, stacklevel=3)

    def rotate_key(self, *, reason: str = "") -> str:
        """Replace the signing key; returns the new verifier key.

        The rotation is an event, and the checkpoint that follows it is signed by both keys, so trust
        passes from either key to the other (see ``verify``).
        """
        from blastdoor.audit.checkpoint import Signer
        from blastdoor.audit.keys import KEY_NAME

        with self._cp_lock:
            old = self.keys.signer()
            new = Signer.generate(KEY_NAME)
            self._append(ev.key_event(str(old.verifier), str(new.verifier), reason=reason), reserved=True)
            self._checkpoint_locked(extra_signers=[new])
            self.keys.replace_signer(new)
        return str(new.verifier)

    # -- reading ----------------------------------------------------------------------------------

    def size(self) -> int:
        return self.store.head().size

    def entry(self, seq: int) -> dict[str, JSON] | None:
        """The entry ``{"event", "seq", "time"}`` at ``seq``, or None."""
        for row in self.store.rows(seq, seq + 1):
            return _parse(row[2])
        return None

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[dict[str, JSON]]:
        for row in self.store.rows(start, stop):
            yield _parse(row[2])

    def search(self, query: Query, *, newest_first: bool = True) -> list[dict[str, JSON]]:
        """Entries matching ``query``. Each is checked against its own body, so a row whose indexed
        columns were made to lie is never returned as a match (``verify`` names it)."""
        out = []
        for _, _, body in self.store.search(query, newest_first=newest_first):
            try:
                entry = _parse(body)
            except (StoreError, ValueError):
                continue
            if _matches(entry, query):
                out.append(entry)
        return out

    def requester_of(self, correlation_id: str) -> str | None:
        """Who the last decision recorded under ``correlation_id`` was made for (``agent.on_behalf_of``);
        None when no decision was recorded under it. Outcomes are checked against it: only the requester
        a call was decided for may say what happened when it ran."""
        found = self.search(Query(correlation_id=correlation_id, kind="decision", limit=1000), newest_first=True)
        return ev.requester_of(found[0].get("event")) if found else None

    def prove(self, seq: int, size: int | None = None) -> dict[str, JSON]:
        """An inclusion proof for entry ``seq`` that a third party can check without the database.

        Against the latest checkpoint that covers ``seq`` (or the current size, unsigned, when none
        does yet and ``size`` is not given). See ``blastdoor.audit.proofs.check_inclusion``.
        """
        from blastdoor.audit.checkpoint import peek_checkpoint

        note = ""
        if size is None:
            for cp_size, _, cp_note in reversed(self.store.checkpoints()):
                if cp_size > seq:
                    size, note = cp_size, cp_note
                    break
        n = self.store.head().size if size is None else size
        if not 0 <= seq < n:
            raise NotFound(f"no entry {seq} in a log of size {n}")
        mth, leaf = self._tree(n)
        try:
            path = inclusion_proof_from(mth, seq, n)
            tree_root = mth(0, n)
            leaf_seq = leaf(seq)
        except (IndexError, ValueError) as exc:
            raise StoreError(f"the store is missing leaf hashes of the tree of size {n}: {exc}") from exc
        entry = self._entry_bytes(seq)
        proof: dict[str, JSON] = {
            "type": "blastdoor.audit.inclusion/v1",
            "origin": self.origin,
            "seq": seq,
            "size": n,
            "entry": entry.decode("utf-8", "replace"),
            "leaf_hash": leaf_seq.hex(),
            "path": [h.hex() for h in path],
            "root": tree_root.hex(),
        }
        if note:
            proof["checkpoint"] = note
            if peek_checkpoint(note).root.hex() != proof["root"]:
                raise StoreError(f"the stored checkpoint at size {n} does not match the stored entries")
        return proof

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        """An RFC 6962 consistency proof between two tree sizes of this log (O(log n) stored hashes)."""
        mth, _ = self._tree(new_size)
        try:
            return consistency_proof_from(mth, old_size, new_size)
        except (IndexError, ValueError) as exc:
            raise StoreError(f"the store is missing leaf hashes of the tree of size {new_size}: {exc}") from exc

    def _tree(self, n: int) -> tuple[Callable[[int, int], bytes], Callable[[int], bytes]]:
        """Subtree roots and leaf hashes of the first ``n`` leaves: from stored interior hashes when the
        store keeps them (``blastdoor.audit.tiles``), else from all the leaves."""
        if hasattr(self.store, "subtree_range"):
            from blastdoor.audit.tiles import StoredTree

            tree = StoredTree(self.store, n)
            return tree.mth, tree.leaf
        from blastdoor.audit.merkle import root

        leaves = self.store.leaves(n)
        if len(leaves) != n:
            raise StoreError(f"the store returned {len(leaves)} leaves for a tree of size {n}")
        return (lambda a, b: root(leaves, a, b)), leaves.__getitem__

    def _entry_bytes(self, seq: int) -> bytes:
        for row in self.store.rows(seq, seq + 1):
            body = row[2]
            if isinstance(body, (bytes, bytearray, memoryview)):
                return bytes(body)
            raise StoreError(f"entry {seq} is not stored as bytes (the store was tampered with)")
        raise StoreError(f"entry {seq} is missing from the store")

    def verify(
        self,
        *,
        external: Sequence[str] = (),
        trusted: Sequence[Verifier] | None = None,
        deep: bool = False,
    ) -> Report:
        """Verify the whole log (see ``blastdoor.audit.verify``); anchors default to the key ring's."""
        from blastdoor.audit.seal import HeadClaim
        from blastdoor.audit.verify import verify_entries
        from blastdoor.audit.witness import collect

        anchors = self.keys.trusted() if trusted is None else list(trusted)
        outside = self.anchors()
        held, unreadable = collect(outside, self.origin) if outside else ([], [])
        external = [*external, *(note for _, note in held)]
        head = self.store.head()  # before the entries: appends that run during the read come after it
        notes = [note for _, _, note in self.store.checkpoints()]
        derived = getattr(self.store, "derived_problems", None)
        schema = list(derived()) if derived is not None else []
        claim = HeadClaim(
            head.size,
            frontier_root(head.frontier),
            head.seal,
            key=self.keys.seal_key(create=False),
            origin=self.origin,
            later=lambda: self.store.head().size,
        )
        report = verify_entries(
            # The indexed columns are generated from the entry: they can only lie once the schema changed.
            self.store.rows(index=bool(schema)),
            checkpoints=notes,
            external=external,
            trusted=anchors,
            origin=self.origin,
            deep=deep or bool(schema),
            head=claim,
        )
        if schema and report.ok:  # no row lies yet, but the next could: the schema itself is the problem
            for message in schema:
                report.add(report.size, message)
        if not outside:
            report.warnings.append(
                "no outside anchor (witness or export) is configured: restoring an older copy of the whole"
                " database would go unnoticed"
            )
        else:
            for where in sorted({w for w, _ in held}):
                report.anchors.append(f"checkpoints held by {where}")
            if unreadable:
                report.unchecked.extend(unreadable)
        return report

    def close(self) -> None:
        """Checkpoint (when configured and anything is new) and release the store."""
        if self._closed:
            return
        try:
            if self.checkpoint_on_close:
                head = self.store.head()
                if head.size > head.cp_mark:
                    self.checkpoint()
        finally:
            with self._cp_lock:  # a checkpoint signing on a thread of its own finishes first
                self._closed = True
            self._commit.close()
            self.store.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def frontier_root_of(leaves: Sequence[bytes], size: int) -> bytes:
    from blastdoor.audit.merkle import root

    return root(leaves, 0, size)


def _matches(entry: dict[str, JSON], query: Query) -> bool:
    event = entry.get("event")
    if not isinstance(event, dict):
        return False
    kind, agent, tool, verdict, env, correlation = ev.index_of(event)
    for want, got in (
        (query.agent, agent),
        (query.verdict, verdict),
        (query.tool, tool),
        (query.env, env),
        (query.kind, kind),
        (query.correlation_id, correlation),
    ):
        if want and want != got:
            return False
    t = entry.get("time")
    if not isinstance(t, str) or (query.since and t < query.since) or (query.until and t >= query.until):
        return False
    return query.before is None or (isinstance(entry.get("seq"), int) and entry["seq"] < query.before)


def _parse(body: bytes) -> dict[str, JSON]:
    import json

    value = json.loads(body)
    if not isinstance(value, dict):
        raise StoreError("a stored entry is not a JSON object")
    return value
