"""Send a report to the blastdoor server (``POST /v1/inventory``), authenticated by a person's API token."""

from __future__ import annotations

from typing import Any

from blastdoor.errors import InputError, StoreError

ENDPOINT = "/v1/inventory"


def endpoint(url: str) -> str:
    """The inventory endpoint of the server at ``url`` (a base URL, or the endpoint itself)."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--submit needs an http(s) URL, not `{url}`")
    base = url.rstrip("/")
    return base if base.endswith(ENDPOINT) else base + ENDPOINT


def submit(url: str, report: dict[str, Any], token: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """POST the report; the server's answer (``{"host": ..., "received": ...}``). Raises on refusal."""
    import httpx

    if not token:
        raise InputError(
            "who sends this? give your API token with --token-file FILE or $BLASTDOOR_TOKEN",
            hints=["an admin issues one with `blastdoor people add NAME --role approver`"],
        )
    try:
        answer = httpx.post(endpoint(url), json=report, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise StoreError(f"cannot reach the server at {url}: {exc}") from exc
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code >= 400:
        err = body.get("error", {}) if isinstance(body, dict) else {}
        message = err.get("message", answer.text[:200]) if isinstance(err, dict) else answer.text[:200]
        raise InputError(f"the server refused the report ({answer.status_code}): {message}")
    return body if isinstance(body, dict) else {}
