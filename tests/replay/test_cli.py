"""`blastdoor policy replay` from the command line: text, --json, --fail-on exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.hooks.harness import BLASTDOOR

OLD = """version: 1
default: allow
rules:
  - id: rm
    match: { operation: "shell:rm" }
    verdict: ask
"""
NEW = """version: 1
default: allow
rules:
  - id: rm
    match: { operation: "shell:rm" }
    verdict: allow
  - id: no-curl
    match: { tool: network }
    verdict: deny
"""


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BLASTDOOR, *args], capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd, timeout=120
    )


def _recorded(tmp_path: Path) -> Path:
    (tmp_path / "blastdoor.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    (tmp_path / "old").write_text("x")
    for command in (["rm", "old"], ["curl", "-s", "https://example.com"], ["ls"]):
        _run("exec", "--wait", "0", "--agent", "ci-job", "--", *command, cwd=tmp_path)
    return tmp_path


def test_replay_reports_changes_and_fails_ci_on_request(tmp_path: Path) -> None:
    root = _recorded(tmp_path)
    same = _run("policy", "replay", "--json", "--fail-on", "any-change", cwd=root)
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["events"]["changed"] == 0

    out = _run("policy", "replay", "--policy", "new.yaml", "--json", "--fail-on", "newly-allowed", cwd=root)
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["schema"] == "blastdoor.replay/v1" and data["failed"] == ["newly-allowed"]
    kinds = {(g["rule"], g["from"], g["to"]) for g in data["rules"]}
    assert kinds == {("rm", "ask", "allow"), ("no-curl", "allow", "deny")}

    text = _run("policy", "replay", "--policy", "new.yaml", "--fail-on", "de-escalation", cwd=root)
    assert text.returncode == 1
    assert "classified again" in text.stdout and "rule rm" in text.stdout and "rm old" in text.stdout
    assert "failed: de-escalation" in text.stderr
    # Not a terminal: no progress bar on stderr.
    assert "replaying" not in text.stderr

    only_escalations = _run(
        "policy", "replay", "--policy", "new.yaml", "--fail-on", "newly-denied", "--agent", "x", cwd=root
    )
    assert only_escalations.returncode == 0  # another agent: nothing replayed, nothing failed

    facts = _run("policy", "replay", "--recorded-facts", "--json", cwd=root)
    assert json.loads(facts.stdout)["mode"] == "recorded-facts"


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    root = _recorded(tmp_path)
    bad = _run("policy", "replay", "--since", "last tuesday", cwd=root)
    assert bad.returncode == 7 and "bad time `last tuesday`" in bad.stderr
    (root / "broken.yaml").write_text("version: 1\nrules: [{id: x}]\n")
    broken = _run("policy", "replay", "--policy", "broken.yaml", cwd=root)
    assert broken.returncode == 6 and "broken.yaml" in broken.stderr
    assert _run("policy", "replay", "--fail-on", "sometimes", cwd=root).returncode == 2


def test_help_has_examples(tmp_path: Path) -> None:
    out = _run("policy", "replay", "--help", cwd=tmp_path)
    assert out.returncode == 0 and "--fail-on newly-allowed" in out.stdout and "--recorded-facts" in out.stdout


def test_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty

    root = _recorded(tmp_path)
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [BLASTDOOR, "policy", "replay", "--json"],
            stdout=subprocess.PIPE,
            stderr=terminal,
            cwd=root,
            env=dict(os.environ),
            timeout=120,
        )
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert proc.returncode == 0
    assert b"replaying [" in drawn and b"3/3" in drawn
    assert json.loads(proc.stdout)["events"]["read"] == 3
