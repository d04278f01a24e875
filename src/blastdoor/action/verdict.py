"""The four verdicts and their severity order: allow < ask < approve < deny."""

from __future__ import annotations

ALLOW = "allow"
ASK = "ask"
APPROVE = "approve"
DENY = "deny"

VERDICTS: tuple[str, ...] = (ALLOW, ASK, APPROVE, DENY)
SEVERITY: dict[str, int] = {v: i for i, v in enumerate(VERDICTS)}


def most_severe(*verdicts: str) -> str:
    """The most severe of the given verdicts (allow when none is given)."""
    best = ALLOW
    for v in verdicts:
        if SEVERITY[v] > SEVERITY[best]:
            best = v
    return best
