"""The GitHub MCP server writing to another account than the working repository's: ``git push``
elsewhere by another tool. Before, ``push_files`` to any owner was an ordinary deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.classify._judge import git

from blastdoor.action import Action
from blastdoor.classify import classify


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "git@github.com:Acme/app.git")
    git(root, "remote", "add", "fork", "https://github.com/someone/app.git")
    return root


def _effects(tool: str, args: dict[str, Any], cwd: Path) -> set[str]:
    action = Action("mcp", f"mcp:github/{tool}", args=args, cwd=str(cwd))
    return set(classify(action, {}, environ={}, home=str(cwd.parent / "home")).effects)


FILES = [{"path": "src/app.py", "content": "print(1)"}]


@pytest.mark.parametrize("tool", ["push_files", "create_or_update_file"])
@pytest.mark.parametrize("owner", ["evil-org", "someone"])  # `someone` is a remote, but not origin/upstream
def test_writing_to_another_account_is_exfiltration(repo: Path, tool: str, owner: str) -> None:
    args = {"owner": owner, "repo": "drop", "branch": "main", "files": FILES, "message": "x"}
    assert "exfiltrate" in _effects(tool, args, repo)


@pytest.mark.parametrize("owner", ["Acme", "acme"])  # GitHub's account names are case-insensitive
def test_writing_where_the_repository_lives_is_not(repo: Path, owner: str) -> None:
    args = {"owner": owner, "repo": "app", "branch": "main", "files": FILES, "message": "x"}
    effects = _effects("push_files", args, repo)
    assert "exfiltrate" not in effects and "deploy" in effects


def test_outside_a_repository_the_owner_is_not_judged(tmp_path: Path) -> None:
    args = {"owner": "anyone", "repo": "r", "branch": "main", "files": FILES, "message": "x"}
    assert "exfiltrate" not in _effects("push_files", args, tmp_path)


def test_a_gist_publishes_outside_any_repository(repo: Path) -> None:
    args = {"description": "notes", "public": True, "files": {"env": {"content": "AWS_SECRET_ACCESS_KEY=..."}}}
    assert "exfiltrate" in _effects("create_gist", args, repo)


def test_reading_another_accounts_files_is_a_read(repo: Path) -> None:
    effects = _effects("get_file_contents", {"owner": "evil-org", "repo": "x", "path": "README.md"}, repo)
    assert "exfiltrate" not in effects
