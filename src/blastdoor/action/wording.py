"""The words blastdoor says: to an agent it stopped (hooks and the MCP gateway alike) and to people.

One module, so a hook reply, a gateway tool error and ``exec`` say the same thing the same way:

- ``why``: one line, ``blastdoor: VERDICT by rule `RULE`: REASON``.
- ``needs_approval`` / ``needs_confirmation`` / ``blocked_message``: a verdict the channel can only
  express as a block, with what to do next.
- ``failure_message``: blastdoor itself could not decide (fails closed).
- ``past``: a verb as people read it after the fact (``deny`` -> ``denied``), never ``verb + "d"``.

Every text starts with ``blastdoor:`` exactly once: a reason that already carries the prefix (a nested
failure, an error text relayed from the server, a policy author who copied a reply into ``reason:``)
is not prefixed again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.action.decision import Decision

__all__ = [
    "PREFIX",
    "blocked_message",
    "failure_message",
    "needs_approval",
    "needs_confirmation",
    "past",
    "why",
]

PREFIX = "blastdoor: "
_FAILED = "blocked because the check could not complete"

_PAST = {
    "approve": "approved",
    "deny": "denied",
    "revoke": "revoked",
    "restore": "restored",
    "remove": "removed",
    "add": "added",
    "ask": "asked",
    "allow": "allowed",
    "consume": "consumed",
    "expire": "expired",
    "cancel": "cancelled",
}


def past(verb: str) -> str:
    """``deny`` -> ``denied``: the past tense of the verbs blastdoor reports (raises on an unknown one)."""
    return _PAST[verb]


def bare(text: str) -> str:
    """``text`` without any leading ``blastdoor:`` prefixes (a reason is prefixed once, by the caller)."""
    out = text.strip()
    while out.lower().startswith(PREFIX.strip()):
        out = out[len(PREFIX.strip()) :].strip()
    return out


def why(decision: Decision) -> str:
    """One line: what blastdoor decided, by which rule, and why."""
    reason = bare(decision.reason or "") or "no reason given"
    return f"{PREFIX}{decision.verdict} by rule `{decision.rule}`: {reason}"


def _sentence(decision: Decision) -> str:
    """``why`` as a sentence: one full stop, whether or not the policy's reason ends with one."""
    return why(decision).rstrip(". ") + "."


def _who(decision: Decision) -> str:
    a = decision.approvals
    who = "1 approval"
    if a is not None:
        who = f"{a.count} approval{'s' if a.count != 1 else ''}"
        if a.group:
            who += f" from `{a.group}`"
    return who


def needs_approval(decision: Decision, request_id: str | None, *, retry: str = "") -> str:
    """What an ``approve`` verdict needs, for a channel that can only block it.

    ``request_id`` is the pending approval request, once the approvals service files one; ``retry``
    says how to try again in this channel (default: the same action, unchanged).
    """
    who = _who(decision)
    if request_id:
        again = retry or "retry the same action unchanged"
        return (
            f"{_sentence(decision)} It needs {who}: request {request_id} is pending. Once it is approved, "
            f"{again} (`blastdoor approvals show {request_id}` shows its state)."
        )
    filed = next((r for r in decision.reasons if r.startswith("no approval request could be filed")), "")
    return (
        f"{_sentence(decision)} It needs {who}, but no approval request could be filed "
        f"({filed or 'approvals are not reachable from here'}), so it was blocked. Do not retry it: tell the "
        "user what you wanted to do and why, so that a person can run it or change the policy."
    )


def needs_confirmation(decision: Decision) -> str:
    """An ``ask`` verdict, for a channel that cannot prompt its user."""
    return (
        f"{_sentence(decision)} It needs the user's confirmation and this harness cannot ask for it from a hook, "
        "so it was blocked. Do not retry it: ask the user to confirm it and to run it themselves, or to "
        "allow it in the blastdoor policy."
    )


def blocked_message(decision: Decision, request_id: str | None) -> str:
    """The block message for any verdict a channel can only express as a block."""
    if decision.verdict == "approve":
        return needs_approval(decision, request_id)
    if decision.verdict == "ask":
        return needs_confirmation(decision)
    return why(decision)


def failure_message(message: str) -> str:
    """blastdoor could not decide: it blocks, says why, and says so once however deeply it was relayed."""
    inner = bare(message)
    while inner.startswith(_FAILED):
        # an already-worded failure relayed again: keep its cause, not its wrapping
        inner = inner[len(_FAILED) :].strip()
        if inner.startswith("(") and ")" in inner:
            inner = inner[1 : inner.rindex(")")]
        inner = bare(inner)
    return (
        f"{PREFIX}{_FAILED} ({inner or 'no reason given'}). blastdoor fails closed: nothing runs until it can "
        "decide. Tell the user; `blastdoor coverage` and `blastdoor explain` help."
    )
