"""Approvals: the two-person rule for actions a policy sends to ``approve``.

    Approvals(store, log)          the service over a store (SQLite or PostgreSQL) and the audit log
    Request, Vote                  a request and the votes cast on it
    binding_of(action)             what an approval approves: the action's digest, environment, preview

A request binds to one exact action; it needs ``needed`` approvals from its group's members, never from
the requester (the human the agent acts for) nor from an agent; it expires after its ttl; a deny is
final; an approved request is consumed by exactly one execution of the identical action.
"""

from __future__ import annotations

from blastdoor.approvals.requests import (
    APPROVED,
    CANCELLED,
    CONSUMED,
    DENIED,
    EXPIRED,
    PENDING,
    STATUSES,
    ApprovalRefused,
    Approvals,
    Person,
    Request,
    Vote,
    binding_of,
)

__all__ = [
    "APPROVED",
    "CANCELLED",
    "CONSUMED",
    "DENIED",
    "EXPIRED",
    "PENDING",
    "STATUSES",
    "ApprovalRefused",
    "Approvals",
    "Person",
    "Request",
    "Vote",
    "binding_of",
]
