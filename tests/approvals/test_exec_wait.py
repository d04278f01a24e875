"""`exec` while it waits says what for, the request, where to approve it, votes so far and both clocks;
votes are reported in plain past tense (`denied`, never `denyd`)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.hooks.harness import BLASTDOOR

POLICY = """version: 1
approvers: { sre-leads: [bob, carol] }
rules:
  - id: deletes
    match: { effects: [delete] }
    verdict: approve
    approvals: { count: 2, from: sre-leads, ttl: 30m }
    reason: Deleting needs two SRE leads.
"""


def _run(*args: str, token: str = "", cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, **({"BLASTDOOR_TOKEN": token} if token else {})}
    return subprocess.run([BLASTDOOR, *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=60)


def _people() -> tuple[str, str, str]:
    root = _run("people", "add", "root", "--role", "admin").stdout.strip()
    bob = _run("people", "add", "bob", token=root).stdout.strip()
    carol = _run("people", "add", "carol", token=root).stdout.strip()
    return bob, carol, root


def _read_until(proc: subprocess.Popen[str], wanted: str, seen: list[str], deadline: float) -> None:
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if wanted in line:
            return
    raise AssertionError(f"never saw {wanted!r} in {''.join(seen)!r}")


def test_exec_says_what_it_waits_for_and_counts_votes(tmp_path: Path) -> None:
    bob, carol, _ = _people()
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    (tmp_path / "old").write_text("x")
    env = {**os.environ, "USER": "alice", "BLASTDOOR_PUBLIC_URL": "https://inbox.example.com"}
    proc = subprocess.Popen(
        [BLASTDOOR, "exec", "--wait", "120", "--", "rm", "old"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        _read_until(proc, "0 of 2 approvals", seen, deadline)
        head = "".join(seen)
        request_id = head.split("request  ")[1].split()[0]
        assert "`rm old` needs 2 approvals from `sre-leads` (bob, carol)" in head
        assert "Deleting needs two SRE leads" in head
        assert f"blastdoor approvals approve {request_id}" in head
        assert f"https://inbox.example.com/requests/{request_id}" in head
        assert "up to 2m 00s (--wait)" in head and "the request expires in 29m" in head
        assert "giving up in" in seen[-1] and "request expires in" in seen[-1]

        voted = _run("approvals", "approve", request_id, token=bob)
        assert voted.returncode == 0 and f"{request_id}: approved by bob" in voted.stdout
        _read_until(proc, "1 of 2 approvals (bob)", seen, deadline)
        assert _run("approvals", "approve", request_id, token=carol).returncode == 0
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (tmp_path / "old").exists()


def test_deny_and_revoke_are_reported_in_the_past_tense(tmp_path: Path) -> None:
    bob, _, root = _people()
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    (tmp_path / "old").write_text("x")
    filed = _run("exec", "--wait", "0", "--", "rm", "old", cwd=tmp_path, USER="alice")
    assert filed.returncode == 4 and "waiting  no (--wait 0): run the same command again" in filed.stderr
    assert "is still pending: not run" in filed.stderr
    (request,) = json.loads(_run("approvals", "list", "--json", token=bob).stdout)
    denied = _run("approvals", "deny", request["id"], "-m", "no", token=bob)
    assert denied.returncode == 0, denied.stderr
    assert f"{request['id']}: denied by bob; now denied" in denied.stdout and "denyd" not in denied.stdout
    revoked = _run("agents", "revoke", "some-agent", "-m", "test", token=root)
    assert "some-agent: revoked by root" in revoked.stdout, revoked.stderr
    restored = json.loads(_run("agents", "restore", "some-agent", "--json", token=root).stdout)
    assert restored["status"] == "restored"
