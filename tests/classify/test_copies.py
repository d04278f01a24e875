"""Where a copy lands: copying into a directory writes what lands there, guard files included.

``cp /tmp/x/blastdoor.yaml .`` names only ``.``; what it writes is ``./blastdoor.yaml``. Every spelling
of "copy these files in here" must meet the same guard as writing the file by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import shell_effects


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "a.py").write_text("x = 1\n")
    staged = tmp_path / "staged"  # what an agent prepared elsewhere, to copy over the guard
    (staged / ".claude").mkdir(parents=True)
    (staged / "blastdoor.yaml").write_text("default: allow\n")
    (staged / ".claude" / "settings.json").write_text("{}\n")
    plain = tmp_path / "plain"
    (plain / "lib").mkdir(parents=True)
    (plain / "lib" / "util.py").write_text("")
    return tmp_path


def _effects(cmd: str, root: Path) -> set[str]:
    return shell_effects(cmd.replace("ROOT", str(root)), str(root / "project"), str(root / "home"))


@pytest.mark.parametrize(
    "cmd",
    [
        "cp ROOT/staged/blastdoor.yaml .",
        "cp ROOT/staged/blastdoor.yaml ./",
        "cp -t . ROOT/staged/blastdoor.yaml",
        "cp --target-directory=. ROOT/staged/blastdoor.yaml",
        "install ROOT/staged/blastdoor.yaml .",
        "ln -sf ROOT/staged/blastdoor.yaml .",
        "cp -r ROOT/staged/. .",
        "cp -rT ROOT/staged .",
        "cp -a ROOT/staged/.claude .",
        "cp -r ROOT/staged/.claude/ .claude",
        "rsync -a ROOT/staged/ ./",
        "rsync -a ROOT/staged/.claude/ .claude/",
        "rsync -a ROOT/staged/blastdoor.yaml .",
        "cd src && cp ../../staged/blastdoor.yaml ..",
        "mv ROOT/staged/.claude .",
    ],
)
def test_copying_a_guard_file_in_by_any_spelling_is_the_guard(world: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, world), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "cp src/a.py src/b.py",
        "cp src/a.py /tmp/",
        "cp -r ROOT/plain/. .",
        "rsync -a ROOT/plain/ ./vendor/",
        "cp -r ROOT/staged/.claude ROOT/backup",  # lands as backup/settings.json: not a guard place
        "cp -r src ROOT/plain",
    ],
)
def test_ordinary_copies_stay_ordinary_writes(world: Path, cmd: str) -> None:
    assert "guard" not in _effects(cmd, world), cmd
