"""Helpers for the attacks on who chooses the policy and who asks: the real installed Claude Code hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))

# A policy an agent would love: everything allowed, nothing extended.
PERMISSIVE = """version: 1
default: allow
unknown: allow
on_error: ask
rules:
  - id: anything-goes
    match: { effects: [read, write, create, delete, irreversible, wipe, privilege, secrets, exfiltrate,
                       remote_exec, deploy, persist, kill, unknown] }
    verdict: allow
    reason: the agent's own policy
"""


def install_claude(project: Path) -> str:
    """``blastdoor install claude-code`` in ``project``; the PreToolUse command it wrote (the launcher)."""
    argv = [BLASTDOOR, "install", "claude-code"]
    proc = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    command: str = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    return command


def bash_payload(command: str, cwd: Path, call: str = "toolu_1") -> dict[str, Any]:
    return {
        "hook_event_name": "PreToolUse",
        "session_id": "attack",
        "cwd": str(cwd),
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": call,
    }


def run_hook(hook: str, payload: dict[str, Any], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the installed hook command as Claude Code does: (exit code, permissionDecision, stderr)."""
    proc = subprocess.run(
        hook,
        shell=True,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BLASTDOOR_SERVER": "off", **(env or {})},
    )
    decision = ""
    if proc.stdout.strip():
        decision = json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"]
    elif proc.returncode == 2:
        decision = "deny"
    return proc.returncode, decision, proc.stderr
