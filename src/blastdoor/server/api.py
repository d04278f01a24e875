"""The JSON API: decide, hooks, approvals, agents, audit, health and metrics (see openapi.yaml).

Who asks is established, never asserted (``auth.py``): decisions and hooks take the requester from the
unix socket's peer (its OS user) or, over TCP, from a person's API token. Reading approvals, agents
and the audit log, and acting on them, needs the API token of an approver or admin:
``Authorization: Bearer <token>`` (or the web inbox's session cookie).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from blastdoor import errors

if TYPE_CHECKING:
    from blastdoor.approvals import Person
    from blastdoor.server.auth import Caller
    from blastdoor.server.state import ServerState

SESSION_COOKIE = "blastdoor_session"
MAX_BODY = 4 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status)


def state_of(request: Request) -> ServerState:
    return request.app.state.blastdoor  # type: ignore[no-any-return]


def bearer_of(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def token_of(request: Request) -> str:
    """The request's credential: the bearer token, else the web session (what CSRF tokens bind to)."""
    return bearer_of(request) or request.cookies.get(SESSION_COOKIE, "")


async def person_of(request: Request) -> Person | None:
    state = state_of(request)
    people = state.services.people
    bearer = bearer_of(request)
    if bearer:
        return await run_in_threadpool(people.authenticate, bearer)
    session = request.cookies.get(SESSION_COOKIE, "")
    if not session:
        return None
    return await run_in_threadpool(people.open_session, session, state.secret)


# Roles that read and act on approvals, agents and the log; a ``requester`` may only ask for decisions.
STAFF = ("admin", "approver")


async def require_person(request: Request) -> Person:
    person = await person_of(request)
    if person is None:
        if token_of(request):
            raise ApiError(401, "bad_token", "the API token is not valid (unknown, reissued or removed)")
        raise ApiError(401, "no_token", "sign in: send `Authorization: Bearer <API token>`")
    if person.role not in STAFF:
        raise ApiError(403, "role", f"{person.name} ({person.role}) may only ask for decisions")
    return person


# The one table from an error's kind to the HTTP answer: (status, code). The nearest listed base
# class answers; an error that carries its own ``code`` (ApprovalRefused: self, role, closed, ...)
# keeps it. Nothing here reads a message's wording.
ERROR_STATUS: dict[type[errors.BlastdoorError], tuple[int, str]] = {
    errors.NotFound: (404, "not_found"),
    errors.Conflict: (409, "conflict"),
    errors.Forbidden: (403, "forbidden"),
    errors.Refused: (403, "refused"),
    errors.InputError: (400, "bad_input"),
    errors.UsageError: (400, "bad_input"),
    errors.StoreError: (503, "store_unavailable"),
    errors.Unavailable: (503, "unavailable"),
    errors.BlastdoorError: (500, "error"),  # PolicyError too: the server's own policy is broken
}


def translate(exc: Exception) -> ApiError:
    """blastdoor's errors as HTTP answers, by kind (``ERROR_STATUS``); anything else is a 500."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, errors.BlastdoorError):
        for kind in type(exc).__mro__:
            found = ERROR_STATUS.get(kind)
            if found is not None:
                status, code = found
                own = getattr(exc, "code", None)
                return ApiError(status, own if isinstance(own, str) and own else code, exc.message)
    return ApiError(500, "internal", f"internal error: {type(exc).__name__}")


async def read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
    return parse_object(body)


def parse_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object (an empty body is ``{}``)."""
    if not body:
        return {}
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return value


def _text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ApiError(400, "bad_input", f"`{key}` must be a string")
    return value


# -- deciding -------------------------------------------------------------------------------------------


async def decide(request: Request) -> Response:
    """An Action in, a Decision out (recorded in the audit log before the answer is sent).

    The server answers ``POST /v1/decide`` through ``decide_asgi``; this route serves the same for an
    app mounted elsewhere (tests) and documents the endpoint beside the others.
    """
    from blastdoor.server.auth import caller_of

    state = state_of(request)
    caller = await caller_of(state, request.scope)
    return JSONResponse(await decision_for(state, await read_json(request), caller))


async def decision_for(state: ServerState, data: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """The body of a decide request, checked, decided and recorded; the answer's JSON.

    The requester (``agent.on_behalf_of``) is the caller's established identity, whatever the body says.
    """
    from blastdoor.action.shorthand import action_from_spec

    spec = data.get("action")
    if not isinstance(spec, dict):
        raise ApiError(400, "bad_input", "`action` must be an object (an Action or a shorthand like {shell: ...})")
    try:
        action = action_from_spec(spec)
    except ValueError as exc:
        raise ApiError(400, "bad_action", f"action: {exc}") from exc
    action.agent.on_behalf_of = caller.name
    correlation_id = _text(data, "correlation_id")
    environ = data.get("environ")
    if environ is not None and not (
        isinstance(environ, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in environ.items())
    ):
        raise ApiError(400, "bad_input", "`environ` must be an object of strings")
    environ = _with_credential(data, environ)
    classified, decision = await state.decide(action, correlation_id, environ)
    return {
        "decision": decision.to_dict(),
        "action": {
            "tool": classified.tool,
            "operation": classified.operation,
            "effects": sorted(classified.effects),
            "targets": list(classified.targets),
            "env": classified.env,
            "digest": decision.action_digest,
        },
    }


_JSON_HEADERS = [(b"content-type", b"application/json")]


async def decide_asgi(state: ServerState, scope: Any, receive: Any, send: Any) -> None:
    """``POST /v1/decide`` as a bare ASGI handler: the hot path, without the framework's layers.

    The same checks, answers and errors as every other route (``translate``); measured, Starlette's
    middleware, routing, request and response objects cost about a fifth of a decision.
    """
    from blastdoor.server.auth import caller_of

    status = 200
    try:
        caller = await caller_of(state, scope)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the caller is gone before it sent its request: nothing was decided
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                raise ApiError(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        payload = await decision_for(state, parse_object(bytes(body)), caller)
    except Exception as exc:
        err = translate(exc)
        if err.code == "internal":
            import sys
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        status, payload = err.status, error_body(err.code, err.message)
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(text)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": text})


async def hook(request: Request) -> Response:
    """A harness's own hook JSON in, the harness's own reply out (Claude Code's ``type: http`` hooks)."""
    from blastdoor.adapters import HARNESSES

    harness = request.path_params["harness"]
    if harness not in HARNESSES:
        raise ApiError(404, "unknown_harness", f"no harness `{harness}` ({', '.join(sorted(HARNESSES))})")
    from blastdoor.server.auth import caller_of

    state = state_of(request)
    caller = await caller_of(state, request.scope)
    data = await request.body()
    reply = await state.in_worker(state.hook, harness, data, None, caller.name)
    headers = {"X-Blastdoor-Exit": str(reply.exit_code)}
    text = reply.stdout_text()
    if not text and reply.exit_code == 2:
        # Nothing on stdout but a block: an HTTP hook reads only the body, so say deny in it.
        text = json.dumps({"decision": "block", "reason": reply.stderr.strip()}) + "\n"
    if not text:
        return Response(status_code=204, headers=headers)  # the event needs no answer
    return Response(text, media_type="application/json", headers=headers)


def _with_credential(data: dict[str, Any], environ: dict[str, str] | None) -> dict[str, str] | None:
    """The request's ``environ`` with the agent's credential (``credential``: the token) presented in it."""
    import os

    from blastdoor.identity.credentials import ENV_TOKEN, from_wire

    credential = data.get("credential")
    if credential is not None and not isinstance(credential, str):
        raise ApiError(400, "bad_input", "`credential` must be a string (the agent's token)")
    if environ is not None:
        environ = from_wire(dict(environ))
    if credential:
        environ = {**(environ if environ is not None else os.environ), ENV_TOKEN: credential}
    return environ


async def hook_client(request: Request) -> Response:
    """The thin hook's fast path (``blastdoor.hook.client``): its environment, then its payload.

    The format is ``blastdoor.hook.wire``'s (both halves live there). The environment is the caller's
    word: it tells classification what the command will see (``AWS_PROFILE``, ``HOME``...), never
    which policy applies (``ServerState.policy_for``) nor who asks (the socket's peer or the token, put
    in ``USER`` and ``LOGNAME`` too).
    """
    from blastdoor.adapters import HARNESSES
    from blastdoor.hook.wire import encode_reply, parse_request
    from blastdoor.server.auth import caller_of

    harness = request.path_params["harness"]
    if harness not in HARNESSES:
        raise ApiError(404, "unknown_harness", f"no harness `{harness}`")
    state = state_of(request)
    caller = await caller_of(state, request.scope)
    parsed = parse_request(await request.body())
    if parsed is None:
        raise ApiError(400, "bad_input", "expected the environment block, an empty entry, then the payload")
    environ, payload = parsed
    environ["USER"] = environ["LOGNAME"] = caller.name
    from blastdoor.identity.credentials import from_wire

    from_wire(environ)  # the agent's credential: the token only, never a file named by the caller
    reply = await state.in_worker(state.hook, harness, payload, environ, caller.name)
    body = encode_reply(reply.exit_code, reply.stdout_text(), reply.stderr)
    return Response(body, media_type="application/x-blastdoor-hook-reply")


# -- approvals ------------------------------------------------------------------------------------------


async def approvals_list(request: Request) -> Response:
    await require_person(request)
    state = state_of(request)
    status = request.query_params.get("status", "pending")
    agent = request.query_params.get("agent", "")
    limit = _limit(request)

    def find() -> list[dict[str, Any]]:
        state.services.approvals.expire_due()
        return [r.to_dict() for r in state.services.approvals.find(status="" if status == "all" else status,
                                                                     agent_id=agent, limit=limit)]  # fmt: skip

    return JSONResponse({"requests": await run_in_threadpool(find)})


async def approvals_show(request: Request) -> Response:
    await require_person(request)
    request_id = request.path_params["request_id"]
    found = await run_in_threadpool(state_of(request).services.approvals.get, request_id)
    return JSONResponse(found.to_dict())


async def approvals_vote(request: Request) -> Response:
    person = await require_person(request)
    data = await read_json(request)
    comment = _text(data, "comment")
    request_id = request.path_params["request_id"]
    vote = request.path_params["vote"]
    result = await run_in_threadpool(vote_on, state_of(request), request_id, person, vote, comment)
    return JSONResponse(result.to_dict())


def vote_on(state: ServerState, request_id: str, person: Person, vote: str, comment: str) -> Any:
    """One approval or denial (shared by the API and the web inbox)."""
    approvals = state.services.approvals  # approve/deny close expired requests first themselves
    agents = state.services.agents.among(person.name)
    if vote == "approve":
        result = approvals.approve(request_id, person, comment=comment, agents=agents)
    elif vote == "deny":
        result = approvals.deny(request_id, person, comment=comment, agents=agents)
    else:
        raise ApiError(404, "not_found", f"no action `{vote}` (approve or deny)")
    state.publish(f"{vote} {request_id}")
    return result


# -- agents ---------------------------------------------------------------------------------------------


async def agents_list(request: Request) -> Response:
    await require_person(request)
    records = await run_in_threadpool(state_of(request).services.agents.all)
    return JSONResponse({"agents": [r.to_dict() for r in records]})


async def agents_change(request: Request) -> Response:
    person = await require_person(request)
    data = await read_json(request)
    reason = _text(data, "reason")
    agent_id = request.path_params["agent_id"]
    change = request.path_params["change"]
    result = await run_in_threadpool(change_agent, state_of(request), agent_id, person, change, reason)
    return JSONResponse(result)


def change_agent(state: ServerState, agent_id: str, person: Person, change: str, reason: str) -> dict[str, Any]:
    """Revoke (any signed-in person: the kill switch must be quick to reach) or restore (admins)."""
    services = state.services
    if change == "revoke":
        cancelled = services.agents.revoke(agent_id, by=person.name, reason=reason, approvals=services.approvals)
    elif change == "restore":
        if person.role != "admin":
            raise ApiError(403, "not_admin", f"{person.name} is not an admin: only admins restore agents")
        services.agents.restore(agent_id, by=person.name, reason=reason)
        cancelled = []
    else:
        raise ApiError(404, "not_found", f"no action `{change}` (revoke or restore)")
    state.publish(f"{change} {agent_id}")
    status, why, by = services.agents.status(agent_id)
    return {"agent_id": agent_id, "status": status, "reason": why, "changed_by": by, "cancelled": cancelled}


# -- audit ----------------------------------------------------------------------------------------------


def _limit(request: Request, default: int = 100) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ApiError(400, "bad_input", "`limit` must be a whole number from 1 to 1000")
    return int(raw)


def audit_query(request: Request) -> Any:
    from blastdoor.audit.log import Query

    params = request.query_params
    names = {"agent", "verdict", "tool", "env", "kind", "correlation_id", "since", "until", "before", "limit"}
    unknown = set(params) - names
    if unknown:
        raise ApiError(400, "bad_input", f"unknown filter `{sorted(unknown)[0]}`")
    from blastdoor.audit.events import parse_when

    try:
        since, until = parse_when(params.get("since", "")), parse_when(params.get("until", ""))
    except ValueError as exc:
        raise ApiError(400, "bad_input", str(exc)) from exc
    before = params.get("before")
    if before is not None and not before.isdigit():
        raise ApiError(400, "bad_input", "`before` must be a sequence number (entries older than it)")
    return Query(
        before=None if before is None else int(before),
        agent=params.get("agent", ""),
        verdict=params.get("verdict", ""),
        tool=params.get("tool", ""),
        env=params.get("env", ""),
        kind=params.get("kind", ""),
        correlation_id=params.get("correlation_id", ""),
        since=since,
        until=until,
        limit=_limit(request),
    )


async def audit_search(request: Request) -> Response:
    await require_person(request)
    query = audit_query(request)
    entries = await run_in_threadpool(state_of(request).services.log.search, query)
    return JSONResponse({"entries": entries})


def _seq(request: Request) -> int:
    raw = request.path_params["seq"]
    if not raw.isdigit():
        raise ApiError(400, "bad_input", "the sequence number must be a whole number")
    return int(raw)


async def audit_event(request: Request) -> Response:
    await require_person(request)
    seq = _seq(request)
    entry = await run_in_threadpool(state_of(request).services.log.entry, seq)
    if entry is None:
        raise ApiError(404, "not_found", f"no entry {seq}")
    return JSONResponse(entry)


async def audit_proof(request: Request) -> Response:
    await require_person(request)
    seq = _seq(request)
    proof = await run_in_threadpool(state_of(request).services.log.prove, seq)
    return JSONResponse(proof)


async def audit_checkpoints(request: Request) -> Response:
    await require_person(request)
    rows = await run_in_threadpool(state_of(request).services.store.checkpoints)
    return JSONResponse({"checkpoints": [{"size": s, "time": t, "note": n} for s, t, n in rows]})


# -- operations -----------------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    state = state_of(request)
    try:
        size = await run_in_threadpool(state.services.log.size)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "audit_entries": size, "uptime_s": round(time.time() - state.started, 3)})


async def metrics(request: Request) -> Response:
    state = state_of(request)
    try:
        gauges = await run_in_threadpool(state.gauges)
    except Exception:
        gauges = {}
    return PlainTextResponse(state.metrics.render(gauges), media_type="text/plain; version=0.0.4")


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def openapi_document() -> dict[str, Any]:
    from importlib.resources import files

    import yaml

    return yaml.safe_load(files("blastdoor.server").joinpath("openapi.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/v1/decide", decide, methods=["POST"]),
    Route("/v1/hooks/{harness}", hook, methods=["POST"]),
    Route("/v1/hook-client/{harness}", hook_client, methods=["POST"]),
    Route("/v1/approvals", approvals_list, methods=["GET"]),
    Route("/v1/approvals/{request_id}", approvals_show, methods=["GET"]),
    Route("/v1/approvals/{request_id}/{vote}", approvals_vote, methods=["POST"]),
    Route("/v1/agents", agents_list, methods=["GET"]),
    Route("/v1/agents/{agent_id}/{change}", agents_change, methods=["POST"]),
    Route("/v1/audit/events", audit_search, methods=["GET"]),
    Route("/v1/audit/events/{seq}", audit_event, methods=["GET"]),
    Route("/v1/audit/events/{seq}/proof", audit_proof, methods=["GET"]),
    Route("/v1/audit/checkpoints", audit_checkpoints, methods=["GET"]),
]
