"""Who wrote a commit: an agent or a person, how sure, and the evidence, named.

Evidence, strongest first:

- ``audit-log``: blastdoor's own log recorded an agent's ``git commit`` whose resulting commit id is
  this one (the hook's outcome carries ``extra.git_commit``). Exact; trailers cannot remove it.
- ``trailer``: what the agent tools write themselves (``TRAILERS``, from each tool's documentation):
  Claude Code's ``Co-Authored-By: Claude <noreply@anthropic.com>`` and "Generated with Claude Code",
  Aider's ``(aider)`` author suffix, ``aider:`` subject prefix and ``noreply@aider.chat`` co-author,
  Cursor's ``cursoragent@cursor.com``, the GitHub Copilot coding agent's ``Copilot`` identity, and
  blastdoor's own ``Blastdoor-Agent:`` trailer.
- ``identity``: a bot author or committer (``name[bot]``, ``...[bot]@users.noreply.github.com``).

A commit with none of these is human (``confidence`` "none": nothing says an agent wrote it, which
is not proof that none did). A commit the log attributes to an agent while it is signed, or while a
``Signed-off-by`` names a person and no trailer admits the agent, is flagged as a conflict: it stays
AI-authored (fail closed) and the conflict is reported.

Pure: the caller passes the commit and what the log says about it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.review.git import Commit

__all__ = ["TRAILERS", "LogFact", "Provenance", "provenance"]

JSON = Any

# (tool, where, pattern): where is "message" (any line of it), "author" ("Name <email>"), "committer",
# or "subject". Patterns are case-insensitive.
TRAILERS: tuple[tuple[str, str, str], ...] = (
    ("blastdoor", "message", r"^blastdoor-agent:\s*\S"),
    ("claude-code", "message", r"^co-authored-by:\s*claude\b[^<]*<noreply@anthropic\.com>"),
    ("claude-code", "message", r"generated with \[?claude code\]?"),
    ("aider", "author", r"\(aider\)\s*<"),
    ("aider", "committer", r"\(aider\)\s*<"),
    ("aider", "subject", r"^aider:\s"),
    ("aider", "message", r"^co-authored-by:\s*aider\b[^<]*<noreply@aider\.chat>"),
    ("cursor", "message", r"^co-authored-by:[^<]*<cursoragent@cursor\.com>"),
    ("cursor", "author", r"<cursoragent@cursor\.com>"),
    ("copilot", "author", r"^copilot\s*<[^>]*copilot@users\.noreply\.github\.com>"),
    ("copilot", "author", r"copilot-swe-agent\[bot\]"),
    ("copilot", "message", r"^co-authored-by:\s*copilot\b[^<]*<[^>]*copilot@users\.noreply\.github\.com>"),
    ("codex", "author", r"chatgpt-codex-connector\[bot\]"),
    ("codex", "message", r"^co-authored-by:\s*(?:openai )?codex\b"),
    ("gemini", "message", r"^co-authored-by:\s*gemini\b"),
    ("gemini", "author", r"(?:gemini-code-assist|google-labs-jules)\[bot\]"),
    ("kiro", "message", r"^co-authored-by:\s*kiro\b"),
    ("devin", "author", r"devin-ai-integration\[bot\]"),
    ("amazon-q", "author", r"amazon-q-developer\[bot\]"),
    ("openhands", "message", r"^co-authored-by:\s*openhands\b[^<]*<openhands@all-hands\.dev>"),
)
_COMPILED = tuple((tool, where, re.compile(p, re.IGNORECASE | re.MULTILINE)) for tool, where, p in TRAILERS)
_BOT = re.compile(r"\[bot\](?:\s*<|@|$)", re.IGNORECASE)
_SIGNED_OFF = re.compile(r"^signed-off-by:\s*(.+)$", re.IGNORECASE | re.MULTILINE)

CERTAIN = "certain"
HIGH = "high"
MEDIUM = "medium"
NONE = "none"


class LogFact:
    """What the audit log says about one commit id: which agent made it, for whom, under which call."""

    __slots__ = ("agent_id", "correlation_id", "harness", "on_behalf_of", "seq")

    def __init__(
        self, agent_id: str, *, harness: str = "", on_behalf_of: str = "", correlation_id: str = "", seq: int = -1
    ) -> None:
        self.agent_id = agent_id
        self.harness = harness
        self.on_behalf_of = on_behalf_of
        self.correlation_id = correlation_id
        self.seq = seq


class Provenance:
    """The verdict on one commit: ``ai``, how sure, the evidence and any conflicts."""

    __slots__ = ("ai", "confidence", "conflicts", "evidence", "on_behalf_of", "tools")

    def __init__(self) -> None:
        self.ai = False
        self.confidence = NONE
        self.evidence: list[dict[str, str]] = []
        self.conflicts: list[str] = []
        self.tools: list[str] = []
        self.on_behalf_of = ""

    def add(self, source: str, tool: str, detail: str, confidence: str) -> None:
        self.ai = True
        self.evidence.append({"source": source, "tool": tool, "detail": detail})
        if tool and tool not in self.tools:
            self.tools.append(tool)
        order = (NONE, MEDIUM, HIGH, CERTAIN)
        if order.index(confidence) > order.index(self.confidence):
            self.confidence = confidence

    def to_dict(self) -> dict[str, JSON]:
        return {
            "ai": self.ai,
            "confidence": self.confidence,
            "tools": list(self.tools),
            "evidence": list(self.evidence),
            "conflicts": list(self.conflicts),
            "on_behalf_of": self.on_behalf_of,
        }


def provenance(commit: Commit, fact: LogFact | None = None) -> Provenance:
    """Decide whether ``commit`` is AI-authored, from ``fact`` (the log's record, if any) and the commit."""
    out = Provenance()
    if fact is not None:
        detail = f"agent `{fact.agent_id}`" + (f" ({fact.harness})" if fact.harness else "")
        detail += f" made this commit (audit entry {fact.seq})" if fact.seq >= 0 else " made this commit"
        out.add("audit-log", fact.harness or "agent", detail, CERTAIN)
        out.on_behalf_of = fact.on_behalf_of
    texts = {
        "message": commit.message,
        "subject": commit.subject,
        "author": f"{commit.author_name} <{commit.author_email}>",
        "committer": f"{commit.committer_name} <{commit.committer_email}>",
    }
    admitted = False
    for tool, where, pattern in _COMPILED:
        found = pattern.search(texts[where])
        if found:
            admitted = True
            out.add("trailer" if where in ("message", "subject") else "identity", tool, found.group(0).strip(), HIGH)
    for who in ("author", "committer"):
        if _BOT.search(texts[who]) and not any(e["detail"] in texts[who] for e in out.evidence):
            admitted = True
            out.add("identity", "bot", f"{who} is a bot: {texts[who]}", MEDIUM)
    if fact is not None:
        if commit.signature not in ("N", ""):
            out.conflicts.append(
                f"the commit is signed (git %G? = {commit.signature}) but the audit log says agent "
                f"`{fact.agent_id}` made it"
            )
        signers = [s.strip() for s in _SIGNED_OFF.findall(commit.message)]
        if signers and not admitted:
            out.conflicts.append(
                f"`Signed-off-by: {signers[0]}` claims a person while the audit log says agent "
                f"`{fact.agent_id}` made it"
            )
    return out
