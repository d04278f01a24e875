"""A downstream stdio server: its process, its pipes, and the express lane for tools/call.

The official client (``mcp.Client``) runs the connection: the handshake, listings, notifications,
and the server's own requests (pings, elicitation). It reaches the server through ``transport()``,
newline-delimited JSON-RPC parsed and dumped with the SDK's models, like the SDK's ``stdio_client``.

Forwarded tool calls take the express lane instead: ``call`` writes the request on the same pipe under
an id of the gateway's own (``blastdoor-N``) and the matching response goes straight back to it (from
the pipe's protocol when it arrives as one whole chunk, else from the reader task), then is validated
with the SDK's schema for the negotiated version (``Downstream``). The client session's request machinery
(several task hops, a request clock, model dumps) costs about 0.2 ms per call on the development
machine, a fifth of the gateway's budget (bench/mcp.py); everything else keeps going through it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from blastdoor.gateway.config import ServerSpec

__all__ = ["PipeClosed", "ServerPipe"]

_LINE_LIMIT = 64 * 1024 * 1024  # bytes in one JSON-RPC message
_EXIT_GRACE = 2.0  # seconds a server has to exit after its stdin closes, then after SIGTERM
_ID_PREFIX = "blastdoor-"
_MARK = b'"' + _ID_PREFIX.encode()


def _expire(waiter: asyncio.Future[dict[str, Any]], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no answer within {timeout:g} s"))


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """The server's stdout for the reader task, except a chunk that is exactly one whole response to an
    express call with nothing buffered before it: that goes to its waiter as it arrives, a wake-up of the
    reader task (one turn of the event loop) less per forwarded call. Anything else is read as before."""

    def __init__(self, pipe: ServerPipe, limit: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=limit, loop=loop)
        self._pipe = pipe

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if (
            fd == 1
            and self._pipe._pending
            and isinstance(data, bytes)
            and data.endswith(b"\n")
            and _MARK in data
            and data.count(b"\n") == 1
            and not getattr(self.stdout, "_buffer", b"?")  # nothing of an earlier line waits in the reader
            and self._pipe._answer(data)
        ):
            return
        super().pipe_data_received(fd, data)


class PipeClosed(Exception):
    """The server's process is gone (or never started) and its pipe is closed."""


class ServerPipe:
    """One downstream server process; ``transport()`` for the SDK client, ``call`` for the express lane."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.exit_code: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._closed = False

    @asynccontextmanager
    async def transport(self) -> AsyncIterator[tuple[Any, Any]]:
        """Start the server; (read stream, write stream) of SessionMessages for the SDK client."""
        from mcp.client.stdio import get_default_environment

        spec = self.spec
        loop = asyncio.get_running_loop()
        # asyncio.create_subprocess_exec, with the protocol that answers express calls as data arrives.
        transport, protocol = await loop.subprocess_exec(
            lambda: _Protocol(self, _LINE_LIMIT, loop),
            spec.command,
            *spec.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=None,
            env={**get_default_environment(), **spec.env},
            cwd=spec.cwd or None,
            start_new_session=True,  # its own process group: stopping it stops what it started
        )
        proc = asyncio.subprocess.Process(transport, protocol, loop)
        self._proc = proc
        to_client, from_server = anyio.create_memory_object_stream[SessionMessage | Exception](16)
        to_server, from_client = anyio.create_memory_object_stream[SessionMessage](16)

        async def read() -> None:
            assert proc.stdout is not None
            async with to_client:
                while True:
                    try:
                        line = await proc.stdout.readline()
                    except (ValueError, asyncio.LimitOverrunError) as exc:  # a message over the limit
                        await to_client.send(exc)
                        continue
                    if not line:
                        break
                    if self._pending and _MARK in line and self._answer(line):
                        continue
                    try:
                        message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                    except Exception as exc:  # the session reports a malformed message
                        await to_client.send(exc)
                        continue
                    await to_client.send(SessionMessage(message))
            self._close()

        async def write() -> None:
            assert proc.stdin is not None
            async with from_client:
                async for item in from_client:
                    data = item.message.model_dump_json(by_alias=True, exclude_unset=True)
                    try:
                        proc.stdin.write(data.encode("utf-8") + b"\n")
                        await proc.stdin.drain()
                    except (ConnectionError, OSError):
                        break

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(read)
                tg.start_soon(write)
                try:
                    yield from_server, to_server
                finally:
                    with anyio.CancelScope(shield=True):
                        await self._stop()
                    tg.cancel_scope.cancel()
        finally:
            self._close()

    def _answer(self, line: bytes) -> bool:
        """Hand a response to an express call to its waiter; False when the line is something else."""
        try:
            message = json.loads(line)
        except ValueError:
            return False
        rid = message.get("id") if isinstance(message, dict) else None
        waiter = self._pending.pop(rid, None) if isinstance(rid, str) else None
        if waiter is None:
            return False
        if not waiter.done():
            waiter.set_result(message)
        return True

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._proc is not None:
            self.exit_code = self._proc.returncode
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(PipeClosed("the server's connection closed"))
        self._pending.clear()

    async def _stop(self) -> None:
        """Close stdin, give the server time to exit, then SIGTERM and SIGKILL its process group."""
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            with suppress(Exception):
                proc.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)
            with anyio.move_on_after(_EXIT_GRACE):
                while proc.returncode is None:
                    await anyio.sleep(0.01)
            if proc.returncode is not None:
                break
        self.exit_code = proc.returncode
        if proc.returncode is None:
            print(f"blastdoor mcp: server `{self.spec.name}` (pid {proc.pid}) did not exit", file=sys.stderr)

    async def call(
        self, method: str, params: dict[str, Any], timeout: float, during: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        """Send one request and return its response message (``result`` or ``error``).

        ``during``: run (blocking) once the request is written and before the answer is awaited, while
        the server works; when it raises, the call is cancelled at the server and the error raised.
        Raises PipeClosed when the server is gone, TimeoutError after ``timeout`` seconds. A call that
        times out or is cancelled is cancelled at the server too (``notifications/cancelled``).
        """
        proc = self._proc
        if self._closed or proc is None or proc.stdin is None:
            raise PipeClosed("the server's connection closed")
        rid = f"{_ID_PREFIX}{next(self._ids)}"
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[rid] = waiter
        request = {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
        # A timer on the future rather than a cancel scope: the call path is paid on every call.
        timer = loop.call_later(timeout, _expire, waiter, timeout)
        try:
            proc.stdin.write(json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
            await proc.stdin.drain()
            if during is not None:
                during()
            return await waiter
        except (ConnectionError, OSError) as exc:
            raise PipeClosed(f"the server's pipe broke ({exc})") from exc
        except BaseException:
            if not self._closed and rid in self._pending:
                self._cancel_at_server(rid, proc)
            raise
        finally:
            timer.cancel()
            self._pending.pop(rid, None)

    def _cancel_at_server(self, rid: str, proc: asyncio.subprocess.Process) -> None:
        note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": rid}}
        with suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(note).encode("utf-8") + b"\n")
