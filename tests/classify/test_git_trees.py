"""Commands that bring another commit's files into the working tree are judged by those files.

A real repository: ``main`` holds a strict ``blastdoor.yaml``; its parent, and a branch made from it,
hold a weak one. Checking either out, resetting to it, or picking the commit that changed the policy
rewrites the guard file without naming it; a branch that never touched the policy does not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.classify._judge import git as _git
from tests.classify._judge import shell_effects


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trees")
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.email", "dev@example.com")
    _git(path, "config", "user.name", "dev")
    (path / "blastdoor.yaml").write_text("default: allow\n")
    (path / "app.py").write_text("a = 1\n")
    _git(path, "add", ".")
    _git(path, "commit", "-qm", "weak policy")
    (path / "blastdoor.yaml").write_text("default: deny\n")
    _git(path, "commit", "-qam", "strict policy")
    _git(path, "checkout", "-qb", "weak", "HEAD~1")  # a branch from before the policy was tightened
    (path / "app.py").write_text("a = 2\n")
    _git(path, "commit", "-qam", "feature on the weak base")
    _git(path, "checkout", "-q", "main")
    _git(path, "checkout", "-qb", "feature")  # a branch that never touches the policy
    (path / "new.py").write_text("b = 1\n")
    _git(path, "add", "new.py")
    _git(path, "commit", "-qm", "feature")
    _git(path, "checkout", "-q", "main")
    return path


def _effects(cmd: str, cwd: Path) -> set[str]:
    return shell_effects(cmd, str(cwd), str(cwd.parent))


@pytest.mark.parametrize(
    "cmd",
    [
        "git checkout HEAD~1",
        "git checkout weak",
        "git switch weak",
        "git switch --detach HEAD~1",
        "git checkout -b again HEAD~1",
        "git reset --hard HEAD~1",
        "git reset --keep weak",
        "git revert HEAD",  # undoes the commit that tightened the policy
        "git stash && git checkout HEAD~1",
        "cd /tmp && git -C REPO checkout weak",
    ],
)
def test_bringing_in_a_weaker_policy_from_history_is_the_guard(repo: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd.replace("REPO", str(repo)), repo), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "git checkout feature",
        "git switch feature",
        "git merge feature",
        "git merge weak",  # weak never changed the policy since it forked: main's stays
        "git reset HEAD~1",  # a mixed reset leaves the working tree alone
        "git checkout no-such-branch",  # git fails: nothing changes
        "git cherry-pick feature",
    ],
)
def test_commits_that_leave_the_policy_alone_are_ordinary(repo: Path, cmd: str) -> None:
    assert "guard" not in _effects(cmd, repo), cmd


def test_the_repository_is_left_as_it_was(repo: Path) -> None:
    before = subprocess.run(["git", "status", "--porcelain", "-b"], cwd=repo, capture_output=True, text=True).stdout
    _effects("git checkout weak && git reset --hard HEAD~1", repo)
    after = subprocess.run(["git", "status", "--porcelain", "-b"], cwd=repo, capture_output=True, text=True).stdout
    assert before == after and (repo / "blastdoor.yaml").read_text() == "default: deny\n"


@pytest.fixture()
def untracked(tmp_path: Path) -> Path:
    """A repository whose policy file is not committed and whose local Claude settings are ignored."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "app.py").write_text("")
    (tmp_path / ".gitignore").write_text(".claude/settings.local.json\n*.log\n")
    _git(tmp_path, "add", "app.py", ".gitignore")
    _git(tmp_path, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "app")
    (tmp_path / "blastdoor.yaml").write_text("rules: []\n")
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.local.json").write_text("{}\n")
    (tmp_path / "scratch.txt").write_text("")
    (tmp_path / "debug.log").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    "cmd",
    [
        "git clean -fd",
        "git clean -f",
        "git clean -fdx",
        "git stash -u",
        "git stash --include-untracked",
        "git stash -a",
    ],
)
def test_removing_untracked_files_that_include_a_guard_place_is_the_guard(untracked: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, untracked), cmd


@pytest.mark.parametrize(
    "cmd",
    ["git clean -n", "git clean -fX", "git clean -f scratch.txt", "git stash", "git stash push -u -- scratch.txt"],
)
def test_removing_untracked_files_that_miss_the_guard_is_ordinary(untracked: Path, cmd: str) -> None:
    assert "guard" not in _effects(cmd, untracked), cmd
