"""The web inbox: server-rendered pages (Jinja2) for approvers, the audit browser and the agents page."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute


def wants_html(request: Request) -> bool:
    """A browser's page request (as opposed to an API call), which gets an HTML error page."""
    return not request.url.path.startswith(("/v1/", "/healthz", "/metrics", "/openapi")) and "text/html" in (
        request.headers.get("accept", "")
    )


def error_page(request: Request, status: int, message: str) -> Response:
    body = f"<!doctype html><title>blastdoor: {status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    return HTMLResponse(body, status_code=status)


ROUTES: list[BaseRoute] = []
