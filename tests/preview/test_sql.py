"""The SQL previewer against the real PostgreSQL (a schema of our own) and a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.preview import Context, preview_action
from tests.conftest import PG_BASE


def _preview(raw: str, cwd: Path, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    action = classify(Action("shell", raw=raw, cwd=str(cwd)), {})
    made = preview_action(action, Context(cwd=str(cwd), environ=environ or {}, timeout=30))
    assert made is not None, raw
    return made[0]


def _pg_rows(schema: str, table: str) -> list[tuple[object, ...]]:
    with psycopg.connect(PG_BASE) as conn:
        return conn.execute(f"SELECT * FROM {schema}.{table} ORDER BY 1").fetchall()


def _seed(schema: str) -> None:
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.orders (id int primary key, status text)")
        conn.execute(
            f"INSERT INTO {schema}.orders"
            " SELECT g, CASE WHEN g % 3 = 0 THEN 'old' ELSE 'new' END FROM generate_series(1, 37) g"
        )
        conn.execute(f"CREATE TABLE {schema}.audit (id int)")
        conn.execute(f"INSERT INTO {schema}.audit SELECT generate_series(1, 5)")


def test_delete_without_where_counts_every_row_and_changes_nothing(pg_schema: str, tmp_path: Path) -> None:
    _seed(pg_schema)
    before = _pg_rows(pg_schema, "orders")
    p = _preview(f"psql -h 127.0.0.1 -U postgres -d test -c 'DELETE FROM {pg_schema}.orders'", tmp_path)
    assert p.ok, p.message
    assert p.summary == {"delete_rows": 37} and p.items == [
        {"change": "delete_rows", "id": f"sql:table/{pg_schema}.orders", "rows": 37}
    ]
    assert _pg_rows(pg_schema, "orders") == before


def test_update_and_delete_with_where_count_exactly_the_rows_they_match(pg_schema: str, tmp_path: Path) -> None:
    _seed(pg_schema)
    sql = (
        f"UPDATE {pg_schema}.orders SET status = 'x' WHERE status = 'old'; DELETE FROM {pg_schema}.orders WHERE id > 30"
    )
    p = _preview(f'psql "{PG_BASE}" -c "{sql}"', tmp_path)
    assert p.summary == {"update_rows": 12, "delete_rows": 7}
    assert [r[1] for r in _pg_rows(pg_schema, "orders")].count("x") == 0


def test_drop_and_truncate_list_each_table_and_its_rows(pg_schema: str, tmp_path: Path) -> None:
    _seed(pg_schema)
    p = _preview(f"psql -h 127.0.0.1 -U postgres test -c 'DROP TABLE {pg_schema}.orders, {pg_schema}.audit'", tmp_path)
    assert p.summary == {"drop_table": 2} and p.facts["rows_lost"] == 42
    t = _preview(f"psql -h 127.0.0.1 -U postgres test -c 'TRUNCATE {pg_schema}.audit'", tmp_path)
    assert t.summary == {"truncate_table": 1} and t.items[0]["rows"] == 5
    assert len(_pg_rows(pg_schema, "audit")) == 5


def test_a_where_clause_with_a_side_effect_cannot_write_through_the_preview(pg_schema: str, tmp_path: Path) -> None:
    _seed(pg_schema)
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(
            f"CREATE FUNCTION {pg_schema}.sneaky() RETURNS bool LANGUAGE plpgsql AS "
            f"$$ BEGIN INSERT INTO {pg_schema}.audit VALUES (99); RETURN true; END $$"
        )
    p = _preview(
        f"psql -h 127.0.0.1 -U postgres -d test -c 'DELETE FROM {pg_schema}.orders WHERE {pg_schema}.sneaky()'",
        tmp_path,
    )
    assert not p.ok and "read-only" in p.message
    assert len(_pg_rows(pg_schema, "audit")) == 5


def test_connection_settings_come_from_the_callers_environment(pg_schema: str, tmp_path: Path) -> None:
    _seed(pg_schema)
    env = {"PGHOST": "127.0.0.1", "PGUSER": "postgres", "PGDATABASE": "test"}
    assert _preview(f"psql -c 'DELETE FROM {pg_schema}.audit'", tmp_path, env).summary == {"delete_rows": 5}
    # The wrong port: no preview, never a guess.
    bad = _preview(f"psql -h 127.0.0.1 -p 1 -d test -c 'DELETE FROM {pg_schema}.audit'", tmp_path)
    assert not bad.ok


def test_sqlite_file_is_measured_read_only(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, active INT)")
        conn.executemany("INSERT INTO users (active) VALUES (?)", [(i % 2,) for i in range(10)])
    before = db.read_bytes()
    p = _preview("sqlite3 app.db 'DELETE FROM users WHERE active = 0'", tmp_path)
    assert p.summary == {"delete_rows": 5}
    d = _preview("sqlite3 app.db 'DROP TABLE users'", tmp_path)
    assert d.summary == {"drop_table": 1} and d.items[0]["rows"] == 10
    assert db.read_bytes() == before


def test_a_postgres_mcp_servers_tool_call_is_measured_on_the_servers_database(pg_schema: str) -> None:
    _seed(pg_schema)
    launch = f"npx -y @modelcontextprotocol/server-postgres {PG_BASE}"
    action = classify(
        Action("mcp", "mcp:postgres/query", args={"sql": f"DELETE FROM {pg_schema}.audit WHERE id < 4"},
               context={"mcp": {"launch": launch}}),
        {},
    )  # fmt: skip
    made = preview_action(action, Context(environ={}, timeout=30))
    assert made is not None and made[0].summary == {"delete_rows": 3}, made
    assert len(_pg_rows(pg_schema, "audit")) == 5
    # A server whose database the launch line does not name: no previewer applies (nothing is guessed).
    unnamed = classify(
        Action("mcp", "mcp:postgres/query", args={"sql": "DELETE FROM t"}, context={"mcp": {"launch": "x"}}), {}
    )
    assert preview_action(unnamed, Context(environ={}, timeout=30)) is None
