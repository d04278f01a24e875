"""The one place that wires classify -> decide -> record (-> approvals, as they land).

Fail closed: an error anywhere after the policy loaded becomes the policy's ``on_error`` verdict; a
policy that cannot be loaded becomes deny.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from blastdoor.policy import decide, error_decision

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.action import Action, Decision
    from blastdoor.policy.compiled import CompiledPolicy


def classify_for(
    policy: CompiledPolicy,
    action: Action,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> Action:
    from blastdoor.classify import classify

    return classify(action, policy.environments, environ=environ, home=home)


def evaluate(
    policy: CompiledPolicy,
    action: Action,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> tuple[Action, Decision]:
    """Classify and decide. Never raises: an internal error yields the ``on_error`` decision."""
    digest = ""
    try:
        digest = action.digest()
        classified = classify_for(policy, action, environ=environ, home=home)
        decision = decide(policy, classified)
    except Exception as exc:  # fail closed on anything, including classifier bugs
        return action, error_decision(
            policy.on_error,
            f"internal error: {type(exc).__name__}: {exc}",
            policy_hash=policy.hash,
            action_digest=digest,
        )
    decision.action_digest = digest
    return classified, decision


class DecisionRecorder(Protocol):
    """What ``decide_and_record`` needs of the audit log (``blastdoor.audit.log.AuditLog`` is one)."""

    def record_decision(self, action: Action, decision: Decision, *, correlation_id: str = "") -> int: ...


# The pseudo-rule of a verdict overridden because the decision could not be recorded.
AUDIT_UNAVAILABLE = "audit.unavailable"


def is_plain_read_action(action: Action) -> bool:
    """True when every part of the classified action only reads: what may pass when the log is down."""
    from blastdoor.action import is_plain_read

    return all(is_plain_read(part.effects) for part in action.subjects())


def decide_and_record(
    policy: CompiledPolicy,
    action: Action,
    log: DecisionRecorder,
    correlation_id: str,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> tuple[Action, Decision]:
    """Classify, decide, and record the decision before anything runs. Never raises.

    Fail closed: when the decision cannot be recorded, any verdict but a plain read's becomes deny (an
    action the log does not know about must not run). ``log`` may raise anything; ``StoreError`` is
    the expected one.
    """
    classified, decision = evaluate(policy, action, environ=environ, home=home)
    try:
        log.record_decision(classified, decision, correlation_id=correlation_id)
    except Exception as exc:  # the log's own errors and any bug behind it: same answer
        if decision.verdict != "deny" and not (decision.verdict == "allow" and is_plain_read_action(classified)):
            decision = decision.with_verdict(
                "deny", AUDIT_UNAVAILABLE, f"the audit log cannot be written ({exc}), so only plain reads may run"
            )
    return classified, decision
