"""Properties of the pure parts: what can never make an agent's change look like a person's, and
what can never make a change need less."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from blastdoor.review.git import Commit, FileChange
from blastdoor.review.provenance import TRAILERS, LogFact, provenance
from blastdoor.review.rules import ORDER, Rules, judge

CONFIG = {
    "reviews": 1,
    "signoff": "seniors",
    "count": 1,
    "max_lines": 400,
    "rules": [
        {"id": "pay", "paths": ["services/payments/**"], "verdict": "signoff", "from": "pay", "count": 2},
        {"id": "free", "paths": ["docs/**"], "verdict": "allow"},
    ],
}
RULES = Rules(CONFIG)

texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x1e\x1f"), max_size=200)
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
segments = st.sampled_from(["src", "docs", "infra", "services", "payments", "app", ".github", "workflows", "db"])
leaves = st.sampled_from(["main.py", "README.md", "main.tf", "ci.yml", "0001.sql", "blastdoor.yaml", "x.ts"])
paths = st.builds(lambda segs, leaf: "/".join([*segs, leaf]), st.lists(segments, max_size=3), leaves)
files = st.lists(st.builds(FileChange, paths, st.integers(0, 300), st.integers(0, 300)), min_size=1, max_size=5)


def commit(message: str = "", author: str = "Hal", files: list[FileChange] | None = None, sig: str = "N") -> Commit:
    return Commit(
        "c" * 40,
        author_name=author,
        author_email="hal@example.com",
        message=message,
        files=tuple(files or ()),
        signature=sig,
    )


@given(texts, names, st.sampled_from(["N", "G", "U", "B"]))
def test_the_logs_word_survives_any_message_author_or_signature(message: str, author: str, sig: str) -> None:
    prov = provenance(commit(message, author, sig=sig), LogFact("claude-code:s", harness="claude-code"))
    assert prov.ai is True and prov.confidence == "certain"
    assert prov.evidence[0]["source"] == "audit-log"


@given(
    texts,
    st.sampled_from(
        [
            "Claude <noreply@anthropic.com>",
            "aider (gpt-4o) <noreply@aider.chat>",
            "Cursor Agent <cursoragent@cursor.com>",
        ]
    ),
)
def test_adding_an_agent_trailer_never_makes_a_commit_human(message: str, coauthor: str) -> None:
    before = provenance(commit(message))
    after = provenance(commit(f"{message}\n\nCo-authored-by: {coauthor}\n"))
    assert after.ai is True
    assert set(before.tools) <= set(after.tools)


@given(files, files)
def test_touching_more_files_never_needs_less(some: list[FileChange], more: list[FileChange]) -> None:
    small = judge(commit(files=some), True, RULES)
    large = judge(commit(files=some + more), True, RULES)
    assert ORDER.index(large.verdict) >= ORDER.index(small.verdict)
    assert large.reviews >= small.reviews
    assert all(large.groups.get(g, 0) >= n for g, n in small.groups.items())


@given(files)
def test_a_person_needs_nothing_and_an_agent_at_least_a_review(some: list[FileChange]) -> None:
    assert judge(commit(files=some), False, RULES).verdict == "allow"
    need = judge(commit(files=some), True, RULES)
    assert need.verdict in ("review", "signoff", "deny") and need.reviews >= 1


@given(files, st.sampled_from(["blastdoor.yaml", "a/b/blastdoor.yaml", ".claude/settings.json", "CODEOWNERS"]))
def test_the_guard_is_denied_whatever_else_the_commit_touches(some: list[FileChange], guard: str) -> None:
    # Even a policy rule that allows everything does not lift it.
    lenient = Rules({**CONFIG, "reviews": 0, "rules": [{"id": "all", "paths": ["**"], "verdict": "allow"}]})
    need = judge(commit(files=[*some, FileChange(guard, 0, 3)]), True, lenient)
    assert need.verdict == "deny"


def test_every_trailer_pattern_is_exercised_by_a_tool_name() -> None:
    assert {tool for tool, _, _ in TRAILERS} >= {"claude-code", "aider", "cursor", "copilot", "codex", "gemini", "kiro"}
