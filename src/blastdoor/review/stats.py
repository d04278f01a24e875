"""The reviewers' load: does review capacity track AI velocity?

Over a period: the share of commits agents wrote, how many of those needed enhanced review (a group's
sign-off) or were denied, and, from the review requests filed in the period, the median wait from
filing to sign-off, per group. A team reads it to see whether the seniors are the bottleneck; the
evidence pack can cite it.
"""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError

if TYPE_CHECKING:
    from blastdoor.review.gate import RangeReport
    from blastdoor.review.signoff import Review

__all__ = ["period_seconds", "stats"]

JSON = Any
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def period_seconds(text: str) -> int:
    """``7d``, ``24h``, ``2w`` as seconds; InputError otherwise."""
    found = re.fullmatch(r"([1-9][0-9]{0,4})([hdw])", text.strip())
    if not found:
        raise InputError(f"bad period `{text}`", hints=["a number and a unit: 24h, 7d, 2w"])
    return int(found.group(1)) * _UNITS[found.group(2)]


def stats(report: RangeReport, reviews: list[Review], since: float) -> dict[str, JSON]:
    """The figures for the commits of ``report`` and the review requests filed since ``since``."""
    commits = report.commits
    ai = [c for c in commits if c.provenance.ai]
    enhanced = [c for c in ai if c.need.verdict == "signoff"]
    denied = [c for c in ai if c.need.verdict == "deny"]
    groups: dict[str, dict[str, JSON]] = {}
    for c in enhanced:
        for g in c.need.groups:
            groups.setdefault(g, {"commits": 0, "waits_s": []})["commits"] += 1
    waits: list[float] = []
    pending = 0
    for r in reviews:
        if r.created < since:
            continue
        if r.status == "pending":
            pending += 1
        if r.status != "approved" or not r.closed:
            continue
        wait = r.closed - r.created
        waits.append(wait)
        for g in r.need.groups:
            groups.setdefault(g, {"commits": 0, "waits_s": []})["waits_s"].append(wait)
    return {
        "commits": len(commits),
        "ai_authored": len(ai),
        "ai_share": round(len(ai) / len(commits), 3) if commits else 0.0,
        "needed_review": sum(1 for c in ai if c.need.verdict == "review"),
        "needed_signoff": len(enhanced),
        "denied": len(denied),
        "reviews_filed": sum(1 for r in reviews if r.created >= since),
        "reviews_pending": pending,
        "median_wait_s": round(statistics.median(waits), 1) if waits else None,
        "groups": {
            g: {
                "commits": v["commits"],
                "signed_off": len(v["waits_s"]),
                "median_wait_s": round(statistics.median(v["waits_s"]), 1) if v["waits_s"] else None,
            }
            for g, v in sorted(groups.items())
        },
    }
