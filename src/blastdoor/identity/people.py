"""People who approve (approvers), manage (admins) or only ask (requesters), each with an API token.

A requester's token establishes who asks for decisions over TCP (``/v1/decide``, the HTTP hook):
give it to a service or an HTTP hook, never an approver's or an admin's.

A token is 32 random bytes shown once, when the person is added; the store keeps only its SHA-256 (a
slow password hash buys nothing for a random 256-bit secret, and a lookup must stay one indexed read).
Adding and removing people are audit events.

A web session is not the token: signing in issues ``issued.name.mac`` with the mac an HMAC (the
server's secret) over the name, the time and the person's current token hash. It lasts
``SESSION_SECONDS``, and a reissued token or a removed person ends every session at once (the hash
it was bound to is gone); a leaked cookie is never an API credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from blastdoor.errors import Conflict, InputError, NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.approvals.requests import EventLog, Person, StateStore

ROLES = ("admin", "approver", "requester")
TOKEN_PREFIX = "bd_"
SESSION_SECONDS = 12 * 3600


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class People:
    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    def add(self, name: str, role: str = "approver", *, by: str = "", token: str | None = None) -> str:
        """Add ``name`` with ``role``; returns their new API token (shown once, stored hashed)."""
        if not name or not name.replace("-", "").replace("_", "").replace(".", "").replace("@", "").isalnum():
            raise InputError(f"bad person name `{name}`", hints=["letters, digits, - _ . @"])
        if role not in ROLES:
            raise InputError(f"unknown role `{role}`", hints=[f"one of: {', '.join(ROLES)}"])
        token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
        if self.store.read("SELECT name FROM person WHERE name = ?", (name,)):
            raise Conflict(f"`{name}` already exists", hints=["`blastdoor people token NAME` issues a new token"])
        self.log.append({"v": 1, "kind": "person.added", "person": name, "role": role, "by": by})
        with self.store.write() as tx:
            tx.execute(
                "INSERT INTO person (name, role, token_hash, created, disabled) VALUES (?, ?, ?, ?, 0)",
                (name, role, hash_token(token), self.clock()),
            )
        return token

    def reissue(self, name: str, *, by: str = "") -> str:
        """A new token for ``name``; the old one stops working."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._need(name)
        self.log.append({"v": 1, "kind": "person.token_reissued", "person": name, "by": by})
        with self.store.write() as tx:
            tx.execute("UPDATE person SET token_hash = ? WHERE name = ?", (hash_token(token), name))
        return token

    def remove(self, name: str, *, by: str = "") -> None:
        """Disable ``name``: their token no longer signs in (the row stays: the log names them)."""
        self._need(name)
        self.log.append({"v": 1, "kind": "person.removed", "person": name, "by": by})
        with self.store.write() as tx:
            tx.execute("UPDATE person SET disabled = 1 WHERE name = ?", (name,))

    def _need(self, name: str) -> None:
        if not self.store.read("SELECT name FROM person WHERE name = ?", (name,)):
            raise NotFound(f"no person `{name}`", hints=["`blastdoor people list` shows them"])

    def authenticate(self, token: str) -> Person | None:
        """The person a token belongs to, or None (unknown, or disabled)."""
        from blastdoor.approvals.requests import Person

        if not token:
            return None
        rows = self.store.read(
            "SELECT name, role FROM person WHERE token_hash = ? AND disabled = 0", (hash_token(token),)
        )
        return Person(str(rows[0][0]), str(rows[0][1])) if rows else None

    def issue_session(self, person: Person, secret: bytes) -> str:
        """A web session for ``person`` (signed in with their token just now): ``issued.name.mac``."""
        current = self._current(person.name)
        if current is None:
            raise NotFound(f"no person `{person.name}`")
        issued = str(int(self.clock()))
        name = person.name.encode("utf-8").hex()
        return f"{issued}.{name}.{_session_mac(secret, issued, name, current[1])}"

    def open_session(self, value: str, secret: bytes, *, seconds: float = SESSION_SECONDS) -> Person | None:
        """The person a session belongs to; None when it is forged, expired, or their token changed."""
        from blastdoor.approvals.requests import Person

        issued, _, rest = value.partition(".")
        name, _, mac = rest.partition(".")
        if not issued.isdigit() or not mac:
            return None
        age = self.clock() - int(issued)
        if not -60 <= age < seconds:  # a minute of clock skew between processes, no more
            return None
        try:
            person = bytes.fromhex(name).decode("utf-8")
        except ValueError:
            return None
        current = self._current(person)
        if current is None or not hmac.compare_digest(mac, _session_mac(secret, issued, name, current[1])):
            return None
        return Person(person, current[0])

    def _current(self, name: str) -> tuple[str, str] | None:
        """``(role, token hash)`` of a person who may sign in."""
        rows = self.store.read("SELECT role, token_hash FROM person WHERE name = ? AND disabled = 0", (name,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def all(self) -> list[dict[str, object]]:
        return [
            {"name": n, "role": r, "disabled": bool(d)}
            for n, r, d in self.store.read("SELECT name, role, disabled FROM person ORDER BY name")
        ]

    def any_admin(self) -> bool:
        return bool(self.store.read("SELECT name FROM person WHERE role = 'admin' AND disabled = 0 LIMIT 1"))


def _session_mac(secret: bytes, issued: str, name: str, token_hash: str) -> str:
    message = f"session\0{issued}\0{name}\0{token_hash}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
