"""The change gate in the policy language: which AI-authored changes need what review.

    compile_changes(blocks, approvers, problem)   the top-level ``changes:`` blocks, checked and merged

The block (docs/CHANGE-GATE.md)::

    changes:
      reviews: 1                 # what any AI-authored change needs when nothing stricter matches
      signoff: seniors           # the group that signs off the built-in sensitive categories
      count: 1                   # how many of that group (default 1)
      max_lines: 400             # an AI-authored change larger than this needs the sign-off too
      rules:                     # the team's own, on top of the built-in categories
        - id: payments
          paths: ["services/payments/**"]
          verdict: signoff       # allow | review | signoff | deny
          from: payments-leads
          count: 2
          reason: money moves here

Layers: the managed and the project layer may set it (a user's own file cannot: a developer would
loosen their own gate). Rules of both are kept; the scalar settings come from the most authoritative
block that sets them. Built-in categories (the guard files, infrastructure as code, CI, IAM, auth,
migrations) live in ``blastdoor.review.rules`` as data; the guard's deny cannot be lifted here.

The compiled form is plain data (the policy cache stores it with ``marshal``)::

    {"reviews": n, "signoff": group, "count": n, "max_lines": n,
     "rules": [{"id", "paths", "verdict", "from", "count", "reason", "layer"}]}
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from blastdoor.policy.layers import Source
    from blastdoor.policy.syntax import Document

    Problem = Callable[..., None]

__all__ = ["DEFAULT_MAX_LINES", "DEFAULT_REVIEWS", "VERDICTS", "compile_changes"]

VERDICTS = ("allow", "review", "signoff", "deny")
DEFAULT_REVIEWS = 1
DEFAULT_MAX_LINES = 400
_MAY_SET = ("managed", "project")
_SCALARS = ("reviews", "signoff", "count", "max_lines")


def compile_changes(
    blocks: Iterable[tuple[Source, Document]],
    approvers: dict[str, list[str]],
    problem: Problem,
) -> dict[str, Any] | None:
    """The merged ``changes`` blocks of the layers (most authoritative first), or None when none sets one.

    ``problem(doc, path, message)`` collects each mistake with its position.
    """
    out: dict[str, Any] | None = None
    seen_ids: set[str] = set()
    for src, doc in blocks:
        block = doc.data["changes"]
        where: tuple[str | int, ...] = ("changes",)
        if src.role not in _MAY_SET:
            problem(doc, where, f"`changes` cannot be set in the {src.role} layer (only managed or project)")
            continue
        if out is None:
            out = {"reviews": DEFAULT_REVIEWS, "signoff": "", "count": 1, "max_lines": DEFAULT_MAX_LINES, "rules": []}
            out["_set"] = set()
        for key in _SCALARS:
            if key in block and key not in out["_set"]:
                out[key] = block[key]
                out["_set"].add(key)
        if block.get("signoff"):
            _need_group(doc, (*where, "signoff"), block["signoff"], approvers, problem)
        for i, rule in enumerate(block.get("rules") or []):
            path = (*where, "rules", i)
            rid = str(rule.get("id") or f"{src.role}.changes.{i}")
            if rid in seen_ids:
                problem(doc, (*path, "id"), f"duplicate change rule id `{rid}`")
                continue
            seen_ids.add(rid)
            verdict = rule["verdict"]
            group = str(rule.get("from", ""))
            if verdict == "signoff":
                if not group:
                    problem(doc, path, "a `signoff` rule names its group with `from:`")
                else:
                    _need_group(doc, (*path, "from"), group, approvers, problem)
            elif group:
                problem(doc, (*path, "from"), f"`from` only applies to verdict `signoff` (this rule is `{verdict}`)")
            out["rules"].append(
                {
                    "id": rid,
                    "paths": list(rule["paths"]),
                    "verdict": verdict,
                    "from": group,
                    "count": int(rule.get("count", 1)),
                    "reason": str(rule.get("reason", "")),
                    "layer": src.role,
                }
            )
    if out is not None:
        del out["_set"]
    return out


def _need_group(
    doc: Document, path: tuple[str | int, ...], group: str, approvers: dict[str, list[str]], problem: Problem
) -> None:
    if group not in approvers:
        near = difflib.get_close_matches(group, sorted(approvers), n=1)
        hint = f" (did you mean `{near[0]}`?)" if near else ""
        problem(doc, path, f"approver group `{group}` is not defined{hint}")
