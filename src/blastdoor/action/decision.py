"""The Decision: the verdict on an action, which rule won, every rule that matched, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

JSON = Any


class Approvals:
    """What an ``approve`` verdict requires: ``count`` people from group ``group`` within ``ttl`` s."""

    __slots__ = ("count", "group", "ttl")

    def __init__(self, count: int = 1, group: str = "", ttl: int = 3600) -> None:
        self.count = count
        self.group = group
        self.ttl = ttl

    def to_dict(self) -> dict[str, JSON]:
        return {"count": self.count, "from": self.group, "ttl": self.ttl}

    @classmethod
    def from_dict(cls, data: dict[str, JSON]) -> Approvals:
        return cls(int(data.get("count", 1)), str(data.get("from", "") or ""), int(data.get("ttl", 3600)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Approvals) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Approvals({self.to_dict()})"


class Match:
    """One rule that matched one subject (part) of the action."""

    __slots__ = ("part", "rule", "verdict")

    def __init__(self, rule: str, verdict: str, part: int = 0) -> None:
        self.rule = rule
        self.verdict = verdict
        self.part = part

    def to_dict(self) -> dict[str, JSON]:
        return {"rule": self.rule, "verdict": self.verdict, "part": self.part}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Match({self.rule}={self.verdict}@{self.part})"


class Decision:
    """The verdict on an action.

    ``rule`` is the id of the winning rule, or a pseudo-rule when a policy setting decided:
    ``policy.default``, ``policy.unknown`` or ``policy.on_error``.

    ``request_id`` names the approval request of an ``approve`` verdict (pending), or the approved request
    an ``allow`` consumed; ``approved_by`` lists who approved it.
    """

    __slots__ = (
        "action_digest",
        "approvals",
        "approved_by",
        "matched",
        "part",
        "policy_hash",
        "reasons",
        "request_id",
        "rule",
        "verdict",
    )

    def __init__(
        self,
        verdict: str,
        rule: str,
        *,
        matched: Iterable[Match] = (),
        reasons: Iterable[str] = (),
        approvals: Approvals | None = None,
        policy_hash: str = "",
        action_digest: str = "",
        part: int = 0,
        request_id: str = "",
        approved_by: Iterable[str] = (),
    ) -> None:
        self.verdict = verdict
        self.rule = rule
        self.matched: tuple[Match, ...] = tuple(matched)
        self.reasons: tuple[str, ...] = tuple(reasons)
        self.approvals = approvals
        self.policy_hash = policy_hash
        self.action_digest = action_digest
        self.part = part
        self.request_id = request_id
        self.approved_by: tuple[str, ...] = tuple(approved_by)

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""

    def to_dict(self) -> dict[str, JSON]:
        d: dict[str, JSON] = {
            "verdict": self.verdict,
            "rule": self.rule,
            "reasons": list(self.reasons),
            "matched": [m.to_dict() for m in self.matched],
            "part": self.part,
        }
        if self.approvals is not None:
            d["approvals"] = self.approvals.to_dict()
        if self.policy_hash:
            d["policy_hash"] = self.policy_hash
        if self.action_digest:
            d["action_digest"] = self.action_digest
        if self.request_id:
            d["request_id"] = self.request_id
        if self.approved_by:
            d["approved_by"] = list(self.approved_by)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, JSON]) -> Decision:
        appr = data.get("approvals")
        return cls(
            data["verdict"],
            data["rule"],
            matched=[Match(m["rule"], m["verdict"], m.get("part", 0)) for m in data.get("matched", [])],
            reasons=data.get("reasons", []),
            approvals=Approvals.from_dict(appr) if appr else None,
            policy_hash=data.get("policy_hash", ""),
            action_digest=data.get("action_digest", ""),
            part=data.get("part", 0),
            request_id=data.get("request_id", ""),
            approved_by=data.get("approved_by", []),
        )

    def with_verdict(self, verdict: str, rule: str, reason: str) -> Decision:
        """A copy overridden by a later stage (revocation, a failed audit append, ...)."""
        return Decision(
            verdict,
            rule,
            matched=self.matched,
            reasons=(reason, *self.reasons),
            approvals=self.approvals if verdict == "approve" else None,
            policy_hash=self.policy_hash,
            action_digest=self.action_digest,
            part=self.part,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Decision({self.verdict}, rule={self.rule!r})"
