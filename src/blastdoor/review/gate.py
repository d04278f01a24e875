"""A range judged: each commit's provenance, what it needs, and whether a sign-off covers it.

    log_facts(log)                          commit id -> LogFact, from the hooks' recorded outcomes
    review_range(repo, revs, policy, ...)   the RangeReport of ``git log revs``

A commit passes when it needs nothing (human, or ``allow``), or when an approved review request names
its id and met a need at least as strict as the one it has now. Denied commits never pass.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from blastdoor.review.git import Commit, read_range
from blastdoor.review.provenance import LogFact, Provenance, provenance
from blastdoor.review.rules import Need, Rules, judge, merge_needs

if TYPE_CHECKING:
    from blastdoor.audit.log import AuditLog
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.review.signoff import SignOffs

__all__ = ["CommitReport", "RangeReport", "judge_commits", "log_facts", "review_range"]

JSON = Any
PASS = "pass"
NEEDS = "needs-review"
DENY = "deny"


def log_facts(log: AuditLog) -> dict[str, LogFact]:
    """Every commit id the hooks recorded as made by an agent's call, with that agent."""
    from blastdoor.audit.log import Query

    made: dict[str, tuple[str, int]] = {}
    for seq, _, body in log.store.search(Query(kind="outcome", limit=10_000_000), newest_first=False):
        if b"git_commit" not in body:
            continue
        event = json.loads(body).get("event") or {}
        cid = ((event.get("outcome") or {}).get("extra") or {}).get("git_commit")
        if isinstance(cid, str) and event.get("correlation_id"):
            made[cid] = (str(event["correlation_id"]), int(seq))
    out: dict[str, LogFact] = {}
    agents: dict[str, dict[str, JSON]] = {}
    for cid, (corr, seq) in made.items():
        if corr not in agents:
            found = log.search(Query(kind="decision", correlation_id=corr, limit=1))
            agents[corr] = ((found[0].get("event") or {}).get("agent") or {}) if found else {}
        agent = agents[corr]
        out[cid] = LogFact(
            str(agent.get("id") or "unknown-agent"),
            harness=str(agent.get("harness") or ""),
            on_behalf_of=str(agent.get("on_behalf_of") or ""),
            correlation_id=corr,
            seq=seq,
        )
    return out


class CommitReport:
    """One commit: who wrote it, what it needs, and where it stands."""

    __slots__ = ("commit", "need", "provenance", "status")

    def __init__(self, commit: Commit, prov: Provenance, need: Need, status: str) -> None:
        self.commit = commit
        self.provenance = prov
        self.need = need
        self.status = status

    def excluded(self) -> list[str]:
        """Who may not sign this commit off: its author and committer, and the person an agent acted for."""
        c = self.commit
        ids = [c.author_name, c.author_email, c.committer_name, c.committer_email, self.provenance.on_behalf_of]
        # A person's name in blastdoor is often their email's local part (alice for alice@corp.com):
        # refusing a namesake's sign-off errs on the safe side.
        ids += [e.split("@", 1)[0] for e in (c.author_email, c.committer_email) if "@" in e]
        return [i for i in ids if i]

    def to_dict(self) -> dict[str, JSON]:
        c = self.commit
        return {
            "id": c.id,
            "subject": c.subject,
            "author": f"{c.author_name} <{c.author_email}>",
            "files": [f.path for f in c.files],
            "lines": c.lines,
            "provenance": self.provenance.to_dict(),
            "need": self.need.to_dict(),
            "status": self.status,
        }


class RangeReport:
    """The range: every commit's report and the verdict of the whole."""

    __slots__ = ("commits", "range_text", "repo")

    def __init__(self, repo: str, range_text: str, commits: list[CommitReport]) -> None:
        self.repo = repo
        self.range_text = range_text
        self.commits = commits

    @property
    def verdict(self) -> str:
        statuses = {c.status for c in self.commits}
        return DENY if DENY in statuses else NEEDS if NEEDS in statuses else PASS

    def open(self) -> list[CommitReport]:
        """The commits still waiting for review (not denied, not covered)."""
        return [c for c in self.commits if c.status == NEEDS]

    def need(self) -> Need:
        return merge_needs(c.need for c in self.commits if c.status != PASS)

    def to_dict(self) -> dict[str, JSON]:
        return {
            "repo": self.repo,
            "range": self.range_text,
            "verdict": self.verdict,
            "ai_authored": sum(1 for c in self.commits if c.provenance.ai),
            "need": self.need().to_dict(),
            "commits": [c.to_dict() for c in self.commits],
        }


def judge_commits(
    commits: list[Commit],
    rules: Rules,
    facts: dict[str, LogFact],
    approved: dict[str, list[Need]],
) -> list[CommitReport]:
    """Pure: each commit's provenance, need and status."""
    out: list[CommitReport] = []
    for commit in commits:
        prov = provenance(commit, facts.get(commit.id))
        need = judge(commit, prov.ai, rules)
        if need.verdict == "deny":
            status = DENY
        elif need.verdict == "allow" or any(met.covers(need) for met in approved.get(commit.id, ())):
            status = PASS
        else:
            status = NEEDS
        out.append(CommitReport(commit, prov, need, status))
    return out


def review_range(
    repo: str,
    revs: list[str],
    policy: CompiledPolicy,
    *,
    log: AuditLog | None = None,
    signoffs: SignOffs | None = None,
) -> RangeReport:
    """Judge the commits of ``git log revs`` in ``repo``."""
    commits = read_range(repo, *revs)
    facts = log_facts(log) if log is not None else {}
    approved = signoffs.approved_needs() if signoffs is not None else {}
    rules = Rules(getattr(policy, "changes", None))
    return RangeReport(repo, " ".join(revs), judge_commits(commits, rules, facts, approved))
