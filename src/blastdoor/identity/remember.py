"""Identity reads remembered between changes: a server's decision reads one row, not four.

Every decision reads the agent's kill-switch status, whether its claimed id is enrolled, its
credential's row and its open leases. On the server those indexed reads are the event loop's only
blocking calls, and each one lets another thread (the audit writer, a preview) take the GIL for up to
the interpreter's switch interval (5 ms) before the loop gets it back: measured at 8 concurrent
clients, the reads' p99 was that interval and their mean eight times their median.

Triggers on the three tables (``store/migrations.py``, ``identity_epoch``) bump one counter in
whichever process changes them: the CLI's ``blastdoor agents revoke``, another server on the same
PostgreSQL store, this server's API. A ``snapshot`` reads that counter once and, while it has not
moved, answers the identity tables' reads from what an earlier snapshot read, so a revoke anywhere
still holds for the very next decision. Outside a snapshot (a hook process, the CLI) every read goes to
the store, as it always did. Only statements that read the three tables alone are remembered; a
write through this store forgets everything for the rest of the snapshot.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from blastdoor.approvals.requests import StateStore, Tx

__all__ = ["EPOCH_TABLES", "RememberedReads"]

EPOCH_TABLES = frozenset(("agent_status", "agent_credential", "agent_lease"))
_READ_EPOCH = "SELECT n FROM identity_epoch WHERE id = 1"
_TABLE = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_MAX_ROWS = 4096  # remembered statements per epoch: agents x statements, bounded all the same


class RememberedReads:
    """A ``StateStore`` whose reads of the identity tables are remembered within snapshots."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._epoch: Any = None
        self._rows: dict[tuple[str, tuple[object, ...]], list[tuple[Any, ...]]] = {}
        self._local = threading.local()
        self._kinds: dict[str, bool] = {}  # statement -> whether it reads the identity tables only

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Within: reads of the identity tables come from memory while ``identity_epoch`` is unchanged.

        Reentrant. A store without the counter (not migrated yet) or one that cannot be read leaves every
        read to the store: the callers' own error handling decides, as without a snapshot.
        """
        if getattr(self._local, "rows", None) is not None:
            yield
            return
        try:
            found = self.store.read(_READ_EPOCH)
        except Exception:
            found = []
        if not found:
            yield
            return
        epoch = found[0][0]
        with self._lock:
            if epoch != self._epoch or len(self._rows) >= _MAX_ROWS:
                # A new dict, not a cleared one: a snapshot still open on another thread keeps filling
                # the old one, whose rows may be from before this change.
                self._epoch, self._rows = epoch, {}
            rows = self._rows
        self._local.rows = rows
        try:
            yield
        finally:
            self._local.rows = None

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        rows = getattr(self._local, "rows", None)
        if rows is None or not self._identity_only(sql):
            return self.store.read(sql, params)
        key = (sql, tuple(params))
        hit = rows.get(key)
        if hit is None:
            hit = rows[key] = self.store.read(sql, params)
        return list(hit)

    def write(self, *args: Any, **kwargs: Any) -> Tx:
        # This thread's snapshot ends here: what it read may be what this write changes. The trigger
        # moves the counter, so the next snapshot in any thread starts afresh.
        self._local.rows = None
        with self._lock:
            self._epoch, self._rows = None, {}
        return self.store.write(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # everything else is the store's
        return getattr(self.store, name)

    def _identity_only(self, sql: str) -> bool:
        kind = self._kinds.get(sql)
        if kind is None:
            tables = {t.lower() for t in _TABLE.findall(sql)}
            kind = bool(tables) and tables <= EPOCH_TABLES
            if len(self._kinds) < 1024:
                self._kinds[sql] = kind
        return kind
