"""The real SQLite MCP server (mcp-server-sqlite): the SQL classifier reads the tool's `query` argument."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.gateway.harness import Project, server_path, text

# Changes through write_query pass; the baseline asks for anything irreversible (and a client that
# cannot be asked gets an approval request instead).
POLICY = """version: 1
extends: [recommended]
rules:
  - id: sqlite-changes
    match: { operation: "mcp:sqlite/write_query", effects: [read, write, create, delete] }
    verdict: allow
"""


def test_select_passes_and_drop_table_or_delete_without_where_is_escalated(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO users (name) VALUES (?)", [("ada",), ("bob",), ("cy",)])
    p = Project(tmp_path, {"sqlite": {"command": server_path("sqlite"), "args": ["--db-path", str(db)]}}, POLICY)

    async def body(c: Any) -> dict[str, Any]:
        write = "sqlite__write_query"
        return {
            "select": await c.call_tool("sqlite__read_query", {"query": "SELECT name FROM users ORDER BY id"}),
            "drop": await c.call_tool(write, {"query": "DROP TABLE users"}),
            "delete_all": await c.call_tool(write, {"query": "DELETE FROM users"}),
            "delete_1=1": await c.call_tool(write, {"query": "DELETE FROM users WHERE 1=1"}),
            "delete_one": await c.call_tool(write, {"query": "DELETE FROM users WHERE name = 'cy'"}),
        }

    r = p.session(body)
    assert not r["select"].is_error and "ada" in text(r["select"]) and "bob" in text(r["select"])
    for key in ("drop", "delete_all", "delete_1=1"):
        assert r[key].is_error, key
        assert "recommended.irreversible" in text(r[key]) and "request req_" in text(r[key])
    assert not r["delete_one"].is_error, text(r["delete_one"])
    with sqlite3.connect(db) as conn:
        assert [n for (n,) in conn.execute("SELECT name FROM users ORDER BY id")] == ["ada", "bob"]

    by_query = {d["action"]["args"]["query"]: d for d in p.events("decision")}
    select = by_query["SELECT name FROM users ORDER BY id"]
    assert (select["verdict"], select["effects"], select["targets"]) == ("allow", ["read"], ["sql:table/users"])
    drop = by_query["DROP TABLE users"]
    assert drop["verdict"] == "approve" and {"delete", "irreversible"} <= set(drop["effects"])
    assert by_query["DELETE FROM users WHERE name = 'cy'"]["effects"] == ["delete"]
