"""Outcomes recorded off the call's path: a thread of its own appends them after the result went back.

The decision is appended (durably) before a call is forwarded: that is the fail-closed guarantee and
it stays on the call's path. The outcome only reports what already happened, so waiting for its fsync
would add a second durable write to every call for nothing. The writer thread takes them in order; on
close it drains what is queued. An outcome that cannot be written is reported on stderr (the call
already ran; its decision is in the log).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from typing import Any, Protocol

__all__ = ["OutcomeLog", "OutcomeWriter", "result_size"]


class OutcomeLog(Protocol):
    """What the writer needs of the audit log (``blastdoor.audit.log.AuditLog`` is one)."""

    def record_outcome(
        self,
        correlation_id: str,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int: ...


_STOP = object()


def result_size(result: Any) -> int:
    """Bytes of a result's compact JSON: how much the tool sent back to the model."""
    try:
        return len(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError):
        return -1


class OutcomeWriter:
    """Queue outcomes; a daemon thread appends them to the audit log in order."""

    def __init__(self, log: OutcomeLog) -> None:
        self._log = log
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
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
        self._queue.put((correlation_id, duration_ms, error, result, extra))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            cid, duration_ms, error, result, extra = item
            details: dict[str, Any] = dict(extra or {})
            if result is not None:
                details["result_bytes"] = result_size(result)
                if isinstance(result, dict) and result.get("isError") is True:
                    details["is_error"] = True
                    if error is None:
                        error = _first_text(result) or "the tool reported an error"
            try:
                self._log.record_outcome(cid, error=error, duration_ms=round(duration_ms, 3), extra=details)
            except Exception as exc:  # the call already ran: say so, keep going
                print(f"blastdoor mcp: the outcome of {cid} could not be recorded: {exc}", file=sys.stderr)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop."""
        self._queue.put(_STOP)
        self._thread.join(timeout)


def _first_text(result: dict[str, Any]) -> str:
    for block in result.get("content") or ():
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            text: str = block["text"]
            return text[:500]
    return ""
