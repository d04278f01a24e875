"""A post-event records the tool's real outcome (exit code, interruption, error, stderr summary) for every
harness whose payload carries it: never `ok` with nothing when the harness said more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.adapters.outcome import SUMMARY_CHARS, read_outcome
from tests.hooks.harness import policy_for, run_hook

CLAUDE = {"session_id": "s1", "tool_name": "Bash", "tool_input": {"command": "rm x"}}

# (harness, post payload, call id, wanted: status, exit_code, error contains, extra)
CASES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    (
        "claude-code",
        {
            **CLAUDE,
            "hook_event_name": "PostToolUse",
            "tool_use_id": "t1",
            "tool_response": {"stdout": "", "stderr": "rm: x: warning", "interrupted": False, "exit_code": 0},
        },
        "claude-code:t1",
        {"status": "ok", "exit_code": 0, "extra": {"stderr": "rm: x: warning"}},
    ),
    (
        "claude-code",
        {
            **CLAUDE,
            "hook_event_name": "PostToolUse",
            "tool_use_id": "t2",
            "tool_response": {"stdout": "partial", "stderr": "", "interrupted": True},
        },
        "claude-code:t2",
        {"status": "error", "error": "interrupted", "extra": {"interrupted": True}},
    ),
    (
        "claude-code",
        {
            **CLAUDE,
            "hook_event_name": "PostToolUseFailure",
            "tool_use_id": "t3",
            "error": "Exit code 2\nrm: cannot remove 'x': Permission denied",
            "is_interrupt": False,
        },
        "claude-code:t3",
        {"status": "error", "exit_code": 2, "error": "Permission denied"},
    ),
    (
        "codex",
        {
            **CLAUDE,
            "hook_event_name": "PostToolUse",
            "tool_use_id": "t4",
            "tool_response": {"exit_code": 1, "stderr": "boom"},
        },
        "codex:t4",
        {"status": "error", "exit_code": 1, "error": "boom", "extra": {"stderr": "boom"}},
    ),
    (
        "cursor",
        {
            "hook_event_name": "afterShellExecution",
            "conversation_id": "c",
            "generation_id": "g",
            "command": "rm x",
            "output": "rm: x: No such file",
            "duration": 12,
            "exit_code": 1,
            "tool_use_id": "t5",
        },
        "cursor:t5",
        {"status": "error", "exit_code": 1},
    ),
    (
        "cursor",
        {
            "hook_event_name": "afterMCPExecution",
            "conversation_id": "c",
            "generation_id": "g",
            "tool_name": "delete_repo",
            "tool_input": "{}",
            "tool_use_id": "t6",
            "result_json": json.dumps({"isError": True, "content": [{"type": "text", "text": "denied"}]}),
        },
        "cursor:t6",
        {"status": "error", "error": "denied"},
    ),
    (
        "gemini",
        {
            "hook_event_name": "AfterTool",
            "session_id": "s",
            "tool_name": "run_shell_command",
            "tool_input": {"command": "rm x"},
            "tool_call_id": "t7",
            "tool_response": {"error": {"message": "Command exited with code 3"}},
        },
        "gemini:t7",
        {"status": "error", "exit_code": 3, "error": "exited with code 3"},
    ),
    (
        "copilot",
        {
            "sessionId": "s",
            "toolName": "bash",
            "toolArgs": {"command": "rm x"},
            "toolUseId": "t8",
            "toolResult": {"resultType": "failure", "textResultForLlm": "rm: x: Permission denied"},
        },
        "copilot:t8",
        {"status": "error", "error": "Permission denied"},
    ),
    (
        "kiro",
        {
            "hook_event_name": "postToolUse",
            "session_id": "s",
            "tool_name": "execute_bash",
            "tool_input": {"command": "rm x"},
            "tool_response": {"success": False, "result": "rm: x: Permission denied", "exit_status": "1"},
        },
        "",
        {"status": "error", "exit_code": 1, "error": "Permission denied"},
    ),
]


def _outcomes(correlation_id: str) -> list[dict[str, Any]]:
    from blastdoor.audit.log import Query
    from blastdoor.store import open_log

    with open_log(checkpoint_on_close=False) as log:
        found = log.search(Query(correlation_id=correlation_id), newest_first=False)
    return [e.get("event", e) for e in found if e.get("event", e).get("kind") == "outcome"]


@pytest.mark.parametrize(
    ("harness", "payload", "call_id", "wanted"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_post_events_record_the_real_outcome(
    tmp_path: Path, harness: str, payload: dict[str, Any], call_id: str, wanted: dict[str, Any]
) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("allow"))
    payload = {**payload, "cwd": str(tmp_path)}
    code, _, err = run_hook(harness, json.dumps(payload).encode(), cwd=str(tmp_path))
    assert code == 0, err
    if not call_id:
        from importlib import import_module

        call_id = import_module(f"blastdoor.adapters.{harness.replace('-', '_')}").parse(payload).call_id
    (event,) = _outcomes(call_id)
    outcome = event["outcome"]
    assert event["status"] == wanted["status"], event
    if "exit_code" in wanted:
        assert outcome.get("exit_code") == wanted["exit_code"], event
    if "error" in wanted:
        assert wanted["error"] in outcome.get("error", ""), event
    for key, value in (wanted.get("extra") or {}).items():
        assert outcome["extra"][key] == value, event


@given(st.text(max_size=2000))
def test_a_stderr_summary_is_bounded_and_keeps_the_end(stderr: str) -> None:
    got = read_outcome({"tool_response": {"stderr": stderr, "exit_code": 1}})
    assert len(got.stderr) <= SUMMARY_CHARS
    if stderr.strip():
        assert got.stderr.endswith(stderr.strip()[-10:])
    assert got.exit_code == 1 and got.error is not None


def test_nothing_is_guessed_when_the_harness_says_nothing() -> None:
    got = read_outcome({"tool_response": {"stdout": "fine"}})
    assert (got.exit_code, got.error, got.extra()) == (None, None, {})
