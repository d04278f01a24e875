"""A drill against a running server (``blastdoor drill --live URL``): the server's own policy, store,
webhooks and kill switch, through its HTTP API, with an API token (a person's).

    run_live(scenario, url, token, trusted=())     a ``DrillResult`` like a local drill's

Per step ``POST /v1/decide`` (recorded by the server before it answers); detection reads the entry back
by its correlation id and checks its inclusion proof (``GET /v1/audit/events/{seq}/proof``), and counts
webhook deliveries on ``/metrics`` (``blastdoor_webhook_deliveries_total``) until every approval request
is delivered or a deadline passes; containment revokes the agent (``POST /v1/agents/{id}/revoke``),
asks for the next step again, then restores the agent (admins only: the report says when it could not).
The agent id of a scenario should be one used for drills only: a live drill revokes it for a moment.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError, Unavailable
from blastdoor.governance.drill import STOPS, DrillResult, StepResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.governance.scenario import Scenario, Step

ALERT_WAIT = 15.0  # seconds to wait for the server's webhook deliveries (it retries with backoff)


class _Api:
    def __init__(self, url: str, token: str) -> None:
        import httpx

        self._httpx = httpx
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30.0)
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except self._httpx.HTTPError as exc:
            raise Unavailable(f"the server at {self.url} cannot be reached: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("error", {}).get("message", response.text)
            except ValueError:
                message = response.text
            raise InputError(f"{method} {path}: HTTP {response.status_code}: {message}")
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def deliveries(self) -> dict[str, int]:
        from blastdoor.governance.drill import deliveries_in

        text = str(self.call("GET", "/metrics"))
        return {o: deliveries_in(text, o) for o in ("delivered", "failed")}

    def decide(self, step: Step, correlation_id: str) -> dict[str, Any]:
        body = {"action": step.spec, "environ": step.environ, "correlation_id": correlation_id}
        return dict(self.call("POST", "/v1/decide", json=body))


def run_live(scenario: Scenario, url: str, token: str, trusted: Sequence[Verifier] = ()) -> DrillResult:
    """Run ``scenario`` through the server at ``url`` and check detection, containment and recovery."""
    api = _Api(url, token)
    try:
        return _run(api, scenario, trusted)
    finally:
        api.client.close()


def _run(api: _Api, scenario: Scenario, trusted: Sequence[Verifier]) -> DrillResult:
    from blastdoor.audit.proofs import check_inclusion
    from blastdoor.governance.drill import check_not_revoked

    listed = api.call("GET", "/v1/agents")
    agents = listed.get("agents", []) if isinstance(listed, dict) else listed
    status = next((str(a.get("status")) for a in agents if a.get("id") == scenario.agent_id), "active")
    check_not_revoked(status, scenario)
    result = DrillResult(scenario, "", api.url)
    run_id = uuid.uuid4().hex[:12]
    before = api.deliveries()
    for step in scenario.steps:
        res = StepResult(step)
        res.reached = result.stopped_at is None
        correlation = f"drill-{run_id}-{step.index}"
        answer = api.decide(step, correlation)
        decision, action = answer["decision"], answer["action"]
        res.verdict, res.rule = str(decision["verdict"]), str(decision["rule"])
        res.reason = str((decision.get("reasons") or [""])[0])
        res.env, res.effects = str(action.get("env") or ""), list(action.get("effects") or [])
        result.policy_hash = result.policy_hash or str(decision.get("policy_hash", ""))
        if res.verdict == "approve":
            a = decision.get("approvals") or {}
            res.approvers = {"count": a.get("count", 1), "group": a.get("from") or None, "eligible": []}
        res.request_id = str(decision.get("request_id", ""))
        res.preview = action.get("preview") if isinstance(action.get("preview"), dict) else None
        found = api.call("GET", "/v1/audit/events", params={"correlation_id": correlation, "kind": "decision"})
        entries = found.get("entries") or []
        if entries:
            res.seq = int(entries[0]["seq"])
            try:
                check_inclusion(api.call("GET", f"/v1/audit/events/{res.seq}/proof"), trusted)
                res.proven = True
            except Exception:  # an entry the server cannot prove is not detected
                res.proven = False
        if res.verdict == "deny":
            res.alert = "not-pushed"
        result.steps.append(res)
        if result.stopped_at is None and res.verdict in STOPS:
            result.stopped_at = step.index
    _alerts(api, result, before)
    if result.stopped_at is not None:
        _contain(api, scenario, result, run_id)
    return result


def _alerts(api: _Api, result: DrillResult, before: dict[str, int]) -> None:
    filed = [s for s in result.steps if s.verdict == "approve" and s.request_id]
    if not filed:
        return
    deadline = time.monotonic() + ALERT_WAIT
    now = api.deliveries()
    while now["delivered"] - before["delivered"] < len(filed) and time.monotonic() < deadline:
        if now["failed"] > before["failed"]:
            break
        time.sleep(0.2)  # polling the server's counters until the deliveries land or the deadline passes
        now = api.deliveries()
    delivered = now["delivered"] - before["delivered"]
    failed = now["failed"] > before["failed"]
    for i, s in enumerate(filed):
        s.alert = "delivered" if i < delivered else ("failed" if failed else "unconfirmed")
    result.webhooks = -1  # the server's own webhooks: their number is not exposed


def _contain(api: _Api, scenario: Scenario, result: DrillResult, run_id: str) -> None:
    from blastdoor.governance.drill import containment_probe

    step = containment_probe(result)
    if step is None:
        result.containment = {"tested": False, "why": "every step is denied by the policy itself"}
        return
    agent = scenario.agent_id
    api.call("POST", f"/v1/agents/{agent}/revoke", json={"reason": f"drill {scenario.id}"})
    answer = api.decide(step, f"drill-{run_id}-contain")
    decision = answer["decision"]
    restored = True
    try:
        api.call("POST", f"/v1/agents/{agent}/restore", json={"reason": f"drill {scenario.id} finished"})
    except InputError:
        restored = False
    result.containment = {
        "tested": True,
        "revoked": agent,
        "step": step.index,
        "verdict": decision["verdict"],
        "rule": decision["rule"],
        "held": decision["verdict"] == "deny" and decision["rule"] == "agent.revoked",
        "how": "revoked through the server's API, then the step asked of the server again",
        "restored": restored,
    }
