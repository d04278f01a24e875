"""An S3-compatible bucket as an append-only export anchor for checkpoints.

Anchor line (``<key>.anchors``)::

    s3 s3://BUCKET/PREFIX [ENDPOINT]

Each signed checkpoint becomes one object, ``PREFIX/<origin>/<size, 20 digits>.checkpoint``, written
with ``If-None-Match: *``: the bucket refuses to replace an object that exists, so nobody holding only
this log's credentials (in particular whoever owns the database) can rewrite a checkpoint that was
exported. A second checkpoint at the same size with other bytes is a fork and is reported as such; the
same bytes again (a retry) are fine. Object lock or a bucket policy that denies ``DeleteObject`` makes
deletion impossible too: see docs/AUDIT.md.

Zero-padded sizes sort as numbers, so reading back lists the prefix and fetches the last object: the
largest checkpoint ever exported, which is what catches a rollback or truncation (every older one is
implied by it in an append-only tree).

``boto3`` is imported only here, only when an ``s3`` anchor is configured (the ``aws`` extra);
credentials and region come from boto3's usual chain (environment, profile, instance role).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from blastdoor.audit import checkpoint as cp

SUFFIX = ".checkpoint"


def parse_target(where: str) -> tuple[str, str]:
    """``s3://BUCKET/PREFIX`` as ``(bucket, prefix)`` (the prefix without slashes at its ends)."""
    if not where.startswith("s3://"):
        raise cp.NoteError(f"an s3 anchor is `s3://BUCKET/PREFIX`, not `{where}`")
    bucket, _, prefix = where[5:].partition("/")
    if not bucket:
        raise cp.NoteError(f"an s3 anchor needs a bucket: `{where}`")
    return bucket, prefix.strip("/")


def object_key(prefix: str, origin: str, size: int) -> str:
    # The origin is a path-like string (``blastdoor.audit/<log id>``): quoted so it is one key segment.
    return "/".join(p for p in (prefix, quote(origin, safe=""), f"{size:020d}{SUFFIX}") if p)


def _client(endpoint: str) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # the anchor is configured, its library is not: say so, never pass silently
        raise OSError("the s3 anchor needs boto3 (pip install 'blastdoor[aws]')") from exc
    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client("s3", endpoint_url=endpoint or None, config=config)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def put(where: str, endpoint: str, note: str) -> None:
    """Export one signed checkpoint; ``OSError`` when it could not be written (or differs from the
    checkpoint already exported at its size: a fork)."""
    bucket, prefix = parse_target(where)
    c = cp.peek_checkpoint(note)
    key = object_key(prefix, c.origin, c.size)
    s3 = _client(endpoint)
    body = note.encode()
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", ContentType="text/plain; charset=utf-8")
        return
    except Exception as exc:
        if _code(exc) not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            raise OSError(f"cannot write s3://{bucket}/{key}: {exc}") from exc
    # Already there: the same checkpoint again is a retry; anything else at this size is a fork.
    try:
        held = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise OSError(f"s3://{bucket}/{key} exists but cannot be read: {exc}") from exc
    if held != body:
        raise OSError(f"s3://{bucket}/{key} already holds another checkpoint at size {c.size} (a fork?)")


def latest(where: str, endpoint: str, origin: str) -> str | None:
    """The largest checkpoint of ``origin`` exported to the bucket, or None when there is none."""
    bucket, prefix = parse_target(where)
    folder = object_key(prefix, origin, 0).rpartition("/")[0] + "/"
    s3 = _client(endpoint)
    last = ""
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder):
            for item in page.get("Contents", []):
                name = str(item["Key"])
                if name.endswith(SUFFIX) and name > last:
                    last = name
        if not last:
            return None
        return str(s3.get_object(Bucket=bucket, Key=last)["Body"].read().decode("utf-8"))
    except Exception as exc:
        raise OSError(f"cannot read s3://{bucket}/{folder}: {exc}") from exc
