"""``POST /v1/outcomes``: what happened when a call the server decided ran (see openapi.yaml, docs/SDK.md).

A remote Guard (``Guard.remote``) sends one per call it ran, under the correlation id it was decided
under, so that ``blastdoor audit`` links each call's decision and outcome as it does for local ones.
Only the requester the decision was made for may record its outcome, once, and only for a call that
was allowed to run (``allow``, or an ``ask`` its own user confirmed): anything else would let a caller
write a lie into someone else's record.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blastdoor.server.api import ApiError, read_json, state_of

if TYPE_CHECKING:
    from starlette.requests import Request

    from blastdoor.server.state import ServerState

MAX_ERROR = 4000  # characters of an error message kept
# Checking that no outcome is recorded yet and recording one is a single step per server.
_RECORDING = threading.Lock()


def _number(data: dict[str, Any], key: str, *, integer: bool) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise ApiError(400, "bad_input", f"`{key}` must be a{'n integer' if integer else ' number'}")
    number: float = value
    if not math.isfinite(number) or abs(number) > 2**53:  # what the log's canonical JSON holds exactly
        raise ApiError(400, "bad_input", f"`{key}` is out of range")
    return number


def record(state: ServerState, caller: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check the outcome against its decision and append it; the answer's JSON (raises ``ApiError``)."""
    from blastdoor.audit.events import requester_of
    from blastdoor.audit.log import Query

    cid = data.get("correlation_id")
    if not isinstance(cid, str) or not cid:
        raise ApiError(400, "bad_input", "`correlation_id` must be the decision's correlation id")
    code = _number(data, "exit_code", integer=True)
    exit_code = None if code is None else int(code)
    duration_ms = _number(data, "duration_ms", integer=False)
    error = data.get("error")
    if error is not None and not isinstance(error, str):
        raise ApiError(400, "bad_input", "`error` must be a string")
    log = state.services.log
    with _RECORDING:
        found = [entry["event"] for entry in log.search(Query(correlation_id=cid, limit=1000), newest_first=False)]
        found = [e for e in found if isinstance(e, dict)]
        decisions = [e for e in found if e.get("kind") == "decision"]
        if not decisions:
            raise ApiError(404, "unknown_decision", f"no decision was recorded under `{cid}`")
        decision = decisions[-1]
        if requester_of(decision) != caller:
            # The same answer whether the id is someone else's or was guessed: nothing about it is told.
            raise ApiError(403, "not_yours", f"the decision `{cid}` was not made for you")
        if decision.get("verdict") not in ("allow", "ask"):
            raise ApiError(409, "not_run", f"the decision `{cid}` was `{decision.get('verdict')}`: nothing ran")
        if any(e.get("kind") == "outcome" for e in found):
            raise ApiError(409, "outcome_recorded", f"the outcome of `{cid}` is recorded already")
        seq = log.record_outcome(
            cid, exit_code=exit_code, error=error[:MAX_ERROR] if error else None, duration_ms=duration_ms
        )
    return {"correlation_id": cid, "seq": seq}


async def outcomes_record(request: Request) -> Response:
    from blastdoor.server.auth import caller_of

    state = state_of(request)
    caller = await caller_of(state, request.scope)
    data = await read_json(request)
    return JSONResponse(await run_in_threadpool(record, state, caller.name, data), status_code=201)


ROUTES = [Route("/v1/outcomes", outcomes_record, methods=["POST"])]
