"""The pipeline's preview step: preview an escalated action, then judge it again with what it showed.

``needs_preview`` is the cheap test the pipeline makes before importing anything of this package:
previews never run for an allowed action, nor for a verdict a later stage imposed (a revoked agent,
an internal error). ``with_preview`` then:

- previews the action (``preview_action``), bounded in time; no previewer applies: nothing changes;
- puts the preview on the action (``Action.preview``, what the approval binds to) and its facts on
  each previewed part (``blast_radius`` = the number of changes, ``facts.preview`` = its counts,
  targets and protected hits), so that ``blast_radius``, ``protected`` and ``preview`` rules apply;
- decides again. The new verdict stands, with one floor: a previewed action is never allowed
  outright (the state can move between the preview and the run), so an ``allow`` becomes ``ask``;
- a failed or timed-out preview keeps the first decision and adds "no preview available" to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.preview import NO_PREVIEW, Preview

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.action import Action, Decision
    from blastdoor.policy.compiled import CompiledPolicy

PREVIEW_RULE_FLOOR = "preview.floor"
# Verdicts set by a stage after the policy: a preview never reopens them.
_IMPOSED = frozenset(("agent.revoked", "identity.unavailable", "policy.on_error", "audit.unavailable"))
_PREVIEW_CONDS = frozenset(("blast_radius", "protected", "preview"))
_reads_previews: dict[str, bool] = {}


def reads_previews(policy: CompiledPolicy) -> bool:
    """Whether any rule looks at what a preview shows (then a deny is previewed too: it may lift)."""
    known = _reads_previews.get(policy.hash)
    if known is None:
        known = any(
            c[0] in _PREVIEW_CONDS for r in policy.rules for c in (*r.conds, *(c for e in r.excepts for c in e))
        )
        _reads_previews[policy.hash] = known
    return known


def needs_preview(policy: CompiledPolicy, decision: Decision) -> bool:
    """Cheap: whether the pipeline should try a preview for this decision."""
    if decision.rule in _IMPOSED or decision.verdict == "allow":
        return False
    return decision.verdict in ("ask", "approve") or reads_previews(policy)


def with_preview(
    policy: CompiledPolicy, action: Action, decision: Decision, *, environ: Mapping[str, str] | None = None
) -> tuple[Action, Decision]:
    """The previewed action and its decision (see the module's docstring). Never raises."""
    from blastdoor.policy import decide

    try:
        from blastdoor.preview import Context, preview_action

        made = preview_action(action, Context(cwd=action.cwd, environ=environ, protect=policy.protect))
    except Exception as exc:  # a previewer's bug is a failed preview, never an allow
        made = (Preview.unavailable("preview", f"{type(exc).__name__}: {exc}"), {})
    if made is None:
        return action, decision
    preview, per_part = made
    previewed = attach(action, preview, per_part)
    if policy.environments:
        from blastdoor.classify.environment import resolve_environments

        previewed = resolve_environments(previewed, policy.environments)
    if not preview.ok:
        return previewed, _told(decision, preview)
    try:
        again = decide(policy, previewed)
    except Exception as exc:
        decision.reasons = (*decision.reasons, f"the preview could not be judged: {exc}")
        return previewed, decision
    again.action_digest = decision.action_digest
    if again.verdict == "allow":
        again = again.with_verdict(
            "ask",
            PREVIEW_RULE_FLOOR,
            "a previewed change is confirmed, never allowed outright",
        )
    return previewed, _told(again, preview)


def _told(decision: Decision, preview: Preview) -> Decision:
    """The decision whose first reason (what a harness reply shows) ends with the preview's short form."""
    short = preview.short() if preview.ok else f"{NO_PREVIEW}: {preview.message}"
    first = decision.reason or "escalated"  # the policy's words stay as written; the preview follows
    decision.reasons = (f"{first} [preview: {short}]", *decision.reasons[1:])
    return decision


def attach(action: Action, preview: Preview, per_part: Mapping[int, Preview]) -> Action:
    """``action`` with the preview on it and each part's preview facts on that part."""

    def facts_of(part: Action, p: Preview) -> Action:
        counts: dict[str, Any] = dict(p.summary)
        counts.update({k: v for k, v in p.facts.items() if isinstance(v, int) and not isinstance(v, bool)})
        info = {"status": p.status, "counts": counts, "targets": p.targets[:200]}
        facts = {**part.facts, "preview": info}
        found = p.facts.get("evidence")
        if isinstance(found, dict) and found:
            # What the preview learnt of the environment (a plan's provider account, a workspace).
            facts["evidence"] = {**found, **(part.facts.get("evidence") or {})}
        return part.replace(blast_radius=p.changes if p.ok else None, facts=facts)

    if action.parts:
        parts = [facts_of(part, per_part[i]) if i in per_part else part for i, part in enumerate(action.parts)]
        return action.replace(parts=parts, preview=preview.to_dict())
    whole = facts_of(action, per_part[0]) if 0 in per_part else action
    return whole.replace(preview=preview.to_dict())
