"""The gateway's stdio wire: the SDK server for the protocol, and an express lane for tools/call.

Everything the client sends is parsed with the SDK's models, but a line that is plainly one JSON-RPC
``tools/call`` (``_plain_request``: read with the standard library where both parsers agree, a property
test checks it). Everything but ``tools/call`` goes to the SDK's low-level ``Server`` (the handshake,
listings, resources, prompts, errors), which answers through this wire. A ``tools/call`` takes the
express lane once the connection's era is settled: its params are validated with the SDK's own schemas
for the negotiated version (and, on 2026-07-28 connections, the SDK's envelope ladder), it is handed to
``Gateway.call``, and its result is shaped for the wire by the SDK's serialiser. A chunk from the client
that is exactly one such call, with nothing before it waiting to be read, is spawned from the pipe's
protocol as it arrives (``_take_line``), a turn of the event loop earlier than the reader task would.
The SDK server's dispatch (a memory-stream relay, a dispatcher task, a runner and a context per request,
and on 2026-07-28 a connection per request) costs about 0.1-0.2 ms of the gateway's 1 ms budget per
call (bench/mcp.py), and the decision already pays for a durable audit append.

An ``ask`` on a handshake-era connection sends ``elicitation/create`` on this wire under an id of the
gateway's own; its answer is taken off the wire before the SDK sees it. ``notifications/cancelled``
for an express call cancels it. Like the SDK's ``stdio_server``, fd 0 and fd 1 point away (at
/dev/null and stderr) while serving, so a stray print or a child process cannot corrupt the protocol;
the wire uses the event loop's pipe transports rather than a worker thread per read and write. When
stdin is not a pipe, socket or terminal, the SDK's own stdio transport runs, without the express lane.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import stat
import sys
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.shared.inbound import InboundLadderRejection, classify_inbound_request
from mcp.shared.message import SessionMessage
from mcp_types import methods
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from blastdoor.gateway.server import Caller, elicits

if TYPE_CHECKING:
    from mcp.server.lowlevel.server import Server

    from blastdoor.gateway.server import Gateway

__all__ = ["serve_stdio"]

_LINE_LIMIT = 64 * 1024 * 1024  # bytes in one JSON-RPC message
_ID_PREFIX = "blastdoor-ask-"  # the ids of our own requests to the client


def _pipe_like(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


async def serve_stdio(server: Server[Any], gateway: Gateway) -> None:
    """Serve ``server`` on this process's stdin and stdout until the client leaves."""
    if not (_pipe_like(0) and _pipe_like(1)):
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return
    await StdioWire(server, gateway).serve()


class StdioWire:
    """The pipes of one stdio connection, shared by the SDK server and the express lane."""

    def __init__(self, server: Server[Any], gateway: Gateway) -> None:
        self.server = server
        self.gateway = gateway
        self.era = ""  # "legacy" or "modern": the client's first request decides, as in the SDK
        self.version = ""  # the handshake's negotiated version (legacy), once the SDK answered it
        self.capabilities: dict[str, Any] = {}  # the client's, from its initialize request (legacy)
        self._init_id: Any = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._running: dict[Any, asyncio.Task[None]] = {}  # express request id -> its task
        self._asks: dict[str, asyncio.Future[dict[str, Any]]] = {}  # our request id -> its answer
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        wire_in, wire_out = os.dup(0), os.dup(1)
        saved_in, saved_out = os.dup(0), os.dup(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        loop = asyncio.get_running_loop()
        reader = self._reader = asyncio.StreamReader(limit=_LINE_LIMIT)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: _WireProtocol(reader, self), os.fdopen(wire_in, "rb", buffering=0)
        )
        write_transport, write_protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0)
        )
        self._writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
        to_server, from_wire = anyio.create_memory_object_stream[SessionMessage | Exception](16)
        to_wire, from_server = anyio.create_memory_object_stream[SessionMessage](16)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._read, reader, to_server)
                tg.start_soon(self._write_server, from_server)
                await self.server.run(from_wire, to_wire, self.server.create_initialization_options())
                tg.cancel_scope.cancel()
        finally:
            for task in list(self._tasks):
                task.cancel()
            read_transport.close()
            write_transport.close()
            os.dup2(saved_in, 0)
            os.dup2(saved_out, 1)
            os.close(saved_in)
            os.close(saved_out)

    # -- the wire -------------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        self._writer.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    async def _write_server(self, from_server: Any) -> None:
        assert self._writer is not None
        async with from_server:
            async for item in from_server:
                message = item.message
                if (
                    self._init_id is not None
                    and isinstance(message, types.JSONRPCResponse)
                    and message.id == self._init_id
                ):
                    version = message.result.get("protocolVersion")
                    self.version = version if isinstance(version, str) else ""
                    self._init_id = None
                data = message.model_dump_json(by_alias=True, exclude_unset=True)
                self._writer.write(data.encode("utf-8") + b"\n")
                await self._writer.drain()

    def _take_line(self, data: bytes) -> bool:
        """Spawn the express call of a chunk that is exactly one whole ``tools/call`` the express lane takes,
        as it arrives, when nothing before it waits to be read (the reader task is parked in ``readline``,
        its buffer empty): a turn of the event loop (the reader task's wake-up) less per call. False when
        it is anything else: then it goes to the reader task, which reads it as before."""
        reader = self._reader
        if (
            not self.era
            or reader is None
            or not data.endswith(b"\n")
            or b'"tools/call"' not in data
            or data.count(b"\n") != 1
            or not _parked(reader)
        ):
            return False
        request = _plain_request(data)
        if request is None or request.get("method") != "tools/call":
            return False
        params = request.get("params")
        if not self._express_ready(params):
            return False
        self._spawn(request["id"], params or {})
        return True

    def _spawn(self, rid: str | int, params: dict[str, Any]) -> None:
        # A plain asyncio task, tracked here and cancelled at the end: an anyio task group's spawn costs
        # the call path several times as much. It is registered before it starts, so a
        # notifications/cancelled read right after it finds it.
        task = asyncio.get_running_loop().create_task(self._express(rid, params))
        self._running[rid] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, reader: asyncio.StreamReader, to_server: Any) -> None:
        async with to_server:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError) as exc:  # a message over the limit
                    await to_server.send(exc)
                    continue
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                except Exception as exc:  # the SDK answers a malformed message
                    await to_server.send(exc)
                    continue
                if isinstance(message, types.JSONRPCRequest):
                    if not self.era:
                        modern = message.method != "initialize" and _enveloped(message.params)
                        self.era = "modern" if modern else "legacy"
                    if message.method == "tools/call" and self._express_ready(message.params):
                        self._spawn(message.id, message.params or {})
                        continue
                    if message.method == "initialize" and self.era == "legacy":
                        self._init_id = message.id
                        caps = (message.params or {}).get("capabilities")
                        self.capabilities = caps if isinstance(caps, dict) else {}
                elif isinstance(message, types.JSONRPCResponse | types.JSONRPCError):
                    answered = self._asks.pop(message.id, None) if isinstance(message.id, str) else None
                    if answered is not None:
                        if not answered.done():
                            answered.set_result(message.model_dump(by_alias=True, exclude_none=True))
                        continue
                elif message.method == "notifications/cancelled":
                    running = self._running.get((message.params or {}).get("requestId"))
                    if running is not None:
                        running.cancel()  # the call's own task (no cancel scope to pay for on every call)
                await to_server.send(SessionMessage(message))

    def _express_ready(self, params: dict[str, Any] | None) -> bool:
        """Whether the era is settled for a request with these params (else the SDK answers it, errors
        included)."""
        if self.era == "modern":
            return _enveloped(params)
        return bool(self.version) and not _enveloped(params)

    # -- the express lane -----------------------------------------------------------------------------

    async def _express(self, rid: str | int, params: dict[str, Any]) -> None:
        method = "tools/call"
        # The call runs in a task of its own (``_spawn``), which notifications/cancelled cancels (no cancel
        # scope: entering one costs every call).
        try:
            if self.era == "modern":
                route = classify_inbound_request({"method": method, "params": params})
                if isinstance(route, InboundLadderRejection):
                    self._error(rid, route.code, route.message, route.data)
                    return
                version, caps = route.protocol_version, route.client_capabilities
                caller = Caller(self.gateway.session, version, elicits(caps))
            else:
                version = self.version
                caller = Caller(self.gateway.session, version, elicits(self.capabilities), self._elicit)
            try:
                methods.validate_client_request(method, version, params)
                call = _call_params(params)
            except KeyError:
                self._error(rid, types.METHOD_NOT_FOUND, "Method not found", method)
                return
            except ValidationError:
                self._error(rid, types.INVALID_PARAMS, "Invalid request parameters", "")
                return
            result = await self.gateway.call(caller, call)
            if isinstance(result, BaseModel):
                result = result.model_dump(by_alias=True, mode="json", exclude_none=True)
            out = methods.serialize_server_result(method, version, result)
            if version in MODERN_PROTOCOL_VERSIONS:
                meta = out.get("_meta")
                out["_meta"] = {**(meta if isinstance(meta, dict) else {}), **_server_info(self.server)}
            self._send({"jsonrpc": "2.0", "id": rid, "result": out})
        except Exception as exc:  # a bug: the client gets an error, the gateway goes on
            print(f"blastdoor mcp: tools/call failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._error(rid, types.INTERNAL_ERROR, "Internal server error", None)
        finally:
            self._running.pop(rid, None)
        # The answer is out: the outcome the call queued is redacted and encoded now, while the client
        # reads it, rather than in the next call's commit (``Recorder.prepare_queued`` never raises).
        self.gateway.outcomes.prepare_queued()

    def _error(self, rid: Any, code: int, message: str, data: Any) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self._send({"jsonrpc": "2.0", "id": rid, "error": error})

    async def _elicit(self, message: str, schema: dict[str, Any]) -> types.ElicitResult:
        """``elicitation/create`` to the client on this wire (handshake era); its answer."""
        rid = f"{_ID_PREFIX}{next(self._ids)}"
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._asks[rid] = answer
        request = types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=schema))
        body = request.model_dump(by_alias=True, mode="json", exclude_none=True)
        try:
            self._send({"jsonrpc": "2.0", "id": rid, **body})
            reply = await answer
        finally:
            self._asks.pop(rid, None)
        if "error" in reply:
            raise RuntimeError(f"the client refused the elicitation: {reply['error']}")
        return types.ElicitResult.model_validate(reply.get("result") or {}, by_name=False)


_ENVELOPE = frozenset(("jsonrpc", "id", "method", "params"))


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _plain_request(data: bytes) -> dict[str, Any] | None:
    """``data`` as a JSON-RPC request when it is plainly one, else None (the SDK's parser then reads it).

    The standard library's parser and pydantic's agree on what is left: no ``\\u`` escapes (pydantic
    refuses lone surrogates), no byte order mark, no NaN or Infinity; exactly the request's members, an
    integer (not a boolean) or string id, params an object when present. What the SDK's model would
    make of anything else is its own business, so anything else goes to it.
    """
    if not data.startswith(b"{") or b"\\u" in data:
        return None
    try:
        obj = json.loads(data, parse_constant=_no_constant)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("jsonrpc") != "2.0" or not obj.keys() <= _ENVELOPE:
        return None
    rid, method, params = obj.get("id"), obj.get("method"), obj.get("params")
    if (type(rid) is not int and type(rid) is not str) or type(method) is not str:
        return None
    if params is not None and type(params) is not dict:
        return None
    return obj


def _parked(reader: asyncio.StreamReader) -> bool:
    """Whether a task waits in ``reader.readline()`` with nothing buffered (asyncio's own fields: when
    they are not there, no)."""
    buffered: Any = getattr(reader, "_buffer", None)
    return buffered is not None and not buffered and getattr(reader, "_waiter", None) is not None


class _WireProtocol(asyncio.StreamReaderProtocol):
    """The client's side of the wire: what ``StdioWire._take_line`` does not take goes to the reader."""

    def __init__(self, reader: asyncio.StreamReader, wire: StdioWire) -> None:
        super().__init__(reader)
        self._wire = wire

    def data_received(self, data: bytes) -> None:
        if not self._wire._take_line(data):
            super().data_received(data)


def _call_params(params: dict[str, Any]) -> types.CallToolRequestParams:
    """The params model of a tools/call the version's schema already validated: built without a second
    validation, unless it carries answers (input responses are parsed into their models)."""
    if "inputResponses" in params or "requestState" in params:
        return types.CallToolRequestParams.model_validate(params, by_name=False)
    return types.CallToolRequestParams.model_construct(name=params["name"], arguments=params.get("arguments"))


def _enveloped(params: dict[str, Any] | None) -> bool:
    """Whether a request carries the 2026-07-28 per-request envelope (its protocol version key)."""
    meta = (params or {}).get("_meta")
    return isinstance(meta, dict) and types.PROTOCOL_VERSION_META_KEY in meta


_stamp: dict[int, dict[str, Any]] = {}


def _server_info(server: Server[Any]) -> dict[str, Any]:
    """The 2026-07-28 ``serverInfo`` stamp of ``server``'s results (built once)."""
    found = _stamp.get(id(server))
    if found is None:
        found = _stamp[id(server)] = {types.SERVER_INFO_META_KEY: server.server_info_stamp}
    return {types.SERVER_INFO_META_KEY: dict(found[types.SERVER_INFO_META_KEY])}
