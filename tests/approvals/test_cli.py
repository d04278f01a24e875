"""`blastdoor people`, `approvals` and `agents` from the command line: tokens, refusals, exit codes, --json."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.hooks.harness import BLASTDOOR

POLICY = """version: 1
approvers: { sre-leads: [bob, carol] }
rules:
  - id: deletes
    match: { effects: [delete] }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
"""


def _run(*args: str, token: str = "", cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    if token:
        full["BLASTDOOR_TOKEN"] = token
    return subprocess.run([BLASTDOOR, *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=60)


def test_people_approvals_and_agents_from_the_cli(tmp_path: Path) -> None:
    root = _run("people", "add", "root", "--role", "admin").stdout.strip()
    assert root.startswith("bd_")
    # Once an admin exists, adding people needs an admin's token.
    refused = _run("people", "add", "mallory")
    assert refused.returncode == 1 and "token" in refused.stderr
    bob = _run("people", "add", "bob", token=root).stdout.strip()
    carol = _run("people", "add", "carol", token=root).stdout.strip()
    assert _run("people", "add", "eve", token=bob).returncode == 1  # bob is no admin

    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    (tmp_path / "old").write_text("x")
    filed = _run("exec", "--wait", "0", "--agent", "ci-job", "--", "rm", "old", cwd=tmp_path, USER="alice")
    assert filed.returncode == 4
    listed = json.loads(_run("approvals", "list", "--json", token=bob).stdout)
    (request,) = listed
    assert request["command"] == "rm old" and request["status"] == "pending" and request["agent_id"] == "ci-job"
    text = _run("approvals", "show", request["id"], token=bob).stdout
    assert "rm old" in text and "sre-leads" in text

    assert _run("approvals", "approve", request["id"], token="bd_wrong").returncode == 1
    assert _run("approvals", "approve", request["id"], "-m", "fine", token=bob).returncode == 0
    again = _run("approvals", "approve", request["id"], token=bob)
    assert again.returncode == 1 and "already voted" in again.stderr
    assert _run("approvals", "approve", "req_nope", token=carol).returncode == 7
    done = json.loads(_run("approvals", "approve", request["id"], "--json", token=carol).stdout)
    assert done["status"] == "approved" and done["approvers"] == ["bob", "carol"]

    ran = _run("exec", "--wait", "0", "--agent", "ci-job", "--", "rm", "old", cwd=tmp_path, USER="alice")
    assert ran.returncode == 0 and not (tmp_path / "old").exists()

    assert _run("agents", "revoke", "ci-job", "-m", "rogue", token=bob).returncode == 0
    agents = json.loads(_run("agents", "list", "--json", token=bob).stdout)
    assert [a["status"] for a in agents if a["id"] == "ci-job"] == ["revoked"]
    (tmp_path / "new").write_text("x")
    denied = _run("exec", "--agent", "ci-job", "--", "ls", cwd=tmp_path)
    assert denied.returncode == 5 and "revoked" in denied.stderr
