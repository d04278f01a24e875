"""Agent credentials: an identity an agent cannot get by saying a name.

Enrolment issues a JWT (RFC 7519) signed with EdDSA (Ed25519, RFC 8037): ``sub`` the agent id, ``aud``
and ``iss`` ``blastdoor``, ``iat``, ``exp`` and a ``jti`` the store knows. The signing key is a file
beside the audit key (mode 0600, never in the database); its public half is registered in the store
(``agent_key``), so every process on the store verifies every credential. Each credential is a row in
``agent_credential``; verifying reads that row (one indexed read), so a revoked or rotated credential is
refused at its next use in any process. Enrolment, rotation and revocation are audit events; the token
itself is never logged.

The credential is presented as ``$BLASTDOOR_AGENT_CREDENTIAL`` (the token) or
``$BLASTDOOR_AGENT_CREDENTIAL_FILE`` (a file holding it); the thin hook reads the file and sends the
token to the server, which verifies it. PyJWT and ``cryptography`` are imported only to verify or sign.
"""

from __future__ import annotations

import os
import secrets
import time

from blastdoor.audit import events as ev
from blastdoor.errors import InputError, NotFound

TYPE_CHECKING = False  # not typing's: the pipeline imports this module on every decision
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from blastdoor.approvals.requests import EventLog, StateStore

ENV_TOKEN = "BLASTDOOR_AGENT_CREDENTIAL"
ENV_FILE = "BLASTDOOR_AGENT_CREDENTIAL_FILE"
UNKNOWN_AGENT = "unknown-agent"  # who an unverified caller is judged as
AUDIENCE = "blastdoor"
ISSUER = "blastdoor"
ALGORITHM = "EdDSA"
KEY_FILE = "agents.key"
DEFAULT_TTL = 30 * 86400
MAX_TOKEN = 8192  # bytes; a credential is ~400

ACTIVE = "active"
REVOKED = "revoked"
ROTATED = "rotated"


class CredentialRefused(Exception):
    """A presented credential that does not establish an identity: forged, expired, revoked, garbled."""


class Issued:
    """A credential just issued: the token is shown once and never stored."""

    __slots__ = ("agent_id", "expires", "jti", "token")

    def __init__(self, agent_id: str, token: str, jti: str, expires: float) -> None:
        self.agent_id = agent_id
        self.token = token
        self.jti = jti
        self.expires = expires


def presented(environ: Mapping[str, str]) -> str:
    """The credential the caller presents (the token, stripped), or ''. Raises CredentialRefused when a
    named file cannot be read: a credential that was meant but is missing is not silence."""
    token = environ.get(ENV_TOKEN, "")
    if token:
        return token.strip()
    path = environ.get(ENV_FILE, "")
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TOKEN + 1)
    except OSError as exc:
        raise CredentialRefused(f"the credential file {path} cannot be read ({exc.strerror})") from exc
    if len(data) > MAX_TOKEN:
        raise CredentialRefused(f"the credential file {path} is too large to be a credential")
    return data.decode("ascii", "replace").strip()


def from_wire(environ: dict[str, str]) -> dict[str, str]:
    """A caller's environment received over the wire, made safe: ``$BLASTDOOR_AGENT_CREDENTIAL_FILE``
    names a file on the caller's side, so it is dropped (a token that cannot verify stands in for it when
    no token came with it: the caller meant a credential and sent none)."""
    path = environ.pop(ENV_FILE, "")
    if path and not environ.get(ENV_TOKEN):
        environ[ENV_TOKEN] = "credential-file-not-sent"
    return environ


class Credentials:
    """Issue, verify, rotate and revoke agent credentials on one store."""

    def __init__(
        self,
        store: StateStore,
        log: EventLog,
        *,
        key_path: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.log = log
        self.key_path = key_path or default_key_path(log)
        self.clock = clock
        self._public: dict[str, Any] = {}  # kid -> Ed25519PublicKey; keys never change once registered

    # -- the signing key -----------------------------------------------------------------------------

    def _signer(self) -> tuple[str, Any]:
        """(kid, private key): the key file's, created (and its public half registered) when missing."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from blastdoor.audit.keys import _read_private, _write_new

        if os.path.exists(self.key_path):
            key = serialization.load_pem_private_key(_read_private(self.key_path), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise InputError(f"{self.key_path}: not an Ed25519 private key")
        else:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            _write_new(self.key_path, pem)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        import base64
        import hashlib

        kid = "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]
        public = base64.b64encode(raw).decode()
        if not self.store.read("SELECT 1 FROM agent_key WHERE kid = ?", (kid,)):
            with self.store.write() as tx:
                if not tx.execute("UPDATE agent_key SET public_key = public_key WHERE kid = ?", (kid,)):
                    tx.execute(
                        "INSERT INTO agent_key (kid, public_key, created) VALUES (?, ?, ?)",
                        (kid, public, self.clock()),
                    )
        return kid, key

    def _public_key(self, kid: str) -> Any:
        key = self._public.get(kid)
        if key is not None:
            return key
        rows = self.store.read("SELECT public_key FROM agent_key WHERE kid = ?", (kid,))
        if not rows:
            raise CredentialRefused("the credential was not signed by a key this store knows")
        import base64

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = self._public[kid] = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(rows[0][0])))
        return key

    # -- issuing -------------------------------------------------------------------------------------

    def enrol(self, agent_id: str, *, by: str, ttl: int = DEFAULT_TTL, reason: str = "") -> Issued:
        """Issue a credential for ``agent_id`` (earlier ones stay valid: ``rotate`` replaces them)."""
        return self._issue(agent_id, by=by, ttl=ttl, reason=reason, kind=ev.AGENT_ENROLLED)

    def rotate(self, agent_id: str, *, by: str, ttl: int = DEFAULT_TTL, reason: str = "") -> Issued:
        """Issue a new credential and withdraw every earlier one of ``agent_id`` (their next use is refused)."""
        if not self.enrolled(agent_id):
            raise NotFound(f"agent {agent_id} has no active credential to rotate", hints=["blastdoor agents enrol"])
        issued = self._issue(agent_id, by=by, ttl=ttl, reason=reason, kind=ev.AGENT_ROTATED, replace=True)
        return issued

    def _issue(self, agent_id: str, *, by: str, ttl: int, reason: str, kind: str, replace: bool = False) -> Issued:
        if not agent_id or agent_id == UNKNOWN_AGENT or any(c.isspace() for c in agent_id):
            raise InputError(f"`{agent_id}` cannot be enrolled: an agent id is a non-empty name without spaces")
        if ttl <= 0:
            raise InputError("a credential's lifetime must be positive")
        import jwt

        kid, key = self._signer()
        now = self.clock()
        jti = secrets.token_urlsafe(16)
        expires = now + ttl
        claims = {
            "sub": agent_id,
            "aud": AUDIENCE,
            "iss": ISSUER,
            "iat": int(now),
            "exp": int(expires),
            "jti": jti,
        }
        token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
        self.log.append(ev.credential_event(kind, agent_id, jti=jti, expires=expires, by=by, reason=reason))
        with self.store.write() as tx:
            if replace:
                tx.execute(
                    "UPDATE agent_credential SET status = ?, changed_by = ?, changed = ?, reason = ?"
                    " WHERE agent_id = ? AND status = ?",
                    (ROTATED, by, now, reason or "rotated", agent_id, ACTIVE),
                )
            tx.execute(
                "INSERT INTO agent_credential"
                " (jti, agent_id, kid, issued, expires, status, changed_by, changed, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (jti, agent_id, kid, now, expires, ACTIVE, by, now, reason),
            )
        return Issued(agent_id, token, jti, expires)

    def revoke(self, agent_id: str, *, by: str, reason: str = "") -> list[str]:
        """Withdraw every active credential of ``agent_id``; the jtis withdrawn (audited, one event each)."""
        rows = self.store.read(
            "SELECT jti, expires FROM agent_credential WHERE agent_id = ? AND status = ?", (agent_id, ACTIVE)
        )
        if not rows:
            raise NotFound(f"agent {agent_id} has no active credential")
        now = self.clock()
        for jti, expires in rows:
            self.log.append(
                ev.credential_event(
                    ev.AGENT_CREDENTIAL_REVOKED, agent_id, jti=str(jti), expires=float(expires), by=by, reason=reason
                )
            )
        with self.store.write() as tx:
            tx.execute(
                "UPDATE agent_credential SET status = ?, changed_by = ?, changed = ?, reason = ?"
                " WHERE agent_id = ? AND status = ?",
                (REVOKED, by, now, reason, agent_id, ACTIVE),
            )
        return [str(r[0]) for r in rows]

    # -- reading -------------------------------------------------------------------------------------

    def enrolled(self, agent_id: str) -> bool:
        """True when ``agent_id`` holds a credential that has not been withdrawn or expired."""
        # The time is compared here, not in the statement: the same statement can then be remembered
        # between changes (identity/remember.py).
        rows = self.store.read(
            "SELECT MAX(expires) FROM agent_credential WHERE agent_id = ? AND status = ?", (agent_id, ACTIVE)
        )
        return bool(rows) and rows[0][0] is not None and float(rows[0][0]) > self.clock()

    def all(self) -> list[dict[str, Any]]:
        rows = self.store.read(
            "SELECT jti, agent_id, issued, expires, status, changed_by, reason FROM agent_credential"
            " ORDER BY issued DESC"
        )
        now = self.clock()
        out = []
        for jti, agent_id, issued, expires, status, by, reason in rows:
            state = "expired" if status == ACTIVE and float(expires) <= now else str(status)
            out.append(
                {
                    "jti": str(jti),
                    "agent_id": str(agent_id),
                    "issued": ev.format_time(int(float(issued) * 1e9)),
                    "expires": ev.format_time(int(float(expires) * 1e9)),
                    "status": state,
                    "changed_by": str(by),
                    "reason": str(reason),
                }
            )
        return out

    def verify(self, token: str) -> str:
        """The agent id ``token`` establishes; CredentialRefused with the reason otherwise."""
        import jwt

        if len(token) > MAX_TOKEN:
            raise CredentialRefused("the credential is too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise CredentialRefused(f"the credential is not a token ({exc})") from exc
        if header.get("alg") != ALGORITHM:
            raise CredentialRefused(f"the credential is not signed with {ALGORITHM}")
        key = self._public_key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "aud", "iss", "exp", "iat", "jti"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError as exc:
            raise CredentialRefused("the credential has expired: `blastdoor agents rotate`") from exc
        except jwt.PyJWTError as exc:
            raise CredentialRefused(f"the credential does not verify ({exc})") from exc
        jti, agent_id = str(claims["jti"]), str(claims["sub"])
        rows = self.store.read("SELECT agent_id, status, expires FROM agent_credential WHERE jti = ?", (jti,))
        if not rows or str(rows[0][0]) != agent_id:
            raise CredentialRefused("the credential was not issued by this store")
        status = str(rows[0][1])
        if status != ACTIVE:
            raise CredentialRefused(f"the credential was {status}")
        if float(rows[0][2]) <= self.clock():
            raise CredentialRefused("the credential has expired: `blastdoor agents rotate`")
        return agent_id


def default_key_path(log: Any) -> str:
    """``agents.key`` beside the audit log's signing key (or in blastdoor's data directory)."""
    keys = getattr(log, "keys", None)
    audit_key = getattr(keys, "key_path", "")
    if audit_key:
        return os.path.join(os.path.dirname(os.path.abspath(audit_key)), KEY_FILE)
    from blastdoor.paths import data_dir

    return os.path.join(data_dir(), KEY_FILE)
