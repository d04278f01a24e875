"""Preview, then bind, through the MCP gateway with the real SQLite MCP server (mcp-server-sqlite):
a DELETE without WHERE is escalated with the exact row count, and the approved call runs only while
the table still holds what the approvers saw."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from blastdoor.approvals import Person
from blastdoor.services import open_services
from tests.gateway.harness import Project, server_path, text

POLICY = """version: 1
approvers:
  dba: [ann, ben]
rules:
  - id: reads
    match: { operation: "mcp:sqlite/read_query", effects: [read] }
    verdict: allow
  - id: destructive-sql
    match: { operation: "mcp:sqlite/*", effects: [delete, irreversible] }
    verdict: approve
    approvals: { count: 2, from: dba }
    reason: Destructive SQL needs two DBAs.
"""
DELETE = {"query": "DELETE FROM users"}


def _project(tmp_path: Path) -> tuple[Project, Path]:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO users (name) VALUES (?)", [("ada",), ("bob",), ("cy",)])
    return Project(tmp_path, {"sqlite": {"command": server_path("sqlite"), "args": ["--db-path", str(db)]}}, POLICY), db


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])


def _file_and_approve(p: Project) -> str:
    first = p.session(lambda c: c.call_tool("sqlite__write_query", DELETE))
    assert first.is_error and "[preview: sql: 3 delete_rows" in text(first), text(first)
    request_id = text(first).split("request ")[1].split(" ")[0].rstrip(":.")
    with open_services(str(p.store), checkpoint_on_close=False) as services:
        request = services.approvals.get(request_id)
        assert request.detail["preview"]["summary"] == {"delete_rows": 3}
        services.approvals.approve(request_id, Person("ann"))
        services.approvals.approve(request_id, Person("ben"))
    return request_id


def test_the_approved_delete_runs_once_the_rows_are_as_previewed(tmp_path: Path) -> None:
    p, db = _project(tmp_path)
    _file_and_approve(p)
    assert _count(db) == 3  # previewing deleted nothing
    ran: Any = p.session(lambda c: c.call_tool("sqlite__write_query", DELETE))
    assert not ran.is_error, text(ran)
    assert _count(db) == 0


def test_the_approval_stops_holding_when_the_table_changed(tmp_path: Path) -> None:
    p, db = _project(tmp_path)
    request_id = _file_and_approve(p)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (name) VALUES ('dee')")
    refused: Any = p.session(lambda c: c.call_tool("sqlite__write_query", DELETE))
    assert refused.is_error and f"request {request_id} was approved for another state" in text(refused)
    assert _count(db) == 4
