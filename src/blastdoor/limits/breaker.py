"""Counting and tripping, in one transaction per limit so concurrent decisions count exactly.

Per (limit, agent) a ``limit_state`` row is locked first (an UPDATE: a row lock on PostgreSQL, the
write lock on SQLite); then, under that lock, a tripped limit answers at once, and otherwise the
actions counted in the sliding window are read. The action that would exceed ``max`` trips the limit
(it is not counted, and is refused); until a person resets it, every action that hits the limit gets
its verdict. Two processes deciding at once are serialised by the lock, so the n+1st is refused
whichever process sees it. A trip and a reset are audit events.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from blastdoor.approvals.requests import EventLog, StateStore
    from blastdoor.policy.limits import Limit

OK = "ok"
TRIPPED = "tripped"
LIMIT_TRIPPED = "limit.tripped"
LIMIT_RESET = "limit.reset"


class Trip:
    """A limit that refused an action: which, its verdict, and whether this action tripped it."""

    __slots__ = ("limit", "now_tripped")

    def __init__(self, limit: Limit, now_tripped: bool) -> None:
        self.limit = limit
        self.now_tripped = now_tripped

    def reason(self, agent_id: str) -> str:
        lim = self.limit
        head = "tripped now" if self.now_tripped else "tripped"
        why = f": {lim.reason}" if lim.reason else ""
        return (
            f"circuit breaker {lim.id} {head}: more than {lim.max} in {lim.window} s for {agent_id}{why};"
            f" a person resets it: `blastdoor limits reset --agent {agent_id} --limit {lim.id}`"
        )


def _write(store: Any, *, durable: bool) -> Any:
    """``store.write(durable=...)`` where the store offers it (SQLite, PostgreSQL), else a durable one."""
    try:
        return store.write(durable=durable)
    except TypeError:
        return store.write()


class Breaker:
    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    def check(self, agent_id: str, limits: Sequence[Limit], *, correlation_id: str = "") -> Trip | None:
        """Count the action against each limit; the first limit that refuses it, or None (counted)."""
        counted: list[Limit] = []
        for lim in limits:
            trip = self._count(agent_id, lim)
            if trip is not None:
                if counted:  # the action does not run: take back what it was counted for
                    self._uncount(agent_id, counted)
                if trip.now_tripped:
                    self.log.append(self._event(LIMIT_TRIPPED, lim.id, agent_id, by="", correlation_id=correlation_id))
                return trip
            counted.append(lim)
        return None

    def _count(self, agent_id: str, lim: Limit) -> Trip | None:
        now = self.clock()
        # Counters need not wait for the disk (a power cut may lose the last counts, nothing else): the
        # commit costs no flush, so limits stay cheap next to the audit append (bench/decide.py).
        with _write(self.store, durable=False) as tx:
            if not tx.execute(
                "UPDATE limit_state SET touched = ? WHERE limit_id = ? AND agent_id = ?", (now, lim.id, agent_id)
            ):
                tx.execute(
                    "INSERT INTO limit_state (limit_id, agent_id, status, tripped, touched) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (limit_id, agent_id) DO NOTHING",
                    (lim.id, agent_id, OK, 0.0, now),
                )
                tx.execute(
                    "UPDATE limit_state SET touched = ? WHERE limit_id = ? AND agent_id = ?", (now, lim.id, agent_id)
                )
            status = tx.query("SELECT status FROM limit_state WHERE limit_id = ? AND agent_id = ?", (lim.id, agent_id))[
                0
            ][0]
            if status == TRIPPED:
                return Trip(lim, False)
            count = int(
                tx.query(
                    "SELECT COUNT(*) FROM limit_event WHERE limit_id = ? AND agent_id = ? AND time > ?",
                    (lim.id, agent_id, now - lim.window),
                )[0][0]
            )
            if count + 1 > lim.max:
                tx.execute(
                    "UPDATE limit_state SET status = ?, tripped = ? WHERE limit_id = ? AND agent_id = ?",
                    (TRIPPED, now, lim.id, agent_id),
                )
                return Trip(lim, True)
            tx.execute("INSERT INTO limit_event (limit_id, agent_id, time) VALUES (?, ?, ?)", (lim.id, agent_id, now))
            # Old entries go as new ones come: the table holds about one window per (limit, agent).
            tx.execute(
                "DELETE FROM limit_event WHERE limit_id = ? AND agent_id = ? AND time <= ?",
                (lim.id, agent_id, now - lim.window),
            )
        return None

    def _uncount(self, agent_id: str, limits: Sequence[Limit]) -> None:
        with _write(self.store, durable=False) as tx:
            for lim in limits:
                rows = tx.query(
                    "SELECT MAX(time) FROM limit_event WHERE limit_id = ? AND agent_id = ?", (lim.id, agent_id)
                )
                if rows and rows[0][0] is not None:
                    tx.execute(
                        "DELETE FROM limit_event WHERE limit_id = ? AND agent_id = ? AND time = ?",
                        (lim.id, agent_id, rows[0][0]),
                    )

    def reset(self, agent_id: str, *, by: str, limit_id: str = "", reason: str = "") -> list[str]:
        """Restore service: the agent's tripped limits (or one) are cleared and their windows emptied."""
        where, params = "agent_id = ?", [agent_id]
        if limit_id:
            where += " AND limit_id = ?"
            params.append(limit_id)
        rows = self.store.read(f"SELECT limit_id FROM limit_state WHERE {where} AND status = ?", (*params, TRIPPED))
        ids = [str(r[0]) for r in rows]
        for lid in ids:
            self.log.append(self._event(LIMIT_RESET, lid, agent_id, by=by, reason=reason))
        with self.store.write() as tx:
            for lid in ids:
                tx.execute(
                    "UPDATE limit_state SET status = ?, tripped = ? WHERE limit_id = ? AND agent_id = ?",
                    (OK, 0.0, lid, agent_id),
                )
                tx.execute("DELETE FROM limit_event WHERE limit_id = ? AND agent_id = ?", (lid, agent_id))
        return ids

    def state(self, *, agent_id: str = "") -> list[dict[str, Any]]:
        from blastdoor.audit.events import format_time

        where, params = ("WHERE agent_id = ?", (agent_id,)) if agent_id else ("", ())
        rows = self.store.read(
            f"SELECT limit_id, agent_id, status, tripped FROM limit_state {where} ORDER BY agent_id, limit_id", params
        )
        out = []
        for lid, agent, status, tripped in rows:
            counted = self.store.read(
                "SELECT COUNT(*) FROM limit_event WHERE limit_id = ? AND agent_id = ?", (lid, agent)
            )[0][0]
            out.append(
                {
                    "limit": str(lid),
                    "agent_id": str(agent),
                    "status": str(status),
                    "tripped": format_time(int(float(tripped) * 1e9)) if float(tripped) else "",
                    "counted": int(counted),
                }
            )
        return out

    def _event(
        self, kind: str, limit_id: str, agent_id: str, *, by: str, reason: str = "", correlation_id: str = ""
    ) -> dict[str, Any]:
        from blastdoor.audit.events import VERSION

        return {
            "v": VERSION,
            "kind": kind,
            "agent_id": agent_id,
            "limit": limit_id,
            "by": by,
            "reason": reason,
            "correlation_id": correlation_id,
        }
