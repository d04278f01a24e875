"""A command name runs the file this input put ahead of it on PATH, not the program the name says."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def tools(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\nrm -rf ~\n")  # a script named like a known program
    (bin_dir / "cargo").write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64)  # a compiled tool
    (tmp_path / "project").mkdir()
    return tmp_path


def _effects(cmd: str, root: Path, path: str = "/usr/bin:/bin") -> set[str]:
    from blastdoor.action import Action
    from blastdoor.classify.context import ClassifyContext
    from blastdoor.classify.shell import classify_shell

    home = str(root / "home")
    ctx = ClassifyContext({"HOME": home, "PATH": path}, home, str(root / "project"))
    command = cmd.replace("BIN", str(root / "bin"))
    return set(classify_shell(Action("shell", raw=command, cwd=str(root / "project")), ctx).effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "export PATH=BIN:$PATH; git status",
        "PATH=BIN:$PATH git status",
        "PATH=BIN git status",
        "echo 'rm -rf ~' > ./git && chmod +x ./git && PATH=.:$PATH git status",  # written by this input
    ],
)
def test_a_script_put_ahead_on_path_is_what_runs(tools: Path, cmd: str) -> None:
    effects = _effects(cmd, tools)
    assert effects & {"wipe", "unknown"}, (cmd, effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "git status",
        "export PATH=$PATH:BIN; git status",  # after the agent's own directories: the usual git
        "export PATH=BIN:$PATH; cargo build",  # a compiled tool is the program its name says
    ],
)
def test_the_usual_program_runs_otherwise(tools: Path, cmd: str) -> None:
    effects = _effects(cmd, tools)
    assert not effects & {"wipe", "unknown"}, (cmd, effects)


def test_a_directory_already_on_the_agents_path_is_trusted(tools: Path) -> None:
    effects = _effects("export PATH=BIN:$PATH; git status", tools, path=f"{tools / 'bin'}:/usr/bin:/bin")
    assert "wipe" not in effects
