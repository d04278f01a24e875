"""The witness role of the server (optional): ``POST /witness/add-checkpoint`` (C2SP tlog-witness) and
``GET /witness/latest?origin=...``, so one blastdoor instance can witness another's audit log.

Off unless ``BLASTDOOR_WITNESS_KEY`` names the witness's signing key (a signed-note signer key file,
made by ``blastdoor audit witness-init``); ``BLASTDOOR_WITNESS_LOGS`` names a file of the logs it
witnesses, one ``ORIGIN VERIFIER-KEY`` a line. Its state (the last cosigned checkpoint of each log) is
``<key>.state``. The witness trusts nothing but the logs' keys and consistency proofs, so these routes
need no login: a request either proves its checkpoint extends the last one or is refused.
"""

from __future__ import annotations

import os
import threading

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

TYPE_CHECKING = False
if TYPE_CHECKING:
    from blastdoor.audit.witness import Witness

_lock = threading.Lock()
_cache: dict[tuple[str, str], Witness] = {}
MAX_BODY = 64 * 1024


def witness_from_env() -> Witness | None:
    """The witness configured by the environment (None: this server is not a witness)."""
    key = os.environ.get("BLASTDOOR_WITNESS_KEY", "")
    logs = os.environ.get("BLASTDOOR_WITNESS_LOGS", "")
    if not key:
        return None
    with _lock:
        found = _cache.get((key, logs))
        if found is None:
            found = _cache[(key, logs)] = load_witness(key, logs)
        return found


def load_witness(key_path: str, logs_path: str) -> Witness:
    from blastdoor.audit import checkpoint as cp
    from blastdoor.audit.witness import Witness

    with open(key_path, encoding="ascii") as f:
        signer = cp.Signer.parse(f.read())
    logs: dict[str, list[cp.Verifier]] = {}
    if logs_path:
        with open(logs_path, encoding="utf-8") as f:
            for line in f.read().splitlines():
                fields = line.split()
                if len(fields) == 2 and not fields[0].startswith("#"):
                    logs.setdefault(fields[0], []).append(cp.Verifier.parse(fields[1]))
    return Witness(signer, key_path + ".state", logs)


def _text(status: int, body: str, content_type: str = "text/plain") -> Response:
    return PlainTextResponse(body, status_code=status, media_type=content_type)


async def add_checkpoint(request: Request) -> Response:
    from blastdoor.audit.witness import WitnessError

    witness = witness_from_env()
    if witness is None:
        return _text(404, "this server is not a witness\n")
    body = await request.body()
    if len(body) > MAX_BODY:
        return _text(413, "request too large\n")
    try:
        line = await run_in_threadpool(witness.add_checkpoint, body.decode("utf-8", "replace"))
    except WitnessError as exc:
        return _text(exc.status, exc.body, exc.content_type)
    return _text(200, line)


async def latest(request: Request) -> Response:
    witness = witness_from_env()
    if witness is None:
        return _text(404, "this server is not a witness\n")
    note = await run_in_threadpool(witness.latest, request.query_params.get("origin", ""))
    if note is None:
        return _text(404, "no checkpoint of this log yet\n")
    return _text(200, note)


ROUTES = [
    Route("/witness/add-checkpoint", add_checkpoint, methods=["POST"]),
    Route("/witness/latest", latest, methods=["GET"]),
]
