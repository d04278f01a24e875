"""Notifications: a webhook per new approval request, generic JSON or Slack-compatible, with retries.

Delivery runs on the server's event loop, off the decision path: a slow or dead receiver never delays a
decision. Each delivery is retried with exponential backoff (0.5 s, 1 s, 2 s, 4 s, ...) on network errors,
429 and 5xx; other 4xx are permanent. With a secret, the body is signed:
``X-Blastdoor-Signature: sha256=<hex HMAC of the body>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.approvals import Request
    from blastdoor.approvals.break_glass import Glass
    from blastdoor.server.config import Webhook
    from blastdoor.server.metrics import Metrics

ATTEMPTS = 6
FIRST_DELAY = 0.5


def generic_body(request: Request, link: str) -> dict[str, Any]:
    r = request.to_dict()
    keep = ("id", "status", "agent_id", "requester", "harness", "tool", "operation", "env", "command", "rule")
    return {
        "type": "blastdoor.approval.requested",
        "url": link,
        "request": {k: r[k] for k in keep} | {"needed": r["needed"], "group": r["group"], "expires": r["expires"]},
        "reason": request.reason,
    }


def slack_body(request: Request, link: str) -> dict[str, Any]:
    who = f"{request.agent_id}" + (f" for {request.requester}" if request.requester else "")
    group = f" from `{request.group}`" if request.group else ""
    headline = f"Approval needed ({request.needed}{group}): {request.operation} in {request.env or 'no env'}"
    return {
        "text": f"{headline}: <{link}|{request.id}>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(headline)}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{_escape(request.command)[:2800]}```"}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _escape(f"{who} · rule {request.rule}: {request.reason}")}],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Review"},
                        "url": link,
                        "style": "primary",
                    }
                ],
            },
        ],
    }


def break_glass_body(kind: str, glass: Glass, link: str) -> dict[str, Any]:
    """Every break-glass change, loudly: who asked, why, who approved, what it overrides."""
    return {
        "type": f"blastdoor.{kind}",
        "url": link,
        "break_glass": glass.summary() | {"status": glass.status, "approvers": glass.approvers},
    }


_GLASS_HEADLINE = {
    "break_glass.requested": "BREAK-GLASS requested",
    "break_glass.approved": "BREAK-GLASS approval",
    "break_glass.denied": "BREAK-GLASS denied",
    "break_glass.expired": "BREAK-GLASS expired",
    "break_glass.used": "BREAK-GLASS USED",
}


def break_glass_slack(kind: str, glass: Glass, link: str) -> dict[str, Any]:
    headline = (
        f"{_GLASS_HEADLINE.get(kind, kind)} ({glass.status}, {len(glass.approvers)}/{glass.needed} from "
        f"`{glass.group}`): {glass.operation} in {glass.env or 'no env'}, overriding {', '.join(glass.rules)}"
    )
    context = f"{glass.agent_id} · requested by {glass.requester}: {glass.reason}"
    if glass.approvers:
        context += f" · approved by {', '.join(glass.approvers)}"
    return {
        "text": f"{headline}: <{link}|{glass.id}>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_escape(headline)}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{_escape(glass.command)[:2800]}```"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(context)}]},
        ],
    }


def _button(label: str, link: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "url": link, "style": "primary"}


def _escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Notifier:
    """Sends each new request to every configured webhook, in the background."""

    def __init__(self, hooks: list[Webhook], public_url: str, metrics: Metrics | None = None) -> None:
        self.hooks = hooks
        self.public_url = public_url
        self.metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: Any = None

    def link(self, request_id: str) -> str:
        return f"{self.public_url}/requests/{request_id}"

    def request_filed(self, request: Request) -> None:
        """Schedule delivery (call on the event loop's thread)."""
        for hook in self.hooks:
            body = slack_body if hook.format == "slack" else generic_body
            task = asyncio.get_running_loop().create_task(self._deliver(hook, body(request, self.link(request.id))))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def break_glass(self, kind: str, glass: Glass) -> None:
        """Schedule delivery of a break-glass change to every webhook (call on the event loop's thread)."""
        link = f"{self.public_url}/v1/break-glass/{glass.id}"
        for hook in self.hooks:
            body = break_glass_slack if hook.format == "slack" else break_glass_body
            task = asyncio.get_running_loop().create_task(self._deliver(hook, body(kind, glass, link)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, hook: Webhook, body: dict[str, Any]) -> None:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "blastdoor"}
        if hook.secret:
            mac = hmac.new(hook.secret.encode(), data, hashlib.sha256).hexdigest()
            headers["X-Blastdoor-Signature"] = f"sha256={mac}"
        delay = FIRST_DELAY
        problem = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._client.post(hook.url, content=data, headers=headers)
                if response.status_code < 300:
                    self._count("delivered")
                    return
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # permanent: retrying will not help
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < ATTEMPTS:
                self._count("retried")
                await asyncio.sleep(delay * (0.75 + random.random() / 2))
                delay *= 2
        self._count("failed")
        print(f"blastdoor: webhook {hook.url} failed: {problem}", file=sys.stderr)

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.inc("blastdoor_webhook_deliveries_total", outcome=outcome)

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2)
        if self._client is not None:
            await self._client.aclose()
