"""`blastdoor install` / `uninstall`: merge without clobbering, keep a backup, idempotent, fail closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


# The launcher `blastdoor install` wrote before blastdoor/hook/ existed (launcher version 1), verbatim:
# harness settings on users' machines still run it until they re-install, so it must keep working.
LAUNCHER_V1 = """\
# Written by `blastdoor install`: starts the hook without `site` (-I -S), which saves several ms per
# tool call, and asks the running server first (its unix socket), deciding in-process when none
# answers. Re-run `blastdoor install` after moving or upgrading blastdoor's environment.
# When blastdoor cannot be imported (uninstalled, moved, broken), the hook blocks: exit {block}, the code
# every harness reads as "do not run the tool", never 1 (which some harnesses read as go-ahead).
import sys

sys.path[:0] = {paths!r}
try:
    if len(sys.argv) == 3 and sys.argv[1] == "hook":
        from blastdoor.hookclient import guarded
    else:
        from blastdoor.cli.main import main
except BaseException as exc:
    why = "%s: %s" % (type(exc).__name__, exc)
    sys.stderr.write("blastdoor: cannot load blastdoor (" + why + "): blocking this tool call\\n")
    sys.exit({block})
if len(sys.argv) == 3 and sys.argv[1] == "hook":
    sys.exit(guarded(sys.argv[2], enable_site=False))
sys.exit(main(sys.argv[1:]))
"""


def test_a_launcher_installed_by_an_older_blastdoor_still_decides_and_records(tmp_path: Path) -> None:
    from blastdoor.adapters.config import launcher_paths
    from blastdoor.audit.log import Query
    from blastdoor.store import open_log

    (tmp_path / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    launcher = tmp_path / "old-launcher.py"
    launcher.write_text(LAUNCHER_V1.format(paths=launcher_paths(), block=2))
    env = {k: v for k, v in os.environ.items() if k != "BLASTDOOR_SERVER"}
    for command, expected in (("rm -rf /", "deny"), ("ls -la", "allow")):
        payload = {"hook_event_name": "PreToolUse", "session_id": "s", "cwd": str(tmp_path), "tool_name": "Bash",
                   "tool_input": {"command": command}, "tool_use_id": f"old-{expected}"}  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-I", "-S", str(launcher), "hook", "claude-code"],
            input=json.dumps(payload), capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == expected
        with open_log(checkpoint_on_close=False) as log:
            found = log.search(Query(correlation_id=f"claude-code:old-{expected}"))
        assert [e.get("event", e)["verdict"] for e in found] == [expected]
    # The other commands of an old launcher still reach the CLI.
    proc = subprocess.run([sys.executable, "-I", "-S", str(launcher), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "blastdoor" in proc.stdout, proc.stderr


def test_the_launcher_fixes_its_socket_and_the_servers_environment_without_secrets() -> None:
    from blastdoor.adapters.config import launcher_config

    env = {
        "HOME": "/home/u", "PATH": "/usr/bin", "BLASTDOOR_HOME": "/home/u/.bd", "BLASTDOOR_DB": "/home/u/x.db",
        "BLASTDOOR_TOKEN": "secret-token", "BLASTDOOR_AGENT_CREDENTIAL": "jwt", "BLASTDOOR_HOOK_TOKEN": "t",
        "BLASTDOOR_SERVER": "ask", "AWS_SECRET_ACCESS_KEY": "k", "GITHUB_TOKEN": "g",
    }  # fmt: skip
    config = launcher_config(env)
    assert config["socket"] == "/home/u/.bd/server.sock"
    assert config["env"] == {
        "BLASTDOOR_DB": "/home/u/x.db", "BLASTDOOR_HOME": "/home/u/.bd", "HOME": "/home/u", "PATH": "/usr/bin",
    }  # fmt: skip
    assert "autostart" not in config


def test_a_store_password_is_never_written_and_then_no_server_is_started(tmp_path: Path) -> None:
    # Think like the operator's secrets: `BLASTDOOR_DB=postgresql://app:pw@db/x` must not land in a
    # plain launcher file; a server started without it would record to another store, so none starts.
    from blastdoor.adapters.config import launcher_config
    from blastdoor.hook.launch import start_server

    url = "postgresql://app:hunter2@127.0.0.1:5432/test"
    config = launcher_config({"HOME": str(tmp_path), "BLASTDOOR_HOME": str(tmp_path / "bd"), "BLASTDOOR_DB": url})
    assert "hunter2" not in json.dumps(config)
    assert config["autostart"] is False
    assert start_server(config) is None
    assert not (tmp_path / "bd").exists()  # not even its directory or lock file was made
    plain = launcher_config({"HOME": str(tmp_path), "BLASTDOOR_DB": "postgresql://app@127.0.0.1:5432/test"})
    assert "autostart" not in plain and plain["env"]["BLASTDOOR_DB"].startswith("postgresql://app@")  # type: ignore[index]
