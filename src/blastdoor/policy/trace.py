"""Why a decision came out as it did: every rule considered for every part, condition by condition.

Explanations are data built beside the decision, never instead of it: ``explain`` calls ``decide`` for
the verdict and only records what the same condition evaluator says about each rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.policy.engine import candidates, cond_holds, decide

if TYPE_CHECKING:
    from blastdoor.action.decision import Decision
    from blastdoor.action.model import Action
    from blastdoor.policy.compiled import CompiledPolicy, Cond, Rule


def describe_cond(cond: Cond) -> str:
    kind = cond[0]
    if kind == "effects":
        return f"effects {sorted(cond[1])}"
    if kind == "targets":
        mode = "" if cond[1] == "default" else f"{cond[1]} "
        return f"targets {mode}{list(cond[2])}"
    if kind == "args":
        return f"args.{'.'.join(cond[1])} {cond[2]} {cond[3]!r}"
    if kind == "blast_radius":
        return f"blast_radius {cond[1]} {cond[2]}"
    if kind == "protected":
        return f"protected {str(cond[1]).lower()} (protect: {list(cond[2])})"
    if kind == "preview":
        return f"preview.{cond[1]} {cond[2]} {cond[3]!r}"
    return f"{kind} {list(cond[1])}"


def _actual(cond: Cond, subject: Action, root: Action) -> str:
    kind = cond[0]
    if kind == "effects":
        return str(sorted(subject.effects or {"unknown"}))
    if kind == "targets":
        return str(list(subject.targets))
    if kind == "args":
        return "args" if subject.args or root.args else "no args"
    if kind == "blast_radius":
        return str(subject.blast_radius)
    if kind in ("protected", "preview"):
        info = subject.facts.get("preview")
        if not isinstance(info, dict):
            return "no preview" if kind == "preview" else str(list(subject.targets))
        return str(info.get("counts") if kind == "preview" else [*subject.targets, *info.get("targets", [])][:20])
    if kind in ("agent", "harness"):
        return repr(root.agent.id if kind == "agent" else root.agent.harness)
    return repr(getattr(subject, kind))


def _trace_rule(rule: Rule, subject: Action, root: Action, candidate: bool) -> dict[str, Any]:
    conds = [
        {
            "condition": describe_cond(c),
            "actual": _actual(c, subject, root),
            "holds": cond_holds(c, subject, root, rule.permissive),
        }
        for c in rule.conds
    ]
    excepts = [
        {
            "conditions": [describe_cond(c) for c in entry],
            "holds": all(cond_holds(c, subject, root, not rule.permissive) for c in entry),
        }
        for entry in rule.excepts
    ]
    matched = all(c["holds"] for c in conds) and not any(e["holds"] for e in excepts)
    return {
        "rule": rule.id,
        "verdict": rule.verdict,
        "layer": rule.layer,
        "source": f"{rule.file}:{rule.line}",
        "indexed_candidate": candidate,
        "matched": matched,
        "conditions": conds,
        "excepts": excepts,
        "reason": rule.reason,
    }


def explain(policy: CompiledPolicy, action: Action) -> dict[str, Any]:
    """The decision plus, for each part, the classification facts and the trace of every rule."""
    decision: Decision = decide(policy, action)
    parts = []
    for i, subject in enumerate(action.parts or (action,)):
        cands = set(candidates(policy, subject))
        parts.append(
            {
                "part": i,
                "tool": subject.tool,
                "operation": subject.operation,
                "command": subject.command or subject.raw,
                "effects": sorted(subject.effects or {"unknown"}),
                "targets": list(subject.targets),
                "env": subject.env,
                "facts": subject.facts,
                "notes": [str(n) for n in subject.notes],
                "rules": [_trace_rule(r, subject, action, j in cands) for j, r in enumerate(policy.rules)],
            }
        )
    return {
        "decision": decision.to_dict(),
        "settings": {"default": policy.default, "unknown": policy.unknown, "on_error": policy.on_error},
        "notes": [str(n) for n in action.notes],
        "parts": parts,
    }
