"""The SQL previewer: the exact rows an UPDATE or DELETE would change, and what a DROP or TRUNCATE
would destroy (each table and its row count), for ``psql -c`` and ``sqlite3 FILE SQL`` command lines.

Measured, never executed: each UPDATE/DELETE becomes ``SELECT count(*) FROM <its table> WHERE <its
WHERE>`` (sqlglot rewrites the statement the SQL classifier already read), run in a read-only
transaction that is rolled back, under a statement timeout (PostgreSQL: ``SET TRANSACTION READ ONLY``
and ``statement_timeout``; SQLite: the file opened ``mode=ro`` with ``query_only`` and a progress
handler that stops the query at the deadline). Statements are measured against today's data one by
one (a DELETE after an INSERT in the same command is counted on the rows there now).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from blastdoor.action.canonical import digest
from blastdoor.action.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from blastdoor.action import Action
    from blastdoor.preview import Context

KIND = "sql"
_OPS = frozenset(("sql:delete", "sql:update", "sql:drop_table", "sql:truncate", "sql:drop_schema"))
# psql options that take a value (short and long spellings).
_PSQL_VALUE = {"-h": "host", "--host": "host", "-p": "port", "--port": "port", "-U": "user", "--username": "user"}
_PSQL_SKIP = frozenset(
    ("-v", "--set", "--variable", "-P", "--pset", "-o", "--output", "-L", "--log-file", "-F", "-R", "-T")
)
_SQLITE_VALUE = frozenset(
    (
        "-cmd",
        "-init",
        "-separator",
        "-newline",
        "-nullvalue",
        "-vfs",
        "-maxsize",
        "-pagecache",
        "-lookaside",
        "-mmap",
        "-heap",
    )
)


class SqlPreviewer:
    """``Previewer`` for destructive SQL run by ``psql`` or ``sqlite3``."""

    kind = KIND

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        if part.tool == "mcp":
            return bool(part.effects & _DESTRUCTIVE) and _mcp_database(part) is not None
        if part.tool != "sql" or part.operation not in _OPS or not argv:
            return False
        return os.path.basename(argv[0]) in ("psql", "sqlite3")

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        if part.tool == "mcp":
            found = _mcp_database(part)
            if found is None:
                raise ValueError("the MCP server's database is not known")
            dialect, where, sql = found
            if dialect == "sqlite":
                return _measure(sql, "sqlite", _sqlite_runner(where, ctx.timeout))
            return _measure(sql, "postgres", _pg_runner({"dsn": where}, ctx.timeout))
        if os.path.basename(argv[0]) == "psql":
            conninfo, sql = _psql(argv, ctx.environ)
            return _measure(sql, "postgres", _pg_runner(conninfo, ctx.timeout))
        path, sql = _sqlite(argv, part.cwd or ctx.cwd)
        return _measure(sql, "sqlite", _sqlite_runner(path, ctx.timeout))


# -- the command lines ----------------------------------------------------------------------------------


_DESTRUCTIVE = frozenset(("delete", "irreversible", "write", "wipe"))
_SQL_ARGS = ("query", "sql", "statement")


def _mcp_database(part: Action) -> tuple[str, str, str] | None:
    """(dialect, database, SQL) of a database MCP server's tool call: the server's launch line names the
    database (``--db-path FILE`` of the SQLite server, a ``postgresql://`` URL of the PostgreSQL one)."""
    info = part.context.get("mcp") if isinstance(part.context, dict) else None
    launch = info.get("launch") if isinstance(info, dict) else None
    args = part.args if isinstance(part.args, dict) else {}
    sql = next((args[k] for k in _SQL_ARGS if isinstance(args.get(k), str)), None)
    if not isinstance(launch, str) or sql is None:
        return None
    words = launch.split()
    for i, w in enumerate(words):
        if w == "--db-path" and i + 1 < len(words):
            return "sqlite", words[i + 1], sql
        if w.startswith("--db-path="):
            return "sqlite", w.split("=", 1)[1], sql
        if w.startswith(("postgres://", "postgresql://")):
            return "postgres", w, sql
    return None


def _psql(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    params: dict[str, str] = {}
    commands: list[str] = []
    positional: list[str] = []
    words = list(argv[1:])
    i = 0
    while i < len(words):
        w = words[i]
        name, eq, inline = w.partition("=") if w.startswith("--") else (w, "", "")
        value = inline if eq else (words[i + 1] if i + 1 < len(words) else "")
        step = 1 if eq else 2
        if name in ("-c", "--command"):
            commands.append(value)
            i += step
        elif name in ("-d", "--dbname"):
            params["dbname"] = value
            i += step
        elif name in _PSQL_VALUE:
            params[_PSQL_VALUE[name]] = value
            i += step
        elif name in _PSQL_SKIP:
            i += step
        elif name in ("-f", "--file"):
            raise ValueError("`psql -f` is not previewed (the SQL lives in a file the command reads)")
        elif w.startswith("-c") and len(w) > 2:
            commands.append(w[2:])
            i += 1
        elif w.startswith("-"):
            i += 1
        else:
            positional.append(w)
            i += 1
    if positional and "dbname" not in params:
        params["dbname"] = positional[0]
    if len(positional) > 1 and "user" not in params:
        params["user"] = positional[1]
    if not commands:
        raise ValueError("no `-c` statement to preview")
    dbname = params.get("dbname", "")
    if dbname.startswith(("postgres://", "postgresql://")) or "=" in dbname:
        params["dsn"] = params.pop("dbname")  # a connection string where the database name goes
    # What libpq would read from the caller's environment (this process's may be another's: the server's).
    for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("dbname", "PGDATABASE")):
        if "dsn" not in params and key not in params and environ.get(var):
            params[key] = environ[var]
    if environ.get("PGPASSWORD"):
        params["password"] = environ["PGPASSWORD"]
    return params, ";\n".join(commands)


def _sqlite(argv: Sequence[str], cwd: str) -> tuple[str, str]:
    words = list(argv[1:])
    positional: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("-") and len(w) > 1:
            i += 2 if w.lstrip("-") and ("-" + w.lstrip("-")) in _SQLITE_VALUE else 1
            continue
        positional.append(w)
        i += 1
    if len(positional) < 2:
        raise ValueError("`sqlite3` with the SQL on standard input is not previewed")
    path = os.path.join(cwd, positional[0])
    if not os.path.isfile(path):
        raise ValueError(f"no database file {path}")
    return path, " ".join(positional[1:])


# -- measuring ---------------------------------------------------------------------------------------------


def _measure(sql: str, dialect: str, run: Callable[[list[tuple[str, str]]], list[int | None]]) -> Preview:
    import sqlglot
    from sqlglot import exp

    queries: list[tuple[str, str]] = []  # (change, table id) per query
    texts: list[str] = []
    for stmt in sqlglot.parse(sql, read=dialect):
        if stmt is None:
            continue
        if isinstance(stmt, exp.Delete | exp.Update):
            change = "delete_rows" if isinstance(stmt, exp.Delete) else "update_rows"
            for arg in ("using", "from", "from_", "with_", "with", "limit", "order"):
                if stmt.args.get(arg):
                    raise ValueError(f"{stmt.key.upper()} with {arg.rstrip('_').upper()} is not previewed")
            table = stmt.this
            if not isinstance(table, exp.Table):
                raise ValueError(f"cannot tell which table `{stmt.sql(dialect)}` changes")
            query = exp.select(exp.Count(this=exp.Star())).from_(table.copy())
            where = stmt.args.get("where")
            if where is not None:
                query = query.where(where.this.copy())
            queries.append((change, _table_id(table)))
            texts.append(query.sql(dialect))
        elif isinstance(stmt, exp.Drop | exp.TruncateTable):
            kind = str(stmt.args.get("kind") or "TABLE").upper() if isinstance(stmt, exp.Drop) else "TRUNCATE"
            if kind not in ("TABLE", "TRUNCATE"):
                raise ValueError(f"DROP {kind} is not previewed")
            change = "drop_table" if kind == "TABLE" else "truncate_table"
            tables = stmt.args.get("tables") or stmt.expressions or ([stmt.this] if stmt.this else [])
            for table in tables:
                if not isinstance(table, exp.Table):
                    raise ValueError(f"cannot tell which table `{stmt.sql(dialect)}` names")
                queries.append((change, _table_id(table)))
                texts.append(exp.select(exp.Count(this=exp.Star())).from_(table.copy()).sql(dialect))
        # Other statements (SELECT, INSERT, ...) are not what made this escalate; they are not measured.
    if not queries:
        raise ValueError("no UPDATE, DELETE, DROP TABLE or TRUNCATE statement to measure")
    counts = run(list(zip(texts, [q[1] for q in queries], strict=True)))
    summary: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    rows_lost = 0
    for (change, table), rows in zip(queries, counts, strict=True):
        if rows is None:  # the table is not there (DROP TABLE IF EXISTS of a missing table)
            items.append({"change": change, "id": table, "rows": 0, "exists": False})
            continue
        summary[change] = summary.get(change, 0) + (rows if change.endswith("_rows") else 1)
        if change != "update_rows":
            rows_lost += rows
        items.append({"change": change, "id": table, "rows": rows})
    return Preview(
        KIND,
        summary=summary,
        items=items,
        targets=[i["id"] for i in items],
        state_token=digest([[i["id"], i["rows"]] for i in items]),
        facts={"rows": sum(int(i["rows"]) for i in items), "rows_lost": rows_lost, "dialect": dialect},
    )


def _table_id(table: Any) -> str:
    name = table.name
    schema = table.db
    return f"sql:table/{schema + '.' if schema else ''}{name}"


def _pg_runner(conninfo: dict[str, str], timeout: float) -> Callable[[list[tuple[str, str]]], list[int | None]]:
    def run(queries: list[tuple[str, str]]) -> list[int | None]:
        import psycopg

        deadline = time.monotonic() + timeout
        ms = max(1, int(timeout * 1000))
        out: list[int | None] = []
        from psycopg.conninfo import make_conninfo

        rest = {k: v for k, v in conninfo.items() if k != "dsn"}
        dsn = make_conninfo(conninfo.get("dsn", ""), **rest, connect_timeout=str(max(2, int(timeout))))
        with psycopg.connect(dsn, autocommit=False) as conn:
            conn.read_only = True
            try:
                with conn.cursor() as cur:
                    cur.execute(f"SET LOCAL statement_timeout = {ms}")
                    cur.execute(f"SET LOCAL lock_timeout = {ms}")
                    for text, _ in queries:
                        if time.monotonic() > deadline:
                            raise TimeoutError("the preview ran out of time")
                        cur.execute("SAVEPOINT preview")
                        try:
                            cur.execute(text.encode())  # built by sqlglot from the parsed statement
                            row = cur.fetchone()
                            out.append(int(row[0]) if row else 0)
                        except psycopg.errors.UndefinedTable:
                            cur.execute("ROLLBACK TO SAVEPOINT preview")
                            out.append(None)
            finally:
                conn.rollback()
        return out

    return run


def _sqlite_runner(path: str, timeout: float) -> Callable[[list[tuple[str, str]]], list[int | None]]:
    def run(queries: list[tuple[str, str]]) -> list[int | None]:
        import sqlite3
        from urllib.parse import quote

        deadline = time.monotonic() + timeout
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=timeout)
        try:
            conn.execute("PRAGMA query_only = 1")
            conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
            out: list[int | None] = []
            for text, _ in queries:
                try:
                    row = conn.execute(text).fetchone()
                except sqlite3.OperationalError as exc:
                    if "no such table" in str(exc):
                        out.append(None)
                        continue
                    raise
                out.append(int(row[0]) if row else 0)
            conn.rollback()
            return out
        finally:
            conn.close()

    return run
