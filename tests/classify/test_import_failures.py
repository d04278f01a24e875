"""A classifier that cannot run (its import fails) ends in the policy's `on_error`, never a skipped check.

Each case runs in a fresh interpreter where ``sys.modules[NAME] = None`` makes ``import NAME`` raise
ImportError, the way a broken install would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, sys
sys.modules[sys.argv[1]] = None  # `import` of it now raises ImportError
from blastdoor.action import Action
from blastdoor.policy import load_policy
from blastdoor.pipeline import evaluate
policy = load_policy(sys.argv[2])
action = Action(sys.argv[3], raw=sys.argv[4], cwd=sys.argv[2])
_, decision = evaluate(policy, action, environ={}, home=sys.argv[2])
print(json.dumps({"verdict": decision.verdict, "rule": decision.rule, "reason": decision.reason}))
"""

POLICY = """\
version: 1
default: allow
unknown: allow
on_error: approve
environments:
  prod: {aws_profiles: ["prod*"]}
rules: []
"""


def _decide(tmp_path: Path, blocked: str, tool: str, raw: str) -> dict[str, str]:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, blocked, str(tmp_path), tool, raw],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BLASTDOOR_HOME": str(tmp_path / "home")},
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, str] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize(
    ("blocked", "tool", "raw"),
    [
        # environment detection
        ("blastdoor.classify.environment", "shell", "AWS_PROFILE=prod aws s3 ls"),
        # protected paths: rm of a file under ~/.ssh must consult classify.files
        ("blastdoor.classify.files", "shell", "rm ~/.ssh/authorized_keys"),
        # a whole family
        ("blastdoor.classify.shell", "shell", "ls"),
        # the families the shell classifier hands commands to
        ("blastdoor.classify.aws", "shell", "aws s3 rm s3://bucket/key"),
        ("blastdoor.classify.sql", "shell", "psql -c 'DROP TABLE t'"),
    ],
)
def test_a_classifier_that_cannot_import_ends_in_on_error(tmp_path: Path, blocked: str, tool: str, raw: str) -> None:
    # The policy allows everything, unknown included: only on_error (approve) can come out.
    got = _decide(tmp_path, blocked, tool, raw)
    assert got["verdict"] == "approve" and got["rule"] == "policy.on_error", got
    assert "ImportError" in got["reason"] or "ModuleNotFoundError" in got["reason"]


def test_the_same_inputs_are_allowed_when_nothing_is_broken(tmp_path: Path) -> None:
    # The control: the script itself works, so the failures above come from the blocked import.
    got = _decide(tmp_path, "blastdoor.not_a_module", "shell", "rm ~/.ssh/authorized_keys")
    assert got["verdict"] == "allow", got
