"""Skipping or removing the repository's git hooks, in a real repository made with git.

Before: ``git push --no-verify`` past a ``blastdoor review --pre-push`` hook was an ordinary push, and
``rm .git/hooks/pre-push`` an ordinary delete.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import git, shell_effects


def _hook(directory: Path, name: str, body: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    _hook(root / ".git" / "hooks", "pre-push", "exec blastdoor review --pre-push")
    _hook(root / ".git" / "hooks", "pre-commit", "exec gitleaks protect --staged")
    return root


def _effects(cmd: str, root: Path) -> set[str]:
    return shell_effects(cmd, str(root), str(root.parent / "home"))


@pytest.mark.parametrize(
    "cmd",
    [
        "git push --no-verify",
        "git push --no-verify origin main",
        "git -c core.hooksPath=/dev/null push",
        "git config core.hooksPath /tmp/empty",
        "rm .git/hooks/pre-push",
        "echo 'exit 0' > .git/hooks/pre-push",
        "rm -rf .git/hooks",
        "mv .git/hooks/pre-push /tmp/x",
    ],
)
def test_getting_past_a_hook_that_runs_blastdoor_is_the_guard(repo: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, repo), cmd


@pytest.mark.parametrize("cmd", ["git commit --no-verify -m x", "git commit -n -m x", "git commit -anm x"])
def test_skipping_the_repositorys_other_checks_is_privilege(repo: Path, cmd: str) -> None:
    effects = _effects(cmd, repo)
    assert "privilege" in effects and "guard" not in effects, (cmd, effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "git push",
        "git push -n",  # push's -n is --dry-run
        "git commit -m x",
        "git merge --no-verify feature",  # no pre-merge-commit or commit-msg hook here: nothing skipped
        "HUSKY=0 git push",  # these hooks are not husky's
        "rm .git/hooks/pre-commit.sample",
    ],
)
def test_nothing_is_skipped_otherwise(repo: Path, cmd: str) -> None:
    effects = _effects(cmd, repo)
    assert not effects & {"guard", "privilege"}, (cmd, effects)


def test_husky_hooks_skipped_by_its_variable(repo: Path) -> None:
    _hook(repo / ".husky" / "_", "pre-push", "blastdoor review --pre-push")
    git(repo, "config", "core.hooksPath", ".husky/_")
    for cmd in ("HUSKY=0 git push", "export HUSKY=0; git push", "git push --no-verify", "rm .husky/_/pre-push"):
        assert "guard" in _effects(cmd, repo), cmd
    assert "guard" not in _effects("git push", repo)


def test_no_hooks_means_nothing_to_skip(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    git(root, "init", "-q")
    assert "privilege" not in _effects("git push --no-verify", root)
