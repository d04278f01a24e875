"""Layer 0: the vocabulary every other package speaks (Action, Decision, effects, verdicts)."""

from blastdoor.action.canonical import canonical_json, digest
from blastdoor.action.decision import Approvals, Decision, Match
from blastdoor.action.effects import EFFECTS, is_plain_read
from blastdoor.action.model import Action, Agent, Note
from blastdoor.action.verdict import ALLOW, APPROVE, ASK, DENY, SEVERITY, VERDICTS, most_severe

__all__ = [
    "ALLOW",
    "APPROVE",
    "ASK",
    "DENY",
    "EFFECTS",
    "SEVERITY",
    "VERDICTS",
    "Action",
    "Agent",
    "Approvals",
    "Decision",
    "Match",
    "Note",
    "canonical_json",
    "digest",
    "is_plain_read",
    "most_severe",
]
