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
_STAND_IN_MS = 0.123456789  # and the duration an outcome's is remembered under (written as its repr)
_STAND_IN_MS_TEXT = repr(_STAND_IN_MS).encode()
_TEMPLATES = 1024  # remembered events (route x arguments x decision or result), then forgotten at once


def _verbatim(number: float) -> bool:
    """Whether canonical JSON writes ``number`` as its ``repr`` (see ``blastdoor.audit.fastjson``)."""
    return type(number) is float and 1e-4 <= abs(number) < 1e16 and not number.is_integer()


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
        # an event without its correlation id (and duration), in ``marshal`` -> (its body cut where they go, index)
        self._templates: dict[bytes, tuple[tuple[bytes, ...], tuple[str, ...]]] = {}
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
                q[2] = self._prepare_outcome(q[1])
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
        """``log.prepare(event)`` of a decision event, from a template when an earlier one differed only
        in its correlation id (``_prepare_like``)."""
        return self._prepare_like(event, None)

    def _prepare_outcome(self, outcome: tuple[Any, ...]) -> Pending:
        """``log.prepare`` of an outcome's event, from a template when an earlier one differed only in its
        correlation id and its duration (``_prepare_like``)."""
        event = _outcome_event(*outcome)
        duration = outcome[1]
        return self._prepare_like(event, round(duration, 3) if type(duration) is float else None)

    def _prepare_like(self, event: dict[str, Any], duration: float | None) -> Pending:
        """``log.prepare(event)``, remembered for the next event that differs only in its correlation id
        (and, given ``duration``, in ``outcome.duration_ms``).

        An agent calls the same tool with the same arguments and gets the same decision over and over;
        the events then differ only in ``correlation_id`` (a system field that redaction keeps as it is and
        that touches no other field, written as it is in canonical JSON: ``mcp-`` and hex) and, for
        outcomes, the duration (a non-integral float in [1e-4, 1e16): canonical JSON writes its ``repr``,
        see ``audit/fastjson.py``). So the prepared bytes are those of the first such event with these
        swapped in: exactly what preparing it again would give (tests/gateway/test_outcomes.py), without
        walking and encoding it again. The key is the rest of the event in ``marshal``'s format 2, which
        writes each builtin value with its exact type and reads back to it, so equal keys are equal
        events (``repr`` costs three times as much and is anyone's to define; newer formats write shared
        objects as references, so equal events differ). Anything else is prepared the plain way.
        """
        import marshal

        from blastdoor.audit.batch import Pending

        cid = event.get("correlation_id")
        if not isinstance(cid, str) or not cid.isascii() or not cid.isprintable() or '"' in cid or "\\" in cid:
            return self.log.prepare(event)
        rest = {**event, "correlation_id": None}
        outcome = event.get("outcome")
        if duration is not None:
            if not (isinstance(outcome, dict) and outcome.get("duration_ms") == duration and _verbatim(duration)):
                return self.log.prepare(event)
            rest["outcome"] = {**outcome, "duration_ms": None}
        try:
            key = marshal.dumps(rest, 2)
        except ValueError:  # a value of no builtin type
            return self.log.prepare(event)
        found = self._templates.get(key)
        if found is None:
            found = self._template(rest, outcome, duration is not None)
            if found is None:
                return self.log.prepare(event)
            if len(self._templates) >= _TEMPLATES:
                self._templates.clear()
            self._templates[key] = found
        chunks, index = found
        swapped = [chunks[0], b'"', cid.encode("ascii"), b'"', chunks[1]]
        if duration is not None:
            swapped += [repr(duration).encode("ascii"), chunks[2]]
        columns = tuple(cid if v == _STAND_IN else v for v in index)
        return Pending(b"".join(swapped), columns, False)  # type: ignore[arg-type]

    def _template(
        self, rest: dict[str, Any], outcome: Any, timed: bool
    ) -> tuple[tuple[bytes, ...], tuple[str, ...]] | None:
        """The prepared bytes of ``rest`` with the stand-ins in, cut where they go; None when a stand-in
        is also elsewhere in the event."""
        stand_in = {**rest, "correlation_id": _STAND_IN}
        if timed:
            stand_in["outcome"] = {**outcome, "duration_ms": _STAND_IN_MS}
        pending = self.log.prepare(stand_in)
        before, *after = pending.body.split(_STAND_IN_JSON)
        if len(after) != 1:
            return None
        if not timed:
            return (before, after[0]), pending.index
        middle, *end = after[0].split(_STAND_IN_MS_TEXT)
        if len(end) != 1:
            return None
        return (before, middle, end[0]), pending.index

    def _prepared(self, taken: list[Queued]) -> list[Pending]:
        """The prepared events of ``taken`` outcomes, preparing those that were not yet (kept for a retry)."""
        out = []
        for q in taken:
            if q[2] is None:
                q[2] = self._prepare_outcome(q[1])
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
