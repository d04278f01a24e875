"""A witness (C2SP tlog-witness, tlog-cosignature/v1) and the outside anchors a log publishes to.

The witness holds a second key. For each log it knows (origin and the log's verifier key) it remembers
the last checkpoint it cosigned, and cosigns a new one only when the log signed it and a consistency
proof (RFC 6962) shows it extends the last one: a log that was rolled back or forked cannot get a
cosignature again, and the witness's latest checkpoint tells any verifier how far the log had grown.

``add-checkpoint`` follows tlog-witness: the request body is ``old <size>``, the consistency proof
(one base64 hash a line), a blank line and the signed checkpoint; the answer is the cosignature line,
or 409 with the witness's size (``text/x.tlog.size``) when the client's ``old`` is not it. ``latest``
(a blastdoor addition) returns the last cosigned checkpoint of an origin.

A cosignature signs ``cosignature/v1\\ntime <unix seconds>\\n`` followed by the checkpoint text; its
signature line carries ``key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)``, the key
id being the first 4 bytes of SHA-256(name || 0x0A || 0x04 || public key).

Anchors (``<key>.anchors`` beside the signing key, one a line) say where a log's checkpoints go::

    witness https://witness.example/witness  witness-name+1a2b3c4d+BASE64KEY
    file /var/lib/blastdoor-anchor/checkpoints.jsonl
    git /var/lib/blastdoor-anchor/repo
    s3 s3://audit-anchor/blastdoor https://s3.example.internal

(``s3``: an S3-compatible bucket, one object per checkpoint written with ``If-None-Match: *``, see
``blastdoor.audit.s3anchor``; the endpoint is optional.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from blastdoor.audit import checkpoint as cp
from blastdoor.audit.merkle import ProofError, verify_consistency

if TYPE_CHECKING:
    from collections.abc import Sequence

COSIGNATURE = 0x04
SIZE_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """A refused request: ``status`` is the HTTP status tlog-witness gives it, ``body`` what to send."""

    def __init__(self, status: int, message: str, body: str = "", content_type: str = "text/plain") -> None:
        super().__init__(message)
        self.status = status
        self.body = body or message + "\n"
        self.content_type = content_type


def cosig_key_id(name: str, public: bytes) -> int:
    h = hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE]) + public).digest()
    return int.from_bytes(h[:4], "big")


def _message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


class CosignatureVerifier:
    """A witness's public key: ``name+hexid+base64(0x04 || key)``."""

    __slots__ = ("id", "name", "public")

    def __init__(self, name: str, public: bytes) -> None:
        self.name = name
        self.public = public
        self.id = cosig_key_id(name, public)

    @classmethod
    def of(cls, signer: cp.Signer) -> CosignatureVerifier:
        return cls(signer.name, signer.verifier.public)

    @classmethod
    def parse(cls, text: str) -> CosignatureVerifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise cp.NoteError("a witness key reads `name+hexid+base64key`")
        try:
            raw = base64.b64decode(parts[2], validate=True)
            wanted = int(parts[1], 16)
        except ValueError as exc:
            raise cp.NoteError(f"malformed witness key `{text.strip()}`") from exc
        if len(raw) != 33 or raw[0] != COSIGNATURE:
            raise cp.NoteError("a witness key is a cosignature/v1 (0x04) Ed25519 key")
        v = cls(parts[0], raw[1:])
        if v.id != wanted:
            raise cp.NoteError(f"witness key `{parts[0]}` has id {parts[1]}, its key hashes to {v.id:08x}")
        return v

    def __str__(self) -> str:
        return f"{self.name}+{self.id:08x}+{base64.b64encode(bytes([COSIGNATURE]) + self.public).decode()}"

    def check(self, note: str) -> tuple[cp.Checkpoint, int]:
        """The checkpoint of a cosigned ``note`` and the time of this witness's cosignature; NoteError else."""
        text, sigs = cp.split_note(note)
        for s in sigs:
            if s.name != self.name or s.id != self.id:
                continue
            if len(s.sig) != 72:
                raise cp.NoteError(f"malformed cosignature by `{self.name}`")
            timestamp = int.from_bytes(s.sig[:8], "big")
            if not cp.Verifier(self.name, self.public).verify(_message(text, timestamp), s.sig[8:]):
                raise cp.NoteError(f"bad cosignature by witness `{self.name}`")
            return cp.Checkpoint.parse(text), timestamp
        raise cp.NoteError(f"no cosignature by witness `{self.name}`")


def cosign(signer: cp.Signer, text: str, timestamp: int) -> str:
    """The signature line of a cosignature/v1 on checkpoint ``text``."""
    kid = cosig_key_id(signer.name, signer.verifier.public)
    sig = kid.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signer.sign(_message(text, timestamp))
    return f"\u2014 {signer.name} {base64.b64encode(sig).decode()}\n"


class Witness:
    """The witness role: cosign consistent checkpoints of known logs; state in one JSON file."""

    def __init__(self, signer: cp.Signer, state_path: str, logs: dict[str, list[cp.Verifier]]) -> None:
        self.signer = signer
        self.state_path = state_path
        self.logs = logs
        self._lock = threading.Lock()

    @property
    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier.of(self.signer)

    def _state(self) -> dict[str, Any]:
        try:
            with open(self.state_path, encoding="utf-8") as f:
                value = json.load(f)
        except FileNotFoundError:
            return {}
        if not isinstance(value, dict):
            raise WitnessError(500, f"witness state `{self.state_path}` is corrupt")
        return value

    def _save(self, state: dict[str, Any]) -> None:
        tmp = f"{self.state_path}.{os.getpid()}.tmp"
        os.makedirs(os.path.dirname(os.path.abspath(self.state_path)), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    def add_checkpoint(self, body: str) -> str:
        """Cosign the checkpoint in a tlog-witness request; its cosignature line. ``WitnessError`` else."""
        head, sep, note = body.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old ") or not lines[0][4:].isdigit():
            raise WitnessError(400, "the request reads `old <size>`, the proof lines, a blank line, the checkpoint")
        old = int(lines[0][4:])
        try:
            proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
            c = cp.peek_checkpoint(note)
        except (ValueError, cp.NoteError) as exc:
            raise WitnessError(400, f"malformed request: {exc}") from exc
        keys = self.logs.get(c.origin)
        if keys is None:
            raise WitnessError(404, f"unknown log `{c.origin}`")
        try:
            cp.open_note(note, keys)
        except cp.NoteError as exc:
            raise WitnessError(403, f"the checkpoint is not signed by the log's key: {exc}") from exc
        with self._lock:
            state = self._state()
            last = state.get(c.origin, {"size": 0, "root": ""})
            size = int(last["size"])
            if old != size:
                raise WitnessError(409, f"the witness's size is {size}", f"{size}\n", SIZE_TYPE)
            if c.size < size:
                raise WitnessError(400, f"the checkpoint ({c.size}) is smaller than the last one ({size})")
            if size:
                old_root = base64.b64decode(last["root"])
                try:
                    verify_consistency(size, c.size, old_root, c.root, proof)
                except ProofError as exc:
                    raise WitnessError(422, f"not consistent with the last checkpoint: {exc}") from exc
            timestamp = int(time.time())
            text = c.text()
            line = cosign(self.signer, text, timestamp)
            state[c.origin] = {"size": c.size, "root": base64.b64encode(c.root).decode(), "note": note + line}
            self._save(state)
        return line

    def latest(self, origin: str) -> str | None:
        """The last checkpoint of ``origin`` this witness cosigned (the log's note with its cosignature)."""
        with self._lock:
            entry = self._state().get(origin)
        return None if entry is None else str(entry["note"])


# -- anchors: where a log sends its checkpoints, and where verify reads them back ------------------------


class Anchor:
    __slots__ = ("endpoint", "key", "kind", "where")

    def __init__(self, kind: str, where: str, key: CosignatureVerifier | None = None, endpoint: str = "") -> None:
        self.kind = kind
        self.where = where
        self.key = key
        self.endpoint = endpoint

    def __str__(self) -> str:
        return f"{self.kind} {self.where}"


def load_anchors(path: str) -> list[Anchor]:
    """The anchors in ``path`` (none when it does not exist); ``cp.NoteError`` names a bad line."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for n, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "witness" and len(fields) == 3:
            out.append(Anchor("witness", fields[1].rstrip("/"), CosignatureVerifier.parse(fields[2])))
        elif fields[0] in ("file", "git") and len(fields) == 2:
            out.append(Anchor(fields[0], fields[1]))
        elif fields[0] == "s3" and len(fields) in (2, 3):
            from blastdoor.audit.s3anchor import parse_target

            parse_target(fields[1])
            out.append(Anchor("s3", fields[1], endpoint=fields[2] if len(fields) == 3 else ""))
        else:
            raise cp.NoteError(
                f"{path}:{n}: expected `witness URL KEY`, `file PATH`, `git DIR` or `s3 s3://BUCKET/PREFIX [ENDPOINT]`"
            )
    return out


def _http(url: str, data: bytes | None = None, timeout: float = 10.0) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


def _git(repo: str, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-C", repo, "-c", "user.name=blastdoor", "-c", "user.email=blastdoor@localhost", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if done.returncode:
        raise OSError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def publish(anchors: Sequence[Anchor], note: str, consistency: Any) -> list[str]:
    """Send a signed checkpoint to every anchor; the errors, one line each (nothing raised).

    ``consistency(old, new)`` gives a consistency proof between two sizes (for witnesses).
    """
    errors = []
    c = cp.peek_checkpoint(note)
    line = json.dumps({"checkpoint": note}) + "\n"
    for a in anchors:
        try:
            if a.kind == "file":
                os.makedirs(os.path.dirname(os.path.abspath(a.where)), exist_ok=True)
                fd = os.open(a.where, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
            elif a.kind == "git":
                if not os.path.isdir(os.path.join(a.where, ".git")):
                    os.makedirs(a.where, exist_ok=True)
                    _git(a.where, "init", "-q")
                with open(os.path.join(a.where, "checkpoints.jsonl"), "a", encoding="utf-8") as f:
                    f.write(line)
                _git(a.where, "add", "checkpoints.jsonl")
                _git(a.where, "commit", "-q", "-m", f"checkpoint {c.origin} {c.size}")
            elif a.kind == "s3":
                from blastdoor.audit import s3anchor

                s3anchor.put(a.where, a.endpoint, note)
            else:
                _submit(a.where, note, c, consistency)
        except Exception as exc:  # an anchor that fails must not fail the checkpoint: reported instead
            errors.append(f"{a}: {exc}")
    return errors


def _submit(url: str, note: str, c: cp.Checkpoint, consistency: Any) -> None:
    old = 0
    for _ in range(3):
        proof = consistency(old, c.size) if old else []
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note
        status, text = _http(url + "/add-checkpoint", body.encode())
        if status == 200:
            return
        if status == 409 and text.strip().isdigit():
            old = int(text.strip())
            if old > c.size:
                raise WitnessError(409, f"the witness has seen {old} entries, more than this checkpoint's {c.size}")
            if old == c.size:
                proof = []
            continue
        raise WitnessError(status, f"the witness refused the checkpoint ({status}): {text.strip()}")
    raise WitnessError(409, "the witness kept moving")


def collect(anchors: Sequence[Anchor], origin: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The checkpoints the anchors hold for ``origin`` as ``(anchor, note)``, and what could not be read."""
    notes: list[tuple[str, str]] = []
    missing: list[str] = []
    for a in anchors:
        try:
            if a.kind == "witness":
                from urllib.parse import quote

                status, text = _http(f"{a.where}/latest?origin={quote(origin)}")
                if status == 404:
                    missing.append(f"witness {a.where} has no checkpoint of this log yet")
                    continue
                if status != 200:
                    raise OSError(f"status {status}: {text.strip()}")
                assert a.key is not None
                a.key.check(text)  # the witness's own word: its cosignature must hold
                notes.append((f"witness {a.key.name}", text))
                continue
            if a.kind == "s3":
                from blastdoor.audit import s3anchor

                held = s3anchor.latest(a.where, a.endpoint, origin)
                if held is None:
                    missing.append(f"{a} has no checkpoint of this log yet")
                else:
                    notes.append((str(a), held))
                continue
            if a.kind == "file":
                with open(a.where, encoding="utf-8") as f:
                    text = f.read()
            else:
                text = _git(a.where, "show", "HEAD:checkpoints.jsonl")
            for raw in text.splitlines():
                if raw.strip():
                    doc = json.loads(raw)
                    if isinstance(doc, dict) and isinstance(doc.get("checkpoint"), str):
                        notes.append((str(a), doc["checkpoint"]))
        except (OSError, ValueError, cp.NoteError) as exc:
            missing.append(f"{a} could not be read: {exc}")
    return [(w, n) for w, n in notes if _origin_of(n) == origin], missing


def _origin_of(note: str) -> str:
    try:
        return cp.peek_checkpoint(note).origin
    except cp.NoteError:
        return ""
