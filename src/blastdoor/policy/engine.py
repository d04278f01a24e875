"""The decision: pure, no I/O. Compiled policy + classified action -> Decision.

Semantics, in one breath:
- A compound action (``a && b``) is judged part by part; the action is as severe as its worst part.
- A rule matches a part when every condition of ``match`` holds and no ``except`` entry holds.
- The most severe matching verdict wins (deny > approve > ask > allow); among equals the first rule in
  layer order, and for ``approve`` the one asking for the most approvals. No match: ``default``.
- A part with the ``unknown`` effect is at least the policy's ``unknown`` verdict.
- Missing or set-valued facts are read in the safe direction. A permissive (``allow``) rule needs
  *every* effect of the part among its ``effects`` and *every* target inside its ``targets``; a
  restrictive rule needs one. A fact that is absent (an argument, the blast radius) never lets an
  allow rule match and always lets a restrictive one. ``except`` entries loosen or tighten a rule, so
  they are read in the opposite direction to the rule itself.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.action.decision import Approvals, Decision, Match
from blastdoor.action.verdict import SEVERITY
from blastdoor.policy.glob import path_matcher, value_matcher

if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.action.model import Action
    from blastdoor.policy.compiled import CompiledPolicy, Cond, Rule

    Check = Callable[[Action, Action], bool]

_UNKNOWN_ONLY = frozenset(("unknown",))
_CACHE_LIMIT = 4096
_regex_cache: dict[str, re.Pattern[str]] = {}
_MISSING = object()


def _field(name: str, subject: Action, root: Action) -> str:
    if name == "tool":
        return subject.tool
    if name == "operation":
        return subject.operation
    if name == "env":
        return subject.env
    if name == "command":
        return subject.command
    if name == "agent":
        return root.agent.id
    if name == "harness":
        return root.agent.harness
    raise KeyError(name)


def _arg(args: Any, keys: tuple[str, ...]) -> Any:
    value = args
    for key in keys:
        if isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return _MISSING
    return value


def _arg_holds(op: str, want: Any, value: Any) -> bool:
    if op == "equals":
        return bool(value == want)
    if op == "in":
        return value in want
    if op == "not_in":
        return value not in want
    if op == "glob":
        return isinstance(value, str) and any(value_matcher(p)(value) for p in want)
    if op == "regex":
        rx = _regex_cache.get(want)
        if rx is None:
            rx = _regex_cache[want] = re.compile(want)
        return isinstance(value, str) and rx.search(value) is not None
    if op == "exists":
        return True  # handled by the caller: the value is present
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if op == "gt":
        return bool(value > want)
    if op == "gte":
        return bool(value >= want)
    if op == "lt":
        return bool(value < want)
    if op == "lte":
        return bool(value <= want)
    return False


def _target_pattern(pattern: str, cwd: str) -> str:
    if pattern.startswith(("./", "../")) or pattern in (".", ".."):
        return os.path.normpath(os.path.join(cwd or "/", pattern))
    return pattern


def cond_holds(cond: Cond, subject: Action, root: Action, permissive: bool) -> bool:
    """Whether one condition holds for a subject (a part of ``root``), read in the given direction."""
    kind = cond[0]
    if kind == "effects":
        effects = subject.effects or _UNKNOWN_ONLY
        return effects <= cond[1] if permissive else not effects.isdisjoint(cond[1])
    if kind == "targets":
        mode, patterns = cond[1], cond[2]
        targets = subject.targets
        if not targets:
            return not permissive and mode != "all"
        # Relative patterns mean the project: the directory the agent works in, not one a `cd` reached.
        cwd = root.cwd or subject.cwd
        matchers = [path_matcher(_target_pattern(p, cwd)) for p in patterns]
        if mode == "any" or (mode == "default" and not permissive):
            return any(m(t) for t in targets for m in matchers)
        return all(any(m(t) for m in matchers) for t in targets)
    if kind == "args":
        keys, op, want = cond[1], cond[2], cond[3]
        value = _arg(subject.args if subject.args else root.args, keys)
        if op == "exists":
            return (value is not _MISSING) == bool(want)
        if value is _MISSING:
            return not permissive
        if isinstance(value, list) and op not in ("equals",):
            results = [_arg_holds(op, want, v) for v in value]
            if not results:
                return not permissive
            return all(results) if permissive else any(results)
        return _arg_holds(op, want, value)
    if kind == "blast_radius":
        radius = subject.blast_radius
        if radius is None:
            return not permissive
        return _arg_holds("equals" if cond[1] == "equals" else cond[1], cond[2], radius)
    if kind == "protected":
        return bool(_touches_protected(subject, cond[2]) == cond[1])
    if kind == "preview":
        # A preview's counts (by kind of change) and numeric facts; a count it does not list is 0. No
        # preview, or a failed one: unknown, read in the safe direction.
        info = subject.facts.get("preview")
        if not isinstance(info, dict) or info.get("status") != "ok":
            return not permissive
        counts = info.get("counts") or {}
        return _arg_holds(cond[2], cond[3], counts.get(cond[1], 0))
    value = _field(kind, subject, root)
    return any(value_matcher(p)(value) for p in cond[1])


def _touches_protected(subject: Action, protect: tuple[str, ...]) -> bool:
    """Whether a target of the part, or of its preview, is named by the policy's ``protect:`` globs."""
    if not protect:
        return False
    info = subject.facts.get("preview")
    seen = list(subject.targets)
    if isinstance(info, dict):
        seen.extend(t for t in info.get("targets") or () if isinstance(t, str))
    for pattern in protect:
        match = path_matcher(pattern) if pattern.startswith(("/", "~")) else value_matcher(pattern)
        if any(match(t) for t in seen):
            return True
    return False


def _compile_cond(cond: Cond, permissive: bool) -> Callable[[Action, Action], bool]:
    """A fast check for the common condition shapes; everything else goes through cond_holds."""
    kind = cond[0]
    if kind in ("tool", "operation", "env", "command") and len(cond[1]) == 1:
        match = value_matcher(cond[1][0])
        if kind == "tool":
            return lambda s, r: match(s.tool)
        if kind == "operation":
            return lambda s, r: match(s.operation)
        if kind == "env":
            return lambda s, r: match(s.env)
        return lambda s, r: match(s.command)
    if kind == "effects":
        wanted = cond[1]
        if permissive:
            return lambda s, r: (s.effects or _UNKNOWN_ONLY) <= wanted
        return lambda s, r: not (s.effects or _UNKNOWN_ONLY).isdisjoint(wanted)
    return lambda s, r: cond_holds(cond, s, r, permissive)


def _checks(rule: Rule) -> tuple[tuple[Check, ...], tuple[Check, ...]]:
    checks: tuple[tuple[Check, ...], tuple[Check, ...]] | None = rule.checks
    if checks is None:
        conds = tuple(_compile_cond(c, rule.permissive) for c in rule.conds)
        excepts = tuple(
            (lambda entry: lambda s, r: all(cond_holds(c, s, r, not rule.permissive) for c in entry))(e)
            for e in rule.excepts
        )
        checks = rule.checks = (conds, excepts)
    return checks


def rule_matches(rule: Rule, subject: Action, root: Action) -> bool:
    conds, excepts = _checks(rule)
    for check in conds:
        if not check(subject, root):
            return False
    for check in excepts:
        if check(subject, root):
            return False
    return True


def candidates(policy: CompiledPolicy, subject: Action) -> tuple[int, ...]:
    """Indices of the rules that can match ``subject``, in rule order (an index lookup, not a scan)."""
    effects = subject.effects or _UNKNOWN_ONLY
    key = (subject.tool, subject.operation, effects)
    cached = policy.candidate_cache.get(key)
    if cached is not None:
        return cached
    index = policy.index
    found: set[int] = set(index["always"])
    tools = index["tool"].get(subject.tool)
    if tools:
        found.update(tools)
    by_effect = index["effect"]
    for effect in effects:
        hits = by_effect.get(effect)
        if hits:
            found.update(hits)
    ops = index["op"]
    if ops:
        op = subject.operation
        hits = ops.get("=" + op)
        if hits:
            found.update(hits)
        for i, ch in enumerate(op):
            if ch == ":" or ch == "/":
                hits = ops.get(op[: i + 1])
                if hits:
                    found.update(hits)
    result = tuple(sorted(found))
    if len(policy.candidate_cache) >= _CACHE_LIMIT:
        policy.candidate_cache.clear()
    policy.candidate_cache[key] = result
    return result


def _part_decision(policy: CompiledPolicy, subject: Action, root: Action, part: int) -> Decision:
    rules = policy.rules
    matched: list[Rule] = []
    for i in candidates(policy, subject):
        rule = rules[i]
        if rule_matches(rule, subject, root):
            matched.append(rule)
    matches = [Match(r.id, r.verdict, part) for r in matched]
    if matched:
        top = max(r.sev for r in matched)
        best = [r for r in matched if r.sev == top]
        winner = max(best, key=lambda r: r.approvals[0] if r.approvals else 0) if len(best) > 1 else best[0]
        verdict, rule_id = winner.verdict, winner.id
        reason = winner.reason or f"rule {winner.id} matched"
        approvals = Approvals(*winner.approvals) if winner.approvals else None
    else:
        verdict, rule_id, reason, approvals = policy.default, "policy.default", "no rule matched", None
        if verdict == "approve":
            approvals = Approvals()
    if "unknown" in (subject.effects or _UNKNOWN_ONLY) and SEVERITY[policy.unknown] > SEVERITY[verdict]:
        verdict, rule_id = policy.unknown, "policy.unknown"
        reason = "blastdoor could not tell what this does"
        approvals = Approvals() if verdict == "approve" else None
    return Decision(verdict, rule_id, matched=matches, reasons=(reason,), approvals=approvals, part=part)


# -- identity: where only a credential establishes who the agent is (policy `identity:`) -------------

UNKNOWN_AGENT = "unknown-agent"  # identity.credentials.UNKNOWN_AGENT (policy does not import identity)


def _unverified_here(policy: CompiledPolicy, subject: Action, root: Action) -> bool:
    identity = policy.identity
    if identity is None or root.agent.verified:
        return False
    env = subject.env
    return any(value_matcher(p)(env) for p in identity["verified"])


def _as_unknown(root: Action) -> Action:
    """``root`` as ``unknown-agent`` asked it: a copy, the action itself is left alone."""
    import copy

    from blastdoor.action.model import Agent

    seen = copy.copy(root)
    a = root.agent
    seen.agent = Agent(
        UNKNOWN_AGENT,
        a.harness,
        session=a.session,
        on_behalf_of=a.on_behalf_of,
        host=a.host,
        claimed=a.claimed or a.id,
    )
    return seen


def _identity_decision(policy: CompiledPolicy, subject: Action, root: Action, part: int) -> Decision:
    """The part judged as ``unknown-agent``, at least the policy's ``unverified`` verdict."""
    assert policy.identity is not None  # INVARIANT: only called when _unverified_here
    d = _part_decision(policy, subject, _as_unknown(root), part)
    env = subject.env or "unknown"
    note = f"the agent is not verified in {env} (identity: verified), so it is judged as {UNKNOWN_AGENT}"
    floor = policy.identity["unverified"]
    if floor and SEVERITY[floor] > SEVERITY[d.verdict]:
        return Decision(
            floor,
            "identity.unverified",
            matched=d.matched,
            reasons=(note,),
            approvals=Approvals() if floor == "approve" else None,
            part=part,
        )
    d.reasons = (*d.reasons, note)
    return d


def decide(policy: CompiledPolicy, action: Action) -> Decision:
    """The verdict on a classified action: the most severe verdict over its parts."""
    subjects = action.parts or (action,)
    worst: Decision | None = None
    all_matches: list[Match] = []
    for part, subject in enumerate(subjects):
        if policy.identity is not None and _unverified_here(policy, subject, action):
            d = _identity_decision(policy, subject, action, part)
        else:
            d = _part_decision(policy, subject, action, part)
        all_matches.extend(d.matched)
        if (
            worst is None
            or SEVERITY[d.verdict] > SEVERITY[worst.verdict]
            or (
                d.verdict == "approve"
                and worst.verdict == "approve"
                and d.approvals is not None
                and worst.approvals is not None
                and d.approvals.count > worst.approvals.count
            )
        ):
            worst = d
    assert worst is not None  # INVARIANT: subjects is never empty
    return Decision(
        worst.verdict,
        worst.rule,
        matched=all_matches,
        reasons=worst.reasons,
        approvals=worst.approvals,
        policy_hash=policy.hash,
        part=worst.part,
    )


def error_decision(on_error: str, reason: str, *, policy_hash: str = "", action_digest: str = "") -> Decision:
    """The decision when blastdoor itself failed: the policy's ``on_error`` (deny unless said otherwise)."""
    verdict = on_error if on_error in ("ask", "approve", "deny") else "deny"
    return Decision(
        verdict,
        "policy.on_error",
        reasons=(reason,),
        approvals=Approvals() if verdict == "approve" else None,
        policy_hash=policy_hash,
        action_digest=action_digest,
    )
