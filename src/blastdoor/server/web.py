"""The web inbox: server-rendered pages (Jinja2) for approvers, the audit browser and the agents page.

Signing in with an API token sets the ``blastdoor_session`` cookie (HttpOnly, SameSite=Strict) to a
signed session, not the token (``People.issue_session``: 12 hours, ended by a reissued token), so the
API's own ``person_of`` recognises the browser too. Every form that changes something carries a CSRF
token, HMAC(server secret, session), checked before the change. Everything an agent supplied
(commands, tool names, arguments, reasons) is data: the templates autoescape it and never mark it safe,
and the Content-Security-Policy allows no inline script, so even a missed escape could not run code.

Live updates: ``/events`` is a server-sent event stream. It fires when this process publishes a change
(``ServerState.publish``) and when ``ServerState.fingerprint`` changes (votes cast from the CLI or another
server process on the same store); the page's script then re-fetches its ``data-live`` fragments.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import time
from html import escape
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from blastdoor.errors import BlastdoorError, InputError
from blastdoor.server import api

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import jinja2

    from blastdoor.approvals import Person
    from blastdoor.approvals import Request as ApprovalRequest
    from blastdoor.server.state import ServerState

    Page = Callable[[Request, Person], Awaitable[Response]]

# The stream looks at the store's fingerprint this often (changes made by other processes), and says
# something at least this often so proxies and browsers keep the connection open.
POLL_SECONDS = 1.5
KEEPALIVE_SECONDS = 15.0
CLOSED = ("approved", "denied", "expired", "cancelled", "consumed")
LIMIT = 100
# No inline script or style anywhere: a command that slipped past escaping still could not run.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# -- rendering --------------------------------------------------------------------------------------------


@functools.cache
def _templates() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("blastdoor.server", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    env.filters["left"] = _left
    env.filters["iso"] = _iso
    from blastdoor.server import request_view

    env.globals["headline"] = request_view.headline
    env.globals["request_notes"] = request_view.notes
    env.globals["extra_reasons"] = request_view.extra_reasons
    return env


def _render(name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _page(name: str, request: Request, person: Person | None, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A full page: the layout needs the person (for the header) and their CSRF token (sign out)."""
    return _render(
        name,
        status=status,
        person=person,
        csrf=csrf_token(request) if person is not None else "",
        path=request.url.path,
        **context,
    )


def _when(seconds: float | None) -> str:
    if not seconds:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _left(expires: float, now: float | None = None) -> str:
    secs = int(expires - (time.time() if now is None else now))
    if secs <= 0:
        return "expired"
    hours, minutes = divmod(max(1, secs // 60), 60)
    return f"{hours}h {minutes}m left" if hours else f"{minutes}m left"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def wants_html(request: Request) -> bool:
    """A browser's page request (as opposed to an API call), which gets an HTML error page."""
    return not request.url.path.startswith(("/v1/", "/healthz", "/metrics", "/openapi")) and "text/html" in (
        request.headers.get("accept", "")
    )


def error_page(request: Request, status: int, message: str) -> Response:
    try:
        return _render("error.html", status=status, person=None, csrf="", path="", code=status, message=message)
    except Exception:  # the error page must not fail in turn (a broken install, a template error)
        body = f"<!doctype html><title>blastdoor: {status}</title><h1>{status}</h1><p>{escape(message)}</p>"
        return HTMLResponse(body, status_code=status)


# -- sessions and CSRF ------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The CSRF token of this session: another site can neither read it nor compute it."""
    secret = api.state_of(request).secret
    return hmac.new(secret, b"csrf\0" + api.token_of(request).encode(), hashlib.sha256).hexdigest()


def _csrf_ok(request: Request, form: Any) -> bool:
    sent = form.get("csrf", "")
    return isinstance(sent, str) and bool(api.token_of(request)) and hmac.compare_digest(sent, csrf_token(request))


def _csrf_refused(request: Request, person: Person | None) -> Response:
    message = "This form has expired or did not come from this site: nothing was changed. Reload and try again."
    return _page("error.html", request, person, status=403, code=403, message=message)


def _safe_next(target: str) -> str:
    """Only a path on this site (no ``//host`` or ``/\\host``): the login must not redirect elsewhere."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return "/"


def _to_login(request: Request) -> Response:
    if request.headers.get("sec-fetch-site") == "cross-site" and request.method == "GET":
        # A link from elsewhere (a notification in Slack, a mail): the browser withheld the SameSite=Strict
        # cookie. Load the same page again from this site, which sends it: a signed-in person goes through.
        return _render("reload.html", status=200, target=request.url.path)
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # a form sent after the session ended: back to the page it came from (/requests/x/approve)
        target = request.url.path.rsplit("/", 1)[0] or "/"
    return RedirectResponse(f"/login?{_query(next=target)}", status_code=303)


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def signed_in(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in people only; others are sent to /login (and back after signing in)."""

    @functools.wraps(handler)
    async def page(request: Request) -> Response:
        person = await api.person_of(request)
        if person is None:
            return _to_login(request)
        try:
            return await handler(request, person)
        except (BlastdoorError, api.ApiError) as exc:  # no such request or entry, a bad filter: say so
            err = api.translate(exc)
            if err.status >= 500:
                raise
            return _page("error.html", request, person, status=err.status, code=err.status, message=err.message)

    return page


async def login(request: Request) -> Response:
    target = _safe_next(request.query_params.get("next", "/"))
    if request.method == "GET":
        if api.token_of(request) and await api.person_of(request) is not None:
            return RedirectResponse(target, status_code=303)  # signed in already
        ended = bool(api.token_of(request))
        message = (
            "Your session ended (it expired, or the token was reissued or removed): sign in again." if ended else ""
        )
        return _page("login.html", request, None, next=target, message=message)
    if not same_origin(request):
        # Login CSRF: another site's form would sign the browser in as the attacker.
        return _page("login.html", request, None, status=403, next=target, message="Sign in from this site's own page.")
    form = await request.form()
    token = str(form.get("token", "")).strip()
    target = _safe_next(str(form.get("next", target)))
    person = await run_in_threadpool(api.state_of(request).services.people.authenticate, token) if token else None
    if person is None:
        message = "That token is not valid (unknown, reissued or removed)." if token else "Enter your API token."
        return _page("login.html", request, None, status=401, next=target, message=message)
    if person.role not in api.STAFF:
        message = f"{person.name} ({person.role}) may only ask for decisions: the inbox is for approvers and admins."
        return _page("login.html", request, None, status=403, next=target, message=message)
    from blastdoor.identity.people import SESSION_SECONDS

    state = api.state_of(request)
    session = await run_in_threadpool(state.services.people.issue_session, person, state.secret)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        api.SESSION_COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (``Origin``, ``Sec-Fetch-Site``).

    The origin may be this server as the browser reached it (its ``Host``) or its configured
    ``public_url``. Clients that send neither header (curl, scripts) are not browsers and pass.
    """
    site = request.headers.get("sec-fetch-site", "")
    if site and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}", api.state_of(request).config.public_url}
    return origin.rstrip("/") in own


async def logout(request: Request) -> Response:
    form = await request.form()
    if api.token_of(request) and not _csrf_ok(request, form):
        return _csrf_refused(request, await api.person_of(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(api.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


# -- the inbox and requests -------------------------------------------------------------------------------


def _pending(state: ServerState) -> list[ApprovalRequest]:
    state.services.approvals.expire_due()
    return state.services.approvals.find(status="pending", limit=LIMIT)


@signed_in
async def inbox(request: Request, person: Person) -> Response:
    state = api.state_of(request)
    requests, since = await run_in_threadpool(lambda: (_pending(state), _fingerprint(state)))
    return _page("inbox.html", request, person, requests=requests, now=time.time(), since=since)


async def inbox_fragment(request: Request) -> Response:
    """The inbox's list alone, for the page's live refresh (401 rather than a redirect: it is fetched)."""
    person = await api.person_of(request)
    if person is None:
        return PlainTextResponse("sign in first", status_code=401)
    requests = await run_in_threadpool(_pending, api.state_of(request))
    return _render("_inbox_list.html", requests=requests, now=time.time())


def _load(state: ServerState, request_id: str) -> ApprovalRequest:
    state.services.approvals.expire_due()
    return state.services.approvals.get(request_id)


@signed_in
async def request_page(request: Request, person: Person) -> Response:
    return await _request_page(request, person)


async def _request_page(
    request: Request, person: Person, *, status: int = 200, message: str = "", refused: str = "", comment: str = ""
) -> Response:
    state = api.state_of(request)
    request_id = request.path_params["request_id"]
    found, since = await run_in_threadpool(lambda: (_load(state, request_id), _fingerprint(state)))
    agents = await run_in_threadpool(state.services.agents.among, person.name)
    from blastdoor.server.request_view import vote_block

    voted = request.query_params.get("voted", "")
    if not message and not refused and voted in ("approve", "deny"):
        message = "Your approval is recorded." if voted == "approve" else "Your denial is recorded."
    return _page(
        "request.html",
        request,
        person,
        status=status,
        r=found,
        now=time.time(),
        since=since,
        message=message,
        refused=refused,
        comment=comment,
        vote_block=vote_block(found, person, agents),
    )


async def request_fragment(request: Request) -> Response:
    person = await api.person_of(request)
    if person is None:
        return PlainTextResponse("sign in first", status_code=401)
    try:
        found = await run_in_threadpool(_load, api.state_of(request), request.path_params["request_id"])
    except BlastdoorError as exc:
        err = api.translate(exc)
        return PlainTextResponse(err.message, status_code=err.status)
    return _render("_request_state.html", r=found, now=time.time())


@signed_in
async def vote(request: Request, person: Person) -> Response:
    """Approve or deny from the request's page; a refusal is shown on that page, with its reason."""
    form = await request.form()
    if not _csrf_ok(request, form):
        return _csrf_refused(request, person)
    request_id = request.path_params["request_id"]
    choice = request.path_params["vote"]
    comment = str(form.get("comment", ""))
    try:
        await run_in_threadpool(api.vote_on, api.state_of(request), request_id, person, choice, comment)
    except (BlastdoorError, api.ApiError) as exc:
        err = api.translate(exc)
        if err.status >= 500 or err.status == 404:
            raise  # no such request (or vote): the error page
        return await _request_page(request, person, status=err.status, refused=err.message, comment=comment)
    return RedirectResponse(f"/requests/{request_id}?{_query(voted=choice)}", status_code=303)


@signed_in
async def history(request: Request, person: Person) -> Response:
    state = api.state_of(request)
    wanted = request.query_params.get("status", "")
    statuses = (wanted,) if wanted in CLOSED else CLOSED

    # Paging: `after` is the previous page's last (closed time, id).
    closed_at, _, last_id = request.query_params.get("after", "").partition(",")
    try:
        after = (float(closed_at), last_id) if last_id else None
    except ValueError:
        after = None

    def closed() -> list[ApprovalRequest]:
        state.services.approvals.expire_due()
        return state.services.approvals.closed(statuses, after=after, limit=LIMIT)

    requests = await run_in_threadpool(closed)
    last = f"{requests[-1].closed!r},{requests[-1].id}" if requests else ""
    pages = _pager("/history", {"status": wanted}, "after", last, len(requests), paged=after is not None)
    return _page("history.html", request, person, requests=requests, wanted=wanted, statuses=CLOSED, **pages)


def _pager(path: str, filters: dict[str, str], cursor: str, last: object, shown: int, *, paged: bool) -> dict[str, Any]:
    """The ``older`` and ``newest`` links of a page of at most ``LIMIT`` rows, keeping its filters.

    ``cursor=last`` (the page's last row) asks for the rows after it; a short page is the last one.
    """
    from urllib.parse import urlencode

    keep = {k: v for k, v in filters.items() if v}
    return {
        "older": f"{path}?{urlencode({**keep, cursor: last})}" if shown == LIMIT else "",
        "newest": f"{path}?{urlencode(keep)}" if paged else "",
    }


# -- live updates -----------------------------------------------------------------------------------------


def _fingerprint(state: ServerState) -> str:
    """The store's approval state as an opaque short token (the stream's event id)."""
    return hashlib.sha256(repr(state.fingerprint()).encode()).hexdigest()[:16]


async def events(request: Request) -> Response:
    """Server-sent events: ``change`` whenever requests or agents change, a comment now and then."""
    person = await api.person_of(request)
    if person is None:
        return PlainTextResponse("sign in first", status_code=401)
    state = api.state_of(request)
    # Where the client's view stands: the id of the last event it saw (a reconnect), or the page's.
    since = request.headers.get("last-event-id") or request.query_params.get("since", "")

    async def stream() -> AsyncIterator[str]:
        queue = state.subscribe()
        try:
            last = since or await run_in_threadpool(_fingerprint, state)
            yield "retry: 2000\n\n"
            quiet = 0.0
            while not getattr(request.app.state, "stopping", False):
                try:
                    message = await asyncio.wait_for(queue.get(), POLL_SECONDS)
                except TimeoutError:
                    message = ""
                while not queue.empty():  # a burst of changes is one refresh
                    message = queue.get_nowait()
                current = await run_in_threadpool(_fingerprint, state)
                if message or current != last:
                    last, quiet = current, 0.0
                    data = " ".join((message or "changed").split())
                    yield f"id: {current}\nevent: change\ndata: {data}\n\n"
                else:
                    quiet += POLL_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:
                        quiet = 0.0
                        yield ": keep-alive\n\n"
        finally:  # the client went away (Starlette cancels the stream) or the server stops
            state.unsubscribe(queue)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


# -- audit ------------------------------------------------------------------------------------------------

_FILTERS = ("agent", "verdict", "tool", "env", "kind", "since", "until")


def parse_when(text: str) -> str:
    """RFC 3339, a date, or an age (``30m``, ``12h``, ``7d``) as the log's fixed-width UTC time."""
    from blastdoor.audit.events import parse_when as _parse

    try:
        return _parse(text)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def summary(event: dict[str, Any]) -> str:
    """One line on what an audit event is about (the command, the request, the person)."""
    kind = str(event.get("kind", ""))
    if kind == "decision":
        action = event.get("action") or {}
        return str(action.get("raw") or action.get("command") or event.get("operation") or "")
    if kind.startswith("approval."):
        approval = event.get("approval") or {}
        who = approval.get("approver") or ""
        return " ".join(str(x) for x in (approval.get("request_id") or event.get("request_id") or "", who) if x)
    if kind.startswith("agent."):
        return f"{event.get('agent_id', '')} by {event.get('by', '')}: {event.get('reason', '')}".rstrip(": ")
    if kind.startswith("person."):
        return f"{event.get('person', '')} by {event.get('by', '')}".strip()
    if kind == "outcome":
        return str(event.get("correlation_id", ""))
    return ""


@signed_in
async def audit(request: Request, person: Person) -> Response:
    from blastdoor.audit.log import Query

    params = request.query_params
    form = {k: params.get(k, "") for k in _FILTERS}
    state = api.state_of(request)
    error = ""
    entries: list[dict[str, Any]] = []
    raw_before = params.get("before", "")
    before = int(raw_before) if raw_before.isdigit() else None
    try:
        query = Query(
            before=before,
            agent=form["agent"].strip(),
            verdict=form["verdict"],
            tool=form["tool"].strip(),
            env=form["env"].strip(),
            kind=form["kind"].strip(),
            since=parse_when(form["since"]),
            until=parse_when(form["until"]),
            limit=LIMIT,
        )
        entries = await run_in_threadpool(state.services.log.search, query)
    except BlastdoorError as exc:
        if api.translate(exc).status >= 500:
            raise
        error = exc.message
    rows = [(e, summary(e.get("event") or {})) for e in entries]
    # Paging by sequence number: the older page starts below this page's last entry.
    last = entries[-1]["seq"] if entries else ""
    pages = _pager("/audit", form, "before", last, len(entries), paged=before is not None)
    return _page("audit.html", request, person, form=form, rows=rows, error=error, limit=LIMIT, **pages)


@signed_in
async def audit_entry(request: Request, person: Person) -> Response:
    raw = request.path_params["seq"]
    if not raw.isdigit():
        raise api.ApiError(400, "bad_input", "the sequence number must be a whole number")
    seq = int(raw)
    log = api.state_of(request).services.log

    def read() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        entry = log.entry(seq)
        return entry, (log.prove(seq) if entry is not None else None)

    entry, proof = await run_in_threadpool(read)
    if entry is None:
        raise api.ApiError(404, "not_found", f"no audit entry {seq}")
    event = entry.get("event") or {}
    request_id = event.get("request_id") or (event.get("approval") or {}).get("request_id") or ""
    return _page("audit_entry.html", request, person, seq=seq, entry=entry, proof=proof, request_id=request_id)


# -- agents -----------------------------------------------------------------------------------------------


async def _agents_page(
    request: Request, person: Person, *, status: int = 200, message: str = "", refused: str = ""
) -> Response:
    records = await run_in_threadpool(api.state_of(request).services.agents.all)
    return _page("agents.html", request, person, status=status, agents=records, message=message, refused=refused)


@signed_in
async def agents(request: Request, person: Person) -> Response:
    return await _agents_page(request, person)


@signed_in
async def agent_change(request: Request, person: Person) -> Response:
    """Revoke (anyone signed in: the kill switch must be quick to reach) or restore (admins)."""
    form = await request.form()
    if not _csrf_ok(request, form):
        return _csrf_refused(request, person)
    change = request.path_params["change"]
    agent_id = str(form.get("agent_id", "")).strip()
    reason = str(form.get("reason", "")).strip()
    if change == "revoke" and not reason:
        return await _agents_page(request, person, status=400, refused="Say why the agent is revoked (a reason).")
    try:
        result = await run_in_threadpool(api.change_agent, api.state_of(request), agent_id, person, change, reason)
    except (BlastdoorError, api.ApiError) as exc:
        err = api.translate(exc)
        if err.status >= 500:
            raise
        return await _agents_page(request, person, status=err.status, refused=err.message)
    message = f"{agent_id}: {result['status']}."
    if result["cancelled"]:
        message += f" Cancelled its open requests: {', '.join(result['cancelled'])}."
    return await _agents_page(request, person, message=message)


ROUTES: list[BaseRoute] = [
    Route("/", inbox, methods=["GET"]),
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/events", events, methods=["GET"]),
    Route("/fragments/inbox", inbox_fragment, methods=["GET"]),
    Route("/fragments/requests/{request_id}", request_fragment, methods=["GET"]),
    Route("/requests/{request_id}", request_page, methods=["GET"]),
    Route("/requests/{request_id}/{vote:str}", vote, methods=["POST"]),
    Route("/history", history, methods=["GET"]),
    Route("/audit", audit, methods=["GET"]),
    Route("/audit/{seq}", audit_entry, methods=["GET"]),
    Route("/agents", agents, methods=["GET"]),
    Route("/agents/{change}", agent_change, methods=["POST"]),
    Mount("/static", StaticFiles(packages=[("blastdoor.server", "static")]), name="static"),
]
