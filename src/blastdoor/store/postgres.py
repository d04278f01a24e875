"""The shared store: PostgreSQL through psycopg 3, for several gateways on one control plane.

Gapless and consistent with many writer processes: an append locks the single head row
(``SELECT ... FOR UPDATE``), seals its batch against that head, inserts the entries and moves the head
in the same transaction. Writers therefore queue on the row lock and each sees the head the previous
one committed; a crashed writer's transaction rolls back and leaves no gap. ``synchronous_commit=on``
makes the commit durable when it returns.

A handle that wrote last seals its next batch against the head it remembers and sends the batch as one
statement (``_APPEND``: move the head only if it is still that one, insert the rows from arrays, in
autocommit): one round trip and one commit instead of five statements. When another writer moved the
head in between, the statement changes nothing and the batch is redone on the locked path; a handle
that met another writer keeps locking first until it finds nobody wrote between two of its appends.

Several threads of one process append through the group commit, whose writer sends each batch on a
connection with ``synchronous_commit = off`` (``append_sealed_deferred``) and goes on to the next
while another thread waits for the WAL flush (``sync``); a batch's appends are acknowledged only after
that flush, so the fsync of one batch overlaps the writing of the next.

``?schema=NAME`` in the URL puts the tables in that schema (created when missing), so tests and
several logs can share one database.
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from blastdoor.audit.batch import Head, seal_batch
from blastdoor.audit.merkle import frontier_pack, frontier_unpack
from blastdoor.errors import StoreError
from blastdoor.store import migrations
from blastdoor.store.query import where_clause

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from blastdoor.audit.batch import Pending, SealedRow
    from blastdoor.audit.log import Query, Sealer
    from blastdoor.audit.verify import Row

# The indexed columns (kind, agent_id, ...) are generated from the body by the database.
_INSERT = "INSERT INTO audit_event (seq, time, body, leaf) VALUES (%s, %s, %s, %s)"
_HEAD = "SELECT size, frontier, last_time, cp_mark, cp_time, seal FROM audit_head WHERE id = 1"
# The one-statement batch: the head moves only if it is still the one the batch was sealed against
# (size: it only grows), and the rows go in only if it moved; one autocommit statement is one commit.
_APPEND = """WITH moved AS (
    UPDATE audit_head SET size = %s, frontier = %s, last_time = %s, cp_mark = %s, seal = %s
    WHERE id = 1 AND size = %s RETURNING cp_time
), ins AS (
    INSERT INTO audit_event (seq, time, body, leaf)
    SELECT s, t, b, l FROM unnest(%s::bigint[], %s::text[], %s::bytea[], %s::bytea[]) AS r(s, t, b, l)
    WHERE EXISTS (SELECT 1 FROM moved) RETURNING 1
) SELECT (SELECT cp_time FROM moved), (SELECT count(*) FROM ins)"""
# The locked path (several writers on one head row) commits without waiting for the WAL flush, so the
# head row's lock is held for the writes only, not for an fsync; then ``_flushed`` makes it durable before
# anyone is told. The lock being the bottleneck, this is what lets several servers share one database.
_QUICK = "; SET LOCAL synchronous_commit = off"


def _flushed(db: Any) -> None:
    """Return once everything this connection committed is durable: a transaction that takes an id has a
    commit record, and with ``synchronous_commit = on`` its commit waits for the WAL flush up to that record,
    which lies after every earlier commit of this connection (concurrent flushes of several connections
    share one fsync)."""
    db.execute("SELECT txid_current()")


_MIGRATION_LOCK = 0x62_6C_61_73_74  # "blast": one advisory lock id for schema changes
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def split_url(url: str) -> tuple[str, str]:
    """The connection URL without ``schema=``, and the schema (empty when not given)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), "")
    if schema and not _SCHEMA_NAME.match(schema):
        raise StoreError(f"bad schema name `{schema}` (lower-case letters, digits and _)")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


READERS = 4  # reading connections per store, opened as needed


class PostgresStore:
    """A ``LogStore`` on PostgreSQL."""

    embedded = False  # every read is a round trip to the server: never in an event loop's thread

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url, self.schema = split_url(url)
        self._lock = threading.Lock()
        self._log_id = ""
        # State reads (an agent's status on every decision) go to a few connections of their own, so
        # they never queue behind an append's commit on the writing connection.
        self._readers: list[Any] = []
        self._readers_made = 0
        self._readers_free = threading.Condition(threading.Lock())
        self._closed = False
        self.sealer: Sealer | None = None  # set by the ``AuditLog``: the head's seal for every batch
        self._known: Head | None = None  # the head as this handle's last append left it
        self._contended = True  # until an append finds that nobody else wrote since the one before
        self._deferred_db: Any = None  # ``append_sealed_deferred``'s connection, made on first use
        self._sync_db: Any = None  # ``sync``'s, behind a lock of its own: it flushes while the writer writes
        self._sync_lock = threading.Lock()
        try:
            self._db: Any = self._connect()  # its search_path names the schema, made here when new
            if self.schema:
                self._db.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            self._migrate()
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the audit store at {self._where()}: {exc}") from exc

    def _connect(self) -> Any:
        db = self._psycopg.connect(self.url, autocommit=True)
        db.execute("SET synchronous_commit = on")
        if self.schema:
            db.execute(f'SET search_path TO "{self.schema}"')
        return db

    def _where(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        return f"postgresql://{host}:{parts.port or 5432}{parts.path}" + (
            f" (schema {self.schema})" if self.schema else ""
        )

    def _migrate(self) -> None:
        db = self._db
        if self._current() == migrations.latest(migrations.POSTGRES):
            return
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute(migrations.VERSION_TABLE)
            for component, version, steps in migrations.pending(migrations.POSTGRES, self._current()):
                for sql in steps:
                    db.execute(sql)
                if component == "audit" and version == 1:
                    db.execute("INSERT INTO audit_meta VALUES ('log_id', %s)", (secrets.token_hex(16),))
                db.execute(
                    "INSERT INTO schema_version VALUES (%s, %s)"
                    " ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
                    (component, version),
                )

    def _current(self) -> dict[str, int]:
        row = self._db.execute("SELECT to_regclass('schema_version')").fetchone()
        if row is None or row[0] is None:
            return {}
        return {str(c): int(v) for c, v in self._db.execute("SELECT component, version FROM schema_version")}

    def versions(self) -> dict[str, int]:
        with self._lock:
            return self._current()

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"{what}: {exc}", hints=[f"store: {self._where()}"])

    # -- LogStore ---------------------------------------------------------------------------------------

    def log_id(self) -> str:
        if not self._log_id:
            with self._lock:
                try:
                    row = self._db.execute("SELECT value FROM audit_meta WHERE key = 'log_id'").fetchone()
                except self._psycopg.Error as exc:
                    raise self._fail("cannot read the log id", exc) from exc
            if row is None:
                raise StoreError("the audit store has no log id")
            self._log_id = str(row[0])
        return self._log_id

    def append(self, items: Sequence[Pending], clock: Callable[[], int]) -> Head:
        with self._lock:
            db = self._db
            try:
                known = self._known
                if known is not None and not self._contended:
                    head = known.copy()
                    if self._insert(db, seal_batch(head, items, clock()), known, head):
                        return head
                return self._append_locked(db, items, clock)
            except self._psycopg.Error as exc:
                self._known = None
                raise self._fail("audit append failed", exc) from exc

    def append_sealed(self, rows: list[SealedRow], base: Head, head: Head) -> Head | None:
        """Commit ``rows``, sealed after ``base`` by the caller, leaving ``head``; None (nothing written)
        when ``base`` is not the head this store last wrote or another writer moved the head since."""
        return self._append_sealed(rows, base, head, durable=True)

    def append_sealed_deferred(self, rows: list[SealedRow], base: Head, head: Head) -> Head | None:
        """``append_sealed`` committed without waiting for the WAL flush: durable only once ``sync``
        returns. The group commit's writer sends the next batch while the flush of this one runs."""
        return self._append_sealed(rows, base, head, durable=False)

    def sync(self) -> None:
        """Return once everything committed so far is durable (the WAL flushed past it): one small commit
        on a connection of its own, whose flush covers every earlier commit record (``_flushed``)."""
        with self._sync_lock:
            try:
                if self._sync_db is None:
                    self._sync_db = self._connect()
                _flushed(self._sync_db)
            except self._psycopg.Error as exc:
                self._sync_db = None
                raise self._fail("audit append failed: cannot flush the write-ahead log", exc) from exc

    def _append_sealed(self, rows: list[SealedRow], base: Head, head: Head, *, durable: bool) -> Head | None:
        with self._lock:
            known = self._known
            if known is None or known.size != base.size:
                return None
            db = self._db
            try:
                if not self._contended:
                    fast = db if durable else self._deferred()
                    return head if self._insert(fast, rows, base, head) else None
                with db.transaction(), db.cursor() as cur:
                    cur.execute(_HEAD + " FOR UPDATE" + _QUICK)
                    if _head(cur.fetchone()).size != base.size:
                        return None  # nothing was written; leaving the block ends the transaction
                    self._contended = False
                    self._write(cur, rows, head)
                if durable:
                    _flushed(db)
                self._known = head
                return head
            except self._psycopg.Error as exc:
                self._known = None
                if self._deferred_db is not None and self._deferred_db.broken:
                    self._deferred_db = None  # the next deferred append connects again
                raise self._fail("audit append failed", exc) from exc

    def _deferred(self) -> Any:
        """The connection for deferred appends: ``synchronous_commit = off``, so a commit returns once
        its record is in the WAL buffers; ``sync`` then flushes it. Used under ``_lock``."""
        if self._deferred_db is None:
            db = self._connect()
            db.execute("SET synchronous_commit = off")
            self._deferred_db = db
        return self._deferred_db

    def _insert(self, db: Any, rows: list[SealedRow], base: Head, head: Head) -> bool:
        """The fast path: one autocommit statement that moves the head only if it is still ``base`` and
        inserts the rows only if it moved. False (nothing written) when another writer moved it: appends
        then lock first until it goes quiet."""
        head.seal = self.sealer(head.size, head.frontier) if self.sealer is not None else b""
        cols = list(zip(*rows, strict=True))
        params = (
            head.size,
            frontier_pack(head.frontier),
            head.last_time,
            head.cp_mark,
            head.seal,
            base.size,
            *(list(c) for c in cols),
        )
        got = db.execute(_APPEND, params).fetchone()
        if got is not None and got[0] is not None and int(got[1]) == len(rows):
            head.cp_time = float(got[0])
            self._known = head
            return True
        self._contended = True
        return False

    def _append_locked(self, db: Any, items: Sequence[Pending], clock: Callable[[], int]) -> Head:
        with db.transaction(), db.cursor() as cur:
            cur.execute(_HEAD + " FOR UPDATE" + _QUICK)
            head = _head(cur.fetchone())
            known = self._known
            if known is not None and known.size == head.size:
                self._contended = False  # nobody else wrote since our last append
            self._write(cur, seal_batch(head, items, clock()), head)
        _flushed(db)
        self._known = head
        return head

    def _write(self, cur: Any, rows: list[SealedRow], head: Head) -> None:
        """Inside the transaction, the head row locked: the rows and the head that follows them."""
        cur.executemany(_INSERT, rows)
        head.seal = self.sealer(head.size, head.frontier) if self.sealer is not None else b""
        cur.execute(
            "UPDATE audit_head SET size = %s, frontier = %s, last_time = %s, cp_mark = %s, seal = %s WHERE id = 1",
            (head.size, frontier_pack(head.frontier), head.last_time, head.cp_mark, head.seal),
        )

    def head(self) -> Head:
        with self._lock:
            try:
                return _head(self._db.execute(_HEAD).fetchone())
            except self._psycopg.Error as exc:
                raise self._fail("cannot read the audit head", exc) from exc

    def add_checkpoint(self, size: int, time: str, note: str) -> None:
        import time as _time

        with self._lock:
            db = self._db
            try:
                with db.transaction():
                    db.execute(
                        "INSERT INTO audit_checkpoint VALUES (%s, %s, %s) ON CONFLICT (size) DO NOTHING",
                        (size, time, note),
                    )
                    db.execute("UPDATE audit_head SET cp_time = %s WHERE id = 1", (_time.time(),))
            except self._psycopg.Error as exc:
                raise self._fail("cannot store a checkpoint", exc) from exc

    def checkpoints(self) -> list[tuple[int, str, str]]:
        with self._lock:
            try:
                rows = self._db.execute("SELECT size, time, note FROM audit_checkpoint ORDER BY size").fetchall()
            except self._psycopg.Error as exc:
                raise self._fail("cannot read checkpoints", exc) from exc
        return [(int(s), str(t), str(n)) for s, t, n in rows]

    def rows(self, start: int = 0, stop: int | None = None, *, index: bool = False) -> Iterator[Row]:
        # Its own connection and a server-side cursor: a long verify streams without blocking writers.
        psycopg = self._psycopg
        end = (1 << 62) if stop is None else stop
        extra = ", kind, agent_id, tool, verdict, env, correlation_id" if index else ""
        try:
            with psycopg.connect(self.url) as conn:
                if self.schema:
                    conn.execute(f'SET search_path TO "{self.schema}"')
                with conn.cursor(name="blastdoor_rows") as cur:
                    cur.itersize = 5000
                    cur.execute(
                        f"SELECT seq, time, body, leaf{extra} FROM audit_event"
                        " WHERE seq >= %s AND seq < %s ORDER BY seq",
                        (start, end),
                    )
                    for r in cur:
                        yield (
                            int(r[0]),
                            str(r[1]),
                            bytes(r[2]),
                            bytes(r[3]),
                            tuple(r[4:]) if index else None,
                        )
        except psycopg.Error as exc:
            raise self._fail("cannot read the audit store", exc) from exc

    # -- interior hashes (``blastdoor.audit.tiles``) ------------------------------------------------------

    def leaf_range(self, start: int, stop: int) -> list[bytes]:
        rows = self._read_sql("SELECT leaf FROM audit_event WHERE seq >= %s AND seq < %s ORDER BY seq", (start, stop))
        return [bytes(r[0]) for r in rows]

    def subtree_range(self, level: int, lo: int, hi: int) -> list[bytes]:
        sql = "SELECT hash FROM audit_subtree WHERE level = %s AND idx >= %s AND idx < %s ORDER BY idx"
        return [bytes(r[0]) for r in self._read_sql(sql, (level, lo, hi))]

    def subtree_count(self, level: int) -> int:
        rows = self._read_sql("SELECT coalesce(max(idx) + 1, 0) FROM audit_subtree WHERE level = %s", (level,))
        return int(rows[0][0])

    def add_subtrees(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        with self._lock:
            try:
                with self._db.transaction(), self._db.cursor() as cur:
                    cur.executemany("INSERT INTO audit_subtree VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", rows)
            except self._psycopg.Error as exc:
                raise self._fail("cannot store interior hashes", exc) from exc

    def _read_sql(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return [tuple(r) for r in self._db.execute(sql, params).fetchall()]
            except self._psycopg.Error as exc:
                raise self._fail("cannot read the audit store", exc) from exc

    def derived_problems(self) -> list[str]:
        """What makes the indexed columns no longer derived from the body (empty: they cannot lie)."""
        with self._lock:
            try:
                cols = {
                    str(r[0]): (str(r[1]), str(r[2] or ""))
                    for r in self._db.execute(
                        "SELECT column_name, is_generated, generation_expression FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND table_name = 'audit_event'"
                    )
                }
                fn = self._db.execute(
                    "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE p.proname = 'audit_field' AND n.nspname = current_schema()"
                ).fetchall()
            except self._psycopg.Error as exc:
                return [f"cannot read the schema of audit_event: {exc}"]
        out = []
        if [str(r[0]) for r in fn] != [migrations.PG_FIELD_SOURCE]:
            out.append("the function audit_field that derives the indexed columns was replaced")
        for c in migrations.INDEXED:
            gen, expr = cols.get(c, ("", ""))
            if gen != "ALWAYS" or expr != f"audit_field(body, '{c}'::text)":
                out.append(f"the indexed column `{c}` is no longer generated from the entry (schema changed)")
        return out

    def leaves(self, stop: int) -> list[bytes]:
        with self._lock:
            try:
                cur = self._db.execute("SELECT leaf FROM audit_event WHERE seq < %s ORDER BY seq", (stop,))
                return [bytes(r[0]) for r in cur.fetchall()]
            except self._psycopg.Error as exc:
                raise self._fail("cannot read leaf hashes", exc) from exc

    def search(self, query: Query, *, newest_first: bool = True) -> list[tuple[int, str, bytes]]:
        where, params = where_clause(query, "%s")
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT seq, time, body FROM audit_event {where} ORDER BY seq {order} LIMIT %s"
        with self._lock:
            try:
                rows = self._db.execute(sql, (*params, query.limit)).fetchall()
            except self._psycopg.Error as exc:
                raise self._fail("cannot search the audit log", exc) from exc
        return [(int(s), str(t), bytes(b)) for s, t, b in rows]

    # -- state (approvals, identity): plain SQL with ``?`` marks, shared by both dialects ---------------

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement, on a reading connection (sees every commit so far)."""
        db = self._borrow_reader()
        try:
            rows = list(db.execute(marks(sql), params).fetchall())
        except self._psycopg.Error as exc:
            self._return_reader(db, broken=True)
            raise self._fail("store read failed", exc) from exc
        self._return_reader(db)
        return rows

    def _borrow_reader(self) -> Any:
        free = self._readers_free
        with free:
            while True:
                if self._closed:
                    raise StoreError("the store is closed")
                if self._readers:
                    return self._readers.pop()
                if self._readers_made < READERS:
                    self._readers_made += 1
                    break
                free.wait()
        try:
            return self._connect()
        except self._psycopg.Error as exc:
            with free:
                self._readers_made -= 1
                free.notify()
            raise self._fail("cannot open a reading connection", exc) from exc

    def _return_reader(self, db: Any, *, broken: bool = False) -> None:
        free = self._readers_free
        with free:
            if broken or self._closed or db.closed:
                self._readers_made -= 1
                db.close()
            else:
                self._readers.append(db)
            free.notify()

    def write(self, *, durable: bool = True) -> PostgresTx:
        """A write transaction (``with store.write() as tx: tx.execute(...)``): all or nothing, durable.

        ``durable=False``: ``synchronous_commit = off`` for this transaction only (atomic and isolated,
        its commit does not wait for the WAL flush). For counters (``blastdoor.limits``) only.
        """
        return PostgresTx(self, durable)

    def close(self) -> None:
        with self._readers_free:
            self._closed = True
            readers, self._readers = self._readers, []
            self._readers_free.notify_all()
        for db in readers:
            db.close()
        with self._lock:
            self._db.close()
            if self._deferred_db is not None:
                self._deferred_db.close()
        with self._sync_lock:
            if self._sync_db is not None:
                self._sync_db.close()


def marks(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (the state SQL is written once, for both dialects)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresTx:
    """One transaction on the store's connection, under its lock; rolled back on any exception."""

    def __init__(self, store: PostgresStore, durable: bool = True) -> None:
        self._store = store
        self._tx: Any = None
        self._durable = durable

    def __enter__(self) -> PostgresTx:
        self._store._lock.acquire()
        try:
            self._tx = self._store._db.transaction()
            self._tx.__enter__()
            if not self._durable:
                self._store._db.execute("SET LOCAL synchronous_commit = off")
        except self._store._psycopg.Error as exc:
            self._store._lock.release()
            raise self._store._fail("cannot start a store transaction", exc) from exc
        return self

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            cur = self._store._db.execute(marks(sql), params)
            return int(cur.rowcount)
        except self._store._psycopg.Error as exc:
            raise self._store._fail("store write failed", exc) from exc

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._store._db.execute(marks(sql), params).fetchall())
        except self._store._psycopg.Error as exc:
            raise self._store._fail("store read failed", exc) from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._tx.__exit__(exc_type, exc, tb)
        except self._store._psycopg.Error as err:
            raise self._store._fail("store commit failed", err) from err
        finally:
            self._store._lock.release()


def _head(row: tuple[Any, ...] | None) -> Head:
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
    except ValueError as exc:
        raise StoreError(f"the audit head is corrupt: {exc}") from exc
