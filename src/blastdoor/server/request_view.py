"""What the web inbox shows of one approval request, beyond its stored fields (pure functions).

- ``headline``: the tool and operation the approval is about. For a compound or wrapped input it is
  the part the winning rule matched (``psql -c 'DROP TABLE x'`` is ``sql`` / ``sql:drop_table``, run
  through ``shell``), not the shell that carries it.
- ``notes`` and ``extra_reasons``: each line once (parts repeat their notes into the action's, and the
  winning rule's reason is already shown next to the rule).
- ``vote_block``: why this person is not offered Approve/Deny (their own request, not in the group,
  ...), in the server's own words, so the page never shows a button the server would refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.approvals import Person, Request

__all__ = ["extra_reasons", "headline", "notes", "vote_block"]


def headline(r: Request) -> dict[str, str]:
    """``{tool, operation, via}``: what needs approval; ``via`` names the carrier when it differs."""
    parts: list[dict[str, Any]] = list(r.detail.get("parts") or [])
    matched: list[dict[str, Any]] = list(r.detail.get("matched") or [])
    index = next((m.get("part", 0) for m in matched if m.get("rule") == r.rule), None)
    if index is None or not isinstance(index, int) or not 0 <= index < len(parts) or len(parts) == 0:
        return {"tool": r.tool, "operation": r.operation, "via": ""}
    operation = str(parts[index].get("operation") or r.operation)
    tool = operation.split(":", 1)[0] if ":" in operation else r.tool
    via = r.tool if tool != r.tool else ""
    return {"tool": tool, "operation": operation, "via": via}


def notes(r: Request) -> list[dict[str, Any]]:
    """The classification notes, each (kind, text, source) once, in order."""
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for n in r.detail.get("notes") or []:
        if not isinstance(n, dict):
            continue
        key = (str(n.get("kind", "")), str(n.get("text", "")), str(n.get("source", "")))
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def extra_reasons(r: Request) -> list[str]:
    """The decision's reasons other than the winning rule's (shown beside the rule already), each once."""
    out: list[str] = []
    for reason in r.detail.get("reasons") or []:
        text = str(reason)
        if text and text.rstrip(". ") != (r.reason or "").rstrip(". ") and text not in out:
            out.append(text)
    return out


def vote_block(r: Request, person: Person, agents: set[str]) -> str:
    """Why ``person`` is not offered a vote on ``r`` (``""`` when they may vote)."""
    from blastdoor.approvals.requests import vote_refusal

    if r.status != "pending":
        return ""  # the page says it is closed already
    refusal = vote_refusal(r, person, agents)
    if refusal is None:
        return ""
    if refusal.code == "self":
        others = [p for p in r.eligible if p != person.name]
        who = f"another member of `{r.group}`" if r.group else "someone else"
        if others:
            who += f" ({', '.join(others)})"
        return f"You asked for this action (the agent acts for you), so you cannot vote on it: {who} must approve it."
    return f"You cannot vote on this request: {refusal.message}."
