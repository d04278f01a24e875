"""The gateway: an MCP server in front of downstream MCP servers, with every tools/call through blastdoor.

Built on the SDK's low-level ``Server`` (a proxy forwards wire results; FastMCP's function
registration has nothing to offer it). Tools are listed as ``<server><sep><tool>``; resources keep
their URIs (routed back by owner); prompts are listed as ``<server><sep><prompt>``.

The call path, kept lean because it is paid on every call: look the route up (listing the server's
tools again when it said they changed, or after ``pinning.relist_after`` seconds: a definition
changed since it was pinned is then withheld even from a server that never says so), build the Action, decide
(``pipeline.decide_unrecorded``: classify, decide, settle; the policy was compiled and the log opened
once at start), append the decision durably (``pipeline.record``), then forward the call and hand its
outcome to the next commit. An allowed plain read is sent first and recorded while the server works;
its answer still waits for the record.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from blastdoor.action import Action, Agent, Decision
from blastdoor.action.wording import failure_message, needs_approval, why
from blastdoor.gateway import pinning
from blastdoor.gateway.downstream import Downstream, DownstreamError
from blastdoor.gateway.outcomes import Recorder
from blastdoor.gateway.verdicts import CONFIRM_KEY, CONFIRM_SCHEMA, confirm_message, error_result
from blastdoor.pipeline import decide_unrecorded, is_plain_read_action, record

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mcp.server.context import ServerRequestContext
    from mcp.server.lowlevel.server import Server

    from blastdoor.gateway.config import GatewayConfig
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services
    from blastdoor.store.mcp_pins import ToolPin, ToolPins

__all__ = ["Gateway"]

ASK_TIMEOUT = 600.0  # seconds the operator has to answer a confirmation
_STATE_PREFIX = "blastdoor:"  # our request_state on 2026-07-28 connections (a downstream's is passed through)
_SERVER_INFO = types.SERVER_INFO_META_KEY
# Fields 2026-07-28 requires of results that older servers do not send (older clients' sieve drops them).
_CACHEABLE = {"ttlMs": 0, "cacheScope": "private", "resultType": "complete"}
INSTRUCTIONS = (
    "blastdoor MCP gateway: the tools are those of the downstream servers, named <server>{sep}<tool>. Every "
    "tool call is judged by the blastdoor policy before it runs; a refused call returns an error that says "
    "why and what, if anything, can be done about it."
)


class Route:
    """Where an exposed tool name leads, and what the classifier is told about the tool."""

    __slots__ = ("context", "cwd", "description", "downstream", "exposed", "listing", "operation", "tool")

    def __init__(self, downstream: Downstream, tool: dict[str, Any], exposed: str, cwd: str) -> None:
        name = str(tool["name"])
        self.downstream = downstream
        self.tool = name
        self.exposed = exposed
        self.operation = f"mcp:{downstream.name}/{name}"
        self.cwd = cwd
        description = tool.get("description")
        self.description = description if isinstance(description, str) else ""
        info: dict[str, Any] = {"launch": downstream.spec.launch}
        annotations = tool.get("annotations")
        if isinstance(annotations, dict) and annotations:
            info["annotations"] = annotations
        if downstream.spec.kind:
            info["kind"] = downstream.spec.kind
        self.context: dict[str, Any] = {"mcp": info}
        self.listing = {k: v for k, v in tool.items() if k not in ("_meta", "execution")}
        self.listing["name"] = exposed


class Gateway:
    """The gateway's state: downstream servers, routes, pins, the policy and the services (audit log,
    approvals, agents) on one store."""

    def __init__(
        self,
        config: GatewayConfig,
        policy: CompiledPolicy,
        services: Services,
        pins: ToolPins,
        *,
        cwd: str | None = None,
        agent_id: str = "",
    ) -> None:
        self.config = config
        self.policy = policy
        self.services = services
        # A long-running process: each call's kill-switch, credential and lease reads become one read of
        # identity_epoch while nothing changed (identity/remember.py); a revoke anywhere still holds next call.
        services.agents.remember()
        self.log = services.log
        self.pins = pins
        self.cwd = cwd or os.getcwd()
        self.sep = config.separator
        self.downstreams = {spec.name: Downstream(spec) for spec in config.servers}
        self.routes: dict[str, Route] = {}
        self.withheld: dict[str, tuple[str, str, str]] = {}  # exposed name -> (server, tool, why)
        self.outcomes = Recorder(services.log)  # decisions, and the outcomes that ride with them
        self.session = f"stdio-{secrets.token_hex(6)}"  # one process serves one stdio connection
        self.agent_id = agent_id
        self._agents: dict[str, Agent] = {}
        # The gateway's own environment, read once: classification reads it on every call otherwise.
        self._environ = dict(os.environ)
        self._home = os.path.expanduser("~")  # likewise (classification expands it on every call otherwise)
        self._asks: dict[str, tuple[str, str, float]] = {}  # request_state -> (action digest, cid, deadline)
        self._resources: dict[str, str] = {}  # resource URI -> server
        self._templates: list[tuple[Any, str]] = []  # (UriTemplate, server)
        self._prompts: dict[str, tuple[str, str]] = {}  # exposed prompt name -> (server, prompt)
        self._relisting: dict[str, anyio.Lock] = {}  # server -> held while its tools are listed again

    # -- life cycle -----------------------------------------------------------------------------------

    async def run_downstreams(self, ready: anyio.Event, stop: anyio.Event) -> None:
        """Start every downstream server, set ``ready`` once all have started or failed, run until ``stop``."""
        started = [anyio.Event() for _ in self.downstreams]
        async with anyio.create_task_group() as tg:
            for d, event in zip(self.downstreams.values(), started, strict=True):
                tg.start_soon(d.serve, event, stop)
            for event in started:
                await event.wait()
            for d in self.downstreams.values():
                await self.refresh(d)
            ready.set()

    def close(self) -> None:
        self.outcomes.close()

    # -- listing and pinning --------------------------------------------------------------------------

    async def refresh(self, d: Downstream) -> None:
        """List ``d``'s tools again, check each against its pin, and rebuild its routes."""
        tools: list[dict[str, Any]] = []
        d.tools_changed = False  # a change announced while this listing runs is listed again next call
        if d.client is not None and d.serves("tools"):
            try:
                tools = await d.list_all("tools/list", "tools")
            except DownstreamError as exc:
                print(f"blastdoor mcp: {exc}", file=sys.stderr)
        d.listed_at = time.monotonic()
        for table in (self.routes, self.withheld):
            for exposed in [k for k, v in table.items() if _server_of(v) == d.name]:
                del table[exposed]
        if not tools:
            return
        pins = self.pins.of_server(d.name)
        cwd = d.spec.cwd or self.cwd
        for tool in tools:
            name = tool.get("name")
            if not isinstance(name, str) or not name:
                continue
            exposed = f"{d.name}{self.sep}{name}"
            why = self._check_pin(d.name, name, tool, pins.get(name))
            if why:
                self.withheld[exposed] = (d.name, name, why)
            else:
                self.routes[exposed] = Route(d, tool, exposed, cwd)

    def _check_pin(self, server: str, tool: str, listing: dict[str, Any], pin: ToolPin | None) -> str:
        """Apply what seeing ``listing`` means to the store and the log; why it is withheld, or ''."""
        definition = pinning.definition_of(listing)
        digest, text = pinning.digest_of(definition)
        step = pinning.plan(pin, digest)
        now = _now()
        approve = f"`blastdoor mcp tools approve {server}/{tool}`"
        try:
            if step == pinning.FIRST:
                if not self.pins.first_seen(server, tool, digest, text, now, trust=self.config.trust_new):
                    return self._check_pin(server, tool, listing, self.pins.get(server, tool))  # another gateway won
                kind = "mcp.tool_pinned" if self.config.trust_new else "mcp.tool_new"
                self._pin_event(kind, server, tool, digest=digest, definition=definition)
            elif step == pinning.SETTLE:
                if self.pins.settle(server, tool, now):
                    self._pin_event("mcp.tool_reverted", server, tool, digest=digest, definition=definition)
            elif step in (pinning.CHANGED, pinning.NEW):
                if self.pins.saw(server, tool, digest, text, now):
                    before = _parse(pin.definition) if pin is not None and pin.definition else None
                    kind = "mcp.tool_changed" if step == pinning.CHANGED else "mcp.tool_new"
                    self._pin_event(
                        kind, server, tool, digest=digest, definition=definition,
                        approved=pin.digest if pin is not None else "", before=before,
                    )  # fmt: skip
                if step == pinning.CHANGED and self.config.on_change == "allow":
                    if self.pins.approve(server, tool, by="blastdoor mcp (pinning.on_change: allow)", now=now):
                        self._pin_event("mcp.tool_approved", server, tool, digest=digest, by="pinning.on_change")
                    return ""
        except Exception as exc:  # the store or the log failed: a tool we cannot account for is not offered
            print(f"blastdoor mcp: pinning {server}/{tool}: {exc}", file=sys.stderr)
            return (
                f"blastdoor: `{server}{self.sep}{tool}` is withheld: its definition could not be checked against "
                f"its pin or recorded in the audit log ({exc})."
            )
        if pinning.listed(step, trust_new=self.config.trust_new, on_change=self.config.on_change):
            return ""
        if step == pinning.CHANGED:
            was = pin.digest[7:19] if pin is not None else "?"
            return (
                f"blastdoor: `{server}{self.sep}{tool}` is withheld because its definition changed since it was "
                f"approved (sha256 {was}... -> {digest[7:19]}...). A changed description, input schema or hints can "
                f"carry new instructions or new behaviour, so the tool is not offered until a person reviews the "
                f"change and approves it with {approve}. Tell the user."
            )
        return (
            f"blastdoor: `{server}{self.sep}{tool}` is withheld because it has not been approved yet (this gateway "
            f"does not trust tools on first use). A person can review and approve it with {approve}. Tell the user."
        )

    def _pin_event(self, kind: str, server: str, tool: str, **fields: Any) -> None:
        event = {"kind": kind, "tool": "mcp", "operation": f"mcp:{server}/{tool}", "server": server, "name": tool}
        event.update({k: v for k, v in fields.items() if v is not None and v != ""})
        self.log.append(event)

    async def refresh_all(self) -> None:
        for d in self.downstreams.values():
            await self.refresh(d)

    async def _relist(self, d: Downstream) -> None:
        """List ``d``'s tools again once, however many calls found its routes stale at the same time."""
        lock = self._relisting.setdefault(d.name, anyio.Lock())
        seen = d.listed_at
        async with lock:
            if d.listed_at == seen:  # nobody listed it while this call waited
                await self.refresh(d)

    def tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """The input schema of an exposed tool as it was listed and checked against its pin, else None.

        The SDK's streamable HTTP transport asks for it on every 2026-07-28 ``tools/call`` (to check
        ``Mcp-Param-*`` headers); without it, it runs the tools/list handler, which lists every downstream
        server again, per call. A tool that is not routed has none: its call is refused or routed (after
        its pin is checked) by ``call``, never by what a header check saw.
        """
        route = self.routes.get(name)
        if route is None:
            return None
        schema = route.listing.get("inputSchema")
        return schema if isinstance(schema, dict) else None

    # -- the MCP server -------------------------------------------------------------------------------

    def server(self) -> Server[Any]:
        """The low-level MCP server whose handlers are this gateway's."""
        from mcp.server.lowlevel.server import Server

        from blastdoor import __version__

        server: Server[Any] = Server(
            "blastdoor",
            version=__version__,
            title="blastdoor MCP gateway",
            instructions=INSTRUCTIONS.format(sep=self.sep),
            get_tool_input_schema=self.tool_input_schema,
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            on_list_resources=self.list_resources,
            on_list_resource_templates=self.list_resource_templates,
            on_read_resource=self.read_resource,
            on_list_prompts=self.list_prompts,
            on_get_prompt=self.get_prompt,
        )
        # The SDK's OpenTelemetry middleware opens a span per message; blastdoor exports its own
        # `execute_tool` spans from the audit log, and the span costs every call.
        server.middleware = []
        return server

    async def list_tools(self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        await self.refresh_all()
        return {"tools": [route.listing for route in self.routes.values()], **_CACHEABLE}

    async def call_tool(self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        """The SDK's tools/call handler (streamable HTTP; stdio calls take the express lane to ``call``)."""
        return await self.call(self._caller(ctx), params)

    async def call(self, caller: Caller, params: types.CallToolRequestParams) -> Any:
        """One tools/call, whichever way it came: decide, record, then forward, refuse or ask."""
        route = self.routes.get(params.name)
        if route is not None and route.downstream.stale(time.monotonic(), self.config.relist_after):
            await self._relist(route.downstream)  # a definition changed since it was listed is withheld now
            route = self.routes.get(params.name)
        if route is None:
            route = await self._late_route(params.name)
            if route is None:
                return self._refuse_unrouted(caller, params)
        arguments = params.arguments or {}
        state = params.request_state
        if state is not None and state.startswith(_STATE_PREFIX):
            return await self._resume(route, params, state, caller.session)
        action = Action(
            "mcp",
            route.operation,
            args=arguments,
            cwd=route.cwd,
            agent=self._agent(caller.session),
            context=route.context,
        )
        cid = f"mcp-{secrets.token_hex(12)}"
        services = self.services
        overlap = False
        try:
            classified, decision = decide_unrecorded(
                self.policy,
                action,
                cid,
                approvals=services.approvals,
                agents=services.agents,
                ask_as_approve=not caller.can_elicit,
                environ=self._environ,
                home=self._home,
            )
            # Only an allowed plain read may run while its decision is being written (it may run even when
            # the log is down: pipeline.unrecorded); anything that can act is recorded durably first.
            overlap = decision.verdict == "allow" and is_plain_read_action(classified)
            if not overlap:
                decision = record(self.outcomes, classified, decision, cid)
        except Exception as exc:  # neither raises; anything here is a bug: fail closed
            return error_result(failure_message(f"the decision could not be made: {exc}"))
        verdict = decision.verdict
        if overlap:
            recorded, cause = classified, decision

            def record_read() -> None:
                record(self.outcomes, recorded, cause, cid)

            return await self._forward(route, params, cid, caller.session, during=record_read)
        if verdict == "allow":
            return await self._forward(route, params, cid, caller.session)
        if verdict == "deny":
            return self._not_run(cid, caller.session, _why(decision), "denied")
        return await self._escalate(caller, route, params, classified, decision, cid)

    async def _escalate(
        self,
        caller: Caller,
        route: Route,
        params: types.CallToolRequestParams,
        classified: Action,
        decision: Decision,
        cid: str,
    ) -> Any:
        """``ask`` and ``approve``: the one place where a verdict waits for a person.

        ask: an elicitation (the pipeline already turned ask into approve for clients that cannot
        show one). approve: the pipeline filed the request (``decision.request_id``) or, for an
        identical call already approved, consumed it and allowed the call; here it is only said what
        is pending and how to get it approved.
        """
        if decision.verdict == "ask":
            message = confirm_message(route.exposed, classified, decision, route.description)
            answer = await self._confirm(caller, message, classified, cid)
            if isinstance(answer, types.InputRequiredResult):
                return answer
            if answer == "accept":
                return await self._forward(route, params, cid, caller.session, asked="accepted")
            return self._not_run(
                cid,
                caller.session,
                f"{_why(decision)} The user did not confirm it ({answer}), so it did not run.",
                answer,
            )
        return self._not_run(cid, caller.session, _approval_text(decision), "waits for approval")

    async def _confirm(self, caller: Caller, message: str, action: Action, cid: str) -> str | types.InputRequiredResult:
        """Ask the operator (``caller.can_elicit`` held): 'accept', 'decline' or 'cancel'; on 2026-07-28
        connections an input-required result (the answer comes with the retried call)."""
        if caller.version in MODERN_PROTOCOL_VERSIONS:
            token = _STATE_PREFIX + secrets.token_urlsafe(24)
            self._asks[token] = (action.digest(), cid, time.monotonic() + ASK_TIMEOUT)
            request = types.ElicitRequest(
                params=types.ElicitRequestFormParams(message=message, requested_schema=CONFIRM_SCHEMA)
            )
            return types.InputRequiredResult(input_requests={CONFIRM_KEY: request}, request_state=token)
        with anyio.move_on_after(ASK_TIMEOUT):
            try:
                return _answer(await caller.elicit(message, CONFIRM_SCHEMA))
            except Exception:  # the client failed to answer: not a yes
                return "cancel"
        return "cancel"

    async def _resume(self, route: Route, params: types.CallToolRequestParams, state: str, session: str) -> Any:
        """The retried call of a 2026-07-28 confirmation: bound to the exact call that was asked about."""
        pending = self._asks.pop(state, None)
        now = time.monotonic()
        for token in [t for t, (_, _, deadline) in self._asks.items() if deadline < now]:
            del self._asks[token]
        agent = self._agent(session)
        action = Action(
            "mcp", route.operation, args=params.arguments or {}, cwd=route.cwd, agent=agent, context=route.context
        )
        if pending is None or pending[2] < now or pending[0] != action.digest():
            return error_result("blastdoor: refused: this confirmation is unknown, expired or for a different call")
        cid = pending[1]
        response = (params.input_responses or {}).get(CONFIRM_KEY)
        answer = _answer(response) if isinstance(response, types.ElicitResult) else "cancel"
        if answer == "accept":
            return await self._forward(route, params, cid, session, asked="accepted")
        return self._not_run(
            cid,
            session,
            f"blastdoor: the user did not confirm `{route.exposed}` ({answer}), so it did not run.",
            answer,
        )

    def _not_run(self, cid: str, session: str, text: str, why: str) -> Any:
        """The answer to a call that did not run, and its outcome (so every decision has one)."""
        self.outcomes.put(cid, duration_ms=0.0, error=f"not run: {why}", extra={"session": session, "ran": False})
        return error_result(text)

    async def _forward(
        self,
        route: Route,
        params: types.CallToolRequestParams,
        cid: str,
        session: str,
        *,
        asked: str = "",
        during: Callable[[], None] | None = None,
    ) -> Any:
        """Forward the call; its result for the client. ``during``: run (blocking) once the call was sent
        and before its answer is taken (the durable record of an allowed plain read, while the server works)."""
        extra: dict[str, Any] = {"session": session} if not asked else {"session": session, "asked": asked}
        state = params.request_state
        passed = state is not None and not state.startswith(_STATE_PREFIX)  # a downstream's own round trip
        started = time.perf_counter()
        try:
            result = await route.downstream.call_tool(
                route.tool,
                params.arguments,
                input_responses=params.input_responses if passed else None,
                request_state=state if passed else None,
                during=during,
            )
        except DownstreamError as exc:
            self.outcomes.put(cid, duration_ms=_ms(started), error=str(exc), extra=extra)
            return error_result(f"blastdoor: the call was allowed, but {exc}")
        except BaseException:  # cancelled by the client (or the gateway stopping): the call may have run
            self.outcomes.put(cid, duration_ms=_ms(started), error="cancelled before the server answered", extra=extra)
            raise
        if "resultType" not in result:
            result["resultType"] = "complete"
        meta = result.get("_meta")
        if isinstance(meta, dict) and _SERVER_INFO in meta:  # the downstream's identity is not ours to stamp
            result["_meta"] = {k: v for k, v in meta.items() if k != _SERVER_INFO} or None
            if result["_meta"] is None:
                del result["_meta"]
        self.outcomes.put(cid, duration_ms=_ms(started), result=result, extra=extra)
        return result

    async def _late_route(self, exposed: str) -> Route | None:
        """A tool not routed now: maybe approved since, or new on its server. Re-list that server once."""
        server, sep, _ = exposed.partition(self.sep)
        d = self.downstreams.get(server)
        if not sep or d is None or d.client is None:
            return None
        withheld = self.withheld.get(exposed)
        if withheld is not None:
            pin = self.pins.get(withheld[0], withheld[1])
            if pin is None or pin.status != "pinned":
                return None
        await self.refresh(d)
        return self.routes.get(exposed)

    def _refuse_unrouted(self, caller: Caller, params: types.CallToolRequestParams) -> Any:
        withheld = self.withheld.get(params.name)
        if withheld is None:
            server = params.name.partition(self.sep)[0]
            d = self.downstreams.get(server)
            if d is not None and d.client is None:
                return error_result(
                    f"blastdoor: `{params.name}` cannot be called: server `{server}` is not available: {d.down}"
                )
            return error_result(
                f"blastdoor: there is no tool `{params.name}` (tools are named <server>{self.sep}<tool>)"
            )
        server, tool, why = withheld
        action = Action(
            "mcp", f"mcp:{server}/{tool}", args=params.arguments or {}, cwd=self.cwd, agent=self._agent(caller.session)
        )
        decision = Decision("deny", "mcp.tool_withheld", reasons=(why,), policy_hash=self.policy.hash)
        cid = f"mcp-{secrets.token_hex(12)}"
        try:
            self.outcomes.record_decision(action, decision, correlation_id=cid)
        except Exception as exc:
            print(f"blastdoor mcp: a refused call to a withheld tool could not be recorded: {exc}", file=sys.stderr)
            return error_result(why)
        return self._not_run(cid, caller.session, why, "withheld")

    def _caller(self, ctx: ServerRequestContext[Any]) -> Caller:
        """The caller of a request that came through the SDK: its HTTP session (or this process's stdio
        session), its protocol version, and whether it can be asked (it declared form elicitation and,
        on a handshake-era connection, this request's channel can carry a request to it)."""
        session = self.session
        request = ctx.request
        if request is not None:
            headers = getattr(request, "headers", None)
            session = (headers.get("mcp-session-id") if headers is not None else None) or "http"
        can_elicit = elicits(ctx.session.client_capabilities) and (
            ctx.protocol_version in MODERN_PROTOCOL_VERSIONS or ctx.session.can_send_request
        )

        async def elicit(message: str, schema: dict[str, Any]) -> Any:
            return await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)

        return Caller(session, ctx.protocol_version, can_elicit, elicit)

    def _agent(self, session: str) -> Agent:
        agent = self._agents.get(session)
        if agent is None:
            from blastdoor.adapters._base import make_agent

            agent = make_agent("mcp", session=session)
            if self.agent_id:
                agent.id = self.agent_id
            if len(self._agents) > 10_000:
                self._agents.clear()
            self._agents[session] = agent
        return agent

    # -- resources and prompts: forwarded, routed by owner --------------------------------------------

    async def list_resources(self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        out: list[dict[str, Any]] = []
        owners: dict[str, str] = {}
        for d in self._serving("resources"):
            for item in await self._listing(d, "resources/list", "resources"):
                uri = item.get("uri")
                if isinstance(uri, str) and uri not in owners:
                    owners[uri] = d.name
                    out.append(item)
        self._resources = owners
        return {"resources": out, **_CACHEABLE}

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> Any:
        from mcp.shared.uri_template import UriTemplate

        out: list[dict[str, Any]] = []
        templates: list[tuple[Any, str]] = []
        for d in self._serving("resources"):
            for item in await self._listing(d, "resources/templates/list", "resourceTemplates"):
                try:
                    templates.append((UriTemplate.parse(str(item.get("uriTemplate"))), d.name))
                except Exception:  # a template the SDK cannot parse is still listed, but cannot route reads
                    pass
                out.append(item)
        self._templates = templates
        return {"resourceTemplates": out, **_CACHEABLE}

    async def read_resource(self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams) -> Any:
        from mcp import MCPError

        server = self._resources.get(params.uri) or self._template_owner(params.uri)
        if server is None:
            serving = list(self._serving("resources"))
            if len(serving) != 1:
                await self.list_resources(ctx, None)
                await self.list_resource_templates(ctx, None)
                server = self._resources.get(params.uri) or self._template_owner(params.uri)
            else:
                server = serving[0].name
        d = self.downstreams.get(server or "")
        if d is None:
            raise MCPError(types.INVALID_PARAMS, f"no downstream server has the resource `{params.uri}`")
        try:
            result = await d.request(types.ReadResourceRequest(params=types.ReadResourceRequestParams(uri=params.uri)))
        except DownstreamError as exc:
            raise MCPError(types.INTERNAL_ERROR, str(exc)) from exc
        return {**_CACHEABLE, **result}

    def _template_owner(self, uri: str) -> str | None:
        for template, server in self._templates:
            try:
                if template.match(uri) is not None:
                    return server
            except Exception:
                continue
        return None

    async def list_prompts(self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        out: list[dict[str, Any]] = []
        names: dict[str, tuple[str, str]] = {}
        for d in self._serving("prompts"):
            for item in await self._listing(d, "prompts/list", "prompts"):
                name = item.get("name")
                if isinstance(name, str):
                    exposed = f"{d.name}{self.sep}{name}"
                    names[exposed] = (d.name, name)
                    out.append({**item, "name": exposed})
        self._prompts = names
        return {"prompts": out, **_CACHEABLE}

    async def get_prompt(self, ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams) -> Any:
        from mcp import MCPError

        target = self._prompts.get(params.name)
        if target is None:
            await self.list_prompts(ctx, None)
            target = self._prompts.get(params.name)
        if target is None:
            raise MCPError(types.INVALID_PARAMS, f"there is no prompt `{params.name}`")
        d = self.downstreams[target[0]]
        request = types.GetPromptRequest(
            params=types.GetPromptRequestParams(name=target[1], arguments=params.arguments)
        )
        try:
            result = await d.request(request)
        except DownstreamError as exc:
            raise MCPError(types.INTERNAL_ERROR, str(exc)) from exc
        result.setdefault("resultType", "complete")
        return result

    def _serving(self, capability: str) -> list[Downstream]:
        return [d for d in self.downstreams.values() if d.serves(capability)]

    async def _listing(self, d: Downstream, method: str, key: str) -> list[dict[str, Any]]:
        try:
            return await d.list_all(method, key)
        except DownstreamError as exc:
            print(f"blastdoor mcp: {exc}", file=sys.stderr)
            return []


class Caller:
    """Who calls, as the call path needs it: the session (for the audit log), the protocol version,
    whether the user can be asked, and how (``elicit(message, schema)`` -> an ElicitResult)."""

    __slots__ = ("can_elicit", "elicit", "session", "version")

    def __init__(
        self,
        session: str,
        version: str,
        can_elicit: bool,
        elicit: Callable[[str, dict[str, Any]], Awaitable[Any]] | None = None,
    ) -> None:
        self.session = session
        self.version = version
        self.can_elicit = can_elicit and (elicit is not None or version in MODERN_PROTOCOL_VERSIONS)
        self.elicit = elicit or _no_elicitation


async def _no_elicitation(message: str, schema: dict[str, Any]) -> Any:
    raise RuntimeError("this client cannot be asked")


def elicits(capabilities: Any) -> bool:
    """Whether declared client capabilities (a model or a wire dict) include form elicitation."""
    if isinstance(capabilities, dict):
        found = capabilities.get("elicitation")
        if not isinstance(found, dict):
            return False
        return "form" in found or "url" not in found  # an empty object means form (the 2025-06-18 shape)
    elicitation = getattr(capabilities, "elicitation", None)
    if elicitation is None:
        return False
    return elicitation.form is not None or elicitation.url is None


def _approval_text(decision: Decision) -> str:
    """What an ``approve`` verdict needs and what to do next, for the model to read and relay."""
    return needs_approval(
        decision,
        decision.request_id or None,
        retry="call the same tool again with exactly the same arguments and it runs once",
    )


def _why(decision: Decision) -> str:
    """``wording.why`` as a sentence (one closing period)."""
    return why(decision).rstrip(". ") + "."


def _answer(result: Any) -> str:
    action = getattr(result, "action", "cancel")
    content = getattr(result, "content", None) or {}
    if action == "accept" and content.get("confirm") is True:
        return "accept"
    return "decline" if action in ("accept", "decline") else "cancel"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _now() -> str:
    from blastdoor.audit.events import format_time

    return format_time(time.time_ns())


def _parse(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _server_of(value: Route | tuple[str, str, str]) -> str:
    return value.downstream.name if isinstance(value, Route) else value[0]
