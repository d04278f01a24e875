"""SQL classification: the effect table, constant-folded WHERE, CTE DML, several statements, fail closed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.classify.sql import classify_sql_text

CASES = [
    # (sql, operation, effects that must be present, effects that must be absent)
    ("SELECT * FROM users", "sql:select", {"read"}, {"write", "delete", "unknown"}),
    ("select a, b from s.t where x = 1 order by a", "sql:select", {"read"}, {"unknown"}),
    ("INSERT INTO t (a) VALUES (1)", "sql:insert", {"create"}, {"delete", "irreversible"}),
    ("UPDATE t SET a = 1 WHERE id = 7", "sql:update", {"write"}, {"irreversible"}),
    ("UPDATE t SET a = 1", "sql:update", {"write", "irreversible"}, set()),
    ("UPDATE t SET a = 1 WHERE 1=1", "sql:update", {"write", "irreversible"}, set()),
    ("DELETE FROM t WHERE id = 7", "sql:delete", {"delete"}, {"irreversible"}),
    ("DELETE FROM t", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE 1=1", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE true", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE 'a'='a'", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE id = 7 OR 1=1", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE id = 7 OR 2 > 1", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE (1)", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE id = id", "sql:delete", {"delete", "irreversible"}, set()),
    ("DELETE FROM t WHERE id = 7 AND 1=1", "sql:delete", {"delete"}, {"irreversible"}),
    ("DROP TABLE users", "sql:drop_table", {"delete", "irreversible"}, {"wipe"}),
    ("DROP TABLE IF EXISTS a.b, c", "sql:drop_table", {"delete", "irreversible"}, set()),
    ("TRUNCATE TABLE users", "sql:truncate", {"delete", "irreversible"}, set()),
    ("DROP DATABASE app", "sql:drop_database", {"delete", "irreversible", "wipe"}, set()),
    ("DROP SCHEMA s CASCADE", "sql:drop_schema", {"wipe"}, set()),
    ("DROP VIEW v", "sql:drop_view", {"delete"}, {"irreversible"}),
    ("GRANT ALL ON t TO bob", "sql:grant", {"privilege"}, set()),
    ("REVOKE SELECT ON t FROM bob", "sql:revoke", {"privilege"}, set()),
    ("ALTER ROLE bob SUPERUSER", "sql:alter_role", {"privilege"}, set()),
    ("CREATE USER bob", "sql:create_user", {"privilege"}, set()),
    ("DROP USER bob", "sql:drop_user", {"privilege", "delete"}, set()),
    ("SET ROLE admin", "sql:set_role", {"privilege"}, set()),
    ("ALTER TABLE t ADD COLUMN c int", "sql:alter_table", {"write"}, {"irreversible"}),
    ("ALTER TABLE t DROP COLUMN c", "sql:alter_table", {"write", "delete", "irreversible"}, set()),
    ("CREATE TABLE t (a int)", "sql:create_table", {"create"}, {"delete"}),
    ("CREATE OR REPLACE TABLE t (a int)", "sql:create_table", {"irreversible"}, set()),
    ("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "sql:delete", {"delete", "irreversible"}, set()),
    ("WITH x AS (UPDATE t SET a=1 WHERE id=1 RETURNING *) SELECT * FROM x", "sql:update", {"write"}, set()),
    ("SELECT pg_terminate_backend(42)", "sql:call:pg_terminate_backend", {"kill"}, set()),
    ("EXPLAIN ANALYZE DELETE FROM t", "sql:delete", {"delete", "irreversible"}, set()),
    ("EXPLAIN DELETE FROM t", "sql:explain", {"read"}, {"delete"}),
    ("VACUUM FULL", "sql:unknown", {"unknown"}, set()),
    ("CALL do_things()", "sql:unknown", {"unknown"}, set()),
    ("this is not sql at all", None, {"unknown"}, {"read"}),
    ("DROP TABLE x garbage (", None, {"delete", "irreversible"}, set()),
    ("BEGIN", "sql:transaction", {"read"}, set()),
]


@pytest.mark.parametrize(("sql", "operation", "present", "absent"), CASES, ids=[c[0][:40] for c in CASES])
def test_effect_table(sql: str, operation: str | None, present: set[str], absent: set[str]) -> None:
    parts = classify_sql_text(sql, dialect="postgres")
    assert len(parts) == 1
    part = parts[0]
    assert present <= part.effects, (part.effects, [str(n) for n in part.notes])
    assert not (absent & part.effects), (part.effects, [str(n) for n in part.notes])
    if operation is not None:
        assert part.operation == operation
    assert all("classification failed" not in n.text for n in part.notes)
    assert part.tool == "sql"


def test_targets_name_tables() -> None:
    (part,) = classify_sql_text("DELETE FROM app.users WHERE id = 1")
    assert part.targets == ("sql:table/app.users",)
    (part,) = classify_sql_text("DROP DATABASE shop")
    assert part.targets == ("sql:database/shop",)
    (part,) = classify_sql_text("WITH x AS (SELECT 1) SELECT * FROM x JOIN t ON true")
    assert part.targets == ("sql:table/t",)


def test_several_statements_are_several_parts() -> None:
    parts = classify_sql_text("SELECT 1; DROP TABLE users; DELETE FROM t WHERE id = 2")
    assert [p.operation for p in parts] == ["sql:select", "sql:drop_table", "sql:delete"]
    assert "irreversible" in parts[1].effects


def test_a_stray_quote_does_not_hide_what_follows() -> None:
    parts = classify_sql_text("SELECT '; DROP TABLE users")
    effects = set().union(*(p.effects for p in parts))
    assert {"unknown", "delete", "irreversible"} <= effects


def test_source_is_recorded_on_notes() -> None:
    (part,) = classify_sql_text("DROP TABLE t", source="psql -c")
    assert all(n.source.endswith("psql -c") for n in part.notes)


def test_dialect_aliases_and_bad_dialects() -> None:
    assert classify_sql_text("SELECT 1", dialect="postgresql")[0].effects == {"read"}
    assert classify_sql_text("SELECT 1", dialect="no-such-dialect")[0].effects == {"unknown"}


def test_empty_input_is_a_read() -> None:
    assert classify_sql_text("  -- only a comment\n")[0].effects == {"read"}


def test_sql_action_evidence_and_parts() -> None:
    action = Action("sql", raw="SELECT 1; DROP TABLE t", args={"url": "postgres://app:s3cret@db.prod.example/app"})
    result = classify(action, {"prod": {"db_urls": ["postgres://*@db.prod.*"]}}, environ={}, home="/nonexistent")
    assert result.env == "prod"
    assert len(result.parts) == 2
    assert {"read", "delete", "irreversible"} <= result.effects
    evidence = result.facts["evidence"]
    assert evidence["db_url"] == "postgres://app:***@db.prod.example/app"
    assert evidence["host"] == "db.prod.example"
    assert "s3cret" not in str(result.facts)
    assert [p.env for p in result.parts] == ["prod", "prod"]


def test_sql_action_single_statement_is_flat() -> None:
    result = classify(Action("sql", raw="TRUNCATE t"), {}, environ={}, home="/nonexistent")
    assert result.operation == "sql:truncate"
    assert not result.parts
    assert {"delete", "irreversible"} <= result.effects


def test_sql_action_without_text_is_unknown() -> None:
    assert classify(Action("sql", raw=""), {}, environ={}, home="/x").effects == {"unknown"}


# -- properties --------------------------------------------------------------------------------

STOPPED = [
    "DROP TABLE users",
    "DROP DATABASE app",
    "TRUNCATE users",
    "DELETE FROM users",
    "DELETE FROM users WHERE 1=1",
    "UPDATE users SET admin = true",
    "GRANT ALL ON users TO mallory",
    "ALTER TABLE users DROP COLUMN email",
]
SEVERE = {"delete", "irreversible", "wipe", "privilege", "unknown"}

_WORDS = [
    "SELECT", "FROM", "WHERE", "DELETE", "DROP", "TABLE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "WITH",
    "AS", "(", ")", "'", '"', ";", "--", "/*", "*/", "$$", "1", "=", "OR", "t", "x.y", ",", "*", "BEGIN", "END",
    "CASE", "\n", "\\", "`", "[", "]", "E'", "GRANT",
]  # fmt: skip
SQL_WORDS = st.sampled_from(_WORDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(SQL_WORDS, max_size=40).map(" ".join)))
def test_random_text_never_raises(text: str) -> None:
    parts = classify_sql_text(text)
    assert parts
    for part in parts:
        assert part.effects
        assert part.tool == "sql"


# Fragments that keep statement boundaries where they are: no quotes, block comments or `;` that would
# turn the stopped statement into data (then it is no longer a statement, and rightly not stopped). A `--`
# comment ends at the newline before the separator, so it stays.
_DATA_MARKERS = {"'", '"', ";", "/*", "*/", "$$", "\\", "`", "[", "]", "E'"}
FRAGMENT_WORDS = st.sampled_from([w for w in _WORDS if w not in _DATA_MARKERS])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(STOPPED),
    st.lists(
        st.one_of(
            st.sampled_from(["SELECT 1", "INSERT INTO t VALUES (1)", "BEGIN", "COMMIT"]),
            st.lists(FRAGMENT_WORDS, max_size=12).map(" ".join),
        ),
        max_size=4,
    ),
    st.integers(min_value=0, max_value=4),
)
def test_a_stopped_statement_stays_stopped(stopped: str, others: list[str], where: int) -> None:
    alone = set().union(*(p.effects for p in classify_sql_text(stopped))) & SEVERE
    assert alone
    statements = list(others)
    statements.insert(min(where, len(statements)), stopped)
    # The separator starts on a line of its own: a `--` comment in a fragment ends before it, as in
    # any SQL client (a comment that swallows the `;` joins the statements, which is another input).
    combined = set().union(*(p.effects for p in classify_sql_text("\n;\n".join(statements))))
    # Every severe effect of the statement alone survives; a parse failure may add `unknown`.
    assert alone - {"unknown"} <= combined


def test_a_dash_comment_without_space_is_read_both_ways_when_the_dialect_is_unknown() -> None:
    # `--;` is a comment in PostgreSQL and SQLite but not in MySQL, where the `;` ends the statement
    # and the TRUNCATE runs: with no dialect known, the text is as severe as its worst reading.
    text = "SELECT --;\nTRUNCATE users"
    effects = set().union(*(p.effects for p in classify_sql_text(text)))
    assert {"delete", "irreversible"} <= effects
    postgres = set().union(*(p.effects for p in classify_sql_text(text, dialect="postgres")))
    assert postgres == {"read"}
    # `-- ` (with a space) is a comment everywhere: nothing hides behind it
    assert set().union(*(p.effects for p in classify_sql_text("SELECT 1 -- ;\n"))) == {"read"}
