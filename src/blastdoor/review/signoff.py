"""Sign-offs bound to exact commit ids: a review request, votes, and what it lets through.

A review request lists the commits that need review (their full ids), what they need (``Need``:
reviews, sign-offs per group), the identities that may never sign it off (each commit's author and
committer, name and email, and the person an agent acted for), and the members of each group at
filing time. It is approved once enough eligible people approved; one deny is final. A commit passes
the gate only when an approved request names its id and met a need at least as strict as the one the
commit has now: a commit added after the sign-off is in no request and is refused.

Like approvals and break-glass: every change is an audit event (``change.*``) written before the
state change; transitions are compare-and-set on ``status``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from blastdoor.approvals.requests import ROLES, ApprovalClosed, ApprovalRefused, Person
from blastdoor.errors import Forbidden, NotFound
from blastdoor.review.rules import Need

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from blastdoor.approvals.requests import EventLog, StateStore

__all__ = ["REQUESTED", "Review", "SignOffs", "digest_of"]

JSON = Any
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
REQUESTED = "change.review_requested"
SIGNED = "change.signed_off"
DENIED = "change.rejected"

_COLUMNS = "id, digest, repo, range_text, commits, need, excluded, eligible, status, created, closed, detail"


class Review:
    """One review request and its votes (a snapshot)."""

    __slots__ = (
        "closed",
        "commits",
        "created",
        "detail",
        "digest",
        "eligible",
        "excluded",
        "id",
        "need",
        "range_text",
        "repo",
        "status",
        "votes",
    )

    def __init__(self, row: Sequence[Any], votes: Iterable[Sequence[Any]] = ()) -> None:
        (self.id, self.digest, self.repo, self.range_text, commits, need, excluded, eligible, self.status) = row[:9]
        self.commits: list[str] = json.loads(commits)
        self.need = Need.from_dict(json.loads(need))
        self.excluded: list[str] = json.loads(excluded)
        self.eligible: dict[str, list[str]] = json.loads(eligible)
        self.created = float(row[9])
        self.closed = float(row[10])
        self.detail: dict[str, JSON] = json.loads(row[11])
        self.votes = [(str(p), str(v), str(c), float(t)) for p, v, c, t in votes]

    @property
    def approvers(self) -> list[str]:
        return [p for p, v, _, _ in self.votes if v == "approve"]

    def met(self, approvers: Sequence[str]) -> bool:
        """Whether ``approvers`` meet the need: enough reviews, and enough of each group."""
        if len(approvers) < self.need.reviews:
            return False
        return all(sum(1 for a in approvers if a in self.eligible.get(g, ())) >= n for g, n in self.need.groups.items())

    def summary(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "digest": self.digest,
            "repo": self.repo,
            "range": self.range_text,
            "commits": list(self.commits),
            "need": self.need.to_dict(),
        }

    def to_dict(self) -> dict[str, JSON]:
        return {
            **self.summary(),
            "status": self.status,
            "excluded": list(self.excluded),
            "eligible": dict(self.eligible),
            "approvers": self.approvers,
            "votes": [{"person": p, "vote": v, "comment": c, "time": t} for p, v, c, t in self.votes],
            "created": self.created,
            "closed": self.closed or None,
            "detail": self.detail,
        }


def digest_of(commits: Sequence[str], need: Need) -> str:
    """What a review request is for: its commit ids and its need (an open one is found by it)."""
    body = json.dumps({"commits": list(commits), "need": need.to_dict()}, sort_keys=True)
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


class SignOffs:
    """Review requests over a store and the audit log."""

    def __init__(self, store: StateStore, log: EventLog, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    def request(
        self,
        commits: Sequence[str],
        need: Need,
        *,
        excluded: Iterable[str],
        eligible: dict[str, list[str]],
        repo: str = "",
        range_text: str = "",
        detail: dict[str, JSON] | None = None,
    ) -> Review:
        """File (or find the open one for the same commits and need) a review request."""
        if need.verdict == "deny":
            raise Forbidden(
                "these commits are denied: no sign-off lets them through",
                hints=[r["reason"] for r in need.reasons if r.get("verdict") == "deny"],
            )
        if not commits:
            raise ApprovalRefused("empty", "nothing to sign off: no commit in the range needs review")
        digest = digest_of(commits, need)
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM change_review WHERE digest = ? AND status IN (?, ?)",
            (digest, PENDING, APPROVED),
        )
        if rows:
            return self._with_votes(rows[0])
        row = (
            "chg_" + secrets.token_hex(6),
            digest,
            repo,
            range_text,
            json.dumps(list(commits)),
            json.dumps(need.to_dict(), sort_keys=True),
            json.dumps(sorted({e.strip().lower() for e in excluded if e.strip()})),
            json.dumps({g: list(m) for g, m in eligible.items() if g in need.groups}, sort_keys=True),
            PENDING,
            self.clock(),
            0.0,
            json.dumps(detail or {}, sort_keys=True),
        )
        review = Review(row)
        self.log.append({"v": 1, "kind": REQUESTED, "review": review.summary()})
        with self.store.write() as tx:
            tx.execute(f"INSERT INTO change_review ({_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)
        return review

    def approve(self, review_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Review:
        """Sign off as ``person``; the request is approved once its need is met."""
        return self._vote(review_id, person, "approve", comment, set(agents))

    def deny(self, review_id: str, person: Person, *, comment: str = "", agents: Iterable[str] = ()) -> Review:
        """Reject the change: final."""
        return self._vote(review_id, person, "deny", comment, set(agents))

    def refusal(self, review: Review, person: Person, agents: Iterable[str] = ()) -> str:
        """Why ``person`` may not vote on ``review`` ("" when they may)."""
        if review.status != PENDING:
            return f"review {review.id} is {review.status}, not pending"
        if person.role not in ROLES:
            return f"{person.name} ({person.role}) may not sign off changes"
        if person.name in set(agents):
            return f"{person.name} is an agent; agents never sign off changes"
        if person.name.strip().lower() in review.excluded:
            return f"{person.name} wrote (or had an agent write) these commits and cannot sign them off"
        if any(p == person.name for p, _, _, _ in review.votes):
            return f"{person.name} has already voted on review {review.id}"
        return ""

    def _vote(self, review_id: str, person: Person, vote: str, comment: str, agents: set[str]) -> Review:
        review = self.get(review_id)
        why = self.refusal(review, person, agents)
        if why:
            if review.status != PENDING:
                raise ApprovalClosed("closed", why)
            raise ApprovalRefused("refused", why)
        approvers = [*review.approvers, person.name] if vote == "approve" else review.approvers
        done = vote == "approve" and review.met(approvers)
        kind = SIGNED if vote == "approve" else DENIED
        self.log.append(
            {
                "v": 1,
                "kind": kind,
                "review": review.summary(),
                "person": person.name,
                "comment": comment,
                "approvers": approvers,
                "approved": done,
            }
        )
        now = self.clock()
        with self.store.write() as tx:
            status = tx.query("SELECT status FROM change_review WHERE id = ?", (review.id,))
            if not status or status[0][0] != PENDING:
                raise ApprovalClosed("closed", f"review {review.id} is no longer pending")
            tx.execute(
                "INSERT INTO change_review_vote (review_id, person, vote, comment, time) VALUES (?, ?, ?, ?, ?)",
                (review.id, person.name, vote, comment, now),
            )
            if vote == "deny" or done:
                tx.execute(
                    "UPDATE change_review SET status = ?, closed = ? WHERE id = ? AND status = ?",
                    (REJECTED if vote == "deny" else APPROVED, now, review.id, PENDING),
                )
        return self.get(review.id)

    def approved_needs(self) -> dict[str, list[Need]]:
        """For each commit id some approved request names: the needs those requests met."""
        out: dict[str, list[Need]] = {}
        for commits, need in self.store.read("SELECT commits, need FROM change_review WHERE status = ?", (APPROVED,)):
            met = Need.from_dict(json.loads(need))
            for cid in json.loads(commits):
                out.setdefault(cid, []).append(met)
        return out

    def get(self, review_id: str) -> Review:
        rows = self.store.read(f"SELECT {_COLUMNS} FROM change_review WHERE id = ?", (review_id,))
        if not rows:
            raise NotFound(f"no review `{review_id}`", hints=["`blastdoor review list` shows them"])
        return self._with_votes(rows[0])

    def find(self, *, status: str = "", limit: int = 100) -> list[Review]:
        """Review requests, newest first; ``status`` filters when given."""
        clause, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self.store.read(
            f"SELECT {_COLUMNS} FROM change_review {clause} ORDER BY created DESC LIMIT ?", (*params, limit)
        )
        return [self._with_votes(r) for r in rows]

    def _with_votes(self, row: Sequence[Any]) -> Review:
        votes = self.store.read(
            "SELECT person, vote, comment, time FROM change_review_vote WHERE review_id = ? ORDER BY time", (row[0],)
        )
        return Review(row, votes)
