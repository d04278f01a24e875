"""Who asks: established from the connection, never taken from the request.

On the unix socket the operating system says who connected (``SO_PEERCRED``: the peer process's
user id), so the requester is that OS user, whatever ``$USER`` or a body field claims. Over TCP
nothing is known about the peer, so deciding needs a person's API token (``Authorization: Bearer``):
the requester is that person. A token is also accepted on the unix socket (a service acting for its
people); it must then be valid.

The caller's identity becomes the action's ``on_behalf_of``: the person an approval may never come
from, and part of what an approval binds to.
"""

from __future__ import annotations

import os
import struct
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.approvals import Person
    from blastdoor.server.state import ServerState

# The ASGI scope key under which the server's protocol puts the unix peer's user id.
PEER_UID = "blastdoor.peer_uid"
# How long an authenticated token is remembered: removing a person or reissuing a token takes effect
# within this time on the decision path (every other route reads the store on each request).
TOKEN_TTL = 1.0


class Caller:
    """Who sent a request: ``name`` (the requester), how it was established (``unix`` or ``token``)."""

    __slots__ = ("name", "person", "via")

    def __init__(self, name: str, via: str, person: Person | None = None) -> None:
        self.name = name
        self.via = via
        self.person = person

    def __repr__(self) -> str:
        return f"Caller({self.name!r}, via={self.via!r})"


def peer_uid(transport: Any) -> int | None:
    """The user id of the process at the other end of a unix socket; None for TCP.

    Linux answers ``SO_PEERCRED``. Where it does not exist the socket's mode (0600) admits only the
    server's own user (and root), so that user is the peer.
    """
    import socket

    sock = transport.get_extra_info("socket")
    if sock is None or getattr(sock, "family", None) != socket.AF_UNIX:
        return None
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:  # pragma: no cover - not Linux
        return os.getuid()
    raw = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def user_name(uid: int) -> str:
    """The OS user name of ``uid`` (``uid:N`` when it has none)."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def bearer(headers: Any) -> str:
    """The bearer token of an ASGI scope's raw headers (a list of byte pairs) or a Starlette Headers."""
    if isinstance(headers, list):
        value = next((v.decode("latin-1") for k, v in headers if k == b"authorization"), "")
    else:
        value = headers.get("authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


class TokenCache:
    """Tokens seen recently on the decision path -> the person (a store read per decision otherwise)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, Person]] = {}

    def get(self, token: str) -> Person | None:
        hit = self._seen.get(token)
        if hit is not None and time.monotonic() - hit[0] < TOKEN_TTL:
            return hit[1]
        return None

    def put(self, token: str, person: Person) -> None:
        if len(self._seen) > 1024:
            self._seen.clear()
        self._seen[token] = (time.monotonic(), person)


async def caller_of(state: ServerState, scope: Any) -> Caller:
    """The requester of a decide or hook request; raises ``ApiError`` 401 when it cannot be established."""
    from blastdoor.server.api import ApiError

    token = bearer(scope.get("headers", []))
    if token:
        person = state.tokens.get(token)
        if person is None:
            person = await state.in_worker(state.services.people.authenticate, token)
            if person is None:
                raise ApiError(401, "bad_token", "the API token is not valid (unknown, reissued or removed)")
            state.tokens.put(token, person)
        return Caller(person.name, "token", person)
    uid = scope.get(PEER_UID)
    if uid is not None:
        return Caller(user_name(int(uid)), "unix")
    raise ApiError(
        401,
        "no_token",
        "who asks? over TCP, send `Authorization: Bearer <API token>` (a person's token; `blastdoor people add "
        "NAME --role requester` issues one that can only ask), or use the unix socket",
    )


def peer_protocol() -> type:
    """uvicorn's httptools protocol, with the unix peer's user id in every request's scope."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class PeerProtocol(HttpToolsProtocol):
        _peer: int | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            try:
                self._peer = peer_uid(transport)
            except OSError:
                self._peer = None  # unknown: the request must then bring a token

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._peer is not None:
                self.scope[PEER_UID] = self._peer  # type: ignore[literal-required]

    return PeerProtocol
