"""A redirection with nothing to write empties a file that has content: ``> app.db``, ``: > app.db``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import shell_effects


@pytest.mark.parametrize("cmd", ["> app.db", ": > app.db", "true > app.db", ">| app.db", "> ./app.db"])
def test_emptying_a_file_with_content_deletes_it(tmp_path: Path, cmd: str) -> None:
    (tmp_path / "app.db").write_text("years of rows\n")
    assert "delete" in shell_effects(cmd, str(tmp_path), str(tmp_path / "home")), cmd


@pytest.mark.parametrize("cmd", [">> app.db", "echo x > app.db", "> new.db", "sort data > app.db"])
def test_appending_writing_or_creating_is_a_write(tmp_path: Path, cmd: str) -> None:
    (tmp_path / "app.db").write_text("years of rows\n")
    effects = shell_effects(cmd, str(tmp_path), str(tmp_path / "home"))
    assert "delete" not in effects and "write" in effects, (cmd, effects)
