"""`blastdoor coverage`: installed harnesses, what they enforce, and the gaps of their entries."""

from __future__ import annotations

import json
from pathlib import Path

from blastdoor.adapters.config import hook_command, merged
from blastdoor.adapters.coverage import report


def test_nothing_installed(tmp_path: Path) -> None:
    assert not any(r["installed"] for r in report(str(tmp_path)))


def test_codex_enforces_only_deny_and_a_fail_open_claude_hook_is_a_gap(tmp_path: Path) -> None:
    codex = tmp_path / ".codex" / "hooks.json"
    codex.parent.mkdir()
    codex.write_text(json.dumps(merged({}, "codex", hook_command("codex", "/x/blastdoor-hook.py"))))
    claude = merged({}, "claude-code", hook_command("claude-code", "/x/blastdoor-hook.py"))
    del claude["hooks"]["PreToolUse"][0]["hooks"][0]["onFailure"]
    del claude["hooks"]["PostToolUseFailure"]
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(json.dumps(claude))
    records = {r["harness"]: r for r in report(str(tmp_path)) if r["installed"]}
    assert records["codex"]["enforces"] == ["deny"]
    gaps = records["claude-code"]["gaps"]
    assert any("onFailure" in g and "PreToolUse" in g for g in gaps)
    assert any("PostToolUseFailure" in g and "outcomes not recorded" in g for g in gaps)
    assert any("subagent" in g for g in gaps)


def test_user_scope_is_found(tmp_path: Path, isolated_home: Path) -> None:
    cursor = isolated_home / ".cursor" / "hooks.json"
    cursor.parent.mkdir()
    cfg = merged({}, "cursor", hook_command("cursor", "/x/blastdoor-hook.py"))
    cfg["hooks"]["beforeShellExecution"][0]["failClosed"] = False
    cursor.write_text(json.dumps(cfg))
    (rec,) = [r for r in report(str(tmp_path)) if r["installed"]]
    assert rec["scope"] == "user" and any("failClosed" in g for g in rec["gaps"])
