"""Denial memory: a denial is remembered by what it would have done, not by the command's text.

When an action is denied, each effect it would have had on each of its targets (reads aside) is
remembered for the agent's session. A later action in that session with the same effect on the same
target is denied again, whatever tool, script, MCP server or spelling asks: the classifier reduces
each route to the same (effect, target). A run of ``pause_after`` denials in one session pauses the
agent's session (anything but a plain read is denied) until a person resumes it. Pausing and resuming
are audit events.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from blastdoor.action.model import Action
    from blastdoor.approvals.requests import EventLog, StateStore

PAUSED = "paused"
ACTIVE = "active"
_QUIET = frozenset(("read",))


def facts(action: Action) -> set[tuple[str, str]]:
    """(effect, target) of every part: what the action would do, reads aside."""
    out: set[tuple[str, str]] = set()
    for part in action.parts or (action,):
        for effect in part.effects:
            if effect in _QUIET:
                continue
            for target in part.targets:
                out.add((effect, target))
    return out


class Memory:
    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    def remember(self, agent_id: str, session: str, action: Action, rule: str, pause_after: int) -> bool:
        """Record a denial; True when it pauses the session (the ``pause_after``-th)."""
        now = self.clock()
        paused = False
        with self.store.write() as tx:
            for effect, target in sorted(facts(action)):
                tx.execute(
                    "INSERT INTO denial_memory (agent_id, session, effect, target, rule, time)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (agent_id, session, effect, target, rule, now),
                )
            if not tx.execute(
                "UPDATE denial_pause SET denials = denials + 1, changed = ? WHERE agent_id = ? AND session = ?",
                (now, agent_id, session),
            ):
                tx.execute(
                    "INSERT INTO denial_pause (agent_id, session, denials, status, changed) VALUES (?, ?, 1, ?, ?)",
                    (agent_id, session, ACTIVE, now),
                )
            if pause_after:
                row = tx.query(
                    "SELECT denials, status FROM denial_pause WHERE agent_id = ? AND session = ?", (agent_id, session)
                )[0]
                if int(row[0]) >= pause_after and row[1] != PAUSED:
                    tx.execute(
                        "UPDATE denial_pause SET status = ? WHERE agent_id = ? AND session = ?",
                        (PAUSED, agent_id, session),
                    )
                    paused = True
        if paused:
            self.log.append(_event("agent.paused", agent_id, session, by="", reason=f"{pause_after} denials"))
        return paused

    def recall(self, agent_id: str, session: str, action: Action) -> tuple[str, str] | None:
        """``(why, rule)`` when the session is paused or the action repeats a denied (effect, target)."""
        rows = self.store.read(
            "SELECT status FROM denial_pause WHERE agent_id = ? AND session = ?", (agent_id, session)
        )
        if rows and rows[0][0] == PAUSED:
            return "paused", ""
        wanted = facts(action)
        if not wanted:
            return None
        remembered = self.store.read(
            "SELECT effect, target, rule FROM denial_memory WHERE agent_id = ? AND session = ?", (agent_id, session)
        )
        for effect, target, rule in remembered:
            if (str(effect), str(target)) in wanted:
                return f"{effect} on {target}", str(rule)
        return None

    def resume(self, agent_id: str, *, by: str, session: str | None = None, reason: str = "") -> list[str]:
        """Lift the pause of the agent's sessions (or one), forgetting their denial counts."""
        where, params = "agent_id = ? AND status = ?", [agent_id, PAUSED]
        if session is not None:
            where += " AND session = ?"
            params.append(session)
        sessions = [str(r[0]) for r in self.store.read(f"SELECT session FROM denial_pause WHERE {where}", params)]
        for s in sessions:
            self.log.append(_event("agent.resumed", agent_id, s, by=by, reason=reason))
        with self.store.write() as tx:
            for s in sessions:
                tx.execute(
                    "UPDATE denial_pause SET status = ?, denials = 0, changed = ? WHERE agent_id = ? AND session = ?",
                    (ACTIVE, self.clock(), agent_id, s),
                )
        return sessions


def _event(kind: str, agent_id: str, session: str, *, by: str, reason: str) -> dict[str, Any]:
    from blastdoor.audit.events import VERSION

    return {"v": VERSION, "kind": kind, "agent_id": agent_id, "session": session, "by": by, "reason": reason}
