"""Break-glass, composed: the denied decision in the audit log + the policy's terms -> a request.

    terms_of(policy)                                   the policy's ``break_glass`` block as ``Terms``
    denied_entry(log, seq=..., correlation_id=...)     the recorded decision a break-glass is asked for
    request_break_glass(services, policy, entry, ...)  file it (``BreakGlass.request``), checked

A break-glass is always asked for an action that was really denied: the decision event holds the
action as it was asked and classified, so the request binds to exactly that action (its digest, the
environment it resolved to), and the policy of today must still deny it only by rules it lets a
break-glass override. The pipeline checks the same again when the action is retried.

The layer: this module reads the audit log, the policy and the approvals' store, so it sits beside
the pipeline (above them all); the CLI and the server call it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.approvals.requests import ApprovalRefused
from blastdoor.errors import InputError, NotFound

if TYPE_CHECKING:
    from blastdoor.action import Action
    from blastdoor.approvals import Person
    from blastdoor.approvals.break_glass import Glass, Terms
    from blastdoor.audit.log import AuditLog
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services


def terms_of(policy: CompiledPolicy) -> Terms:
    """The policy's break-glass terms; ``ApprovalRefused`` when the policy allows no break-glass."""
    from blastdoor.approvals.break_glass import Terms

    block = policy.break_glass
    if not block:
        raise ApprovalRefused(
            "no_break_glass", "this policy allows no break-glass (add a `break_glass:` block; docs/BREAK-GLASS.md)"
        )
    group = str(block["from"])
    return Terms(group, policy.approvers.get(group, []), int(block["count"]), int(block["max_ttl"]))


def denied_entry(
    log: AuditLog, *, seq: int | None = None, correlation_id: str = "", latest_of: str | None = None
) -> dict[str, Any]:
    """The audit entry of the denied decision: by its sequence number, its correlation id, or the most
    recent denied decision (``latest_of``: of that agent; ``""``: of any agent)."""
    from blastdoor.audit.log import Query

    entry: dict[str, Any] | None
    if latest_of is not None:
        found = log.search(Query(kind="decision", verdict="deny", agent=latest_of, limit=1))
        if not found:
            raise NotFound("no denied decision" + (f" of agent `{latest_of}`" if latest_of else ""))
        entry = found[0]
    elif seq is not None:
        entry = log.entry(seq) if 0 <= seq < log.size() else None
        if entry is None:
            raise NotFound(f"no audit entry {seq}", hints=["`blastdoor audit search --verdict deny` lists denials"])
    elif correlation_id:
        found = log.search(Query(kind="decision", correlation_id=correlation_id, limit=1))
        if not found:
            raise NotFound(f"no decision with correlation id `{correlation_id}`")
        entry = found[0]
    else:
        raise InputError("which denied action? give its audit sequence number or its correlation id")
    event = entry.get("event") or {}
    if event.get("kind") != "decision" or event.get("verdict") != "deny":
        raise InputError(
            f"audit entry {entry.get('seq')} is not a denied decision ({event.get('kind')}, {event.get('verdict')})"
        )
    return entry


def action_of(entry: dict[str, Any]) -> Action:
    """The classified action of a decision entry, exactly as it was asked (its digest is checked)."""
    from blastdoor.action import Action, Agent

    event = entry["event"]
    data = event.get("action")
    if not isinstance(data, dict):
        raise InputError(f"audit entry {entry.get('seq')} does not hold the action")
    if "preview" in data:
        raise ApprovalRefused("preview", "the action had a preview; a break-glass cannot bind to it from the log")
    try:
        action = Action.from_dict(data, agent=Agent.from_dict(event.get("agent"), where="agent"))
    except ValueError as exc:
        raise InputError(f"audit entry {entry.get('seq')}: {exc}") from exc
    if action.digest() != event.get("action_digest"):
        # Secrets in the action were redacted in the log: what is recorded is not what was asked.
        raise ApprovalRefused(
            "redacted", "the recorded action is not the exact action (secrets in it were redacted in the log)"
        )
    return action


def request_break_glass(
    services: Services,
    policy: CompiledPolicy,
    entry: dict[str, Any],
    requester: Person,
    reason: str,
    *,
    ttl: int | None = None,
) -> Glass:
    """File a break-glass for the denied action of ``entry`` under ``policy``.

    Refused (``ApprovalRefused``): the policy has no break-glass; the action is no longer denied, or
    denied by a rule the policy does not let a break-glass override (or by a setting); the requester is
    an agent; no reason; a ttl beyond the policy's maximum; an open break-glass for it already.
    """
    from blastdoor.policy import decide
    from blastdoor.policy.breakglass import breakable, lifts

    terms = terms_of(policy)
    action = action_of(entry)
    decision = decide(policy, action)
    if decision.verdict != "deny":
        raise ApprovalRefused("not_denied", f"this policy no longer denies the action (it says {decision.verdict})")
    denying = sorted({m.rule for m in decision.matched if m.verdict == "deny"})
    outside = [r for r in denying if r not in breakable(policy)]
    if outside or not lifts(policy, action, decision, denying):
        what = ", ".join(f"`{r}`" for r in outside) if outside else f"`{decision.rule}`"
        raise ApprovalRefused(
            "rule", f"the deny by {what} cannot be broken: it is not among the policy's break_glass rules"
        )
    event = entry["event"]
    return services.break_glass.request(
        action,
        rules=denying,
        terms=terms,
        requester=requester,
        reason=reason,
        ttl=ttl,
        agents=services.agents.among(requester.name),
        correlation_id=str(event.get("correlation_id", "")),
        policy_hash=policy.hash,
    )
