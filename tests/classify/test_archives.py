"""Archivers: an extraction over a directory that holds the guard's files is not waved through.

What an archive holds is not known when the command is judged, so extracting over a project that
holds the harness's hook settings may replace them: the baseline must not allow it (unknown: ask),
while an extraction into a subdirectory that holds nothing of the guard stays everyday work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.policy import decide
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import Source


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text("{}")
    (tmp_path / "vendor").mkdir()
    return tmp_path


def _verdict(cmd: str, cwd: Path) -> tuple[str, frozenset[str]]:
    home = str(cwd.parent / "home")
    policy = compile_sources([Source("project", "<t>", "version: 1\nextends: [recommended]\n")], home=home)
    action = classify(Action("shell", raw=cmd, cwd=str(cwd)), policy.environments, environ={"HOME": home}, home=home)
    return decide(policy, action).verdict, frozenset(action.effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "tar -xf /tmp/evil.tar",
        "tar xzf /tmp/evil.tgz -C .",
        "tar -x -f /tmp/evil.tar -C .claude",
        "unzip -o /tmp/evil.zip",
        "unzip /tmp/evil.zip -d .claude",
        "7z x /tmp/evil.7z -o.",
        "cpio -idu < /tmp/evil.cpio",
    ],
)
def test_extracting_over_the_guard_is_not_allowed(project: Path, cmd: str) -> None:
    verdict, effects = _verdict(cmd, project)
    assert verdict != "allow", (cmd, effects)
    assert "unknown" in effects or "guard" in effects


@pytest.mark.parametrize("cmd", ["tar -xf /tmp/lib.tar -C vendor", "unzip -q /tmp/site.zip -d vendor"])
def test_extracting_beside_the_guard_is_everyday_work(project: Path, cmd: str) -> None:
    verdict, effects = _verdict(cmd, project)
    assert verdict == "allow", (cmd, effects)
    assert "write" in effects
