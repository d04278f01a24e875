"""The fleet view of ``blastdoor inventory`` (see openapi.yaml and docs/INVENTORY.md).

``POST /v1/inventory``: a machine's report, sent by ``blastdoor inventory --submit URL`` with a person's
API token (any role: a machine's requester token may report); the server keeps the latest per host.
``GET /v1/inventory`` (approvers and admins): every host's latest report and the agents seen in the audit
log that no inventory lists. ``/inventory``: the same as a page of the web inbox. The rules live in
``blastdoor.inventory.reports``; this module only translates.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blastdoor.server import web
from blastdoor.server.api import ApiError, person_of, read_json, require_person, state_of

if TYPE_CHECKING:
    from starlette.requests import Request

    from blastdoor.approvals import Person
    from blastdoor.server.state import ServerState


def _fleet(state: ServerState) -> dict[str, Any]:
    from blastdoor.inventory.reports import InventoryReports, unseen_agents

    reports = InventoryReports(state.services.store).all()
    seen = [a.to_dict() for a in state.services.agents.all()]
    return {"reports": reports, "unseen_agents": unseen_agents(reports, seen)}


async def inventory_submit(request: Request) -> Response:
    from blastdoor.inventory.reports import InventoryReports, ReportError, normalise

    person = await person_of(request)
    if person is None:
        await require_person(request)  # raises the right 401
        raise ApiError(401, "no_token", "sign in")  # pragma: no cover (require_person raised)
    data = await read_json(request)
    try:
        report = normalise(data)
    except ReportError as exc:
        raise ApiError(400, "bad_input", str(exc)) from exc
    state = state_of(request)
    reports = InventoryReports(state.services.store)
    await run_in_threadpool(reports.put, report, by=person.name, now=time.time())
    state.publish(f"inventory {report['host']}")
    return JSONResponse({"host": report["host"], "agents": len(report["agents"]), "submitted_by": person.name})


async def inventory_list(request: Request) -> Response:
    await require_person(request)
    return JSONResponse(await run_in_threadpool(_fleet, state_of(request)))


@web.signed_in
async def inventory_page(request: Request, person: Person) -> Response:
    fleet = await run_in_threadpool(_fleet, state_of(request))
    rows = [
        {"host": r["host"], "received": r["received"], "submitted_by": r["submitted_by"], **a}
        for r in fleet["reports"]
        for a in sorted(r["agents"], key=lambda a: (a["tier"], a["id"]))
    ]
    return web._page("inventory.html", request, person, reports=fleet["reports"], rows=rows,
                     unseen=fleet["unseen_agents"])  # fmt: skip


ROUTES = [
    Route("/v1/inventory", inventory_submit, methods=["POST"]),
    Route("/v1/inventory", inventory_list, methods=["GET"]),
    Route("/inventory", inventory_page, methods=["GET"]),
]
