"""The embedded store: one SQLite file in WAL mode, durable commits, append-only triggers.

Writers in one process share one connection behind ``GroupCommit`` (one transaction and one fsync per
batch); writers in different processes serialise on SQLite's write lock (waited for up to ``timeout``
seconds). ``synchronous=FULL`` makes a commit durable when it returns, so an event is acknowledged only once
it would survive a power cut.

A batch is one INSERT statement in autocommit mode when the store still knows the head from its own last
append: sealed against that head, checked against the stored one by a trigger inside the write lock, and
committed before the call returns. One call means one release of the GIL, so a writer thread does not wait
for other threads between statements. When another process wrote in between, the trigger refuses the
batch and it is redone under ``BEGIN IMMEDIATE`` with the head read first.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from blastdoor.audit.batch import Head, seal_batch
from blastdoor.audit.merkle import frontier_pack, frontier_unpack
from blastdoor.errors import StoreError
from blastdoor.store import migrations
from blastdoor.store.query import where_clause

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

    from blastdoor.audit.batch import Pending, SealedRow
    from blastdoor.audit.log import Query, Sealer
    from blastdoor.audit.verify import Row

_COLUMNS = "seq, time, body, leaf"  # the indexed columns are generated from the body
_STALE = "blastdoor: stale audit head"
# Appends go through a per-connection (TEMP) view whose trigger inserts the rows and moves the head, so a
# whole batch is one statement: no schema change, and the lock, the writes and the commit happen in one call.
# ``base`` and ``base_cp_time`` are the head the batch was sealed against; the last row carries the new head.
_APPEND_VIEW = (
    f"CREATE TEMP VIEW IF NOT EXISTS audit_append ({_COLUMNS}, base, base_cp_time, frontier, cp_mark, seal)"
    " AS SELECT " + ", ".join(["NULL"] * 9)
)
_APPEND_TRIGGER = f"""CREATE TEMP TRIGGER IF NOT EXISTS audit_append_row INSTEAD OF INSERT ON audit_append BEGIN
  SELECT RAISE(ABORT, '{_STALE}') WHERE NOT EXISTS (
    SELECT 1 FROM audit_head WHERE id = 1 AND size = NEW.base AND cp_time = NEW.base_cp_time);
  INSERT INTO audit_event ({_COLUMNS}) VALUES (NEW.seq, NEW.time, NEW.body, NEW.leaf);
  UPDATE audit_head SET size = NEW.seq + 1, frontier = NEW.frontier, last_time = NEW.time, cp_mark = NEW.cp_mark,
    seal = NEW.seal WHERE id = 1 AND NEW.frontier IS NOT NULL;
END"""
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
_CHUNK = 64  # most rows in one statement (larger batches take the locked path): few statements to cache
_INSERT = f"INSERT INTO audit_event ({_COLUMNS}) VALUES (?, ?, ?, ?)"
_insert_sqls: dict[int, str] = {}


def _insert_sql(n: int) -> str:
    sql = _insert_sqls.get(n)
    if sql is None:
        sql = _insert_sqls[n] = "INSERT INTO audit_append VALUES " + ", ".join([_ROW] * n)
    return sql


def _params(rows: list[SealedRow], base: Head, head: Head) -> list[object]:
    """The host parameters of ``rows`` sealed after ``base``, ending at ``head``: row after row."""
    out: list[object] = []
    tail = (base.size, base.cp_time, None, None, None)
    for row in rows:
        out.extend(row)
        out += tail
    out[-3] = frontier_pack(head.frontier)
    out[-2] = head.cp_mark
    out[-1] = head.seal
    return out


_HEAD = "SELECT size, frontier, last_time, cp_mark, cp_time, seal FROM audit_head WHERE id = 1"


class SqliteStore:
    """A ``LogStore`` over one SQLite database file."""

    # In this process: a read costs microseconds and never waits for a writer (WAL), so an event loop
    # may read in its own thread.
    embedded = True

    def __init__(self, path: str, *, timeout: float = 30.0) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._log_id = ""
        self._readers = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        # Guards ``_reader_conns`` only: a thread's first read must not wait for a commit under ``_lock``.
        self._readers_lock = threading.Lock()
        self._closed = False
        # The head as of our last append, while no other process is known to write: the next append seals
        # against it without reading it first (the insert's trigger refuses it if it went stale).
        self._known: Head | None = None
        self._contended = False
        self._view = False
        # Set by the ``AuditLog`` on this store: the head's seal, computed for every batch.
        self.sealer: Sealer | None = None
        try:
            if path != ":memory:":
                parent = os.path.dirname(os.path.abspath(path))
                os.makedirs(parent, mode=0o700, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
            _wal(self._db, timeout)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the audit store `{path}`: {exc}") from exc

    # -- schema -------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self._db
        if self._current() == migrations.latest(migrations.SQLITE):
            return  # the hot path: one read, no write lock
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(migrations.VERSION_TABLE)
            for component, version, steps in migrations.pending(migrations.SQLITE, self._current()):
                for sql in steps:
                    db.execute(sql)
                if component == "audit" and version == 1:
                    import secrets

                    db.execute("INSERT INTO audit_meta VALUES ('log_id', ?)", (secrets.token_hex(16),))
                db.execute(
                    "INSERT INTO schema_version VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = ?",
                    (component, version, version),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _current(self) -> dict[str, int]:
        try:
            return dict(self._db.execute("SELECT component, version FROM schema_version").fetchall())
        except sqlite3.OperationalError:
            return {}

    def versions(self) -> dict[str, int]:
        with self._lock:
            return self._current()

    # -- LogStore -------------------------------------------------------------------------------------

    def log_id(self) -> str:
        if not self._log_id:
            with self._lock:
                row = self._db.execute("SELECT value FROM audit_meta WHERE key = 'log_id'").fetchone()
            if row is None:
                raise StoreError("the audit store has no log id")
            self._log_id = str(row[0])
        return self._log_id

    def append(self, items: Sequence[Pending], clock: Callable[[], int]) -> Head:
        with self._lock:
            db = self._db
            try:
                known = self._known
                if known is not None and not self._contended and len(items) <= _CHUNK:
                    head = known.copy()
                    rows = seal_batch(head, items, clock())
                    if self._insert(db, rows, known, head):
                        return head
                return self._append_locked(db, items, clock)
            except sqlite3.Error as exc:
                raise self._failed(db, exc) from exc

    def append_sealed(self, rows: list[SealedRow], base: Head, head: Head) -> Head | None:
        """Commit ``rows``, sealed after ``base`` by the caller, leaving ``head``; None (nothing written)
        when ``base`` is not the head this store last wrote or another process wrote since."""
        with self._lock:
            known = self._known
            if known is None or known.size != base.size or known.cp_time != base.cp_time:
                return None
            db = self._db
            try:
                if not self._contended and len(rows) <= _CHUNK:
                    return head if self._insert(db, rows, base, head) else None
                db.execute("BEGIN IMMEDIATE")
                _, unchanged = self._stored_head(db)
                self._contended = not unchanged  # ``base`` is what this store last wrote: someone else wrote
                if not unchanged:
                    db.execute("ROLLBACK")
                    return None
                self._write(db, rows, head)
                return head
            except sqlite3.Error as exc:
                raise self._failed(db, exc) from exc

    def _insert(self, db: sqlite3.Connection, rows: list[SealedRow], base: Head, head: Head) -> bool:
        """The fast path: one statement, so one GIL release for the whole append. The trigger checks that
        ``base`` is still the stored head (else another process wrote: False, nothing written, and appends
        lock first until it goes quiet); autocommit makes it durable before the call returns."""
        if not self._view:  # on the second append of a connection: a hook's single append skips it
            db.execute(_APPEND_VIEW)
            db.execute(_APPEND_TRIGGER)
            self._view = True
        head.seal = self.sealer(head.size, head.frontier) if self.sealer is not None else b""
        try:
            db.execute(_insert_sql(len(rows)), _params(rows, base, head))
        except sqlite3.IntegrityError as exc:
            if _STALE not in str(exc):
                raise
            self._contended = True
            return False
        self._known = head
        return True

    def _stored_head(self, db: sqlite3.Connection) -> tuple[Head, bool]:
        """Inside ``BEGIN IMMEDIATE``: the stored head, and whether it is the one this store last wrote
        (then nobody else wrote since)."""
        stored = _head(db.execute(_HEAD).fetchone())
        known = self._known
        return stored, known is not None and known.size == stored.size and known.cp_time == stored.cp_time

    def _append_locked(self, db: sqlite3.Connection, items: Sequence[Pending], clock: Callable[[], int]) -> Head:
        db.execute("BEGIN IMMEDIATE")
        head, unchanged = self._stored_head(db)
        if unchanged:
            self._contended = False  # nobody else wrote since our last append
        self._write(db, seal_batch(head, items, clock()), head)
        return head

    def _write(self, db: sqlite3.Connection, rows: list[SealedRow], head: Head) -> None:
        """Inside ``BEGIN IMMEDIATE``: the rows, the head that follows them, the commit."""
        db.executemany(_INSERT, rows)
        head.seal = self.sealer(head.size, head.frontier) if self.sealer is not None else b""
        db.execute(
            "UPDATE audit_head SET size = ?, frontier = ?, last_time = ?, cp_mark = ?, seal = ? WHERE id = 1",
            (head.size, frontier_pack(head.frontier), head.last_time, head.cp_mark, head.seal),
        )
        db.execute("COMMIT")
        self._known = head

    def _failed(self, db: sqlite3.Connection, exc: sqlite3.Error) -> StoreError:
        self._known = None
        if db.in_transaction:
            db.execute("ROLLBACK")
        return StoreError(f"audit append failed: {exc}", hints=[f"store: {self.path}"])

    def head(self) -> Head:
        with self._lock:
            try:
                return _head(self._db.execute(_HEAD).fetchone())
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the audit head: {exc}") from exc

    def add_checkpoint(self, size: int, time: str, note: str) -> None:
        import time as _time

        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute(
                        "INSERT INTO audit_checkpoint VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING",
                        (size, time, note),
                    )
                    db.execute("UPDATE audit_head SET cp_time = ? WHERE id = 1", (_time.time(),))
                    db.execute("COMMIT")
                    self._known = None
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"cannot store a checkpoint: {exc}") from exc

    def checkpoints(self) -> list[tuple[int, str, str]]:
        with self._lock:
            try:
                rows = self._db.execute("SELECT size, time, note FROM audit_checkpoint ORDER BY size").fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read checkpoints: {exc}") from exc
        return [(int(s), str(t), str(n)) for s, t, n in rows]

    def rows(self, start: int = 0, stop: int | None = None, *, index: bool = False) -> Iterator[Row]:
        # A separate read connection: a long verify or export must not hold up writers (WAL readers
        # see a consistent snapshot while appends go on). Text comes back as bytes and each value's
        # storage class is read too: a body rewritten as TEXT (or undecodable) reaches verify as what it
        # is, at its own seq, instead of an error for the whole batch.
        try:
            reader = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            reader.text_factory = bytes
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the audit store: {exc}") from exc
        try:
            end = (1 << 62) if stop is None else stop
            cols = "seq, time, body, leaf, typeof(body) = 'blob', typeof(leaf) = 'blob'"
            if index:
                cols += ", kind, agent_id, tool, verdict, env, correlation_id"
            cur = reader.execute(
                f"SELECT {cols} FROM audit_event WHERE seq >= ? AND seq < ? ORDER BY seq", (start, end)
            )
            cur.arraysize = 4096
            while True:
                batch = cur.fetchmany()
                if not batch:
                    break
                if index:
                    for r in batch:
                        yield (r[0], r[1], *_checked(r[2], r[3], r[4], r[5]), tuple(_text(v) for v in r[6:]))
                    continue
                for seq, t, body, leaf, body_blob, leaf_blob in batch:
                    # The time stays bytes (verify compares bytes); anything but blobs is shown for what it is.
                    if body_blob and leaf_blob:
                        yield (seq, t, body, leaf, None)
                    else:
                        yield (seq, t, *_checked(body, leaf, body_blob, leaf_blob), None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the audit store: {exc}") from exc
        finally:
            reader.close()

    # -- interior hashes (``blastdoor.audit.tiles``) ------------------------------------------------------

    def leaf_range(self, start: int, stop: int) -> list[bytes]:
        rows = self._read_sql("SELECT leaf FROM audit_event WHERE seq >= ? AND seq < ? ORDER BY seq", (start, stop))
        return [bytes(r[0]) for r in rows]

    def subtree_range(self, level: int, lo: int, hi: int) -> list[bytes]:
        sql = "SELECT hash FROM audit_subtree WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"
        return [bytes(r[0]) for r in self._read_sql(sql, (level, lo, hi))]

    def subtree_count(self, level: int) -> int:
        rows = self._read_sql("SELECT coalesce(max(idx) + 1, 0) FROM audit_subtree WHERE level = ?", (level,))
        return int(rows[0][0])

    def add_subtrees(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        with self.write() as tx:
            for row in rows:
                tx.execute("INSERT INTO audit_subtree VALUES (?, ?, ?) ON CONFLICT DO NOTHING", row)

    def _read_sql(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the audit store: {exc}") from exc

    def derived_problems(self) -> list[str]:
        """What makes the indexed columns no longer derived from the body (empty: they cannot lie)."""
        with self._lock:
            try:
                cols = {r[1]: r[6] for r in self._db.execute("PRAGMA table_xinfo(audit_event)")}
                row = self._db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_event'")
                sql = " ".join(str((row.fetchone() or ("",))[0]).split())
            except sqlite3.Error as exc:
                return [f"cannot read the schema of audit_event: {exc}"]
        out = []
        for c in migrations.INDEXED:
            if cols.get(c) not in (2, 3) or f"{c} TEXT GENERATED ALWAYS AS ({migrations.sqlite_expr(c)})" not in sql:
                out.append(f"the indexed column `{c}` is no longer generated from the entry (schema changed)")
        return out

    def leaves(self, stop: int) -> list[bytes]:
        with self._lock:
            try:
                cur = self._db.execute("SELECT leaf FROM audit_event WHERE seq < ? ORDER BY seq", (stop,))
                return [r[0] for r in cur.fetchall()]
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read leaf hashes: {exc}") from exc

    def search(self, query: Query, *, newest_first: bool = True) -> list[tuple[int, str, bytes]]:
        where, params = where_clause(query)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT seq, time, body FROM audit_event {where} ORDER BY seq {order} LIMIT ?"
        with self._lock:
            try:
                rows = self._db.execute(sql, (*params, query.limit)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot search the audit log: {exc}") from exc
        return [(int(s), str(t), bytes(b)) for s, t, b in rows]

    # -- state (approvals, identity): plain SQL with ``?`` marks, shared by both dialects ---------------

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement, on this thread's own read connection.

        Not under the writer's lock: in WAL mode readers see the last commit without waiting, so a
        decision's revocation check never queues behind another decision's fsync.
        """
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store read failed: {exc}", hints=[f"store: {self.path}"]) from exc

    def _reader(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            return self._db  # one connection is the whole database
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            # Used by its own thread only; check_same_thread=False lets ``close`` close it from another.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            with self._readers_lock:
                if self._closed:
                    conn.close()
                    raise StoreError("the store is closed", hints=[f"store: {self.path}"])
                self._reader_conns.append(conn)
            self._readers.conn = conn
        return conn

    def write(self, *, durable: bool = True) -> SqliteTx:
        """A write transaction (``with store.write() as tx: tx.execute(...)``): all or nothing, durable.

        ``durable=False``: atomic and isolated all the same, but the commit does not wait for the disk
        (WAL, ``synchronous=NORMAL``): a power cut may lose it, never corrupt anything. For counters
        (``blastdoor.limits``), never for the audit log or approvals.
        """
        return SqliteTx(self, durable)

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            readers, self._reader_conns = self._reader_conns, []
        for conn in readers:
            conn.close()
        with self._lock:
            self._db.close()


class SqliteTx:
    """``BEGIN IMMEDIATE`` .. ``COMMIT`` under the store's lock; rolled back on any exception."""

    def __init__(self, store: SqliteStore, durable: bool = True) -> None:
        self._store = store
        self._durable = durable

    def __enter__(self) -> SqliteTx:
        self._store._lock.acquire()
        try:
            if not self._durable:
                self._store._db.execute("PRAGMA synchronous=NORMAL")
            self._store._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._restore()
            self._store._lock.release()
            raise StoreError(f"cannot start a store transaction: {exc}", hints=[f"store: {self._store.path}"]) from exc
        return self

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        try:
            return self._store._db.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed: {exc}", hints=[f"store: {self._store.path}"]) from exc

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._store._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store read failed: {exc}", hints=[f"store: {self._store.path}"]) from exc

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        db = self._store._db
        try:
            if exc_type is None:
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as err:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise StoreError(f"store commit failed: {err}", hints=[f"store: {self._store.path}"]) from err
            elif db.in_transaction:
                db.execute("ROLLBACK")
        finally:
            self._restore()
            self._store._lock.release()

    def _restore(self) -> None:
        if not self._durable:
            try:
                self._store._db.execute("PRAGMA synchronous=FULL")
            except sqlite3.Error:  # a connection that cannot take a pragma fails its next write anyway
                pass


def _checked(body: Any, leaf: Any, body_blob: int, leaf_blob: int) -> tuple[Any, Any]:
    """A body stored as anything but a blob reaches verify as that (decoded text), a non-blob leaf as b''."""
    if not body_blob:
        body = _text(body)
    return body, (leaf if leaf_blob else b"")


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL. On a brand-new file several processes may try at once, and this pragma does not
    wait on the busy timeout: retry "locked" until ``timeout`` rather than fail the first open."""
    import time

    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _head(row: tuple[int, bytes, str, int, float, bytes] | None) -> Head:
    if row is None:
        raise StoreError("the audit head row is missing")
    size, frontier, last_time, cp_mark, cp_time, seal = row
    try:
        return Head(
            int(size),
            frontier_unpack(bytes(frontier), int(size)),
            str(last_time),
            int(cp_mark),
            float(cp_time),
            bytes(seal) if isinstance(seal, (bytes, bytearray, memoryview)) else b"",
        )
    except (ValueError, TypeError) as exc:
        raise StoreError(f"the audit head is corrupt: {exc}") from exc
