"""Audit events: what is recorded, and the envelope that makes an event a log entry.

An *event* is a JSON object with a version ``v``, a ``kind`` and the facts an auditor asks about: agent
identity, harness, tool, operation, targets, environment, verdict, rule, approvers, policy hash, and a
correlation id that links a decision to its approvals and its outcome. Builders here are pure: no clock,
no I/O, no redaction (the log redacts every event it appends, whoever built it).

An *entry* is what the Merkle tree hashes: the RFC 8785 canonical bytes of
``{"event": <event>, "seq": <n>, "time": "<RFC 3339 UTC>"}``. Keys sort as ``event < seq < time``, so
the entry is the event's canonical bytes with a fixed suffix: the writer canonicalises the event before
taking the log's lock and adds sequence number and time under it, and a verifier checks seq and time
against the suffix without parsing the event.
"""

from __future__ import annotations

import time as _time

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from blastdoor.action import Action, Agent, Decision

    JSON = Any

VERSION = 1
# A checkpoint event of this version carries the time of the entry just before it (``batch.seal_batch``),
# never a clock reading of its own: the last entry of a log is often such an event, covered by no signature
# yet, and a time copied from an entry the checkpoint does cover is vouched for by that signature.
# Version 1 (older logs) took the clock's time: ``verify`` reads those, but vouches for none at the tail.
CHECKPOINT_VERSION = 2

DECISION = "decision"
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_GRANTED = "approval.granted"
APPROVAL_DENIED = "approval.denied"
APPROVAL_EXPIRED = "approval.expired"
APPROVAL_CANCELLED = "approval.cancelled"
APPROVAL_REFUSED = "approval.refused"  # a vote the rules of approval refused (self, repeat, group, agent...)
OUTCOME = "outcome"
AGENT_REVOKED = "agent.revoked"
AGENT_RESTORED = "agent.restored"
POLICY_LOADED = "policy.loaded"
KEY_ROTATED = "key.rotated"
CHECKPOINT = "checkpoint"
# Break-glass: a named group overrides a deny for one exact action, once (approvals/break_glass.py).
BREAK_GLASS_REQUESTED = "break_glass.requested"
BREAK_GLASS_APPROVED = "break_glass.approved"
BREAK_GLASS_DENIED = "break_glass.denied"
BREAK_GLASS_EXPIRED = "break_glass.expired"
BREAK_GLASS_USED = "break_glass.used"
# Agent credentials (identity/credentials.py): issued, replaced, withdrawn.
AGENT_ENROLLED = "agent.enrolled"
AGENT_ROTATED = "agent.rotated"
AGENT_CREDENTIAL_REVOKED = "agent.credential_revoked"
CREDENTIAL_KINDS = (AGENT_ENROLLED, AGENT_ROTATED, AGENT_CREDENTIAL_REVOKED)
# Task leases (identity/leases.py): requested (waiting for approval), granted, ended.
# The circuit breaker (limits/): a limit crossed, and a person resetting it.
LIMIT_KINDS = ("limit.tripped", "limit.reset", "agent.paused", "agent.resumed")
LEASE_KINDS = ("lease.requested", "lease.granted", "lease.expired", "lease.revoked", "lease.denied")
BREAK_GLASS_KINDS = (
    BREAK_GLASS_REQUESTED,
    BREAK_GLASS_APPROVED,
    BREAK_GLASS_DENIED,
    BREAK_GLASS_EXPIRED,
    BREAK_GLASS_USED,
)

KINDS: frozenset[str] = frozenset(
    {
        DECISION,
        APPROVAL_REQUESTED,
        APPROVAL_GRANTED,
        APPROVAL_DENIED,
        APPROVAL_EXPIRED,
        APPROVAL_CANCELLED,
        APPROVAL_REFUSED,
        OUTCOME,
        AGENT_REVOKED,
        AGENT_RESTORED,
        POLICY_LOADED,
        KEY_ROTATED,
        CHECKPOINT,
        *BREAK_GLASS_KINDS,
        *CREDENTIAL_KINDS,
        *LEASE_KINDS,
        *LIMIT_KINDS,
    }
)

# Kinds only the log itself writes (``AuditLog.checkpoint`` and ``rotate_key``): verify gives them meaning
# (a rotation passes trust between keys, a checkpoint event names a signed checkpoint), so a caller of
# ``append``/``submit``/``append_many`` that writes one is refused.
RESERVED: frozenset[str] = frozenset({KEY_ROTATED, CHECKPOINT})

# Columns the store indexes for search; always top-level strings of the event.
INDEXED = ("kind", "agent_id", "tool", "verdict", "env", "correlation_id")


def _agent_fields(agent: Agent) -> dict[str, JSON]:
    return {"agent": agent.to_dict(), "agent_id": agent.id, "harness": agent.harness}


def decision_event(action: Action, decision: Decision, *, correlation_id: str = "") -> dict[str, JSON]:
    """The event recorded before an action runs: what was asked and what blastdoor decided."""
    from blastdoor.action import digest  # the caller holds an Action: the package is loaded already

    detail = action.to_dict()
    detail.pop("agent", None)
    detail.pop("notes", None)  # explanations are re-derivable; they would dominate the log's size
    if action.preview is not None:
        # The digest the approval binds to, and the counts an auditor reads (the full list is in the request).
        p = action.preview
        detail["preview"] = {
            "digest": digest(p),
            **{k: p[k] for k in ("kind", "status", "message", "summary", "state_token") if k in p},
        }
    approvers = list(decision.approved_by)
    event: dict[str, JSON] = {
        "v": VERSION,
        "kind": DECISION,
        "correlation_id": correlation_id,
        **_agent_fields(action.agent),
        "tool": action.tool,
        "operation": action.operation,
        "targets": list(action.targets),
        "env": action.env,
        "effects": sorted(action.effects),
        "verdict": decision.verdict,
        "rule": decision.rule,
        "reasons": list(decision.reasons),
        "matched": [m.to_dict() for m in decision.matched],
        "approvers": approvers,
        "policy_hash": decision.policy_hash,
        "action_digest": decision.action_digest or action.digest(),
        "action": detail,
    }
    if decision.approvals is not None:
        event["approvals"] = decision.approvals.to_dict()
    if decision.request_id:
        event["request_id"] = decision.request_id
    return event


def requester_of(event: object) -> str:
    """The person a decision event was made for (``agent.on_behalf_of``); ``""`` when it names none."""
    agent = event.get("agent") if isinstance(event, dict) else None
    owner = agent.get("on_behalf_of") if isinstance(agent, dict) else None
    return owner if isinstance(owner, str) else ""


def outcome_event(
    correlation_id: str,
    *,
    exit_code: int | None = None,
    error: str | None = None,
    duration_ms: float | None = None,
    extra: dict[str, JSON] | None = None,
    agent: Agent | None = None,
    tool: str = "",
    operation: str = "",
) -> dict[str, JSON]:
    """The event recorded after an action ran, linked to its decision by ``correlation_id``."""
    if not correlation_id:
        raise ValueError("an outcome needs the correlation id of its decision")
    outcome: dict[str, JSON] = {}
    if exit_code is not None:
        outcome["exit_code"] = exit_code
    if error is not None:
        outcome["error"] = error
    if duration_ms is not None:
        outcome["duration_ms"] = duration_ms
    if extra:
        outcome["extra"] = extra
    event: dict[str, JSON] = {"v": VERSION, "kind": OUTCOME, "correlation_id": correlation_id}
    if agent is not None:
        event.update(_agent_fields(agent))
    if tool:
        event["tool"] = tool
    if operation:
        event["operation"] = operation
    event["status"] = "error" if error is not None or (exit_code not in (None, 0)) else "ok"
    event["outcome"] = outcome
    return event


def approval_event(
    kind: str,
    *,
    request_id: str,
    correlation_id: str = "",
    action: Action | None = None,
    action_digest: str = "",
    approver: str = "",
    approvers: Iterable[str] = (),
    needed: int = 0,
    group: str = "",
    reason: str = "",
    rule: str = "",
    policy_hash: str = "",
    expires: str = "",
    signature: str = "",
) -> dict[str, JSON]:
    """An approval requested, granted, denied, expired, cancelled or a vote refused (``approval.*``)."""
    if kind not in (
        APPROVAL_REQUESTED,
        APPROVAL_GRANTED,
        APPROVAL_DENIED,
        APPROVAL_EXPIRED,
        APPROVAL_CANCELLED,
        APPROVAL_REFUSED,
    ):
        raise ValueError(f"not an approval event kind: {kind!r}")
    event: dict[str, JSON] = {"v": VERSION, "kind": kind, "correlation_id": correlation_id}
    if action is not None:
        event.update(_agent_fields(action.agent))
        event.update(
            tool=action.tool,
            operation=action.operation,
            targets=list(action.targets),
            env=action.env,
        )
        action_digest = action_digest or action.digest()
    approval: dict[str, JSON] = {"request_id": request_id, "action_digest": action_digest}
    for key, value in (
        ("approver", approver),
        ("needed", needed),
        ("group", group),
        ("reason", reason),
        ("expires", expires),
        ("signature", signature),
    ):
        if value:
            approval[key] = value
    event["approvers"] = list(approvers)
    event["rule"] = rule
    event["policy_hash"] = policy_hash
    event["verdict"] = "approve"
    event["approval"] = approval
    return event


def break_glass_event(kind: str, glass: dict[str, JSON], **extra: JSON) -> dict[str, JSON]:
    """A break-glass requested, approved (one vote), denied, expired or used.

    ``glass`` is the break-glass's public summary (``BreakGlass.summary``); its agent, tool, operation and
    environment are also top-level so the log's index finds them. The verdict is ``deny``: what was broken.
    """
    if kind not in BREAK_GLASS_KINDS:
        raise ValueError(f"not a break-glass event kind: {kind!r}")
    return {
        "v": VERSION,
        "kind": kind,
        "correlation_id": glass.get("correlation_id", ""),
        "agent_id": glass.get("agent_id", ""),
        "tool": glass.get("tool", ""),
        "operation": glass.get("operation", ""),
        "env": glass.get("env", ""),
        "verdict": "deny",
        "rule": ",".join(glass.get("rules", [])),
        "policy_hash": glass.get("policy_hash", ""),
        "break_glass": {**glass, **extra},
    }


def agent_event(kind: str, agent_id: str, *, by: str = "", reason: str = "") -> dict[str, JSON]:
    """An agent revoked (the kill switch) or restored."""
    if kind not in (AGENT_REVOKED, AGENT_RESTORED):
        raise ValueError(f"not an agent event kind: {kind!r}")
    return {"v": VERSION, "kind": kind, "agent_id": agent_id, "by": by, "reason": reason}


def credential_event(
    kind: str, agent_id: str, *, jti: str, expires: float = 0.0, by: str = "", reason: str = ""
) -> dict[str, JSON]:
    """An agent credential enrolled, rotated or revoked (identity/credentials.py); never the token."""
    if kind not in CREDENTIAL_KINDS:
        raise ValueError(f"not a credential event kind: {kind!r}")
    return {
        "v": VERSION,
        "kind": kind,
        "agent_id": agent_id,
        "jti": jti,
        "expires": format_time(int(expires * 1e9)) if expires else "",
        "by": by,
        "reason": reason,
    }


def policy_event(policy_hash: str, *, sources: Iterable[str] = (), by: str = "") -> dict[str, JSON]:
    """A policy was loaded: its hash binds later decisions to the exact rules that made them."""
    return {
        "v": VERSION,
        "kind": POLICY_LOADED,
        "policy_hash": policy_hash,
        "sources": list(sources),
        "by": by,
    }


def key_event(old_key: str, new_key: str, *, reason: str = "") -> dict[str, JSON]:
    """The checkpoint signing key changed: both verifier keys (C2SP note form) are recorded."""
    return {"v": VERSION, "kind": KEY_ROTATED, "old_key": old_key, "new_key": new_key, "reason": reason}


def checkpoint_event(size: int, root_hex: str, key_ids: Iterable[str]) -> dict[str, JSON]:
    """A checkpoint was signed: recorded in the tree so deleting stored checkpoints shows (its entry's time
    is its predecessor's: see ``CHECKPOINT_VERSION``)."""
    return {"v": CHECKPOINT_VERSION, "kind": CHECKPOINT, "size": size, "root": root_hex, "key_ids": list(key_ids)}


def check_event(event: object) -> dict[str, JSON]:
    """``event`` if it is a well-formed event (an object with a known or namespaced kind), else ValueError."""
    if not isinstance(event, dict):
        raise ValueError(f"an audit event is a JSON object, not {type(event).__name__}")
    kind = event.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValueError("an audit event needs a kind")
    if kind not in KINDS and "." not in kind:
        raise ValueError(f"unknown event kind {kind!r}; custom kinds are namespaced (`acme.thing`)")
    if "v" not in event:
        event = {"v": VERSION, **event}
    for key in INDEXED:
        value = event.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"event field {key!r} must be a string")
    return event


def index_of(event: dict[str, JSON]) -> tuple[str, str, str, str, str, str]:
    """The values of the indexed columns (empty strings when absent)."""
    get = event.get
    return (
        get("kind") or "",
        get("agent_id") or "",
        get("tool") or "",
        get("verdict") or "",
        get("env") or "",
        get("correlation_id") or "",
    )


# -- the entry envelope -----------------------------------------------------------------------------


def entry_bytes(event_bytes: bytes, seq: int, time: str) -> bytes:
    """The canonical bytes of ``{"event": event, "seq": seq, "time": time}`` from the event's own.

    Equal to ``canonical_json({"event": e, "seq": seq, "time": time})`` because the keys sort in that
    order and ``time`` is plain ASCII (see ``format_time``).
    """
    return b'{"event":' + event_bytes + entry_suffix(seq, time)


def entry_suffix(seq: int, time: str) -> bytes:
    return b',"seq":%d,"time":"%s"}' % (seq, time.encode("ascii"))


def event_bytes(event: dict[str, JSON]) -> bytes:
    """The canonical (RFC 8785) bytes of an event."""
    from blastdoor.action import canonical_json

    return canonical_json(event)


def format_time(ns: int) -> str:
    """RFC 3339 UTC with microseconds, fixed width, so string order is time order."""
    global _second
    secs, rem = divmod(ns, 1_000_000_000)
    second = _second  # one read: another thread may replace it, never half of it
    if second[0] != secs:
        t = _time.gmtime(secs)
        prefix = "%04d-%02d-%02dT%02d:%02d:%02d." % (  # noqa: UP031 -- hot path, % is fastest
            t.tm_year,
            t.tm_mon,
            t.tm_mday,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
        )
        second = _second = (secs, prefix)
    return "%s%06dZ" % (second[1], rem // 1000)  # noqa: UP031


# The last second formatted: every batch sealed within one second shares its date and time of day.
_second: tuple[int, str] = (-1, "")


def parse_time(text: str) -> int:
    """Nanoseconds since the epoch of a time written by ``format_time`` (or any RFC 3339 UTC time)."""
    import datetime as dt

    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1_000_000) * 1000


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(text: str, now_ns: int | None = None) -> str:
    """RFC 3339, a date, or an age (``30m``, ``12h``, ``7d``) as the log's fixed-width UTC time.

    ``""`` stays ``""`` (no bound). ValueError says what is accepted.
    """
    import time

    text = text.strip()
    if not text:
        return ""
    number, unit = text[:-1].strip(), text[-1:]
    if unit in _AGE_UNITS and number.isdigit():
        now = time.time_ns() if now_ns is None else now_ns
        return format_time(now - int(number) * _AGE_UNITS[unit] * 1_000_000_000)
    try:
        return format_time(parse_time(text if "T" in text else text + "T00:00:00Z"))
    except ValueError as exc:
        raise ValueError(f"bad time `{text}`: use RFC 3339, a date, or an age like 30m, 12h, 7d") from exc
