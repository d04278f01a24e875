"""Outcomes and decisions in one commit: what the gateway hands the pipeline as its audit recorder.

The decision is appended (durably) before a call is forwarded: that is the fail-closed guarantee and
it stays on the call's path. The outcome only reports what already happened, and a durable commit of
its own per call would cost a second fsync, which also holds up the next decision (the store takes
one commit at a time). So outcomes wait in memory and go into the log in the same commit as the next
decision (``Recorder.record_decision``, one ``AuditLog.append_many``), ahead of it; when no call
follows within ``IDLE_S``, a thread of their own writes them; on close the rest is written. An outcome
that cannot be written is reported on stderr (the call already ran; its decision is in the log).

The stdio wire calls ``prepare_queued`` once a call's answer has gone out: the outcome is then redacted
and encoded (``AuditLog.prepare``) while the client reads the answer, not on the next call's path.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.action import Action, Agent, Decision
    from blastdoor.audit.batch import Pending
    from blastdoor.audit.log import AuditLog

    # [queued at (time.monotonic()), the outcome (``_outcome_event``'s arguments), its prepared event or None]
    Queued = list[Any]

__all__ = ["IDLE_S", "Recorder", "result_size"]

IDLE_S = 0.05  # seconds an outcome waits for the next decision before it is written on its own
# The correlation id a decision's prepared event is remembered under (``Recorder._prepare_decision``): no
# real one (``mcp-`` and hex) is equal to it, and, like them, it is written as it is in canonical JSON.
_STAND_IN = "mcp-stand-in-for-the-correlation-id"
_STAND_IN_JSON = b'"' + _STAND_IN.encode() + b'"'
_TEMPLATES = 1024  # remembered decision events (route x arguments x decision), then forgotten at once


def result_size(result: Any) -> int:
    """Bytes of a result's compact JSON: how much the tool sent back to the model."""
    try:
        return len(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError):
        return -1


class Recorder:
    """Records decisions (``DecisionRecorder``) and queues outcomes; thread-safe."""

    def __init__(self, log: AuditLog, *, idle: float = IDLE_S) -> None:
        self.log = log
        self._idle = idle
        self._queue: list[Queued] = []  # oldest first
        self._calls: dict[str, tuple[Agent, str]] = {}  # correlation id -> (agent, operation), for outcomes
        self._lock = threading.Lock()
        # a decision event without its correlation id (``marshal``) -> (its body before and after the id, index)
        self._templates: dict[bytes, tuple[bytes, bytes, tuple[str, ...]]] = {}
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blastdoor-outcomes", daemon=True)
        self._thread.start()

    def put(
        self,
        correlation_id: str,
        *,
        duration_ms: float,
        error: str | None = None,
        result: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Queue the outcome of the call decided under ``correlation_id``."""
        with self._lock:
            who = self._calls.pop(correlation_id, None)
            self._queue.append([time.monotonic(), (correlation_id, duration_ms, error, result, extra, who), None])

    def prepare_queued(self) -> None:
        """Redact and encode the queued outcomes now (``AuditLog.prepare``), off the next call's path. One
        that cannot be prepared is left as it is: the commit that takes it meets the same error, as before."""
        with self._lock:
            todo = [q for q in self._queue if q[2] is None]
        for q in todo:
            try:
                q[2] = self.log.prepare(_outcome_event(*q[1]))
            except Exception:  # reported by the commit that takes it (``record_decision``, ``_write``)
                continue

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int:
        """Append the decision, with the outcomes queued so far, in one durable commit; its sequence number."""
        from blastdoor.audit import events as ev

        log = self.log
        decision_event = ev.decision_event(action, decision, correlation_id=correlation_id)
        if len(self._calls) > 100_000:  # decisions whose outcome never came (a crash mid-call): forget them
            self._calls.clear()
        self._calls[correlation_id] = (action.agent, action.operation)
        taken = self._take()
        try:
            seqs = log.append_prepared([*self._prepared(taken), self._prepare_decision(decision_event)])
        except BaseException:
            self._give_back(taken)  # nothing was written: they go with the next commit
            raise
        return seqs[-1]

    def _prepare_decision(self, event: dict[str, Any]) -> Pending:
        """``log.prepare(event)``, remembered for the next decision event that differs only in its correlation id.

        An agent calls the same tool with the same arguments and gets the same decision over and over;
        the event then differs only in ``correlation_id``, a system field that redaction keeps as it is
        and that touches no other field, and that canonical JSON writes as it is (``mcp-`` and hex). So
        the prepared bytes are those of the first such event with the id swapped: exactly what preparing
        it again would give (tests/gateway/test_outcomes.py), without walking and encoding it again. The
        key is the rest of the event in ``marshal``'s format 2: it writes each builtin value with its exact
        type and reads back to it, so equal keys are equal events (``repr`` costs three times as much and
        is anyone's to define; newer formats write shared objects as references, so equal events differ).
        """
        import marshal

        from blastdoor.audit.batch import Pending

        cid = event.get("correlation_id")
        if not isinstance(cid, str) or not cid.isascii() or not cid.isprintable() or '"' in cid or "\\" in cid:
            return self.log.prepare(event)
        rest = {k: v for k, v in event.items() if k != "correlation_id"}
        try:
            key = marshal.dumps(rest, 2)
        except ValueError:  # a value of no builtin type: prepared the plain way
            return self.log.prepare(event)
        found = self._templates.get(key)
        if found is None:
            pending = self.log.prepare({**rest, "correlation_id": _STAND_IN})
            parts = pending.body.split(_STAND_IN_JSON)
            if len(parts) != 2:  # the stand-in is also elsewhere in the event: no template
                return self.log.prepare(event)
            if len(self._templates) >= _TEMPLATES:
                self._templates.clear()
            found = self._templates[key] = (parts[0], parts[1], pending.index)
        before, after, index = found
        body = b"".join((before, b'"', cid.encode("ascii"), b'"', after))
        columns = tuple(cid if v == _STAND_IN else v for v in index)
        return Pending(body, columns, False)  # type: ignore[arg-type]

    def _prepared(self, taken: list[Queued]) -> list[Pending]:
        """The prepared events of ``taken`` outcomes, preparing those that were not yet (kept for a retry)."""
        out = []
        for q in taken:
            if q[2] is None:
                q[2] = self.log.prepare(_outcome_event(*q[1]))
            out.append(q[2])
        return out

    def _take(self) -> list[Queued]:
        with self._lock:
            taken, self._queue = self._queue, []
        return taken

    def _give_back(self, taken: list[Queued]) -> None:
        with self._lock:
            self._queue[:0] = taken

    def _run(self) -> None:
        # It looks every half idle period rather than being woken by each put: a wake-up per call
        # would cost the call path more than the outcome it is about.
        while not self._closing.wait(self._idle / 2):
            with self._lock:
                stale = bool(self._queue) and self._queue[0][0] + self._idle <= time.monotonic()
            if stale:
                self._write(self._take())
        self._write(self._take())

    def _write(self, taken: list[Queued]) -> None:
        if not taken:
            return
        try:
            self.log.append_prepared(self._prepared(taken))
        except Exception as exc:  # the calls already ran: say so, keep going
            cids = ", ".join(str(q[1][0]) for q in taken)
            print(f"blastdoor mcp: outcomes of {cids} could not be recorded: {exc}", file=sys.stderr)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop."""
        self._closing.set()
        self._thread.join(timeout)


def _outcome_event(
    cid: str,
    duration_ms: float,
    error: str | None,
    result: Any,
    extra: dict[str, Any] | None,
    who: tuple[Agent, str] | None,
) -> dict[str, Any]:
    from blastdoor.audit import events as ev

    details: dict[str, Any] = dict(extra or {})
    if result is not None:
        details["result_bytes"] = result_size(result)
        if isinstance(result, dict) and result.get("isError") is True:
            details["is_error"] = True
            if error is None:
                error = _first_text(result) or "the tool reported an error"
    agent, operation = who if who is not None else (None, "")
    return ev.outcome_event(
        cid,
        error=error,
        duration_ms=round(duration_ms, 3),
        extra=details,
        agent=agent,
        tool="mcp",
        operation=operation,
    )


def _first_text(result: dict[str, Any]) -> str:
    for block in result.get("content") or ():
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            text: str = block["text"]
            return text[:500]
    return ""
