"""Break-glass in the policy language: which deny rules a named group may override, once per action.

    compile_break_glass(blocks, rules, approvers, problem)   the top-level ``break_glass:`` block, checked
    lifts(policy, action, decision, rules)                   would overriding ``rules`` lift this deny?

The block (docs/BREAK-GLASS.md)::

    break_glass:
      from: sre-leads            # an approver group
      count: 2                   # how many of its members grant it (default 2)
      max_ttl: 15m               # the longest a granted break-glass stays usable (default 15m)
      rules: [staging-stack-deletes, "recommended.cloud-*"]   # ids or globs of deny rules

Layers: the managed and the project layer may set it, the most authoritative one only (a lower layer
that sets it too is an error); a user's own file cannot, since it would let a developer grant their
own overrides. A rule from the managed layer is locked, and only a ``break_glass`` block of the managed
layer itself may name it: a project block naming one is an error, and its globs never cover one.

The compiled form is plain data (the policy cache stores it with ``marshal``)::

    {"from": group, "count": n, "max_ttl": seconds, "rules": [rule ids], "layer": role, "file": path}
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from blastdoor.action import Action, Decision
    from blastdoor.policy.compiled import CompiledPolicy, Rule
    from blastdoor.policy.layers import Source
    from blastdoor.policy.syntax import Document

    Problem = Callable[..., None]

DEFAULT_COUNT = 2
DEFAULT_MAX_TTL = 15 * 60
_UNITS = {"s": 1, "m": 60, "h": 3600}
_MAY_SET = ("managed", "project")


def _seconds(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(value[:-1]) * _UNITS[value[-1]]


def compile_break_glass(
    blocks: Iterable[tuple[Source, Document]],
    rules: list[Rule],
    approvers: dict[str, list[str]],
    problem: Problem,
) -> dict[str, Any] | None:
    """The effective ``break_glass`` block of the layers (most authoritative first), or None.

    ``problem(doc, path, message)`` collects each mistake with its position; ``rules`` are the merged
    rules after ``disable``.
    """
    from blastdoor.policy.glob import is_literal, value_matcher

    chosen: dict[str, Any] | None = None
    for src, doc in blocks:
        block = doc.data["break_glass"]
        where = ("break_glass",)
        if src.role not in _MAY_SET:
            problem(doc, where, f"`break_glass` cannot be set in the {src.role} layer (only managed or project)")
            continue
        if chosen is not None:
            problem(doc, where, f"`break_glass` is already set by the {chosen['layer']} policy ({chosen['file']})")
            continue
        group = block["from"]
        if group not in approvers:
            near = difflib.get_close_matches(group, sorted(approvers), n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            problem(doc, (*where, "from"), f"approver group `{group}` is not defined{hint}")
        count = int(block.get("count", DEFAULT_COUNT))
        if group in approvers and count > len(approvers[group]):
            problem(
                doc, (*where, "count"), f"`count` {count} is more than the {len(approvers[group])} people of `{group}`"
            )
        may_break_locked = src.role == "managed"
        by_id = {r.id: r for r in rules}
        chosen_rules: list[str] = []
        for i, pattern in enumerate(block["rules"]):
            path = (*where, "rules", i)
            if is_literal(pattern):
                rule = by_id.get(pattern)
                if rule is None:
                    near = difflib.get_close_matches(pattern, sorted(by_id), n=1)
                    hint = f" (did you mean `{near[0]}`?)" if near else ""
                    problem(doc, path, f"no rule `{pattern}`{hint}")
                elif rule.verdict != "deny":
                    problem(
                        doc, path, f"rule `{pattern}` is `{rule.verdict}`, not deny: break-glass only overrides denies"
                    )
                elif rule.locked and not may_break_locked:
                    problem(doc, path, f"rule `{pattern}` is locked by the managed policy and cannot be broken here")
                else:
                    chosen_rules.append(rule.id)
                continue
            matches = value_matcher(pattern)
            found = [
                r.id for r in rules if r.verdict == "deny" and matches(r.id) and (may_break_locked or not r.locked)
            ]
            if not found:
                problem(doc, path, f"`{pattern}` matches no deny rule that this layer may break")
            chosen_rules.extend(found)
        chosen = {
            "from": group,
            "count": count,
            "max_ttl": _seconds(block.get("max_ttl", DEFAULT_MAX_TTL)),
            "rules": sorted(set(chosen_rules)),
            "layer": src.role,
            "file": src.path,
        }
    return chosen


def breakable(policy: CompiledPolicy) -> frozenset[str]:
    """The ids of the deny rules a break-glass may override under ``policy`` (empty: none)."""
    block = policy.break_glass
    return frozenset(block["rules"]) if block else frozenset()


def lifts(policy: CompiledPolicy, action: Action, decision: Decision, rules: Iterable[str]) -> bool:
    """True when overriding ``rules`` (and only them) leaves no part of ``action`` denied.

    Conservative: a deny by a setting (``default``, ``unknown``, ``on_error``) or by any rule outside
    ``rules`` is never lifted, and neither is a part whose verdict would fall back to a ``deny`` default.
    """
    if decision.verdict != "deny" or decision.rule not in {m.rule for m in decision.matched}:
        return False  # allowed already, or denied by a setting or a later stage (a revoked agent, ...)
    allowed = set(rules)
    subjects = action.parts or (action,)
    for index, part in enumerate(subjects):
        matched = [m for m in decision.matched if m.part == index]
        rest = [m for m in matched if m.rule not in allowed]
        if any(m.verdict == "deny" for m in rest):
            return False
        if not rest and policy.default == "deny":
            return False
        if "unknown" in (part.effects or {"unknown"}) and policy.unknown == "deny":
            return False
    return any(m.verdict == "deny" and m.rule in allowed for m in decision.matched)
