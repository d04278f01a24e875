"""Signed checkpoints: the C2SP signed-note format over a C2SP tlog-checkpoint body, Ed25519.

A checkpoint commits to the whole log up to a size::

    <origin>
    <tree size>
    <base64 root hash>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

Key ids, verifier keys (``name+hexid+base64(0x01||pub)``) and signer keys
(``PRIVATE+KEY+name+hexid+base64(0x01||seed)``) follow the signed-note spec, so checkpoints can be
checked with any implementation of it (for example Go's ``golang.org/x/mod/sumdb/note``).

``cryptography`` is imported only when a signature is made or checked: the hook appends events from a
fresh process and must not pay for it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ED25519 = 0x01
_DASH = "\u2014"  # EM DASH, which starts every signature line


class NoteError(ValueError):
    """A note, key or checkpoint is malformed, or a signature does not verify."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"bad key name `{name}`: no spaces or '+' allowed")


def key_id(name: str, public: bytes) -> int:
    """Signed note key id: the first 4 bytes of SHA-256(name || '\\n' || 0x01 || public key)."""
    h = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()
    return int.from_bytes(h[:4], "big")


class Verifier:
    """A public key that checks signatures in notes: ``name+hexid+base64(0x01 || key)``."""

    __slots__ = ("id", "name", "public")

    def __init__(self, name: str, public: bytes) -> None:
        _check_name(name)
        if len(public) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        self.name = name
        self.public = public
        self.id = key_id(name, public)

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key reads `name+hexid+base64key`")
        name, hexid, b64 = parts
        try:
            raw = base64.b64decode(b64, validate=True)
            wanted = int(hexid, 16)
        except ValueError as exc:  # binascii.Error, or a bad hex id
            raise NoteError(f"malformed verifier key `{text.strip()}`") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        v = cls(name, raw[1:])
        if v.id != wanted:
            raise NoteError(f"verifier key `{name}` has id {hexid}, its key hashes to {v.id:08x}")
        return v

    def __str__(self) -> str:
        return f"{self.name}+{self.id:08x}+{base64.b64encode(bytes([ED25519]) + self.public).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if len(signature) != 64:
            return False  # a forged, empty or truncated signature: never an error, always a no
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verifier) and (self.name, self.public) == (other.name, other.public)

    def __hash__(self) -> int:
        return hash((self.name, self.public))


class Signer:
    """A private key that signs notes; its text form is the signed-note signer key."""

    __slots__ = ("name", "seed", "verifier")

    def __init__(self, name: str, seed: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        _check_name(name)
        if len(seed) != 32:
            raise NoteError("an Ed25519 private key is 32 bytes")
        public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.name = name
        self.seed = seed
        self.verifier = Verifier(name, public)

    @classmethod
    def generate(cls, name: str) -> Signer:
        import os

        return cls(name, os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key reads `PRIVATE+KEY+name+hexid+base64key`")
        name, hexid, b64 = parts[2:]
        try:
            raw = base64.b64decode(b64, validate=True)
            wanted = int(hexid, 16)
        except ValueError as exc:  # binascii.Error, or a bad hex id
            raise NoteError("malformed signer key") from exc
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 signer keys are supported")
        s = cls(name, raw[1:])
        if s.verifier.id != wanted:
            raise NoteError("signer key id does not match its key")
        return s

    def __str__(self) -> str:
        b64 = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id:08x}+{b64}"

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


# -- notes ---------------------------------------------------------------------------------------


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    _check_text(text)
    msg = text.encode()
    lines = []
    for s in signers:
        sig = s.verifier.id.to_bytes(4, "big") + s.sign(msg)
        lines.append(f"{_DASH} {s.name} {base64.b64encode(sig).decode()}\n")
    return text + "\n" + "".join(lines)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text must not contain control characters")


class Signature:
    __slots__ = ("id", "name", "sig")

    def __init__(self, name: str, kid: int, sig: bytes) -> None:
        self.name = name
        self.id = kid
        self.sig = sig


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The text and signatures of a signed note (signatures are not checked here)."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise NoteError("not a signed note: no blank line before the signatures")
    text += "\n"
    _check_text(text)
    out: list[Signature] = []
    if not sigs.endswith("\n"):
        raise NoteError("signature lines must end with a newline")
    for line in sigs[:-1].split("\n"):
        fields = line.split(" ")
        if len(fields) != 3 or fields[0] != _DASH:
            raise NoteError(f"malformed signature line `{line}`")
        try:
            raw = base64.b64decode(fields[2], validate=True)
        except ValueError as exc:  # binascii.Error, or non-ASCII text
            raise NoteError(f"malformed signature line `{line}`") from exc
        if len(raw) < 5:
            raise NoteError(f"malformed signature line `{line}`")
        out.append(Signature(fields[1], int.from_bytes(raw[:4], "big"), raw[4:]))
    if not out:
        raise NoteError("a signed note needs at least one signature")
    return text, out


def open_note(note: str, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The text of ``note`` and the known verifiers whose signatures on it are valid.

    A signature by an unknown key is ignored (the spec allows co-signers); a signature that names a
    known key but does not verify is an error, as is a note that no known key signed.
    """
    text, sigs = split_note(note)
    known = {(v.name, v.id): v for v in verifiers}
    good: list[Verifier] = []
    msg = text.encode()
    for s in sigs:
        v = known.get((s.name, s.id))
        if v is None:
            continue
        if not v.verify(msg, s.sig):
            raise NoteError(f"bad signature by `{s.name}` ({s.id:08x})")
        good.append(v)
    if not good:
        names = ", ".join(f"{s.name}+{s.id:08x}" for s in sigs)
        raise NoteError(f"note not signed by a trusted key (signed by: {names})")
    return text, good


# -- checkpoints -----------------------------------------------------------------------------------


class Checkpoint:
    """The C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines."""

    __slots__ = ("extensions", "origin", "root", "size")

    def __init__(self, origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> None:
        if not origin or "\n" in origin:
            raise NoteError("a checkpoint needs a one-line origin")
        if size < 0 or len(root) != 32:
            raise NoteError("a checkpoint needs a size >= 0 and a 32-byte root")
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = tuple(extensions)

    def text(self) -> str:
        ext = "".join(f"{e}\n" for e in self.extensions)
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n{ext}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint has an origin, a size and a root hash, one per line")
        origin, size_s, root_s = lines[0], lines[1], lines[2]
        if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
            raise NoteError(f"checkpoint size `{size_s}` is not a decimal number")
        try:
            root = base64.b64decode(root_s, validate=True)
        except ValueError as exc:  # binascii.Error, or non-ASCII text
            raise NoteError("checkpoint root hash is not base64") from exc
        return cls(origin, int(size_s), root, lines[3:-1])

    def sign(self, signers: Sequence[Signer]) -> str:
        return sign_note(self.text(), signers)


def open_checkpoint(note: str, verifiers: Iterable[Verifier]) -> tuple[Checkpoint, list[Verifier]]:
    """Parse a signed checkpoint and check its signatures (see ``open_note``)."""
    text, good = open_note(note, verifiers)
    return Checkpoint.parse(text), good


def peek_checkpoint(note: str) -> Checkpoint:
    """The checkpoint in a note without checking any signature (to display, or to find its keys)."""
    text, _ = split_note(note)
    return Checkpoint.parse(text)
