"""docs/SDK.md's ```python examples run as a reader would run them: each block on its own, in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "SDK.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLES = BLOCK.findall(DOC.read_text())


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"block{i}" for i in range(len(EXAMPLES))])
def test_a_python_example_runs(code: str, tmp_path: Path) -> None:
    env = {**os.environ, "BLASTDOOR_DB": str(tmp_path / "default.db")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_the_first_example_prints_what_it_says() -> None:
    done = subprocess.run([sys.executable, "-c", EXAMPLES[0]], capture_output=True, text=True, timeout=120)
    assert "[]" in done.stdout and "deny by rule `no-drop`" in done.stdout


def test_the_approval_example_ends_allowed() -> None:
    done = subprocess.run([sys.executable, "-c", EXAMPLES[1]], capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("approve req_") and lines[1] == "allow ('bob',)", done.stdout + done.stderr
