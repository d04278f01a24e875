"""A hook's decision and the outcome its post-event reports land in the audit log under one call id."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hooks.harness import policy_for, run_hook


def _events(correlation_id: str) -> list[dict[str, object]]:
    from blastdoor.audit.log import Query
    from blastdoor.store import open_log

    with open_log(checkpoint_on_close=False) as log:
        return log.search(Query(correlation_id=correlation_id), newest_first=False)


def test_claude_code_pre_and_post_share_the_tool_use_id(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("allow"))
    common = {"session_id": "s1", "cwd": str(tmp_path), "tool_name": "Bash", "tool_use_id": "toolu_42",
              "tool_input": {"command": "rm -rf build"}}  # fmt: skip
    code, _, err = run_hook(
        "claude-code", json.dumps({**common, "hook_event_name": "PreToolUse"}).encode(), cwd=str(tmp_path)
    )
    assert code == 0, err
    post = {**common, "hook_event_name": "PostToolUse", "tool_response": {"stdout": ""}, "duration_ms": 7}
    assert run_hook("claude-code", json.dumps(post).encode(), cwd=str(tmp_path))[0] == 0
    events = _events("claude-code:toolu_42")
    kinds = [e["event"]["kind"] if "event" in e else e["kind"] for e in events]
    assert kinds == ["decision", "outcome"], events
    decision = events[0].get("event", events[0])
    assert decision["verdict"] == "allow" and decision["harness"] == "claude-code"
    assert decision["agent"]["session"] == "s1"


def test_cursor_links_before_and_after_without_a_call_id(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("allow"))
    common = {"conversation_id": "c1", "generation_id": "g1", "workspace_roots": [str(tmp_path)],
              "command": "rm -rf build", "user_email": "dev@example.com"}  # fmt: skip
    before = {**common, "hook_event_name": "beforeShellExecution", "cwd": str(tmp_path)}
    after = {**common, "hook_event_name": "afterShellExecution", "output": "", "duration": 40}
    assert run_hook("cursor", json.dumps(before).encode(), cwd=str(tmp_path))[0] == 0
    assert run_hook("cursor", json.dumps(after).encode(), cwd=str(tmp_path))[0] == 0
    from blastdoor.adapters.cursor import parse

    call_id = parse(before).call_id
    assert call_id == parse(after).call_id
    events = _events(call_id)
    assert len(events) == 2
    first = events[0].get("event", events[0])
    assert first["agent"]["on_behalf_of"] == "dev@example.com"
