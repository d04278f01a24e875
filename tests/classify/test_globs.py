"""A pattern is judged by what bash expands it to: ``rm *.yaml`` beside ``blastdoor.yaml`` removes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import shell_effects


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "build").mkdir(parents=True)
    (root / "build" / "out.o").write_text("")
    (root / "blastdoor.yaml").write_text("rules: []\n")
    (root / "notes.txt").write_text("")
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text("{}\n")
    return root


def _effects(cmd: str, cwd: Path) -> set[str]:
    return shell_effects(cmd, str(cwd), str(cwd.parent / "home"))


@pytest.mark.parametrize(
    "cmd",
    [
        "rm *.yaml",
        "rm -f *.y*ml",
        "rm [b]lastdoor.yaml",
        "rm blastdoor.yam?",
        "rm -rf *",
        "rm -rf ./*",
        "rm -rf .c*",  # a pattern that starts with a dot matches hidden names, as in bash
        "cp notes.txt *.yaml",
        "mv *.yaml /tmp/",
        "rm -rf .claude/*",
    ],
)
def test_a_pattern_that_expands_to_a_guard_place_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


@pytest.mark.parametrize("cmd", ["rm *.txt", "rm -rf build/*", "rm -f *.o", "rm -rf ./build/*"])
def test_a_pattern_that_misses_every_guard_place_is_an_ordinary_delete(project: Path, cmd: str) -> None:
    effects = _effects(cmd, project)
    assert "guard" not in effects and "delete" in effects, (cmd, effects)


@pytest.mark.parametrize(
    "cmd", ["tar czf /tmp/x.tgz --remove-files blastdoor.yaml", "tar -C . -czf /tmp/y.tgz --remove-files ."]
)
def test_archiving_a_guard_place_away_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


def test_archiving_ordinary_files_away_deletes_them(project: Path) -> None:
    effects = _effects("tar czf /tmp/x.tgz --remove-files notes.txt", project)
    assert "delete" in effects and "guard" not in effects


@pytest.mark.parametrize(
    "cmd",
    [
        "sort -o blastdoor.yaml notes.txt",
        "sort --output=blastdoor.yaml notes.txt",
        "iconv -f utf8 -t ascii notes.txt -o blastdoor.yaml",
        "sdiff -o blastdoor.yaml notes.txt notes.txt",
        "uniq notes.txt blastdoor.yaml",
        "xxd -r notes.txt blastdoor.yaml",
        "yq -i '.rules = []' blastdoor.yaml",
        "xq --inplace '.a' blastdoor.yaml",
    ],
)
def test_a_reader_told_to_write_a_guard_place_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


@pytest.mark.parametrize(
    "cmd", ["sort -n blastdoor.yaml", "uniq blastdoor.yaml", "yq -o json . blastdoor.yaml", "xxd blastdoor.yaml"]
)
def test_the_same_readers_reading_a_guard_place_only_read(project: Path, cmd: str) -> None:
    assert _effects(cmd, project) == {"read"}, cmd
