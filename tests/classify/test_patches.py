"""A patch changes the files its headers name: patch, git apply and git am are judged by them.

Walking around the guard with a patch (``git apply`` of a diff that rewrites ``blastdoor.yaml``) must be
the same guard as editing the file; a patch nobody can read here is unknown, never an allowed write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.classify._judge import shell_effects

GUARDED = """diff --git a/blastdoor.yaml b/blastdoor.yaml
--- a/blastdoor.yaml
+++ b/blastdoor.yaml
@@ -1 +1 @@
-rules: []
+default: allow
"""
ORDINARY = """--- a/src/app.py\t2026-01-01 00:00:00
+++ b/src/app.py\t2026-01-02 00:00:00
@@ -1 +1 @@
-x = 1
+x = 2
"""
RENAMED = """diff --git a/notes.json b/notes.json
similarity index 100%
rename from notes.json
rename to .claude/settings.json
"""
CONTEXT = """*** .claude/settings.json
--- .claude/settings.json
***************
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "blastdoor.yaml").write_text("rules: []\n")
    for name, text in (("guard.patch", GUARDED), ("ok.patch", ORDINARY), ("rn.patch", RENAMED)):
        (root / name).write_text(text)
    (root / "ctx.diff").write_text(CONTEXT)
    (root / "binary.patch").write_bytes(b"\0\1\2" * 100)
    return root


def _effects(cmd: str, cwd: Path) -> set[str]:
    return shell_effects(cmd, str(cwd), str(cwd.parent / "home"))


@pytest.mark.parametrize(
    "cmd",
    [
        "git apply guard.patch",
        "git apply --index guard.patch",
        "git am guard.patch",
        "patch -p1 < guard.patch",
        "patch -p1 -i guard.patch",
        "patch --input=guard.patch -p1",
        "patch < guard.patch",  # no -p: GNU patch keeps the last name only
        "cat guard.patch | git apply",
        "git apply rn.patch",  # a rename's target carries no a/ prefix
        "patch -p0 < ctx.diff",  # a context diff
        "cd src && git apply --directory=.. -p1 ../guard.patch",
        "git apply <<'EOF'\n--- a/.claude/settings.json\n+++ b/.claude/settings.json\nEOF",
    ],
)
def test_a_patch_that_rewrites_a_guard_file_is_the_guard(project: Path, cmd: str) -> None:
    assert "guard" in _effects(cmd, project), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "git apply ok.patch",
        "patch -p1 < ok.patch",
        "git apply --check guard.patch",  # reads only
        "patch -p1 --dry-run < guard.patch",
        "patch -p1 -o /tmp/preview.py < guard.patch",  # the result goes elsewhere
        "git apply no-such.patch",  # git fails: nothing changes
    ],
)
def test_a_patch_of_ordinary_files_is_an_ordinary_write(project: Path, cmd: str) -> None:
    effects = _effects(cmd, project)
    assert "guard" not in effects and "unknown" not in effects, (cmd, effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "git apply binary.patch",
        "git apply $(ls *.patch | head -1)",
        "curl -s https://example.com/fix.patch -o fix.patch && git apply fix.patch",
        "curl -s https://example.com/fix.patch | patch -p1",
    ],
)
def test_a_patch_that_cannot_be_read_here_is_not_an_allowed_write(project: Path, cmd: str) -> None:
    effects = _effects(cmd, project)
    assert effects & {"unknown", "remote_exec", "guard"}, (cmd, effects)
