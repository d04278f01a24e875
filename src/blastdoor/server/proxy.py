"""``blastdoor proxy``: a reverse proxy where HTTP agents identify, are judged, and can be cut off.

Every request is an action (tool ``http``, operation ``http:METHOD``, the route and the JSON body's
fields as ``args``, the upstream URL as its target; GET/HEAD/OPTIONS read, POST/PUT/PATCH write, DELETE
delete) judged by the same pipeline as every other action, with the agent established by its
credential (``Blastdoor-Agent-Credential``; docs/IDENTITY.md) and recorded in the audit log. Only a
verified agent gets through, and only on ``allow``; anything else is a 403 with the reason, at once
(a revoked agent or withdrawn credential at its next request, in every proxy sharing the store).
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services

CREDENTIAL_HEADER = "blastdoor-agent-credential"
AGENT_HEADER = "blastdoor-agent"  # the id claimed (optional: the credential says who it is)
_OURS = {CREDENTIAL_HEADER, AGENT_HEADER}
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length"}  # fmt: skip
_EFFECTS = {"GET": "read", "HEAD": "read", "OPTIONS": "read", "DELETE": "delete"}
MAX_BODY = 10 * 1024 * 1024


def http_action(method: str, path: str, query: str, body: bytes, upstream: str, claimed: str) -> Any:
    """The Action a request asks for."""
    from blastdoor.action import Action, Agent

    args: dict[str, Any] = {"method": method, "path": path}
    if query:
        args["query"] = query
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            args.update({k: v for k, v in parsed.items() if k not in args})
    return Action(
        "http",
        f"http:{method}",
        raw=f"{method} {path}{'?' + query if query else ''}",
        args=args,
        agent=Agent(claimed or "unknown", "http", on_behalf_of="proxy"),
        effects=(_EFFECTS.get(method, "write"),),
        targets=(upstream.rstrip("/") + path,),
    )


def build_proxy(upstream: str, policy: CompiledPolicy, services: Services) -> Starlette:
    import httpx
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from blastdoor.identity.credentials import ENV_TOKEN
    from blastdoor.pipeline import decide_and_record

    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    def refuse(status: int, message: str, **extra: Any) -> Response:
        return JSONResponse({"error": message, **extra}, status_code=status)

    async def handle(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return refuse(413, "the request body is too large to judge")
        token = request.headers.get(CREDENTIAL_HEADER, "").strip()
        action = http_action(
            request.method, request.url.path, request.url.query, body, upstream, request.headers.get(AGENT_HEADER, "")
        )
        cid = "proxy-" + secrets.token_hex(8)

        def judged() -> Any:
            return decide_and_record(
                policy, action, services.log, cid, agents=services.agents, environ={ENV_TOKEN: token} if token else {}
            )

        classified, decision = await run_in_threadpool(judged)
        agent = classified.agent
        if not agent.verified:
            why = decision.reasons[0] if decision.rule.startswith("identity.") else "no agent credential was presented"
            return refuse(
                403, f"identify yourself as an agent: send your credential in the {CREDENTIAL_HEADER} header ({why})"
            )
        if decision.verdict != "allow":
            return refuse(
                403,
                f"blastdoor: {decision.verdict} by {decision.rule}: {decision.reasons[0] if decision.reasons else ''}",
                verdict=decision.verdict,
                rule=decision.rule,
                agent=agent.id,
                correlation_id=cid,
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP | _OURS}
        try:
            upstream_reply = await client.request(
                request.method, request.url.path, params=request.url.query or None, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            return refuse(502, f"the upstream cannot be reached: {type(exc).__name__}")
        out_headers = {k: v for k, v in upstream_reply.headers.items() if k.lower() not in _HOP | {"content-encoding"}}
        return Response(upstream_reply.content, status_code=upstream_reply.status_code, headers=out_headers)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", handle, methods=methods)])
    app.state.client = client
    return app
