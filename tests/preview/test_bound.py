"""Preview, then bind, end to end through `blastdoor exec` (a real subprocess, the real store):

- a DELETE without WHERE on a prod PostgreSQL table is escalated with the exact row count in the
  request and in the reply, and the table is unchanged;
- a force-push approval holds while the remote ref stays where the preview saw it, and stops holding
  once it moves (the approved run refuses with a clear message and pushes nothing).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg

from blastdoor.approvals import Person
from blastdoor.services import open_services
from tests.conftest import PG_BASE
from tests.hooks.harness import BLASTDOOR
from tests.preview.conftest import GIT_ENV, commit, git

POLICY = """version: 1
default: allow
environments:
  prod:
    hosts: ["127.0.0.1"]
    git_branches: ["main"]
approvers:
  sre-leads: [bob, carol]
rules:
  - id: prod-destructive
    match: { env: prod, effects: [delete, irreversible] }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
    reason: Irreversible change in production needs two SRE leads.
"""


def _exec(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        [BLASTDOOR, "exec", "--wait", "0", "--", *args],
        cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip


def _requests(status: str) -> list[Any]:
    with open_services(checkpoint_on_close=False) as services:
        return services.approvals.find(status=status)


def _approve(request_id: str) -> None:
    with open_services(checkpoint_on_close=False) as services:
        services.approvals.approve(request_id, Person("bob"))
        services.approvals.approve(request_id, Person("carol"))


def test_delete_without_where_on_prod_postgres_is_escalated_with_the_exact_row_count(
    pg_schema: str, tmp_path: Path
) -> None:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {pg_schema}.customers (id int)")
        conn.execute(f"INSERT INTO {pg_schema}.customers SELECT generate_series(1, 1234)")
    proc = _exec(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", f"DELETE FROM {pg_schema}.customers"],
        tmp_path,
    )
    assert proc.returncode == 4, proc.stderr
    assert "[preview: sql: 1234 delete_rows" in proc.stderr  # the short form, in the reply
    (request,) = _requests("pending")
    preview = request.detail["preview"]
    assert preview["summary"] == {"delete_rows": 1234} and request.env == "prod"
    assert preview["items"][0]["id"] == f"sql:table/{pg_schema}.customers"
    with psycopg.connect(PG_BASE) as conn:
        assert conn.execute(f"SELECT count(*) FROM {pg_schema}.customers").fetchone() == (1234,)


def _diverged(repo: Path, tmp_path: Path) -> None:
    """Local history rewritten, so pushing main needs --force."""
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    (tmp_path / "blastdoor.yaml").write_text(POLICY)


def test_a_force_push_approval_holds_while_the_remote_ref_stays(repo: Path, tmp_path: Path) -> None:
    _diverged(repo, tmp_path)
    (repo / "blastdoor.yaml").write_text(POLICY)
    push = ["git", "push", "-q", "--force", "origin", "main"]
    first = _exec(push, repo)
    assert first.returncode == 4, first.stderr
    assert "lose_commit" in first.stderr
    (request,) = _requests("pending")
    assert request.detail["preview"]["summary"] == {"update_ref": 1, "lose_commit": 1}
    _approve(request.id)
    ran = _exec(push, repo)
    assert ran.returncode == 0, ran.stderr
    assert git(tmp_path / "remote.git", "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_a_force_push_approval_stops_holding_once_the_remote_ref_moves(repo: Path, tmp_path: Path) -> None:
    _diverged(repo, tmp_path)
    (repo / "blastdoor.yaml").write_text(POLICY)
    push = ["git", "push", "-q", "--force", "origin", "main"]
    assert _exec(push, repo).returncode == 4
    (request,) = _requests("pending")
    _approve(request.id)
    # Between the approval and the run, a colleague pushes a commit the approver never saw.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(other))
    theirs = commit(other, "theirs.txt", "important\n")
    git(other, "push", "-q", "origin", "main")
    refused = _exec(push, repo)
    assert refused.returncode == 5, refused.stderr
    assert f"request {request.id} was approved for another state" in refused.stderr
    assert "moved" in refused.stderr and "Nothing ran" in refused.stderr
    assert git(tmp_path / "remote.git", "rev-parse", "main") == theirs  # nothing was pushed
