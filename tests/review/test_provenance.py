"""Who wrote a commit: from blastdoor's audit log (exact, survives stripped trailers), from the agent
tools' own trailers and identities, or nobody but a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.review.git import Commit
from blastdoor.review.provenance import LogFact, provenance
from tests.review.repo import Repo


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def by_id(report: dict[str, object], sha: str) -> dict[str, object]:
    commits = report["commits"]
    assert isinstance(commits, list)
    return next(c for c in commits if c["id"] == sha)


def test_claude_code_commit_is_ai_from_the_log_alone(repo: Repo) -> None:
    # No trailer at all, and the author is the human's own identity: only the audit log knows.
    repo.write("app.py", "print('hi')\n")
    agent = repo.agent_commit("add app", "toolu_1")
    repo.write("notes.txt", "mine\n")
    human = repo.commit("my notes")
    code, report = repo.review()
    a = by_id(report, agent)["provenance"]
    assert a["ai"] is True and a["confidence"] == "certain"  # type: ignore[index]
    assert [e["source"] for e in a["evidence"]] == ["audit-log"]  # type: ignore[index]
    assert "claude-code" in a["tools"]  # type: ignore[index]
    h = by_id(report, human)["provenance"]
    assert h["ai"] is False and h["evidence"] == []  # type: ignore[index]
    assert code == 4  # the agent's commit needs a review


def test_a_failed_agent_commit_links_nothing(repo: Repo) -> None:
    # The agent's `git commit` failed (nothing staged): the outcome must not claim the current HEAD.
    # HEAD is the human's initial commit.
    base = {
        "session_id": "s",
        "cwd": str(repo.work),
        "tool_name": "Bash",
        "tool_input": {"command": "git commit -m nothing"},
        "tool_use_id": "toolu_f",
    }
    repo.hook({**base, "hook_event_name": "PreToolUse"})
    repo.hook({**base, "hook_event_name": "PostToolUseFailure", "error": "Exit code 1\nnothing to commit"})
    code, report = repo.review("HEAD")
    assert code == 0
    assert all(c["provenance"]["ai"] is False for c in report["commits"])  # type: ignore[index,union-attr]


@pytest.mark.parametrize(
    ("tool", "message", "author"),
    [
        ("claude-code", "fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>", ("Hal Human", "hal@example.com")),
        ("claude-code", "fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)", ("H", "h@x.io")),
        ("aider", "fix the parser", ("Hal Human (aider)", "hal@example.com")),
        ("aider", "aider: fix the parser", ("Hal Human", "hal@example.com")),
        ("aider", "fix\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>", ("Hal Human", "hal@example.com")),
        ("cursor", "fix\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", ("Hal Human", "hal@example.com")),
        ("copilot", "fix", ("Copilot", "198982749+Copilot@users.noreply.github.com")),
        (
            "codex",
            "fix",
            ("chatgpt-codex-connector[bot]", "199175422+chatgpt-codex-connector[bot]@users.noreply.github.com"),
        ),
        ("gemini", "fix\n\nCo-authored-by: Gemini <gemini@google.com>", ("Hal Human", "hal@example.com")),
        ("blastdoor", "fix\n\nBlastdoor-Agent: claude-code:sess-9", ("Hal Human", "hal@example.com")),
        ("bot", "bump deps", ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")),
    ],
)
def test_other_tools_are_known_by_their_trailer_or_identity(
    repo: Repo, tool: str, message: str, author: tuple[str, str]
) -> None:
    repo.write("lib.py", f"# {tool}\n")
    sha = repo.commit(message, author=author)
    code, report = repo.review()
    prov = by_id(report, sha)["provenance"]
    assert prov["ai"] is True and tool in prov["tools"]  # type: ignore[index,operator]
    assert prov["confidence"] in ("high", "medium")  # type: ignore[index]
    assert code == 4


@pytest.mark.parametrize(
    "message",
    [
        "Fix the claude code docs link",  # mentions a tool, writes no trailer
        "fix\n\nCo-authored-by: Claudia Ramos <claudia@example.com>",
        "fix\n\nCo-authored-by: Bob <bob@example.com>\nSigned-off-by: Hal Human <hal@example.com>",
        "refactor aider-like code",
    ],
)
def test_people_are_not_taken_for_agents(repo: Repo, message: str) -> None:
    repo.write("lib.py", "x = 1\n")
    sha = repo.commit(message)
    code, report = repo.review()
    assert by_id(report, sha)["provenance"]["ai"] is False  # type: ignore[index]
    assert code == 0


def test_a_human_claim_on_an_agent_commit_is_a_conflict() -> None:
    commit = Commit(
        "a" * 40, author_name="Hal", author_email="hal@x.io", message="fix\n\nSigned-off-by: Hal <hal@x.io>\n"
    )
    prov = provenance(commit, LogFact("claude-code:s1", harness="claude-code", seq=7))
    assert prov.ai is True and prov.confidence == "certain"
    assert prov.conflicts and "Signed-off-by" in prov.conflicts[0]
    signed = Commit("b" * 40, author_name="Hal", signature="G", message="fix\n")
    prov = provenance(signed, LogFact("claude-code:s1", harness="claude-code"))
    assert prov.ai is True and any("signed" in c for c in prov.conflicts)
    # Without the log's word, a signed human commit is simply human.
    assert provenance(signed).ai is False and provenance(signed).conflicts == []
