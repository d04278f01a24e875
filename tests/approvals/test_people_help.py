"""`blastdoor people SUBCOMMAND --help` is a man page: what, who may, examples that run, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blastdoor.cli.people import SUBCOMMANDS

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))


def _help(*words: str) -> str:
    proc = subprocess.run([BLASTDOOR, *words, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("sub", sorted(SUBCOMMANDS))
def test_each_subcommand_has_a_man_page(sub: str) -> None:
    text = _help("people", sub)
    _, description, _ = SUBCOMMANDS[sub]
    assert description.split("\n", 1)[0] in text
    assert "examples:\n  blastdoor people " + sub in text
    assert "exit codes: 0" in text


def test_the_add_examples_run_in_order_on_a_fresh_store(tmp_path: Path) -> None:
    text = _help("people", "add")
    examples = text.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    lines = [ln.strip().split("   ")[0].strip() for ln in examples.splitlines() if ln.strip()]
    assert len(lines) >= 3
    env = {**os.environ, "BLASTDOOR_HOME": str(tmp_path / "home"), "PATH": f"{Path(BLASTDOOR).parent}:/usr/bin:/bin"}
    env.pop("BLASTDOOR_TOKEN", None)
    env.pop("BLASTDOOR_DB", None)
    for line in lines:
        proc = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, (line, proc.stderr)
    listed = subprocess.run([BLASTDOOR, "people", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert sorted(ln.split()[0] for ln in listed.stdout.splitlines()) == ["bob", "carol", "ci-deployer", "root"]
    assert (tmp_path / "bob.token").read_text().startswith("bd_")
