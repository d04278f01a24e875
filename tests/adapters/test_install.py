"""`blastdoor install` / `uninstall`: merge without clobbering, keep a backup, idempotent, fail closed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.hooks.harness import BLASTDOOR

EXISTING = {
    "permissions": {"allow": ["Bash(npm test)"], "deny": ["Read(./.env)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint.sh"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
    },
    "model": "opus",
}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BLASTDOOR, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_claude_code_keeps_other_hooks_and_is_idempotent(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps(EXISTING, indent=2))
    assert _cli("install", "claude-code", cwd=tmp_path).returncode == 0
    first = settings.read_text()
    data = json.loads(first)
    assert data["permissions"] == EXISTING["permissions"] and data["model"] == "opus"
    assert data["hooks"]["Stop"] == EXISTING["hooks"]["Stop"]
    pre = data["hooks"]["PreToolUse"]
    assert pre[0] == EXISTING["hooks"]["PreToolUse"][0]
    ours = pre[1]["hooks"][0]
    assert ours["onFailure"] == "block" and ours["type"] == "command"
    assert (
        ours["command"].startswith("/")
        and " -I -S " in ours["command"]
        and ours["command"].endswith("hook claude-code")
    )
    for event in ("PermissionRequest", "PostToolUse", "PostToolUseFailure"):
        assert data["hooks"][event][0]["hooks"][0]["command"] == ours["command"]
    assert json.loads((settings.parent / "settings.json.blastdoor.bak").read_text()) == EXISTING
    again = _cli("install", "claude-code", cwd=tmp_path)
    assert again.returncode == 0 and "unchanged" in again.stdout
    assert settings.read_text() == first
    assert _cli("uninstall", "claude-code", cwd=tmp_path).returncode == 0
    assert json.loads(settings.read_text()) == EXISTING


def test_the_installed_command_really_runs_the_hook(tmp_path: Path) -> None:
    assert _cli("install", "claude-code", cwd=tmp_path).returncode == 0
    data = json.loads((tmp_path / ".claude" / "settings.json").read_text())
    command = data["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    payload = {"hook_event_name": "PreToolUse", "session_id": "s", "cwd": str(tmp_path), "tool_name": "Bash",
               "tool_input": {"command": "rm -rf /"}, "tool_use_id": "t"}  # fmt: skip
    proc = subprocess.run(command, shell=True, input=json.dumps(payload), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_http_hook(tmp_path: Path) -> None:
    url = "http://127.0.0.1:8787/v1/hooks/claude-code"
    assert _cli("install", "claude-code", "--http", url, cwd=tmp_path).returncode == 0
    data = json.loads((tmp_path / ".claude" / "settings.json").read_text())
    assert data["hooks"]["PreToolUse"][0]["hooks"] == [
        {
            "type": "http",
            "url": url,
            "headers": {"Authorization": "Bearer $BLASTDOOR_HOOK_TOKEN"},
            "allowedEnvVars": ["BLASTDOOR_HOOK_TOKEN"],
            "timeout": 30,
            "onFailure": "block",
        }
    ]
    assert _cli("uninstall", "claude-code", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / ".claude" / "settings.json").read_text()) == {"hooks": {}}


@pytest.mark.parametrize(
    ("harness", "path", "check"),
    [
        ("cursor", ".cursor/hooks.json", lambda d: d["hooks"]["beforeShellExecution"][0]["failClosed"]),
        ("gemini", ".gemini/settings.json", lambda d: d["tools"]["enableHooks"] and d["hooks"]["enabled"]),
        ("kiro", ".kiro/agents/default.json", lambda d: d["hooks"]["preToolUse"][0]["matcher"] == "*"),
        ("codex", ".codex/hooks.json", lambda d: "PermissionRequest" in d["hooks"]),
        ("copilot", ".github/hooks/blastdoor.json", lambda d: "PreToolUse" in d["hooks"]),
    ],
)  # fmt: skip
def test_other_harnesses(harness: str, path: str, check: object, tmp_path: Path) -> None:
    assert _cli("install", harness, cwd=tmp_path).returncode == 0
    first = (tmp_path / path).read_text()
    assert check(json.loads(first))  # type: ignore[operator]
    assert _cli("install", harness, cwd=tmp_path).returncode == 0
    assert (tmp_path / path).read_text() == first


def test_print_writes_nothing(tmp_path: Path) -> None:
    proc = _cli("install", "cursor", "--print", cwd=tmp_path)
    assert proc.returncode == 0 and '"failClosed": true' in proc.stdout
    assert not (tmp_path / ".cursor").exists()


def test_a_broken_config_is_not_overwritten(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{broken")
    proc = _cli("install", "claude-code", cwd=tmp_path)
    assert proc.returncode == 7 and settings.read_text() == "{broken"
