"""Preview, then bind, through a harness hook (the real `blastdoor hook claude-code` process): the
harness retries the same command after the approval, and the retry passes only while the files it
would delete are the ones the approvers saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blastdoor.approvals import Person
from blastdoor.services import open_services
from tests.hooks.harness import run_hook

POLICY = """version: 1
default: allow
approvers:
  sre-leads: [bob, carol]
rules:
  - id: tree-deletes
    match: { effects: [delete] }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
    reason: Deleting a tree needs two approvals.
"""


def _pre(cwd: Path) -> bytes:
    payload = {
        "session_id": "s1",
        "cwd": str(cwd),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf data"},
        "tool_use_id": "toolu_1",
    }
    return json.dumps(payload).encode()


def _reply(cwd: Path) -> tuple[str, str]:
    code, out, err = run_hook("claude-code", _pre(cwd), cwd=str(cwd))
    assert code == 0, err
    hook: Any = out["hookSpecificOutput"]
    return hook["permissionDecision"], hook.get("permissionDecisionReason", "")


def _setup(tmp_path: Path) -> str:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    (tmp_path / "data").mkdir()
    for i in range(3):
        (tmp_path / "data" / f"f{i}").write_text("x" * (i + 1))
    decision, reason = _reply(tmp_path)
    assert decision == "deny" and "[preview: files: 3 delete (6 B" in reason, reason
    request_id = reason.split("request ")[1].split(" ")[0]
    with open_services(checkpoint_on_close=False) as services:
        services.approvals.approve(request_id, Person("bob"))
        services.approvals.approve(request_id, Person("carol"))
    return request_id


def test_the_retry_after_approval_passes_while_nothing_moved(tmp_path: Path) -> None:
    _setup(tmp_path)
    decision, reason = _reply(tmp_path)
    assert decision == "allow", reason


def test_the_retry_is_refused_when_the_tree_changed_after_approval(tmp_path: Path) -> None:
    request_id = _setup(tmp_path)
    (tmp_path / "data" / "late.db").write_text("written after the approval")
    decision, reason = _reply(tmp_path)
    assert decision == "deny" and f"request {request_id} was approved for another state" in reason
    assert "files: 4 delete" in reason


def test_an_approved_preview_that_cannot_be_made_again_does_not_hold(tmp_path: Path) -> None:
    request_id = _setup(tmp_path)
    # The agent makes the retry's preview time out (its own environment sets the bound): no preview now,
    # so nothing shows the approved state is still there, and the approval does not hold.
    code, out, err = run_hook(
        "claude-code", _pre(tmp_path), cwd=str(tmp_path), env={"BLASTDOOR_PREVIEW_TIMEOUT": "0.000001"}
    )
    hook: Any = out["hookSpecificOutput"]
    assert code == 0 and hook["permissionDecision"] == "deny", err
    assert f"request {request_id} was approved for another state" in hook["permissionDecisionReason"]
    assert (tmp_path / "data" / "f0").exists()
