"""``find`` deletes what its filters select: a name no guard place can have spares the guard; anything
else that reaches a guard place (no filter, ``*.yaml``, ``-path``) is the guard, by ``-delete`` or by
``-exec rm``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import shell_effects


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "__pycache__").mkdir(parents=True)
    (root / "blastdoor.yaml").write_text("rules: []\n")
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text("{}\n")
    return root


def _effects(cmd: str, cwd: Path) -> set[str]:
    return shell_effects(cmd, str(cwd), str(cwd.parent / "home"))


@pytest.mark.parametrize(
    "cmd",
    [
        "find . -delete",
        "find . -type f -delete",
        "find . -name '*.yaml' -delete",
        "find . -iname 'BLASTDOOR*' -delete",
        "find . -name '*.json' -exec rm {} +",
        "find . -name '.claude' -exec rm -rf {} +",
        "find . -type f -exec rm -f {} \\;",
        "find . -path '*/x/*' -delete",  # a path filter: not known to miss the guard
        "find . -name '*' -delete",
    ],
)
def test_a_find_that_can_reach_a_guard_place_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "find . -name '*.pyc' -delete",
        "find . -name '*.pyc' -exec rm -f {} +",
        "find . -name '__pycache__' -type d -exec rm -rf {} +",
        "find . -iname '*.TMP' -exec rm {} \\;",
        "find src -type f -delete",  # below a directory that holds no guard place
    ],
)
def test_a_find_whose_filter_misses_every_guard_place_is_an_ordinary_delete(project: Path, cmd: str) -> None:
    effects = _effects(cmd, project)
    assert "guard" not in effects and "delete" in effects, (cmd, effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "find . -maxdepth 1 -name 'b*' -exec truncate -s0 {} +",
        "find . -name '*.yaml' -exec sed -i s/deny/allow/ {} \\;",
        "find . -name 'settings.json' -exec cp /dev/null {} \\;",
        "find . -type f -exec chmod 000 {} +",
    ],
)
def test_a_command_that_changes_what_the_filter_selects_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "find . -name '*.py' -exec sed -i s/a/b/ {} +",  # `*.py` names no place this project holds
        "find . -name '*.py' -delete",
        "find . -type f -exec grep -l x {} +",  # reads only
    ],
)
def test_a_filter_that_misses_every_held_place_spares_the_guard(project: Path, cmd: str) -> None:
    assert "guard" not in _effects(cmd, project), cmd
