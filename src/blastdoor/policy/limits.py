"""The circuit breaker's rules: which ``limits:`` an action counts against. Pure, no I/O.

A limit's ``match`` is read as a restrictive rule reads it (one effect, one target is enough), so an
action counts when any of its parts matches. Counting and tripping are ``blastdoor.limits``'s (the store).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.action.model import Action
    from blastdoor.policy.compiled import CompiledPolicy, Rule


class Limit:
    """One compiled limit: ``max`` matching actions per agent in a sliding ``window`` of seconds."""

    __slots__ = ("id", "max", "reason", "rule", "verdict", "window")

    def __init__(self, data: tuple[Any, ...]) -> None:
        from blastdoor.policy.compiled import Rule

        lid, conds, most, window, verdict, reason = data
        self.id: str = lid
        self.max: int = int(most)
        self.window: int = int(window)
        self.verdict: str = verdict
        self.reason: str = reason
        self.rule: Rule = Rule(f"limit.{lid}", "deny", conds, (), None, reason, "limits", False, "<limits>", 0)


_compiled: dict[str, tuple[Limit, ...]] = {}


def limits_of(policy: CompiledPolicy) -> tuple[Limit, ...]:
    found = _compiled.get(policy.hash)
    if found is None or len(found) != len(policy.limits):
        if len(_compiled) > 64:
            _compiled.clear()
        found = _compiled[policy.hash] = tuple(Limit(data) for data in policy.limits)
    return found


def hits(policy: CompiledPolicy, action: Action) -> list[Limit]:
    """The limits ``action`` counts against (any part matching), in policy order."""
    if not policy.limits:
        return []
    from blastdoor.policy.engine import rule_matches

    parts = action.parts or (action,)
    return [lim for lim in limits_of(policy) if any(rule_matches(lim.rule, p, action) for p in parts)]
