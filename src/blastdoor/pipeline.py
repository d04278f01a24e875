"""The one place that wires classify -> decide (-> approvals -> record, as those land).

Fail closed: an error anywhere after the policy loaded becomes the policy's ``on_error`` verdict; a
policy that cannot be loaded becomes deny.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
