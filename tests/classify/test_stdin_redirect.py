"""An input redirection is the program's standard input: `psql < drop.sql` runs that file's SQL.

The file is read and classified as what the program makes of it (SQL for a database client, shell
for a shell, Python for the interpreter); a file that cannot be read is unknown, never a read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.action import Action
from blastdoor.classify import classify


def _effects(cmd: str, cwd: Path) -> set[str]:
    action = classify(Action("shell", raw=cmd, cwd=str(cwd)), None, environ={"HOME": "/home/dev"}, home="/home/dev")
    return set(action.effects)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "drop.sql").write_text("DROP TABLE users;\n")
    (tmp_path / "report.sql").write_text("SELECT count(*) FROM users;\n")
    (tmp_path / "wipe.sh").write_text("rm -rf ~\n")
    (tmp_path / "clean.py").write_text("import shutil\nshutil.rmtree('/srv/data')\n")
    return tmp_path


@pytest.mark.parametrize(
    ("cmd", "effects"),
    [
        ("psql < drop.sql", {"delete", "irreversible"}),
        ("mysql app < drop.sql > out.txt", {"delete", "irreversible"}),
        ("sqlite3 app.db < drop.sql", {"delete", "irreversible"}),
        ("sh < wipe.sh", {"wipe"}),
        ("python3 < clean.py", {"delete", "irreversible"}),
        ("psql -d app < missing.sql", {"unknown"}),
    ],
)
def test_the_redirected_file_is_what_the_program_runs(files: Path, cmd: str, effects: set[str]) -> None:
    assert effects <= _effects(cmd, files), cmd


def test_a_query_file_stays_a_read(files: Path) -> None:
    assert _effects("psql -d app < report.sql", files) == {"read"}
    assert _effects("sort < report.sql", files) == {"read"}
