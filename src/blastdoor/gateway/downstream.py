"""One downstream MCP server: connect with the official client, list, forward, and notice when it dies.

Results are forwarded as the wire dicts the server sent (validated with the SDK's schemas for the
negotiated version, never re-modelled): the gateway neither rewrites a result nor pays for building
and dumping pydantic models it does not read. A stdio server's tool calls take the express lane of
its pipe (``pipe.py``); everything else, and every call to an HTTP server, goes through the client.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp_types import methods
from pydantic import TypeAdapter, ValidationError

from blastdoor.gateway.pipe import PipeClosed

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from contextlib import AsyncExitStack

    from blastdoor.gateway.config import ServerSpec
    from mcp import Client

__all__ = ["Downstream", "DownstreamError"]

T = TypeVar("T")

_RAW: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
CONNECT_TIMEOUT = 60.0  # seconds to start a server and finish its handshake
LIST_TIMEOUT = 30.0  # seconds for a listing
_PAGES = 100  # a paginator that never ends must not hang a listing


class DownstreamError(Exception):
    """The downstream server cannot answer: it is not running, it failed, or it timed out."""


class Downstream:
    """A connected downstream server (``client`` is None until ``start`` succeeds or after it dies)."""

    def __init__(self, spec: ServerSpec) -> None:
        from blastdoor.gateway.pipe import ServerPipe

        self.spec = spec
        self.pipe = None if spec.url else ServerPipe(spec)
        self.client: Client | None = None
        self.down = ""  # why it cannot be used, once it cannot
        self.server_name = ""  # what the server calls itself (untrusted: for people, never for decisions)
        # When the gateway last listed its tools (time.monotonic(); 0: never), and whether the server said
        # since that its tools changed (``notifications/tools/list_changed``): the routes are then stale.
        self.listed_at = 0.0
        self.tools_changed = False

    @property
    def name(self) -> str:
        return self.spec.name

    async def serve(self, started: anyio.Event, stop: anyio.Event) -> None:
        """Start or connect to the server and keep the connection until ``stop``; set ``started`` once it
        is up or has failed. Never raises: a server that fails or dies is recorded in ``down``, and its
        tools become errors that say so, while the gateway and the other servers go on."""
        from contextlib import AsyncExitStack

        from mcp import Client

        try:
            async with AsyncExitStack() as stack:
                # The handshake is bounded by the read timeout; every later request passes its own.
                # stdio servers speak the handshake era: every SDK 2.x server serves it, and the express
                # lane then sends plain JSON-RPC (no per-request envelope to build).
                client = Client(
                    self._transport(stack),
                    mode="auto" if self.spec.url else "legacy",
                    read_timeout_seconds=CONNECT_TIMEOUT,
                    message_handler=self._on_message,
                )
                self.client = await stack.enter_async_context(client)
                info = self.client.server_info
                self.server_name = info.name if info is not None else ""
                started.set()
                await stop.wait()
                self.client = None
        except Exception as exc:  # a missing command, a refused connection, a failed handshake, a crash
            if not self.down:
                self.down = f"could not start: {_describe(exc)}" if not started.is_set() else _describe(exc)
            print(f"blastdoor mcp: server `{self.name}`: {self.down}", file=sys.stderr)
        finally:
            self.client = None
            started.set()

    async def _on_message(self, message: Any) -> None:
        """The server's notifications: a changed tool list makes the gateway list again before the next call."""
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            self.tools_changed = True
        await anyio.lowlevel.checkpoint()

    def stale(self, now: float, ttl: float) -> bool:
        """Whether the routes of this server's tools should be listed again before a call is routed."""
        return self.tools_changed or now - self.listed_at > ttl

    def _transport(self, stack: AsyncExitStack) -> Any:
        spec = self.spec
        if spec.url:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = httpx2.AsyncClient(headers=spec.headers, timeout=httpx2.Timeout(30.0, read=spec.timeout))
            stack.push_async_callback(http.aclose)
            return streamable_http_client(spec.url, http_client=http)
        assert self.pipe is not None  # INVARIANT: a server without a URL has a pipe
        return self.pipe.transport()

    def _session(self) -> Any:
        if self.client is None:
            raise DownstreamError(f"server `{self.name}` is not available: {self.down or 'not started'}")
        return self.client.session

    def _failed(self, exc: BaseException) -> DownstreamError:
        from mcp import MCPError

        if isinstance(exc, MCPError) and exc.code == types.CONNECTION_CLOSED:
            self.down = "its connection closed (the server exited or hung up)"
            self.client = None
            return DownstreamError(f"server `{self.name}` is not available: {self.down}")
        if isinstance(exc, MCPError) and exc.code == types.REQUEST_TIMEOUT:
            return DownstreamError(f"server `{self.name}` did not answer within {self.spec.timeout:g} s")
        if isinstance(exc, MCPError):
            return DownstreamError(f"server `{self.name}` answered with an error: {exc.message}")
        return DownstreamError(f"server `{self.name}` failed: {_describe(exc)}")

    async def request(self, request: Any, timeout: float | None = None) -> dict[str, Any]:
        """Send a typed request; the result as its wire dict. Raises DownstreamError."""
        session = self._session()
        try:
            result: dict[str, Any] = await session.send_request(
                request, _RAW, request_read_timeout_seconds=timeout or self.spec.timeout
            )
        except Exception as exc:
            raise self._failed(exc) from exc
        return result

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None,
        *,
        input_responses: Any = None,
        request_state: str | None = None,
        during: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """A tools/call; its result as a wire dict. Raises DownstreamError.

        ``during``: run (blocking) once the request was sent and before its answer is taken (the durable
        record of an allowed plain read, while the server works). Whatever ends the call early (``during``
        failing, a cancellation) cancels it at the server.
        """
        if self.pipe is not None and input_responses is None and request_state is None:
            return await self._express(name, arguments, during)
        params = types.CallToolRequestParams(
            name=name, arguments=arguments, input_responses=input_responses, request_state=request_state
        )
        call = self.request(types.CallToolRequest(params=params))
        return await (call if during is None else _overlapped(call, during))

    async def _express(
        self, name: str, arguments: dict[str, Any] | None, during: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """A tools/call on the pipe's express lane, validated like the client validates its results."""
        assert self.pipe is not None
        client = self.client
        if client is None:
            raise DownstreamError(f"server `{self.name}` is not available: {self.down or 'not started'}")
        params: dict[str, Any] = {"name": name} if arguments is None else {"name": name, "arguments": arguments}
        try:
            message = await self.pipe.call("tools/call", params, self.spec.timeout, during)
        except PipeClosed as exc:
            code = self.pipe.exit_code
            self.down = f"its connection closed ({exc}{f'; exit code {code}' if code is not None else ''})"
            self.client = None
            raise DownstreamError(f"server `{self.name}` is not available: {self.down}") from exc
        except TimeoutError as exc:
            raise DownstreamError(f"server `{self.name}` did not answer within {self.spec.timeout:g} s") from exc
        error = message.get("error")
        if error is not None:
            text = error.get("message") if isinstance(error, dict) else error
            raise DownstreamError(f"server `{self.name}` answered with an error: {text}")
        result = message.get("result")
        if not isinstance(result, dict):
            raise DownstreamError(f"server `{self.name}` answered without a result")
        try:
            methods.validate_server_result("tools/call", client.protocol_version, result)
        except ValidationError as exc:
            raise DownstreamError(f"server `{self.name}` answered with an invalid result: {exc.errors()[0]}") from exc
        return result

    async def list_all(self, method: str, key: str) -> list[dict[str, Any]]:
        """Every item of a paginated listing (``tools/list`` -> ``tools``, ...), as wire dicts."""
        request_type: Any = {
            "tools/list": types.ListToolsRequest,
            "resources/list": types.ListResourcesRequest,
            "resources/templates/list": types.ListResourceTemplatesRequest,
            "prompts/list": types.ListPromptsRequest,
        }[method]
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(_PAGES):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await self.request(request_type(params=params), LIST_TIMEOUT)
            found = page.get(key)
            if isinstance(found, list):
                items.extend(i for i in found if isinstance(i, dict))
            cursor = page.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                break
        return items

    def serves(self, capability: str) -> bool:
        """Whether the server declared ``tools``, ``resources`` or ``prompts``."""
        if self.client is None:
            return False
        return getattr(self.client.server_capabilities, capability, None) is not None


async def _overlapped(call: Coroutine[Any, Any, T], during: Callable[[], None]) -> T:
    """``await call`` with ``during()`` run in between: the call's task sends its request first (its
    first step runs on the one yield), then ``during`` blocks the loop while the server works, then
    the answer is awaited. Whatever ends this early (``during`` failing, a cancellation) cancels the call.
    (The express lane needs none of this: ``ServerPipe.call`` runs ``during`` itself once it has written.)"""
    import asyncio

    task = asyncio.ensure_future(call)
    try:
        await asyncio.sleep(0)
        during()
        return await task
    except BaseException:
        task.cancel()
        raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, OSError) else f"{type(exc).__name__}: {text}"
