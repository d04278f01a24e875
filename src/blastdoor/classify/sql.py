"""SQL: what each statement of a SQL text does, parsed with sqlglot.

One part per statement. The effect table, roughly: SELECT reads; INSERT creates; UPDATE/DELETE with a
real filter write/delete; UPDATE/DELETE without one (no WHERE, or a WHERE that folds to a constant such
as ``1=1`` or ``x=1 OR 'a'='a'``) are irreversible; DROP TABLE and TRUNCATE delete irreversibly; DROP
DATABASE/SCHEMA wipe; GRANT/REVOKE and role or user statements change privileges. DML hidden inside a
CTE or a subquery counts. What sqlglot cannot parse, or returns as an opaque ``Command``, is ``unknown``.

sqlglot costs ~100 ms to import, so it is imported on first use only: a hook classifying ``ls`` must
never pay for it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note

if TYPE_CHECKING:
    from collections.abc import Iterable

    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_sql_action", "classify_sql_text"]

# Inputs larger than this are not parsed (the parser is linear-ish, but a hook has a budget): unknown.
MAX_SQL_BYTES = 512 * 1024
# Statements in one input beyond this are summarised as one unknown part.
MAX_STATEMENTS = 200

# sqlglot dialect names for the names people and tools use.
_DIALECTS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "psql": "postgres",
    "pg": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "tsql": "tsql",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "redshift": "redshift",
    "duckdb": "duckdb",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "spark": "spark",
    "hive": "hive",
    "trino": "trino",
    "presto": "presto",
    "athena": "athena",
}

# Server-side functions whose call is an effect of its own, even inside a SELECT.
_FUNCTION_EFFECTS: dict[str, tuple[frozenset[str], str]] = {
    "pg_terminate_backend": (frozenset({"kill"}), "terminates a database session"),
    "pg_cancel_backend": (frozenset({"kill"}), "cancels a running query"),
    "pg_reload_conf": (frozenset({"write"}), "reloads the server configuration"),
    "pg_read_file": (frozenset({"read", "secrets"}), "reads a file on the database server"),
    "pg_read_binary_file": (frozenset({"read", "secrets"}), "reads a file on the database server"),
    "pg_ls_dir": (frozenset({"read"}), "lists a directory on the database server"),
    "lo_import": (frozenset({"read", "secrets"}), "reads a server file into a large object"),
    "lo_export": (frozenset({"write"}), "writes a large object to a server file"),
    "load_file": (frozenset({"read", "secrets"}), "reads a file on the database server"),
    "dblink_exec": (frozenset({"unknown"}), "runs a statement on another database"),
    "dblink": (frozenset({"unknown"}), "runs a query on another database"),
    "xp_cmdshell": (frozenset({"remote_exec", "unknown"}), "runs a shell command on the database server"),
    "sys_exec": (frozenset({"remote_exec", "unknown"}), "runs a shell command on the database server"),
    "sys_eval": (frozenset({"remote_exec", "unknown"}), "runs a shell command on the database server"),
    "setval": (frozenset({"write"}), "changes a sequence"),
    "nextval": (frozenset({"write"}), "advances a sequence"),
}

# Object kinds whose DROP loses data for good versus those that only drop a definition.
_DROP_WIPE = frozenset({"DATABASE", "SCHEMA", "CATALOG", "KEYSPACE", "TABLESPACE"})
_DROP_DATA = frozenset({"TABLE", "MATERIALIZED VIEW", "COLUMN", "PARTITION", "SEQUENCE"})
_ROLE_WORDS = frozenset({"ROLE", "USER", "LOGIN", "GROUP", "POLICY", "DEFAULT PRIVILEGES"})
_READ_COMMANDS = frozenset({"SHOW", "DESCRIBE", "DESC", "EXPLAIN", "\\D"})

_WORD = re.compile(r"[A-Za-z_]+")
_STATEMENT_START = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|CREATE|VALUES|TABLE|EXECUTE)\b", re.I)
_silenced = False


def _sqlglot() -> Any:
    """Import sqlglot on first use and keep its parser fallbacks quiet."""
    global _silenced
    import sqlglot

    if not _silenced:
        import logging

        # sqlglot warns ("Falling back to parsing as a 'Command'") on stderr; a hook's stderr is read
        # by the harness, and we report the fallback as `unknown` ourselves.
        logger = logging.getLogger("sqlglot")
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)
        _silenced = True
    return sqlglot


class _Facts:
    """What one statement does, accumulated while walking its tree."""

    __slots__ = ("ctes", "effects", "notes", "operation", "rank", "targets")

    def __init__(self) -> None:
        self.ctes: set[str] = set()
        self.effects: set[str] = set()
        self.notes: list[Note] = []
        self.targets: list[str] = []
        self.operation = ""
        self.rank = -1

    def add(self, effects: Iterable[str], why: str) -> None:
        for effect in effects:
            if effect not in self.effects:
                self.effects.add(effect)
                self.notes.append(Note("effect", effect, why, "sql"))

    def op(self, name: str, rank: int) -> None:
        # The statement is named after the most destructive thing it does (a CTE's DELETE beats the
        # SELECT around it).
        if rank > self.rank:
            self.operation, self.rank = name, rank

    def target(self, target: str) -> None:
        if target and target not in self.targets:
            self.targets.append(target)


_RANK = {"read": 0, "create": 1, "write": 2, "delete": 3, "privilege": 4, "irreversible": 5, "wipe": 6}


def _table_name(table: Any) -> str:
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.args.get("this")) if p]
    return ".".join(p.name if hasattr(p, "name") else str(p) for p in parts)


def _table_target(table: Any, kind: str = "table") -> str:
    name = _table_name(table)
    return f"sql:{kind}/{name}" if name else ""


def _matches_all(cond: Any, exp: Any) -> bool:
    """True when a WHERE condition is not a real filter (it holds for every row, as far as we can tell).

    Constants are folded first (``1=1``, ``'a'='a'``, ``x=1 OR 2>1``); then a disjunction holds when any
    side does, a conjunction when every side does, and a condition that references no column at all
    is constant, so it either matches every row or none: fail closed, every row.
    """
    if isinstance(cond, exp.Paren):
        return _matches_all(cond.this, exp)
    if isinstance(cond, exp.Boolean):
        return bool(cond.this)
    if isinstance(cond, exp.Null):
        return False
    if isinstance(cond, exp.Literal):
        if cond.is_string:
            return True
        try:
            return float(cond.this) != 0
        except ValueError:
            return True
    if isinstance(cond, exp.Or):
        return _matches_all(cond.this, exp) or _matches_all(cond.expression, exp)
    if isinstance(cond, exp.And):
        return _matches_all(cond.this, exp) and _matches_all(cond.expression, exp)
    if isinstance(cond, exp.EQ | exp.GTE | exp.LTE | exp.NullSafeEQ) and cond.this == cond.expression:
        return True  # `x = x`: every row where x is not null
    return cond.find(exp.Column, exp.Subquery, exp.Select, exp.Placeholder, exp.Parameter) is None


def _no_filter(node: Any, exp: Any) -> bool:
    where = node.args.get("where")
    if where is None:
        return True
    cond = where.this
    try:
        from sqlglot.optimizer.simplify import simplify

        cond = simplify(cond.copy())
    except Exception:  # the folder is an optimisation; the raw condition still works
        pass
    return _matches_all(cond, exp)


def _dml_table(node: Any, exp: Any) -> Any:
    this = node.args.get("this")
    if isinstance(this, exp.Schema):
        this = this.this
    return this if isinstance(this, exp.Table) else None


def _visit(node: Any, facts: _Facts, exp: Any) -> None:
    """Add the effects of one expression node (not its children)."""
    if isinstance(node, exp.Delete):
        table = _dml_table(node, exp)
        if table is not None:
            facts.target(_table_target(table))
        facts.op("sql:delete", 3)
        if _no_filter(node, exp):
            facts.add(("delete", "irreversible"), "DELETE without a real WHERE removes every row")
            facts.op("sql:delete", 5)
        else:
            facts.add(("delete",), "DELETE removes the rows its WHERE selects")
    elif isinstance(node, exp.Update):
        table = _dml_table(node, exp)
        if table is not None:
            facts.target(_table_target(table))
        facts.op("sql:update", 2)
        if _no_filter(node, exp):
            facts.add(("write", "irreversible"), "UPDATE without a real WHERE overwrites every row")
            facts.op("sql:update", 5)
        else:
            facts.add(("write",), "UPDATE changes the rows its WHERE selects")
    elif isinstance(node, exp.Insert):
        table = _dml_table(node, exp)
        if table is not None:
            facts.target(_table_target(table))
        if node.args.get("overwrite"):
            facts.op("sql:insert_overwrite", 5)
            facts.add(("write", "delete", "irreversible"), "INSERT OVERWRITE replaces the table's rows")
        else:
            facts.op("sql:insert", 1)
            facts.add(("create",), "INSERT adds rows")
            if node.args.get("conflict") is not None or node.args.get("alternative"):
                facts.add(("write",), "INSERT ... ON CONFLICT / OR REPLACE overwrites existing rows")
    elif isinstance(node, exp.Merge):
        table = _dml_table(node, exp)
        if table is not None:
            facts.target(_table_target(table))
        facts.op("sql:merge", 2)
        facts.add(("create", "write"), "MERGE inserts and updates rows")
        if "DELETE" in node.sql().upper().split():
            facts.add(("delete",), "MERGE ... THEN DELETE removes rows")
    elif isinstance(node, exp.TruncateTable):
        for table in node.expressions:
            if isinstance(table, exp.Table):
                facts.target(_table_target(table))
        facts.op("sql:truncate", 5)
        facts.add(("delete", "irreversible"), "TRUNCATE removes every row")
    elif isinstance(node, exp.Drop):
        _visit_drop(node, facts, exp)
    elif isinstance(node, exp.Create):
        _visit_create(node, facts, exp)
    elif isinstance(node, exp.Alter):
        _visit_alter(node, facts, exp)
    elif isinstance(node, exp.Grant | exp.Revoke):
        word = "grant" if isinstance(node, exp.Grant) else "revoke"
        facts.op(f"sql:{word}", 4)
        facts.add(("privilege",), f"{word.upper()} changes who may do what")
        for sec in node.find_all(exp.Table):
            facts.target(_table_target(sec))
    elif isinstance(node, exp.Copy):
        _visit_copy(node, facts, exp)
    elif isinstance(node, exp.Select):
        facts.op("sql:select", 0)
        facts.add(("read",), "SELECT reads rows")
        into = node.args.get("into")
        if into is not None:
            facts.op("sql:select_into", 1)
            facts.add(("create",), "SELECT ... INTO creates a table")
    elif isinstance(node, exp.Table):
        # Drop/Create/Alter name their object themselves (a dropped database is no table); a CTE's
        # name is no table either.
        if not isinstance(node.parent, exp.Drop | exp.Create | exp.Alter | exp.Schema) and (
            node.name not in facts.ctes or node.args.get("db")
        ):
            facts.target(_table_target(node))
    elif isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        hit = _FUNCTION_EFFECTS.get(name)
        if hit is not None:
            facts.op(f"sql:call:{name}", 4 if "remote_exec" in hit[0] or "kill" in hit[0] else 0)
            facts.add(hit[0], f"{name}() {hit[1]}")


def _visit_drop(node: Any, facts: _Facts, exp: Any) -> None:
    kind = str(node.args.get("kind") or "TABLE").upper()
    op = "sql:drop_" + kind.lower().replace(" ", "_")
    objects = list(node.args.get("tables") or ()) or ([node.this] if node.this is not None else [])
    for obj in objects:
        name = _table_name(obj) if isinstance(obj, exp.Table) else obj.sql()
        if name:
            facts.target(f"sql:{kind.lower().replace(' ', '_')}/{name}")
    if kind in _DROP_WIPE:
        facts.op(op, 6)
        facts.add(("delete", "irreversible", "wipe"), f"DROP {kind} destroys everything in it")
    elif kind in _DROP_DATA:
        facts.op(op, 5)
        facts.add(("delete", "irreversible"), f"DROP {kind} destroys its data")
    else:
        facts.op(op, 3)
        facts.add(("delete",), f"DROP {kind} removes a definition")


def _visit_create(node: Any, facts: _Facts, exp: Any) -> None:
    kind = str(node.args.get("kind") or "").upper()
    op = "sql:create_" + (kind.lower().replace(" ", "_") or "object")
    this = node.this
    if isinstance(this, exp.Schema):
        this = this.this
    if isinstance(this, exp.Table):
        facts.target(_table_target(this, "table" if kind in ("TABLE", "") else kind.lower()))
    facts.op(op, 1)
    facts.add(("create",), f"CREATE {kind or 'object'} creates something new")
    if node.args.get("replace"):
        if kind == "TABLE":
            facts.op(op, 5)
            facts.add(("delete", "irreversible"), "CREATE OR REPLACE TABLE drops the existing table's data")
        else:
            facts.add(("write",), f"CREATE OR REPLACE {kind} overwrites an existing definition")
    if kind in ("TRIGGER", "EVENT", "RULE"):
        facts.add(("persist",), f"CREATE {kind} runs code later, on its own")
    if kind in ("FUNCTION", "PROCEDURE") and "UNSAFE" in node.sql().upper():
        facts.add(("remote_exec",), f"an untrusted-language {kind} can run arbitrary code")


def _visit_alter(node: Any, facts: _Facts, exp: Any) -> None:
    kind = str(node.args.get("kind") or "TABLE").upper()
    op = "sql:alter_" + kind.lower().replace(" ", "_")
    this = node.this
    if isinstance(this, exp.Table):
        facts.target(_table_target(this, "table" if kind == "TABLE" else kind.lower()))
    if kind in _ROLE_WORDS:
        facts.op(op, 4)
        facts.add(("privilege",), f"ALTER {kind} changes who may do what")
        return
    facts.op(op, 2)
    facts.add(("write",), f"ALTER {kind} changes its definition")
    for action in node.args.get("actions") or ():
        if isinstance(action, exp.Drop):
            what = str(action.args.get("kind") or "COLUMN").upper()
            facts.op(op, 5)
            facts.add(("delete", "irreversible"), f"ALTER {kind} ... DROP {what} destroys its data")
        elif type(action).__name__.startswith("Rename"):
            facts.add(("write",), "a rename breaks whatever uses the old name")


def _visit_copy(node: Any, facts: _Facts, exp: Any) -> None:
    table = node.this
    if isinstance(table, exp.Table):
        facts.target(_table_target(table))
    files = [f.name.upper() if hasattr(f, "name") else str(f).upper() for f in node.args.get("files") or ()]
    if "PROGRAM" in files:
        facts.op("sql:copy_program", 6)
        facts.add(("remote_exec", "unknown"), "COPY ... PROGRAM runs a shell command on the database server")
    if node.args.get("kind"):
        facts.op("sql:copy_from", 2)
        facts.add(("create", "write"), "COPY ... FROM loads rows into a table")
    else:
        facts.op("sql:copy_to", 0)
        facts.add(("read", "write"), "COPY ... TO reads a table into a file")


def _words(text: str) -> list[str]:
    return [w.upper() for w in _WORD.findall(text)]


def _keyword_facts(text: str, facts: _Facts, why: str) -> None:
    """A statement we could not parse: ``unknown``, plus whatever its keywords plainly announce.

    Only ever adds effects to ``unknown``: text that failed to parse must never look milder than the
    destructive keywords in it (``DROP TABLE x <garbage>``, or a DROP behind a stray comment marker).
    Strong phrases count anywhere in the text; weaker verbs (UPDATE, INSERT, ...) only at its head.
    """
    facts.op("sql:unknown", 0)
    facts.add(("unknown",), why)
    words = _words(text)[:4096]
    if not words:
        return
    head = words[0]
    if head in ("UPDATE", "MERGE", "REPLACE", "UPSERT", "ALTER"):
        facts.op(f"sql:{head.lower()}", 2)
        facts.add(("write",), f"{head} changes data")
    elif head == "INSERT":
        facts.op("sql:insert", 1)
        facts.add(("create",), "INSERT adds rows")
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word in ("GRANT", "REVOKE") or (
            word in ("CREATE", "ALTER", "DROP")
            and (nxt in _ROLE_WORDS or " ".join(words[i + 1 : i + 3]) in _ROLE_WORDS)
        ):
            facts.op(f"sql:{word.lower()}_{nxt.lower() or 'role'}", 4)
            facts.add(("privilege",), f"{word} {nxt} changes who may do what")
        elif word == "DROP" and nxt:
            facts.op(f"sql:drop_{nxt.lower()}", 6 if nxt in _DROP_WIPE else 5)
            facts.add(("delete", "irreversible"), f"DROP {nxt} destroys it")
            if nxt in _DROP_WIPE:
                facts.add(("wipe",), f"DROP {nxt} destroys everything in it")
        elif word == "TRUNCATE":
            facts.op("sql:truncate", 5)
            facts.add(("delete", "irreversible"), "TRUNCATE removes every row")
        elif word == "DELETE" and (nxt == "FROM" or i == 0):
            facts.op("sql:delete", 3)
            facts.add(("delete",), "DELETE removes rows")
        elif word == "SET" and nxt == "ROLE":
            facts.op("sql:set_role", 4)
            facts.add(("privilege",), "SET ROLE changes who may do what")


def _command_facts(node: Any, text: str, facts: _Facts, dialect: str | None, depth: int) -> None:
    """sqlglot's opaque ``Command``: the statement is not understood, except in the cases below."""
    head = str(node.this or "").upper()
    expression = node.args.get("expression")
    rest = expression.name if hasattr(expression, "name") else str(expression or "")
    words = _words(rest)
    if head == "EXPLAIN" and depth < 2:
        # EXPLAIN ANALYZE runs the statement it explains: classify that statement, found at its first
        # statement keyword after the EXPLAIN options.
        found = _STATEMENT_START.search(rest)
        options = rest[: found.start()] if found else rest
        analyze = "ANALYZE" in _words(options) or "ANALYSE" in _words(options)
        facts.op("sql:explain", 0)
        facts.add(("read",), "EXPLAIN shows a plan")
        if found is None:
            _keyword_facts(rest, facts, "EXPLAIN of a statement that was not found")
            return
        for part in _classify(rest[found.start() :], dialect, depth + 1):
            if analyze:
                facts.op(
                    part.operation,
                    6 if "wipe" in part.effects else 5 if "irreversible" in part.effects else 3,
                )
                facts.add(part.effects, f"EXPLAIN ANALYZE runs it: {part.operation}")
                for t in part.targets:
                    facts.target(t)
        return
    if head in _READ_COMMANDS and head != "EXPLAIN":
        facts.op(f"sql:{head.lower()}", 0)
        facts.add(("read",), f"{head} only shows information")
        return
    if head in ("CREATE", "ALTER", "DROP", "SET", "RESET") and words and words[0] in _ROLE_WORDS:
        facts.op(f"sql:{head.lower()}_{words[0].lower()}", 4)
        facts.add(("privilege",), f"{head} {words[0]} changes who may do what")
        if head == "DROP":
            facts.add(("delete",), f"DROP {words[0]} removes it")
        return
    _keyword_facts(text, facts, f"sqlglot does not understand {head or 'this'} statements")


def _split(text: str, dialect: str | None) -> list[str]:
    """Split an input into statements at top-level semicolons, by sqlglot's tokenizer.

    When even tokenizing fails (an unterminated quote or comment), fall back to splitting at every
    semicolon: an attacker's stray quote must not hide a ``DROP`` behind it.
    """
    sqlglot = _sqlglot()
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except Exception:  # any tokenizer failure means "fall back"
        return [s for s in text.split(";") if s.strip()]
    out: list[str] = []
    start = 0
    semicolon = sqlglot.tokens.TokenType.SEMICOLON
    for tok in tokens:
        if tok.token_type == semicolon:
            out.append(text[start : tok.start])
            start = tok.end + 1
    out.append(text[start:])
    return [s for s in out if s.strip()]


def _classify_one(stmt_text: str, dialect: str | None, depth: int) -> _Facts:
    sqlglot = _sqlglot()
    exp = sqlglot.exp
    facts = _Facts()
    try:
        trees = sqlglot.parse(stmt_text, read=dialect)
    except Exception as exc:  # ParseError, TokenError, RecursionError, ...: all `unknown`
        _keyword_facts(stmt_text, facts, f"SQL that does not parse: {str(exc).splitlines()[0][:160]}")
        return facts
    trees = [t for t in trees if t is not None]
    if not trees:
        facts.op("sql:empty", 0)
        facts.add(("read",), "no statement (only comments or whitespace)")
        return facts
    for tree in trees:
        if isinstance(tree, exp.Command):
            _command_facts(tree, stmt_text, facts, dialect, depth)
            continue
        if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
            facts.op("sql:" + type(tree).__name__.lower(), 0)
            facts.add(("read",), "transaction control does nothing by itself")
            continue
        if isinstance(tree, exp.Use):
            facts.op("sql:use", 0)
            facts.add(("read",), "USE switches the current database")
            continue
        if isinstance(tree, exp.Set):
            facts.op("sql:set", 2)
            facts.add(("write",), "SET changes a session or server setting")
            continue
        if isinstance(tree, exp.Describe | exp.Show):
            facts.op("sql:describe", 0)
            facts.add(("read",), "shows information")
            continue
        before = len(facts.effects)
        facts.ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
        for node in tree.walk():
            _visit(node, facts, exp)
        # INVARIANT: only statement types with an effect table above leave without `unknown`.
        known = (
            exp.Query,
            exp.Delete,
            exp.Update,
            exp.Insert,
            exp.Merge,
            exp.TruncateTable,
            exp.Drop,
            exp.Create,
            exp.Alter,
            exp.Grant,
            exp.Revoke,
            exp.Copy,
        )
        if not isinstance(tree, known) or len(facts.effects) == before:
            _keyword_facts(stmt_text, facts, f"no effect table for a {type(tree).__name__} statement")
    return facts


def _classify(text: str, dialect: str | None, depth: int) -> list[Action]:
    parts: list[Action] = []
    statements = _split(text, dialect)
    for i, stmt in enumerate(statements):
        if i >= MAX_STATEMENTS:
            rest = ";".join(statements[i:])
            facts = _Facts()
            _keyword_facts(rest, facts, f"more than {MAX_STATEMENTS} statements")
            for word in ("DROP", "TRUNCATE", "DELETE", "GRANT", "REVOKE", "ALTER"):
                if word in rest.upper():
                    facts.add(("delete", "irreversible", "privilege"), f"{word} among the extra statements")
                    break
        else:
            facts = _classify_one(stmt, dialect, depth)
        parts.append(
            Action(
                "sql",
                facts.operation or "sql:unknown",
                raw=stmt.strip(),
                effects=facts.effects,
                targets=facts.targets,
                notes=[
                    *facts.notes,
                    *(Note("target", t, "named in the statement", "sql") for t in facts.targets),
                ],
            )
        )
        if i >= MAX_STATEMENTS:
            break
    return parts


def _dialect_dependent_comment(text: str) -> bool:
    """``--`` directly followed by a non-space: a comment in most dialects, not in MySQL/MariaDB."""
    i = text.find("--")
    while i >= 0:
        nxt = text[i + 2 : i + 3]
        if nxt and not nxt.isspace():
            return True
        i = text.find("--", i + 2)
    return False


def _with_mysql_reading(text: str, parts: list[Action]) -> list[Action]:
    """Add what the text does under MySQL's comment rules, where ``--;`` does not hide the ``;``.

    With no dialect known, the text is as severe as its worst reading (fail closed).
    """
    seen: set[str] = set().union(*(p.effects for p in parts)) if parts else set()
    extra = []
    for part in _classify(text, "mysql", 0):
        if part.effects - seen:
            note = Note(
                "info", "mysql", "under MySQL's comment rules (`--` needs a space) the text also does this", "sql"
            )
            extra.append(part.replace(notes=(*part.notes, note)))
    return parts + extra


def classify_sql_text(text: str, *, dialect: str | None = None, source: str = "") -> list[Action]:
    """One classified ``sql`` part per statement of ``text``.

    ``dialect`` is a sqlglot dialect or a common alias (``postgresql``, ``mariadb``, ``sqlserver``);
    ``source`` says where the text came from (``psql -c``, a heredoc) and is put on every note.
    Never raises: what cannot be parsed is ``unknown``.
    """
    if len(text) > MAX_SQL_BYTES:
        facts = _Facts()
        _keyword_facts(text[:256], facts, f"SQL text over {MAX_SQL_BYTES} bytes is not parsed")
        parts = [Action("sql", facts.operation, raw=text[:256], effects=facts.effects, notes=facts.notes)]
    else:
        read = _DIALECTS.get((dialect or "").lower(), dialect or None) if dialect else None
        try:
            parts = _classify(text, read, 0)
            if read is None and _dialect_dependent_comment(text):
                parts = _with_mysql_reading(text, parts)
        except Exception as exc:  # e.g. an unknown dialect name: fail closed
            why = f"SQL classification failed: {type(exc).__name__}: {str(exc)[:120]}"
            parts = [
                Action(
                    "sql",
                    "sql:unknown",
                    raw=text[:256],
                    effects={"unknown"},
                    notes=[Note("effect", "unknown", why, "sql")],
                )
            ]
    if not parts:
        parts = [
            Action(
                "sql",
                "sql:empty",
                raw=text,
                effects={"read"},
                notes=[Note("effect", "read", "no statement", "sql")],
            )
        ]
    if source:
        parts = [
            p.replace(
                notes=[Note(n.kind, n.value, n.text, f"{n.source}:{source}" if n.source else source) for n in p.notes]
            )
            for p in parts
        ]
    return parts


def _redact_url(url: str) -> str:
    """A database URL without its password (it goes into the audit log as evidence)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    auth, at, hostpart = rest.rpartition("@")
    if not at:
        return url
    user, colon, _ = auth.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{hostpart}"


def _url_host(url: str) -> str:
    _, sep, rest = url.partition("://")
    if not sep:
        return ""
    hostpart = rest.rpartition("@")[2].split("/", 1)[0].split("?", 1)[0]
    if hostpart.startswith("["):
        return hostpart[1:].split("]", 1)[0]
    return hostpart.split(":", 1)[0]


def classify_sql_action(action: Action, ctx: ClassifyContext) -> Action:
    """Classify a ``sql`` action: ``raw`` (or ``args["sql"|"query"]``) is the SQL text.

    ``args`` may carry ``dialect`` and the database (``database``, ``url``, ``db_url`` or ``dsn``), which
    becomes ``db_url`` (password redacted) and ``host`` evidence for environment resolution.
    """
    args = action.args if isinstance(action.args, dict) else {}
    text = action.raw
    if not text:
        for key in ("sql", "query", "statement"):
            if isinstance(args.get(key), str):
                text = args[key]
                break
    dialect = args.get("dialect") if isinstance(args.get("dialect"), str) else None
    evidence: dict[str, Any] = dict(action.facts.get("evidence") or {})
    notes: list[Note] = list(action.notes)
    for key in ("url", "db_url", "database_url", "dsn", "database", "connection"):
        value = args.get(key)
        if isinstance(value, str) and value:
            if "://" in value:
                evidence["db_url"] = _redact_url(value)
                host = _url_host(value)
                if host:
                    evidence["host"] = host
                if dialect is None:
                    dialect = value.split("://", 1)[0].split("+", 1)[0]
                    if dialect not in _DIALECTS:
                        dialect = None
            else:
                evidence.setdefault("db_url", value)
            break
    if not text.strip():
        return action.replace(
            effects={"unknown"},
            notes=[*notes, Note("effect", "unknown", "a sql action without SQL text", "sql")],
        )
    parts = classify_sql_text(text, dialect=dialect)
    facts = dict(action.facts)
    if evidence:
        facts["evidence"] = evidence
        parts = [p.replace(facts={"evidence": dict(evidence)}) for p in parts]
    effects: set[str] = set()
    targets: list[str] = []
    for p in parts:
        effects |= p.effects
        targets.extend(t for t in p.targets if t not in targets)
    keep_op = action.operation not in ("", "sql")
    if len(parts) == 1:
        only = parts[0]
        return action.replace(
            operation=action.operation if keep_op else only.operation,
            effects=only.effects,
            targets=only.targets,
            notes=[*notes, *only.notes],
            facts=facts,
        )
    return action.replace(
        operation=action.operation if keep_op else "sql:batch",
        effects=effects,
        targets=targets,
        notes=[*notes, Note("info", str(len(parts)), f"{len(parts)} statements, judged one by one", "sql")],
        facts=facts,
        parts=parts,
    )
