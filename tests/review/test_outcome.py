"""The hook's outcome names the commit an agent's git call made, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.adapters.outcome import Outcome, commit_made
from tests.review.repo import Repo, git


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


@pytest.mark.parametrize(
    "command",
    [
        "git commit -m x",
        "git -C . commit -am 'x'",
        "cd sub && git commit --amend --no-edit",
        ["git", "commit", "-m", "x"],  # an argv (Codex)
        "git merge feature",
        "git cherry-pick abc",
    ],
)
def test_a_commit_making_git_call_names_head(repo: Repo, command: object) -> None:
    head = git(repo.work, "rev-parse", "HEAD")
    assert commit_made({"command": command}, str(repo.work), Outcome(exit_code=0)) == head


@pytest.mark.parametrize("command", ["git status", "git log --oneline", "ls", "git diff HEAD", 42, None])
def test_other_calls_name_nothing(repo: Repo, command: object) -> None:
    assert commit_made({"command": command}, str(repo.work), Outcome(exit_code=0)) is None


def test_a_failed_call_or_a_place_without_a_repository_names_nothing(repo: Repo, tmp_path: Path) -> None:
    assert commit_made({"command": "git commit -m x"}, str(repo.work), Outcome(exit_code=1, error="x")) is None
    assert commit_made({"command": "git commit -m x"}, str(repo.work), Outcome(error="interrupted")) is None
    empty = tmp_path / "not-a-repo"
    empty.mkdir()
    assert commit_made({"command": "git commit -m x"}, str(empty), Outcome(exit_code=0)) is None
    assert commit_made({"command": "git commit -m x"}, "", Outcome(exit_code=0)) is None
