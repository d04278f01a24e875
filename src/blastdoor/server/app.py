"""The Starlette application and how it is served (uvicorn, uvloop, httptools; TCP and a unix socket)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from blastdoor.errors import BlastdoorError
from blastdoor.server import api, api_break_glass, api_inventory, api_outcomes, api_review
from blastdoor.server.state import ServerState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from blastdoor.server.config import ServerConfig
    from blastdoor.services import Services

SWEEP_SECONDS = 5.0  # expire approval requests whose ttl passed, even when nobody is looking


def create_app(config: ServerConfig, services: Services) -> Starlette:
    from blastdoor.server import web, web_review, witness

    state = ServerState(config, services)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(_sweep(state)), asyncio.create_task(_checkpoints(state))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await state.notifier.aclose()
            state.close()  # decisions in flight finish (and are recorded) before the store closes

    async def on_error(request: Request, exc: Exception) -> Response:
        err = api.translate(exc)
        if err.status >= 500 and err.code == "internal":
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        if web.wants_html(request):
            return web.error_page(request, err.status, err.message)
        return api.error_response(err.status, err.code, err.message)

    app = Starlette(
        routes=[
            *api.ROUTES,
            *api_break_glass.ROUTES,
            *api_inventory.ROUTES,
            *api_outcomes.ROUTES,
            *api_review.ROUTES,
            *web_review.ROUTES,
            *web.ROUTES,
            *witness.ROUTES,
        ],
        lifespan=lifespan,
        # Expected errors are answered by the exception middleware; `Exception` (a bug) goes to the
        # server-error middleware, which answers with the same JSON and then lets uvicorn log it.
        exception_handlers={Exception: on_error, api.ApiError: on_error, BlastdoorError: on_error},
    )
    app.state.blastdoor = state
    return app


class Blastdoor:
    """The ASGI application served: ``POST /v1/decide`` straight to its handler, the rest to Starlette.

    Only the hot path skips the framework; lifespan, every other route, errors and the web inbox stay
    Starlette's. ``state`` is the Starlette app's state (``state.blastdoor`` the server's).
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state
        self._server: ServerState = app.state.blastdoor
        self.in_flight = 0  # requests being answered (an open inbox event stream counts): never idle then
        self.last_active = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            if scope["path"] == "/v1/decide" and scope["method"] == "POST":
                await api.decide_asgi(self._server, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.last_active = time.monotonic()

    def idle_for(self) -> float:
        """Seconds since the last request ended; 0 while one is being answered."""
        return 0.0 if self.in_flight else time.monotonic() - self.last_active


async def _sweep(state: ServerState) -> None:
    from starlette.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            if await run_in_threadpool(state.services.approvals.expire_due):
                state.publish("expired")
        except Exception as exc:  # the next sweep tries again; say why this one failed
            print(f"blastdoor: expiring requests failed: {exc}", file=sys.stderr)


async def _checkpoints(state: ServerState) -> None:
    """Sign a checkpoint every interval when the log grew (appends also checkpoint when one is due)."""
    from starlette.concurrency import run_in_threadpool

    interval = state.config.checkpoint_interval
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(state.services.log.checkpoint)
        except Exception as exc:
            print(f"blastdoor: checkpoint failed: {exc}", file=sys.stderr)


def bind_sockets(config: ServerConfig) -> list[socket.socket]:
    """The listening sockets: TCP at ``listen`` and the unix socket (0600: same user only)."""
    from blastdoor.errors import InputError

    sockets: list[socket.socket] = []
    address = config.host_port
    if address is not None:
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, port))
        except OSError as exc:
            tcp.close()
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        sockets.append(tcp)
    if config.socket:
        path = config.socket
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                probe.close()
                raise InputError(f"another server is listening on {path}")
            except ConnectionRefusedError:
                os.unlink(path)  # a stale socket from a server that died
            finally:
                probe.close()
        uds = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            uds.bind(path)
        finally:
            os.umask(old)
        sockets.append(uds)
    if not sockets:
        raise InputError("nothing to listen on: give --listen HOST:PORT or --socket PATH")
    for s in sockets:
        s.listen(1024)
        s.setblocking(False)
    return sockets


def serve(
    config: ServerConfig, services: Services, *, log_level: str = "warning", ready: Any = None, idle_exit: float = 0
) -> None:
    """Run until SIGINT/SIGTERM, or ``idle_exit`` seconds without a request (when > 0: the server a hook
    started, ``hook/launch.py``); checkpoint and close the store on the way out."""
    app = create_app(config, services)
    # A stop asked for at any point from here on is a flag, never an exception: raised from a signal
    # handler, SystemExit lands in whatever runs at that instant (an import lock's callback, a uvloop
    # callback) and can be swallowed there, leaving the server up after SIGTERM. uvicorn takes SIGTERM
    # over while it runs and raises it again once it has shut down; that second delivery comes here too.
    stop = _StopRequest()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, stop)
    try:
        _serve_until_stopped(app, config, log_level, ready, idle_exit, stop)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        services.close()


class _StopRequest:
    """The SIGTERM handler outside uvicorn's own: remembers the stop and tells the server, if there is one."""

    def __init__(self) -> None:
        self.requested = False
        self.server: Any = None

    def __call__(self, signum: int, frame: object) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


def _serve_until_stopped(
    app: Starlette, config: ServerConfig, log_level: str, ready: Any, idle_exit: float, stop: _StopRequest
) -> None:
    import uvicorn

    from blastdoor.server.auth import peer_protocol

    sockets = bind_sockets(config)
    asgi = Blastdoor(app)
    uconfig = uvicorn.Config(
        asgi,
        loop="uvloop",
        http=peer_protocol(),  # httptools, with the unix peer's user id in each request's scope
        ws="none",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        proxy_headers=False,  # served to local callers; no proxy's X-Forwarded-* is trusted
        server_header=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,  # a backstop: no connection holds up a stop for longer
    )

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            app.state.stopping = True  # the inbox's event streams end now, so their connections close
            await super().shutdown(sockets)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            asgi.last_active = time.monotonic()  # idle counts from when callers can reach it, not from import

        async def on_tick(self, counter: int) -> bool:
            # uvicorn ticks every 0.1 s; idle is judged once a second, by requests ended, not connections
            # (a keep-alive connection holding nothing in flight does not keep the server up).
            if idle_exit > 0 and counter % 10 == 0 and asgi.idle_for() >= idle_exit:
                self.should_exit = True
            return await super().on_tick(counter)

    server = Server(uconfig)
    stop.server = server
    try:
        if ready is not None:
            ready(config)
        server.should_exit = server.should_exit or stop.requested  # a stop before this point: start, then stop
        server.run(sockets=sockets)
    finally:
        for s in sockets:
            s.close()
        if config.socket:
            with contextlib.suppress(OSError):
                os.unlink(config.socket)
