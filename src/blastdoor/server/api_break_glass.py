"""The JSON API for break-glass (see openapi.yaml): list, show, request, approve, deny.

Every endpoint needs a person's API token, like approvals. A request names the denied decision by its
audit sequence number or correlation id; the policy is the server's for the action's directory. The
rules live in ``blastdoor.breakglass`` and ``approvals/break_glass.py``; this module only translates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blastdoor.server.api import ApiError, _limit, _text, read_json, require_person, state_of

if TYPE_CHECKING:
    from starlette.requests import Request

    from blastdoor.approvals import Person
    from blastdoor.approvals.break_glass import Glass
    from blastdoor.server.state import ServerState

_UNITS = {"s": 1, "m": 60, "h": 3600}


async def break_glass_list(request: Request) -> Response:
    await require_person(request)
    state = state_of(request)
    status = request.query_params.get("status", "open")
    limit = _limit(request)

    def find() -> list[dict[str, Any]]:
        glass = state.services.break_glass
        glass.expire_due()
        if status == "open":
            found = [g for s in ("pending", "granted") for g in glass.find(status=s, limit=limit)]
        else:
            found = glass.find(status="" if status == "all" else status, limit=limit)
        return [g.to_dict() for g in found]

    return JSONResponse({"break_glass": await run_in_threadpool(find)})


async def break_glass_show(request: Request) -> Response:
    await require_person(request)
    glass_id = request.path_params["glass_id"]
    found = await run_in_threadpool(state_of(request).services.break_glass.get, glass_id)
    return JSONResponse(found.to_dict())


async def break_glass_request(request: Request) -> Response:
    person = await require_person(request)
    data = await read_json(request)
    seq = data.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63):
        raise ApiError(400, "bad_input", "`seq` must be an audit sequence number")
    correlation_id = _text(data, "correlation_id")
    if seq is None and not correlation_id:
        raise ApiError(400, "bad_input", "name the denied decision: `seq` or `correlation_id`")
    reason = _text(data, "reason")
    ttl = _ttl(data.get("ttl"))
    state = state_of(request)
    glass = await run_in_threadpool(file_for, state, person, seq, correlation_id, reason, ttl)
    return JSONResponse(glass.to_dict(), status_code=201)


def file_for(
    state: ServerState, person: Person, seq: int | None, correlation_id: str, reason: str, ttl: int | None
) -> Glass:
    from blastdoor.breakglass import action_of, denied_entry, request_break_glass

    services = state.services
    entry = denied_entry(services.log, seq=seq, correlation_id=correlation_id)
    policy = state.policy_for(action_of(entry).cwd)
    glass = request_break_glass(services, policy, entry, person, reason, ttl=ttl)
    state.publish(f"break-glass {glass.id}")
    return glass


async def break_glass_vote(request: Request) -> Response:
    person = await require_person(request)
    data = await read_json(request)
    comment = _text(data, "comment")
    glass_id = request.path_params["glass_id"]
    vote = request.path_params["vote"]
    state = state_of(request)

    def cast() -> Glass:
        glass = state.services.break_glass
        agents = state.services.agents.among(person.name)
        if vote == "approve":
            result = glass.approve(glass_id, person, comment=comment, agents=agents)
        elif vote == "deny":
            result = glass.deny(glass_id, person, comment=comment, agents=agents)
        else:
            raise ApiError(404, "not_found", f"no action `{vote}` (approve or deny)")
        state.publish(f"break-glass {vote} {glass_id}")
        return result

    return JSONResponse((await run_in_threadpool(cast)).to_dict())


def _ttl(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value[:-1].isdigit() and value[-1:] in _UNITS:
        return int(value[:-1]) * _UNITS[value[-1]]
    raise ApiError(400, "bad_input", "`ttl` must be seconds or a duration like 10m")


ROUTES = [
    Route("/v1/break-glass", break_glass_list, methods=["GET"]),
    Route("/v1/break-glass", break_glass_request, methods=["POST"]),
    Route("/v1/break-glass/{glass_id}", break_glass_show, methods=["GET"]),
    Route("/v1/break-glass/{glass_id}/{vote}", break_glass_vote, methods=["POST"]),
]
