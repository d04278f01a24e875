"""Fixtures: the risky repository + home (tests/inventory/fixtures/risky), copied per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# The policy's environments the fixtures are judged under (the starter policy's).
ENVIRONMENTS: dict[str, Any] = {
    "prod": {"aws_profiles": ["prod*"], "kube_contexts": ["*prod*"], "db_urls": ["postgres://*@db.prod.*"]},
    "staging": {"aws_profiles": ["staging*"]},
}
SECRETS = (  # literal secrets written in the fixtures: never in any output
    "ghp_FIXTUREexampleNOTaREALtoken0000",
    "fixture-password",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "gho_exampleexampleexampleexample",
    "example-not-a-real-token",
)


@pytest.fixture
def risky(tmp_path: Path) -> Path:
    """A copy of the risky fixture: tmp/home and tmp/repo (a git repository)."""
    shutil.copytree(FIXTURES / "risky", tmp_path, dirs_exist_ok=True)
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "system").mkdir()
    return tmp_path


def cli(*args: str, home: Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run_env = {
        **os.environ,
        "HOME": str(home),
        "BLASTDOOR_HOME": str(home / ".blastdoor"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "blastdoor", *args], cwd=cwd, env=run_env, capture_output=True, text=True, timeout=120
    )


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``needle`` (computed, never hard-coded)."""
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")
