"""The change gate's pages in the web inbox: review requests (``/changes``) and signing one off.

Same session, CSRF and error handling as the rest of the inbox (``web.py``); a sign-off goes through
``api_review.sign``, so a refusal (your own commit, not pending, voted already) is the API's own
message, shown on the page, and a vote the server would refuse is not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from blastdoor.errors import BlastdoorError
from blastdoor.server import api, api_review
from blastdoor.server.web import _csrf_ok, _csrf_refused, _page, _query, signed_in

if TYPE_CHECKING:
    from starlette.requests import Request

    from blastdoor.approvals import Person


@signed_in
async def changes(request: Request, person: Person) -> Response:
    state = api.state_of(request)
    found = await run_in_threadpool(lambda: api_review.signoffs_of(state).find(status="pending"))
    return _page("changes.html", request, person, reviews=found)


async def _change_page(
    request: Request, person: Person, *, status: int = 200, refused: str = "", message: str = ""
) -> Response:
    state = api.state_of(request)
    review_id = request.path_params["review_id"]

    def load() -> tuple[object, str]:
        signoffs = api_review.signoffs_of(state)
        review = signoffs.get(review_id)
        return review, signoffs.refusal(review, person, state.services.agents.among(person.name))

    review, no_vote = await run_in_threadpool(load)
    return _page(
        "change.html", request, person, status=status, r=review, no_vote=no_vote, refused=refused, message=message
    )


@signed_in
async def change(request: Request, person: Person) -> Response:
    voted = request.query_params.get("voted", "")
    message = {"approve": "Your sign-off is recorded.", "deny": "Your rejection is recorded."}.get(voted, "")
    return await _change_page(request, person, message=message)


@signed_in
async def change_vote(request: Request, person: Person) -> Response:
    form = await request.form()
    if not _csrf_ok(request, form):
        return _csrf_refused(request, person)
    review_id = request.path_params["review_id"]
    choice = request.path_params["vote"]
    comment = str(form.get("comment", ""))
    try:
        await run_in_threadpool(api_review.sign, api.state_of(request), review_id, person, choice, comment)
    except (BlastdoorError, api.ApiError) as exc:
        err = api.translate(exc)
        if err.status >= 500 or err.status == 404:
            raise
        return await _change_page(request, person, status=err.status, refused=err.message)
    return RedirectResponse(f"/changes/{review_id}?{_query(voted=choice)}", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/changes", changes, methods=["GET"]),
    Route("/changes/{review_id}", change, methods=["GET"]),
    Route("/changes/{review_id}/{vote:str}", change_vote, methods=["POST"]),
]
