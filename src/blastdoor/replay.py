"""Policy replay: re-decide the actions recorded in the audit log under a candidate policy.

    replay(log, policy, window)      a ``Report`` of what would have changed, per rule, with examples

The way a team changes its policy without guessing: every ``decision`` event holds the action as it
was asked (tool, operation, raw text, arguments, working directory, agent), so the same action can be
judged again by another policy and the two verdicts compared (severity: deny > approve > ask > allow).

Two ways to rebuild an action:

- *reclassify* (the default): the request is classified again, so an improved classifier counts too.
  The caller's environment variables are not recorded (only what the harness put in the action's
  ``context``), so a part that the replay cannot place in an environment keeps the environment it
  resolved to when it was decided (``env_from_record`` counts them).
- *recorded facts*: the effects, targets, environment and parts recorded at the time are judged as
  they are; only the policy differs.

The verdict compared against is the policy's own verdict when it was recorded: an approved request
that was consumed (recorded ``allow``) was ``approve``; a used break-glass was ``deny``. Decisions a
later stage overrode (a revoked agent, an unreadable agent status, an audit log that could not be
written) do not say what the policy decided; they are counted as not replayable, with the reason, and
so is every event whose action cannot be rebuilt. Nothing is skipped silently.

The layer: this module reads the audit log and decides with the policy, so it sits beside the
pipeline (above both), never inside ``policy/`` or ``audit/``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from blastdoor.action.verdict import SEVERITY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from blastdoor.action import Action, Decision
    from blastdoor.audit.log import AuditLog
    from blastdoor.policy.compiled import CompiledPolicy

SCHEMA = "blastdoor.replay/v1"
RECLASSIFY = "reclassify"
RECORDED = "recorded-facts"
PAGE = 2000

# What ``--fail-on`` accepts: each names a set of changes that makes a CI run fail.
FAIL_ON = ("newly-allowed", "newly-denied", "de-escalation", "escalation", "any-change", "unreplayable")

# Verdicts a stage after the policy set: they do not say what the policy decided.
_STAGE_RULES = {
    "agent.revoked": "the agent was revoked (the kill switch decided, not the policy)",
    "identity.unavailable": "the agent's status could not be read (not the policy's verdict)",
    "audit.unavailable": "the audit log could not be written (not the policy's verdict)",
}
_REQUEST_FIELDS = ("tool", "operation", "raw", "command", "args", "cwd", "context")


class Window:
    """Which decision events to replay: a time range (RFC 3339 bounds), one agent, at most ``limit``."""

    __slots__ = ("agent", "limit", "since", "until")

    def __init__(self, *, since: str = "", until: str = "", agent: str = "", limit: int | None = None) -> None:
        self.since = since
        self.until = until
        self.agent = agent
        self.limit = limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since or None,
            "until": self.until or None,
            "agent": self.agent or None,
            "limit": self.limit,
        }


class Unreplayable(Exception):
    """An event whose action cannot be rebuilt or whose recorded verdict is not the policy's."""


class Example:
    """One replayed action that changed, as a reader needs it."""

    __slots__ = ("agent_id", "command", "env", "new_rule", "old_rule", "operation", "seq", "time")

    def __init__(self, seq: int, time: str, event: dict[str, Any], old_rule: str, new_rule: str, env: str) -> None:
        recorded = event.get("action")
        action: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
        self.seq = seq
        self.time = time
        self.agent_id = str(event.get("agent_id", ""))
        self.operation = str(event.get("operation", ""))
        self.command = str(action.get("raw") or action.get("command") or "")
        self.old_rule = old_rule
        self.new_rule = new_rule
        self.env = env

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "agent_id": self.agent_id,
            "operation": self.operation,
            "command": self.command,
            "env": self.env,
            "old_rule": self.old_rule,
            "new_rule": self.new_rule,
        }


class Group:
    """Changes with the same responsible rule and the same verdicts before and after."""

    __slots__ = ("count", "examples", "kind", "new", "old", "rule")

    def __init__(self, rule: str, old: str, new: str) -> None:
        self.rule = rule
        self.old = old
        self.new = new
        self.kind = kind_of(old, new)
        self.count = 0
        self.examples: list[Example] = []

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "from": self.old,
            "to": self.new,
            "kind": self.kind,
            "count": self.count,
            "examples": [e.to_dict() for e in self.examples],
        }


def kind_of(old: str, new: str) -> str:
    """``escalation``, ``de-escalation`` or ``rule-only`` (same verdict, another rule decided)."""
    if SEVERITY[new] > SEVERITY[old]:
        return "escalation"
    if SEVERITY[new] < SEVERITY[old]:
        return "de-escalation"
    return "rule-only"


class Report:
    """What a replay found. ``to_dict`` is the documented JSON form ``blastdoor.replay/v1``.

    Described in docs/REPLAY.md; its JSON Schema is schema/replay.schema.json in the repository.
    """

    def __init__(self, policy: CompiledPolicy, mode: str, window: Window, examples: int) -> None:
        self.policy_hash = policy.hash
        self.sources = [{"layer": r, "path": p} for r, p, _ in policy.sources]
        self.mode = mode
        self.window = window
        self.max_examples = examples
        self.read = 0
        self.replayed = 0
        self.unchanged = 0
        self.env_from_record = 0
        self.redacted = 0
        self.recorded_policies: dict[str, int] = {}
        self.groups: dict[tuple[str, str, str], Group] = {}
        self.transitions: dict[tuple[str, str], int] = {}
        self.unreplayable: dict[str, list[int]] = {}
        self.unreplayable_counts: dict[str, int] = {}

    # -- counting -------------------------------------------------------------------------------

    def change(self, seq: int, time: str, event: dict[str, Any], old: tuple[str, str], new: Decision, env: str) -> None:
        old_verdict, old_rule = old
        if new.verdict == old_verdict and new.rule == old_rule:
            self.unchanged += 1
            return
        rule = new.rule if SEVERITY[new.verdict] >= SEVERITY[old_verdict] else old_rule
        key = (rule, old_verdict, new.verdict)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(rule, old_verdict, new.verdict)
        group.count += 1
        if len(group.examples) < self.max_examples:
            group.examples.append(Example(seq, time, event, old_rule, new.rule, env))
        pair = (old_verdict, new.verdict)
        self.transitions[pair] = self.transitions.get(pair, 0) + 1

    def skip(self, seq: int, reason: str) -> None:
        self.unreplayable_counts[reason] = self.unreplayable_counts.get(reason, 0) + 1
        seqs = self.unreplayable.setdefault(reason, [])
        if len(seqs) < self.max_examples:
            seqs.append(seq)

    # -- summaries --------------------------------------------------------------------------------

    def _sum(self, test: Callable[[str, str], bool]) -> int:
        return sum(n for (old, new), n in self.transitions.items() if test(old, new))

    @property
    def counts(self) -> dict[str, int]:
        return {
            "newly_denied": self._sum(lambda o, n: n == "deny" and o != "deny"),
            "newly_allowed": self._sum(lambda o, n: n == "allow" and o != "allow"),
            "escalations": self._sum(lambda o, n: SEVERITY[n] > SEVERITY[o]),
            "de_escalations": self._sum(lambda o, n: SEVERITY[n] < SEVERITY[o]),
            "rule_only": sum(g.count for g in self.groups.values() if g.kind == "rule-only"),
        }

    @property
    def changed(self) -> int:
        return sum(self.transitions.values())

    @property
    def skipped(self) -> int:
        return sum(self.unreplayable_counts.values())

    def failures(self, fail_on: list[str]) -> list[str]:
        """Which of the ``--fail-on`` conditions hold (empty: the run passes)."""
        counts = self.counts
        held = {
            "newly-allowed": counts["newly_allowed"] > 0,
            "newly-denied": counts["newly_denied"] > 0,
            "de-escalation": counts["de_escalations"] > 0,
            "escalation": counts["escalations"] > 0,
            "any-change": self.changed > 0,
            "unreplayable": self.skipped > 0,
        }
        return [f for f in fail_on if held[f]]

    def to_dict(self, fail_on: list[str] | None = None) -> dict[str, Any]:
        order = {"escalation": 0, "de-escalation": 1, "rule-only": 2}
        groups = sorted(self.groups.values(), key=lambda g: (order[g.kind], -g.count, g.rule))
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "policy": {"hash": self.policy_hash, "sources": self.sources},
            "mode": self.mode,
            "window": self.window.to_dict(),
            "events": {
                "read": self.read,
                "replayed": self.replayed,
                "unchanged": self.unchanged,
                "changed": self.changed,
                "unreplayable": self.skipped,
                "env_from_record": self.env_from_record,
                "redacted": self.redacted,
            },
            "recorded_policies": [{"hash": h, "events": n} for h, n in sorted(self.recorded_policies.items())],
            "changes": self.counts,
            "transitions": [
                {"from": o, "to": n, "count": c} for (o, n), c in sorted(self.transitions.items(), key=lambda t: -t[1])
            ],
            "rules": [g.to_dict() for g in groups],
            "unreplayable": [
                {"reason": r, "count": self.unreplayable_counts[r], "examples": self.unreplayable[r]}
                for r in sorted(self.unreplayable_counts, key=lambda r: -self.unreplayable_counts[r])
            ],
        }
        if fail_on is not None:
            failed = self.failures(fail_on)
            out["fail_on"] = list(fail_on)
            out["failed"] = failed
        return out


# -- reading the log ------------------------------------------------------------------------------


def count_decisions(log: AuditLog, window: Window) -> int | None:
    """How many decision events the window holds (for a progress bar); None when the store cannot say."""
    from blastdoor.audit.log import Query
    from blastdoor.store.query import where_clause

    read = getattr(log.store, "read", None)
    if read is None:
        return None
    where, params = where_clause(Query(kind="decision", agent=window.agent, since=window.since, until=window.until))
    try:
        total = int(read(f"SELECT COUNT(*) FROM audit_event {where}", params)[0][0])
    except Exception:  # a count is a nicety: replay works without it
        return None
    return min(total, window.limit) if window.limit is not None else total


def decision_events(log: AuditLog, window: Window, *, page: int = PAGE) -> Iterator[tuple[int, str, bytes]]:
    """``(seq, time, entry)`` of the window's decision events, newest first, read a page at a time.

    ``entry`` is the stored canonical entry ``{"event", "seq", "time"}`` as bytes.
    """
    from blastdoor.audit.log import Query

    left = window.limit
    before: int | None = None
    while left is None or left > 0:
        size = page if left is None else min(page, left)
        query = Query(
            kind="decision", agent=window.agent, since=window.since, until=window.until, limit=size, before=before
        )
        rows = log.store.search(query, newest_first=True)
        yield from rows
        if len(rows) < size:
            return
        before = rows[-1][0]
        if left is not None:
            left -= len(rows)


# -- rebuilding ---------------------------------------------------------------------------------------


def recorded_verdict(event: dict[str, Any]) -> tuple[str, str]:
    """The policy's own verdict and rule when the event was recorded; ``Unreplayable`` when unknown."""
    verdict, rule = event.get("verdict"), event.get("rule")
    if verdict not in SEVERITY or not isinstance(rule, str):
        raise Unreplayable("the event has no verdict or rule")
    if rule in _STAGE_RULES:
        raise Unreplayable(_STAGE_RULES[rule])
    if rule == "break_glass.used":  # a deny that a granted break-glass lifted, once
        return "deny", _worst_match(event, "deny") or rule
    # The winning rule's own verdict is the policy's, whatever a later stage made of it: an approved
    # request consumed (allow), an ask turned into approve where no one could be asked.
    for m in event.get("matched") or []:
        if isinstance(m, dict) and m.get("rule") == rule and m.get("verdict") in SEVERITY:
            return str(m["verdict"]), rule
    if verdict == "allow" and event.get("request_id") and event.get("approvers"):
        return "approve", rule  # an approved request, consumed: the policy said approve
    return verdict, rule


def _worst_match(event: dict[str, Any], verdict: str) -> str:
    for m in event.get("matched") or []:
        if isinstance(m, dict) and m.get("verdict") == verdict:
            return str(m.get("rule", ""))
    return ""


def rebuild(event: dict[str, Any], *, recorded_facts: bool) -> Action:
    """The action of a decision event: the request only (to reclassify) or with its recorded facts."""
    from blastdoor.action import Action, Agent

    data = event.get("action")
    if not isinstance(data, dict) or not data.get("tool"):
        raise Unreplayable("the event does not hold the action")
    try:
        agent = Agent.from_dict(event.get("agent"), where="agent")
        if recorded_facts:
            if not data.get("effects"):
                raise Unreplayable("no recorded facts (the action was never classified)")
            facts = {k: v for k, v in data.items() if k != "preview"}
            return Action.from_dict(facts, agent=agent)
        return Action.from_dict({k: data[k] for k in _REQUEST_FIELDS if k in data}, agent=agent)
    except ValueError as exc:
        raise Unreplayable(f"the recorded action is malformed: {str(exc).split(':')[0]}") from exc


def _environ_of(action: Action) -> dict[str, str]:
    """The environment variables the harness recorded with the action; never the replaying machine's."""
    env = action.context.get("env") if isinstance(action.context, dict) else None
    if isinstance(env, dict):
        return {str(k): str(v) for k, v in env.items()}
    return {}


def _carry_env(classified: Action, event: dict[str, Any]) -> tuple[Action, bool]:
    """Parts the replay could not place in an environment keep the one they resolved to when decided."""
    recorded = event.get("action")
    data: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    top = str(event.get("env") or "unknown")
    recorded_parts = [p.get("env", "unknown") for p in (data.get("parts") or []) if isinstance(p, dict)]
    carried = False
    parts = list(classified.parts)
    for i, part in enumerate(parts):
        if part.env == "unknown":
            was = recorded_parts[i] if len(recorded_parts) == len(parts) else top
            if was != "unknown":
                parts[i] = part.replace(env=was)
                carried = True
    env = classified.env
    if env == "unknown" and top != "unknown":
        env, carried = top, True
    if not carried:
        return classified, False
    return classified.replace(env=env, parts=parts), True


# -- replaying ----------------------------------------------------------------------------------------


def replay(
    log: AuditLog,
    policy: CompiledPolicy,
    window: Window,
    *,
    recorded_facts: bool = False,
    examples: int = 3,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Re-decide every decision event in ``window`` under ``policy``; never changes the log.

    ``progress(n)`` is called now and then with the number of events read so far.
    """
    from blastdoor.pipeline import classify_for
    from blastdoor.policy import decide

    report = Report(policy, RECORDED if recorded_facts else RECLASSIFY, window, examples)
    home = os.path.expanduser("~")
    # Equal requests (same text, arguments, directory, agent, recorded environment) get equal
    # decisions: a week of a team's log repeats itself a lot, so each is decided once.
    memo: dict[bytes, tuple[Decision, str, bool]] = {}
    for seq, time, body in decision_events(log, window):
        report.read += 1
        if progress is not None and report.read % 500 == 0:
            progress(report.read)
        try:
            entry = json.loads(body)
            event = entry.get("event") if isinstance(entry, dict) else None
            if not isinstance(event, dict):
                raise Unreplayable("the entry holds no event object")
            old = recorded_verdict(event)
            key = _memo_key(event, recorded_facts)
            hit = memo.get(key)
            if hit is None:
                action = rebuild(event, recorded_facts=recorded_facts)
                carried = False
                if not recorded_facts:
                    environ = _environ_of(action)
                    action = classify_for(policy, action, environ=environ, home=environ.get("HOME") or home)
                    action, carried = _carry_env(action, event)
                hit = (decide(policy, action), action.env, carried)
                if len(memo) < 200_000:
                    memo[key] = hit
        except Unreplayable as exc:
            report.skip(seq, str(exc))
            continue
        except Exception as exc:  # a classifier or engine bug on one event: counted, never fatal
            report.skip(seq, f"internal error while replaying: {type(exc).__name__}")
            continue
        decision, env, carried = hit
        report.replayed += 1
        report.env_from_record += carried
        if event.get("redacted"):
            report.redacted += 1
        recorded_hash = str(event.get("policy_hash", ""))
        report.recorded_policies[recorded_hash] = report.recorded_policies.get(recorded_hash, 0) + 1
        report.change(seq, time, event, old, decision, env)
    if progress is not None:
        progress(report.read)
    return report


def _memo_key(event: dict[str, Any], recorded_facts: bool) -> bytes:
    data = event.get("action")
    if not isinstance(data, dict):
        raise Unreplayable("the event does not hold the action")
    if recorded_facts:
        basis: Any = [data, event.get("agent")]
    else:
        parts = [p.get("env") for p in data.get("parts") or [] if isinstance(p, dict)]
        basis = [{k: data.get(k) for k in _REQUEST_FIELDS}, event.get("agent"), event.get("env"), parts]
    return json.dumps(basis, sort_keys=True, separators=(",", ":"), default=str).encode()
