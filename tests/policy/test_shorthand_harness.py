"""The policy test shorthand takes `harness:`, so a rule that matches a harness can be tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from blastdoor.action.shorthand import action_from_spec
from blastdoor.cli.main import main

POLICY = """\
version: 1
default: allow
unknown: allow
rules:
  - id: no-cursor-deletes
    match: { harness: cursor, effects: [delete] }
    verdict: deny
tests:
  - action: { shell: "rm notes.txt", harness: cursor }
    expect: deny
    rule: no-cursor-deletes
  - action: { shell: "rm notes.txt", harness: claude-code }
    expect: allow
  - action: { file: ./x, op: delete, harness: cursor }
    expect: deny
  - action: { tool: shell, raw: "rm notes.txt", harness: cursor }
    expect: deny
  - action: { shell: "rm notes.txt" }
    expect: allow
"""


def test_blastdoor_test_runs_harness_shorthands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    code = main(["test", "--policy", str(tmp_path / "blastdoor.yaml")])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "5 passed, 0 failed" in out


@pytest.mark.parametrize(
    "spec",
    [
        {"shell": "ls", "harness": "cursor"},
        {"sql": "SELECT 1", "harness": "cursor"},
        {"file": "/tmp/x", "harness": "cursor"},
        {"tool": "shell", "raw": "ls", "harness": "cursor"},
        {"shell": "ls", "harness": "cursor", "agent": {"id": "a1"}},
    ],
)
def test_harness_becomes_the_agents_harness(spec: dict[str, object]) -> None:
    action = action_from_spec(spec)
    assert action.agent.harness == "cursor"


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ({"shell": "ls", "harness": 3}, "harness"),
        ({"shell": "ls", "harness": ""}, "harness"),
        ({"shell": "ls", "harness": "cursor", "agent": {"harness": "codex"}}, "contradicts"),
    ],
)
def test_a_bad_harness_is_a_clear_error(spec: dict[str, object], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        action_from_spec(spec)
