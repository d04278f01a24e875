"""A tabletop drill: replay a scenario through the real pipeline and check what the advisory asks.

    run_drill(scenario, policy, ...)     a ``DrillResult``: per step the verdict, rule, approvers, record

Each step goes through ``pipeline.decide_and_record`` (the same code a hook runs) on a store: by default
a scratch SQLite store of its own, so a drill never revokes a real agent or fills the real log. Then:

- **detection**: every step's decision is in the log (found at its sequence number, with an inclusion
  proof against a freshly signed checkpoint), and each approval request was delivered to the webhooks
  through the server's own notifier (the server pushes approval requests and break-glass changes; a
  deny is recorded but not pushed, and the report says so);
- **containment**: the sequence stops at the first step the policy stops (deny, or approval by another
  person); the agent is then revoked and the next step is judged again through a second connection to
  the store (as another process would see it): it must be denied by the kill switch;
- **recovery**: what the log says would have run (allowed steps) and which of those change something,
  so must be restored.

The drill passes when every step marked ``must`` got at least that verdict, every step was recorded,
every configured webhook delivery succeeded and the revocation held.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import TYPE_CHECKING, Any

from blastdoor.governance.scenario import SATISFIES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from blastdoor.action import Action, Decision
    from blastdoor.governance.scenario import Scenario, Step
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.server.config import Webhook
    from blastdoor.services import Services

SCHEMA = "blastdoor.drill/v1"
STOPS = frozenset({"deny", "approve"})
_CHANGES = frozenset({"write", "create", "delete", "wipe", "irreversible", "deploy", "privilege", "persist", "kill"})


class StepResult:
    """What happened at one step."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.verdict = ""
        self.rule = ""
        self.reason = ""
        self.env = ""
        self.effects: list[str] = []
        self.approvers: dict[str, Any] | None = None
        self.request_id = ""
        self.seq: int | None = None
        self.proven = False
        self.alert = "none"  # none | delivered | failed | not-pushed | no-webhook
        self.reached = True
        self.preview: dict[str, Any] | None = None  # what a previewer says the step would change

    @property
    def held(self) -> bool:
        return not self.step.must or self.verdict in SATISFIES[self.step.must]

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step.index,
            "name": self.step.name,
            "command": self.step.command(),
            "must": self.step.must or None,
            "verdict": self.verdict,
            "rule": self.rule,
            "reason": self.reason,
            "env": self.env or None,
            "effects": self.effects,
            "approvers": self.approvers,
            "preview": self.preview,
            "request_id": self.request_id or None,
            "recorded_seq": self.seq,
            "recorded": self.seq is not None and self.proven,
            "alert": self.alert,
            "reached": self.reached,
            "held": self.held,
        }


class DrillResult:
    """A drill's steps and its detection, containment and recovery findings."""

    def __init__(self, scenario: Scenario, policy_hash: str, store: str) -> None:
        self.scenario = scenario
        self.policy_hash = policy_hash
        self.store = store
        self.steps: list[StepResult] = []
        self.stopped_at: int | None = None
        self.containment: dict[str, Any] = {"tested": False}
        self.webhooks = 0

    @property
    def detection(self) -> dict[str, Any]:
        alerts = [s.alert for s in self.steps]
        return {
            "recorded": all(s.seq is not None and s.proven for s in self.steps),
            "recorded_steps": sum(1 for s in self.steps if s.seq is not None and s.proven),
            "webhooks": self.webhooks,
            "alerts_delivered": alerts.count("delivered"),
            "alerts_failed": alerts.count("failed"),
            "not_pushed": [s.step.index for s in self.steps if s.alert == "not-pushed"],
        }

    @property
    def recovery(self) -> dict[str, Any]:
        ran = [s for s in self.steps if s.reached and s.verdict == "allow"]
        changed = [s for s in ran if set(s.effects) & _CHANGES]
        return {
            "would_have_run": [s.step.index for s in ran],
            "to_restore": [{"step": s.step.index, "command": s.step.command(), "seq": s.seq} for s in changed],
            "recoverable": not changed,
        }

    def failures(self) -> list[str]:
        out = [
            f"step {s.step.index} ({s.step.name}): must {s.step.must}, got {s.verdict} ({s.rule})"
            for s in self.steps
            if not s.held
        ]
        out += [f"step {s.step.index}: not recorded in the audit log" for s in self.steps if s.seq is None]
        out += [f"step {s.step.index}: webhook delivery failed" for s in self.steps if s.alert == "failed"]
        c = self.containment
        if c.get("tested") and not c.get("held"):
            out.append(
                f"containment: after revoking {self.scenario.agent_id}, step {c.get('step')} got {c.get('verdict')}"
            )
        return out

    @property
    def passed(self) -> bool:
        return not self.failures()

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "scenario": {"id": self.scenario.id, "title": self.scenario.title, "agent": self.scenario.agent},
            "policy_hash": self.policy_hash,
            "store": self.store,
            "steps": [s.to_dict() for s in self.steps],
            "stopped_at": self.stopped_at,
            "detection": self.detection,
            "containment": self.containment,
            "recovery": self.recovery,
            "passed": self.passed,
            "failures": self.failures(),
        }


class _Capture:
    """The audit log as ``decide_and_record`` sees it, remembering the sequence number it got."""

    def __init__(self, services: Services) -> None:
        self.log = services.log
        self.seq: int | None = None

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int:
        self.seq = self.log.record_decision(action, decision, correlation_id=correlation_id)
        return self.seq


def _approvers(policy: CompiledPolicy, decision: Decision) -> dict[str, Any] | None:
    if decision.verdict != "approve":
        return None
    needed = decision.approvals
    group = needed.group if needed is not None else ""
    return {
        "count": needed.count if needed is not None else 1,
        "group": group or None,
        "eligible": list(policy.approvers.get(group, [])) if group else [],
    }


def run_drill(
    scenario: Scenario,
    policy: CompiledPolicy,
    *,
    store: str | None = None,
    webhooks: Sequence[Webhook] = (),
    home: str | None = None,
    public_url: str = "http://127.0.0.1:8787",
) -> DrillResult:
    """Run ``scenario`` under ``policy`` on ``store`` (default: a scratch store) and check it.

    ``public_url``: where the inbox is, for the links in the alerts (the server config's).

    ``home``: the home directory the classifiers read (AWS profiles, kube config, ...); by default an
    empty one, so a drill decides the same on every machine from what the scenario itself states.
    """
    with tempfile.TemporaryDirectory(prefix="blastdoor-drill-") as tmp:
        if home is None:
            home = os.path.join(tmp, "home")
            os.mkdir(home)
        if store is None:
            scratch = os.path.join(tmp, "drill.db")
            return _run(scenario, policy, scratch, os.path.join(tmp, "audit.key"), webhooks, home, public_url)
        return _run(scenario, policy, store, None, webhooks, home, public_url)


def _open(url: str, key: str | None) -> Services:
    from blastdoor.services import Services
    from blastdoor.store import open_log

    log = open_log(url, key_path=key, checkpoint_on_close=False) if key else open_log(url, checkpoint_on_close=False)
    return Services(log)


def _run(
    scenario: Scenario,
    policy: CompiledPolicy,
    url: str,
    key: str | None,
    webhooks: Sequence[Webhook],
    home: str | None,
    public_url: str,
) -> DrillResult:
    from blastdoor.pipeline import decide_and_record, judge

    result = DrillResult(scenario, policy.hash, "scratch" if key else url)
    result.webhooks = len(webhooks)
    run_id = uuid.uuid4().hex[:12]
    services = _open(url, key)
    try:
        check_not_revoked(services.agents.status(scenario.agent_id)[0], scenario)
        for step in scenario.steps:
            res = StepResult(step)
            res.reached = result.stopped_at is None
            capture = _Capture(services)
            classified, decision = decide_and_record(
                policy,
                step.action(),
                capture,
                f"drill-{run_id}-{step.index}",
                approvals=services.approvals,
                agents=services.agents,
                environ=step.environ,
                home=home,
            )
            res.verdict, res.rule, res.reason = decision.verdict, decision.rule, decision.reason
            res.env = classified.env or ""
            res.effects = sorted(classified.effects)
            res.approvers = _approvers(policy, decision)
            res.request_id = decision.request_id
            res.preview = classified.preview
            res.seq = capture.seq
            result.steps.append(res)
            if result.stopped_at is None and decision.verdict in STOPS:
                result.stopped_at = step.index
        _prove(services, result)
        _alert(services, result, webhooks, public_url)
        if result.stopped_at is not None:
            _contain(services, scenario, policy, result, url, key, home, judge)
    finally:
        services.close()
    return result


def check_not_revoked(status: str, scenario: Scenario) -> None:
    """A revoked agent would be denied every step by the kill switch: the policy would go untested, and
    restoring the agent after the drill would undo a real revocation. Refuse to run."""
    if status != "active":
        from blastdoor.errors import Conflict

        raise Conflict(
            f"agent `{scenario.agent_id}` is {status} in this store: a drill as this agent tests the kill switch,"
            " not the policy",
            hints=["give the scenario an agent id kept for drills (agent: {id: drill-...})"],
        )


def _prove(services: Services, result: DrillResult) -> None:
    """Each recorded step has an inclusion proof against a signed checkpoint of the log."""
    from blastdoor.audit.proofs import check_inclusion

    services.log.checkpoint(force=True)
    trusted = services.log.keys.trusted()
    for res in result.steps:
        if res.seq is None:
            continue
        try:
            check_inclusion(services.log.prove(res.seq), trusted)
            res.proven = True
        except Exception:  # an unprovable record is not a detection
            res.proven = False


def _alert(services: Services, result: DrillResult, webhooks: Sequence[Webhook], public_url: str) -> None:
    """Deliver each approval request through the server's notifier; say which steps are not pushed."""
    pending = []
    for res in result.steps:
        if res.verdict == "approve" and res.request_id:
            if not webhooks:
                res.alert = "no-webhook"
            else:
                pending.append(res)
        elif res.verdict == "deny":
            res.alert = "not-pushed"
    if not pending:
        return
    import asyncio

    from blastdoor.server.metrics import Metrics
    from blastdoor.server.notify import Notifier

    for res in pending:
        metrics = Metrics()
        request = services.approvals.get(res.request_id)

        async def deliver(request: Any = request, metrics: Metrics = metrics) -> None:
            notifier = Notifier(list(webhooks), public_url, metrics)
            notifier.request_filed(request)
            await notifier.aclose()

        asyncio.run(deliver())
        text = metrics.render({})
        delivered = deliveries_in(text, "delivered")
        res.alert = "delivered" if delivered >= len(webhooks) else "failed"


def deliveries_in(metrics_text: str, outcome: str) -> int:
    """How many webhook deliveries with ``outcome`` the Prometheus text of ``/metrics`` counts."""
    total = 0
    for line in metrics_text.splitlines():
        if line.startswith("blastdoor_webhook_deliveries_total") and f'outcome="{outcome}"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def containment_probe(result: DrillResult) -> Step | None:
    """The step to ask again after revoking: the next one after the stop that the policy itself does not
    deny (a policy deny wins before the kill switch is read, so it would show nothing), else the first
    such step of the scenario; None when the policy denies every step."""
    assert result.stopped_at is not None
    later = [s for s in result.steps if s.step.index > result.stopped_at]
    earlier = [s for s in result.steps if s.step.index <= result.stopped_at]
    for res in later + earlier:
        if res.verdict != "deny":
            return res.step
    return None


def _contain(
    services: Services,
    scenario: Scenario,
    policy: CompiledPolicy,
    result: DrillResult,
    url: str,
    key: str | None,
    home: str | None,
    judge: Any,
) -> None:
    """Revoke the agent at the stop point; the next step, judged through another connection, is denied."""
    step = containment_probe(result)
    if step is None:
        result.containment = {
            "tested": False,
            "why": "every step is denied by the policy itself, so revoking the agent changes nothing to see",
        }
        return
    agent = scenario.agent_id
    services.agents.revoke(
        agent, by="blastdoor-drill", reason=f"drill {scenario.id}: contained at step {result.stopped_at}"
    )
    other = _open(url, key)
    try:
        _, decision = judge(policy, step.action(), agents=other.agents, environ=step.environ, home=home)
    finally:
        other.close()
    result.containment = {
        "tested": True,
        "revoked": agent,
        "step": step.index,
        "verdict": decision.verdict,
        "rule": decision.rule,
        "held": decision.verdict == "deny" and decision.rule == "agent.revoked",
        "how": "revoked in the store, then the step judged through a second connection to it",
    }
    if key is None:  # a real store: give the drill agent back
        services.agents.restore(agent, by="blastdoor-drill", reason=f"drill {scenario.id} finished")


DRILL_KIND = "governance.drill"


def record_result(log: Any, result: DrillResult) -> int:
    """Record a drill's outcome in the audit log (``governance.drill``): evidence for the pack."""
    d = result.to_dict()
    event: dict[str, Any] = {
        "kind": DRILL_KIND,
        "scenario": result.scenario.id,
        "passed": result.passed,
        "policy_hash": result.policy_hash,
        "stopped_at": result.stopped_at,
        "steps": [{"step": s["step"], "verdict": s["verdict"], "rule": s["rule"]} for s in d["steps"]],
        "contained": bool(d["containment"].get("held")),
        "failures": d["failures"],
    }
    return int(log.append(event))


def markdown(results: Sequence[DrillResult]) -> str:
    """The drills as a Markdown report, step by step."""
    out: list[str] = []
    for r in results:
        d = r.to_dict()
        out.append(f"## Drill `{r.scenario.id}`: {'PASSED' if r.passed else 'FAILED'}\n")
        out.append(f"{r.scenario.title}. Agent `{r.scenario.agent_id}`; policy `{r.policy_hash[:16]}`.\n")
        out.append("| # | step | command | must | verdict | rule | approvers | recorded | alert |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for s in d["steps"]:
            who = ""
            if s["approvers"]:
                a = s["approvers"]
                who = f"{a['count']} from {a['group'] or 'anyone but the requester'}"
            cmd = s["command"].replace("|", "\\|")
            seen = f"seq {s['recorded_seq']}" if s["recorded"] else "NO"
            reached = "" if s["reached"] else " (not reached)"
            out.append(
                f"| {s['step']} | {s['name']}{reached} | `{cmd}` | {s['must'] or ''} | {s['verdict']} | "
                f"{s['rule']} | {who} | {seen} | {s['alert']} |"
            )
        det, con, rec = d["detection"], d["containment"], d["recovery"]
        out.append("")
        out.append(
            f"- **Detection**: {det['recorded_steps']}/{len(d['steps'])} steps recorded with inclusion proofs; "
            f"{det['alerts_delivered']} alert(s) delivered to "
            + (f"{det['webhooks']} webhook(s)" if det["webhooks"] >= 0 else "the server's webhooks")
            + (f"; denied steps {det['not_pushed']} are recorded, not pushed" if det["not_pushed"] else "")
        )
        if con.get("tested"):
            out.append(
                f"- **Containment**: stopped at step {d['stopped_at']}; after revoking `{con['revoked']}`, step "
                f"{con['step']} got {con['verdict']} ({con['rule']}): {'held' if con['held'] else 'DID NOT HOLD'}"
            )
        elif d["stopped_at"] is not None:
            out.append(f"- **Containment**: stopped at step {d['stopped_at']}; revocation not tested: {con['why']}")
        else:
            out.append("- **Containment**: the sequence was never stopped")
        restore = ", ".join(f"step {t['step']} `{t['command']}`" for t in rec["to_restore"]) or "nothing"
        out.append(f"- **Recovery**: would have run steps {rec['would_have_run'] or 'none'}; to restore: {restore}")
        for s in d["steps"]:
            p = s["preview"]
            if p:
                told = p.get("message") or ", ".join(f"{k} {v}" for k, v in sorted((p.get("summary") or {}).items()))
                out.append(f"- Preview of step {s['step']} ({p.get('kind')}, {p.get('status')}): {told}")
        for f in d["failures"]:
            out.append(f"- FAILURE: {f}")
        out.append("")
    return "\n".join(out)
