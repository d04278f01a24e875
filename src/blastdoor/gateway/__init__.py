"""Layer 4: the MCP gateway, an MCP server in front of MCP servers with every tool call through blastdoor.

    run_gateway(config, listen="", token="")   serve on stdio, or streamable HTTP on HOST:PORT (a bearer
                                       token required when given, and always off loopback); an exit code
    tool_pins(store_url)               the pinned tool definitions of a store (for `blastdoor mcp tools`)

Modules: ``config`` (the config file), ``downstream`` (one downstream server through the official
client), ``pinning`` (definitions, digests and what a listing means, pure), ``server`` (the gateway's
handlers and its call path), ``verdicts`` (verdicts in MCP terms), ``outcomes`` (outcomes recorded
off the call's path), ``stdio`` (the stdio wire: the SDK server plus the express lane for tools/call),
``pipe`` (a downstream stdio server's process, with the express lane for forwarded calls), ``tools``
(review and approve pinned tools).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.gateway.config import GatewayConfig
    from blastdoor.gateway.server import Gateway
    from blastdoor.services import Services

__all__ = ["open_gateway_services", "run_gateway"]


def open_gateway_services(store: str = "") -> Services:
    """The audit log, approvals and agents the gateway uses: the config's ``store``, else ``$BLASTDOOR_DB``,
    else the default store (the same one the hooks, ``exec`` and ``blastdoor serve`` use)."""
    from blastdoor.services import open_services, store_url

    return open_services(store or store_url())


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6; ``:PORT`` is 127.0.0.1) -> (host, port)."""
    from blastdoor.errors import UsageError

    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen wants HOST:PORT, not `{listen}`")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, ``localhost``)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def run_gateway(config: GatewayConfig, *, listen: str = "", token: str = "") -> int:
    """Serve until the client leaves (stdio) or a signal arrives (HTTP). Raises BlastdoorError for a
    policy or store that cannot be loaded: the gateway never starts without both.

    ``token``: over HTTP, every request must carry ``Authorization: Bearer TOKEN``. An address other
    hosts can reach is refused without one: anyone who can connect could otherwise call the tools.
    """
    import anyio

    from blastdoor.errors import UsageError
    from blastdoor.gateway.server import Gateway
    from blastdoor.policy import load_policy
    from blastdoor.store.mcp_pins import ToolPins

    address = parse_listen(listen) if listen else None
    if address is not None and not token and not is_loopback(address[0]):
        raise UsageError(
            f"--listen {listen} is reachable from other hosts, and nothing would say who calls: "
            "give --token-file FILE (clients then send `Authorization: Bearer <token>`), or listen on 127.0.0.1",
            hints=["python -c 'import secrets; print(secrets.token_urlsafe(32))' > mcp.token; chmod 600 mcp.token"],
        )
    policy = load_policy(os.getcwd(), project=config.policy or None)
    services = open_gateway_services(config.store)
    try:
        gateway = Gateway(config, policy, services, ToolPins(services.store), agent_id=config.agent)
        try:
            anyio.run(_serve, gateway, address, token, backend_options={"use_uvloop": _has_uvloop()})
        finally:
            gateway.close()
    finally:
        services.close()
    return 0


def _has_uvloop() -> bool:
    """uvloop (installed with uvicorn[standard]) when it is there: its event loop takes ~0.05 ms off every
    call's pipe hops (bench/mcp.py, runs interleaved)."""
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


async def _serve(gateway: Gateway, address: tuple[str, int] | None, token: str = "") -> None:
    import anyio

    ready, stop = anyio.Event(), anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(gateway.run_downstreams, ready, stop)
        await ready.wait()
        served = len([d for d in gateway.downstreams.values() if d.client is not None])
        print(
            f"blastdoor mcp: {served} of {len(gateway.downstreams)} servers up, {len(gateway.routes)} tools listed, "
            f"{len(gateway.withheld)} withheld",
            file=sys.stderr,
        )
        server = gateway.server()
        try:
            if address is None:
                await _serve_stdio(server, gateway)
            else:
                await _serve_http(server, *address, token=token)
        finally:
            stop.set()


async def _serve_stdio(server: Any, gateway: Gateway) -> None:
    import signal

    import anyio

    from blastdoor.gateway.stdio import serve_stdio

    async with anyio.create_task_group() as tg:

        async def on_signal() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as signals:
                async for _ in signals:
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(on_signal)
        await serve_stdio(server, gateway)
        tg.cancel_scope.cancel()


async def _serve_http(server: Any, host: str, port: int, *, token: str = "") -> None:
    import uvicorn

    app = server.streamable_http_app(host=host, streamable_http_path="/mcp")
    if token:
        app = BearerGate(app, token)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    print(f"blastdoor mcp: listening on http://{host}:{port}/mcp", file=sys.stderr)
    await uvicorn.Server(config).serve()


class BearerGate:
    """ASGI: HTTP requests without ``Authorization: Bearer <token>`` get 401 and reach nothing else."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = b'{"error":"unauthorized: send Authorization: Bearer <token>"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="blastdoor-mcp"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Any) -> bool:
        import hmac

        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return hmac.compare_digest(value[7:].strip(), self._token)
        return False
