"""The agent registry and the kill switch.

Who was seen, and when, is read from the audit log itself (every decision names its agent), so the hot
path writes nothing extra: the registry is the log's agents plus one small table of revocations. The
revocation table is read on every decision (one indexed row), so a revoke in one process holds for the
very next decision in every process that shares the store.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager, nullcontext

from blastdoor.audit import events as ev
from blastdoor.errors import InputError

TYPE_CHECKING = False  # not typing's: the hook imports this module on every decision
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from blastdoor.approvals.requests import Approvals, EventLog, StateStore
    from blastdoor.identity.credentials import Credentials
    from blastdoor.identity.leases import Leases
    from blastdoor.identity.remember import RememberedReads

    JSON = Any

ACTIVE = "active"
REVOKED = "revoked"
_NO_SNAPSHOT: AbstractContextManager[None] = nullcontext()


class AgentRecord:
    """One agent as the registry knows it."""

    __slots__ = (
        "changed",
        "changed_by",
        "decisions",
        "first_seen",
        "harness",
        "host",
        "id",
        "last_seen",
        "operator",
        "reason",
        "status",
    )

    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.harness = ""
        self.operator = ""
        self.host = ""
        self.first_seen = ""
        self.last_seen = ""
        self.decisions = 0
        self.status = ACTIVE
        self.reason = ""
        self.changed_by = ""
        self.changed = ""

    def to_dict(self) -> dict[str, JSON]:
        return {k: getattr(self, k) for k in self.__slots__}


class Agents:
    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self._credentials: Credentials | None = None
        self._leases: Leases | None = None
        self._remembered: RememberedReads | None = None

    def remember(self) -> None:
        """Keep what decisions read of the identity tables until they change (a long-running server).

        See ``identity/remember.py``: a ``snapshot`` then reads one counter instead of the tables, and
        a change in any process that shares the store still holds for the next decision.
        """
        from blastdoor.identity.remember import RememberedReads

        if self._remembered is None:
            self._remembered = RememberedReads(self.store)
            self.store = self._remembered
            self._credentials = self._leases = None  # made again on the remembering store

    def snapshot(self) -> AbstractContextManager[None]:
        """The scope of one decision's identity reads (remembered ones only after ``remember``)."""
        if self._remembered is None:
            return _NO_SNAPSHOT
        return self._remembered.snapshot()

    @property
    def leases(self) -> Leases:
        """The agents' task leases on the same store (identity/leases.py), made on first use."""
        if self._leases is None:
            from blastdoor.identity.leases import Leases

            self._leases = Leases(self.store, self.log, clock=self.clock)
        return self._leases

    @property
    def credentials(self) -> Credentials:
        """The agents' credentials on the same store (identity/credentials.py), made on first use."""
        if self._credentials is None:
            from blastdoor.identity.credentials import Credentials

            self._credentials = Credentials(self.store, self.log, clock=self.clock)
        return self._credentials

    def status(self, agent_id: str) -> tuple[str, str, str]:
        """``(status, reason, changed_by)`` of ``agent_id``; active when never revoked."""
        rows = self.store.read("SELECT status, reason, changed_by FROM agent_status WHERE id = ?", (agent_id,))
        if not rows:
            return ACTIVE, "", ""
        status, reason, by = rows[0]
        return str(status), str(reason), str(by)

    def revoke(self, agent_id: str, *, by: str, reason: str = "", approvals: Approvals | None = None) -> list[str]:
        """Cut ``agent_id`` off now: its next action anywhere is denied. Cancels its open requests."""
        self._set(agent_id, REVOKED, by, reason)
        self.leases.revoke_agent(agent_id, by=by, reason=f"agent {agent_id} was revoked")
        if approvals is None:
            return []
        return approvals.cancel_agent(agent_id, by=by, reason=f"agent {agent_id} was revoked" + _by(by, reason))

    def restore(self, agent_id: str, *, by: str, reason: str = "") -> None:
        self._set(agent_id, ACTIVE, by, reason)

    def _set(self, agent_id: str, status: str, by: str, reason: str) -> None:
        if not agent_id:
            raise InputError("an agent id is required")
        kind = ev.AGENT_REVOKED if status == REVOKED else ev.AGENT_RESTORED
        self.log.append(ev.agent_event(kind, agent_id, by=by, reason=reason))
        now = self.clock()
        with self.store.write() as tx:
            changed = tx.execute(
                "UPDATE agent_status SET status = ?, reason = ?, changed_by = ?, changed = ? WHERE id = ?",
                (status, reason, by, now, agent_id),
            )
            if not changed:
                tx.execute(
                    "INSERT INTO agent_status (id, status, reason, changed_by, changed) VALUES (?, ?, ?, ?, ?)",
                    (agent_id, status, reason, by, now),
                )

    def all(self) -> list[AgentRecord]:
        """Every agent seen in the log or ever revoked, most recently seen first."""
        records: dict[str, AgentRecord] = {}
        seen = self.store.read(
            "SELECT agent_id, MIN(time), MAX(time), COUNT(*), MAX(seq) FROM audit_event"
            " WHERE kind = ? AND agent_id <> '' GROUP BY agent_id",
            (ev.DECISION,),
        )
        latest: dict[int, AgentRecord] = {}
        for agent_id, first, last, count, seq in seen:
            rec = records[agent_id] = AgentRecord(agent_id)
            rec.first_seen, rec.last_seen, rec.decisions = str(first), str(last), int(count)
            latest[int(seq)] = rec
        if latest:
            marks = ", ".join("?" * len(latest))
            for seq, body in self.store.read(
                f"SELECT seq, body FROM audit_event WHERE seq IN ({marks})", tuple(latest)
            ):
                agent = json.loads(bytes(body)).get("event", {}).get("agent", {})
                rec = latest[int(seq)]
                rec.harness = str(agent.get("harness", ""))
                rec.operator = str(agent.get("on_behalf_of", ""))
                rec.host = str(agent.get("host", ""))
        for agent_id, status, reason, by, changed in self.store.read(
            "SELECT id, status, reason, changed_by, changed FROM agent_status"
        ):
            rec = records.setdefault(agent_id, AgentRecord(agent_id))
            rec.status, rec.reason, rec.changed_by = str(status), str(reason), str(by)
            rec.changed = ev.format_time(int(float(changed) * 1e9))
        return sorted(records.values(), key=lambda r: (r.last_seen, r.id), reverse=True)

    def is_agent(self, name: str) -> bool:
        """True when ``name`` is an agent's id (seen in the log or ever revoked): agents never approve.

        Two indexed lookups, so a vote does not scan the whole log.
        """
        if self.store.read("SELECT 1 FROM agent_status WHERE id = ? LIMIT 1", (name,)):
            return True
        return bool(self.store.read("SELECT 1 FROM audit_event WHERE agent_id = ? LIMIT 1", (name,)))

    def among(self, name: str) -> set[str]:
        """``{name}`` when it is an agent's id, else empty: the ``agents`` argument of a vote."""
        return {name} if self.is_agent(name) else set()


def _by(by: str, reason: str) -> str:
    out = f" by {by}" if by else ""
    return out + (f": {reason}" if reason else "")
