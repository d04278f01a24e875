"""The JSON API for the change gate (see openapi.yaml): review requests, listed, shown, signed off.

Every endpoint needs a person's API token. Requests are filed by `blastdoor review RANGE --request`
(in CI, against the same store); people sign them off here, in the web inbox (``web_review.py``) or
with the CLI. The rules live in ``blastdoor.review.signoff``; this module only translates.
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
    from blastdoor.review.signoff import Review, SignOffs
    from blastdoor.server.state import ServerState

_STATUSES = ("pending", "approved", "rejected", "all")


def signoffs_of(state: ServerState) -> SignOffs:
    from blastdoor.review.signoff import SignOffs

    return SignOffs(state.services.store, state.services.log)


async def reviews_list(request: Request) -> Response:
    await require_person(request)
    status = request.query_params.get("status", "pending")
    if status not in _STATUSES:
        raise ApiError(400, "bad_input", f"`status` must be one of {', '.join(_STATUSES)}")
    limit = _limit(request)
    state = state_of(request)

    def find() -> list[dict[str, Any]]:
        found = signoffs_of(state).find(status="" if status == "all" else status, limit=limit)
        return [r.to_dict() for r in found]

    return JSONResponse({"reviews": await run_in_threadpool(find)})


async def reviews_show(request: Request) -> Response:
    await require_person(request)
    state = state_of(request)
    found = await run_in_threadpool(signoffs_of(state).get, request.path_params["review_id"])
    return JSONResponse(found.to_dict())


def sign(state: ServerState, review_id: str, person: Person, vote: str, comment: str) -> Review:
    """Approve or reject ``review_id`` as ``person`` (the web page uses this too)."""
    signoffs = signoffs_of(state)
    agents = state.services.agents.among(person.name)
    if vote == "approve":
        result = signoffs.approve(review_id, person, comment=comment, agents=agents)
    elif vote == "deny":
        result = signoffs.deny(review_id, person, comment=comment, agents=agents)
    else:
        raise ApiError(404, "not_found", f"no action `{vote}` (approve or deny)")
    state.publish(f"review {vote} {review_id}")
    return result


async def reviews_vote(request: Request) -> Response:
    person = await require_person(request)
    data = await read_json(request)
    comment = _text(data, "comment")
    state = state_of(request)
    result = await run_in_threadpool(
        sign, state, request.path_params["review_id"], person, request.path_params["vote"], comment
    )
    return JSONResponse(result.to_dict())


ROUTES = [
    Route("/v1/reviews", reviews_list, methods=["GET"]),
    Route("/v1/reviews/{review_id}", reviews_show, methods=["GET"]),
    Route("/v1/reviews/{review_id}/{vote}", reviews_vote, methods=["POST"]),
]
