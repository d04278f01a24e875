"""Schema migrations, per component and dialect, recorded in ``schema_version``.

Each component (``audit``, ``approvals``, ``identity``, ``mcp``) owns its tables and a list of
numbered steps. A store applies the steps newer than the recorded version, in one transaction, under a
lock that keeps two processes from migrating at once. Steps are only ever appended, never edited.
"""

from __future__ import annotations

SQLITE = "sqlite"
POSTGRES = "postgres"

_REFUSE_SQLITE = """
CREATE TRIGGER {table}_no_{op} BEFORE {OP} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""

_AUDIT_SQLITE = [
    """CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE audit_event (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        kind TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        verdict TEXT NOT NULL,
        env TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        body BLOB NOT NULL,
        leaf BLOB NOT NULL
    )""",
    "CREATE INDEX audit_event_agent ON audit_event (agent_id)",
    "CREATE INDEX audit_event_correlation ON audit_event (correlation_id)",
    "CREATE INDEX audit_event_time ON audit_event (time)",
    """CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size INTEGER NOT NULL,
        frontier BLOB NOT NULL,
        last_time TEXT NOT NULL,
        cp_mark INTEGER NOT NULL,
        cp_time REAL NOT NULL
    )""",
    "INSERT INTO audit_head VALUES (1, 0, x'', '', 0, 0)",
    """CREATE TABLE audit_checkpoint (size INTEGER PRIMARY KEY, time TEXT NOT NULL, note TEXT NOT NULL)""",
    *(
        _REFUSE_SQLITE.format(table=t, op=op.lower(), OP=op)
        for t in ("audit_event", "audit_checkpoint", "audit_meta")
        for op in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head WHEN NEW.size < OLD.size
       BEGIN SELECT RAISE(ABORT, 'audit_head never moves backwards'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
       BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END""",
]

_AUDIT_POSTGRES = [
    """CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE audit_event (
        seq BIGINT PRIMARY KEY,
        time TEXT NOT NULL,
        kind TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        verdict TEXT NOT NULL,
        env TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        body BYTEA NOT NULL,
        leaf BYTEA NOT NULL
    )""",
    "CREATE INDEX audit_event_agent ON audit_event (agent_id)",
    "CREATE INDEX audit_event_correlation ON audit_event (correlation_id)",
    "CREATE INDEX audit_event_time ON audit_event (time)",
    """CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size BIGINT NOT NULL,
        frontier BYTEA NOT NULL,
        last_time TEXT NOT NULL,
        cp_mark BIGINT NOT NULL,
        cp_time DOUBLE PRECISION NOT NULL
    )""",
    "INSERT INTO audit_head VALUES (1, 0, '\\x'::bytea, '', 0, 0)",
    """CREATE TABLE audit_checkpoint (size BIGINT PRIMARY KEY, time TEXT NOT NULL, note TEXT NOT NULL)""",
    """CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
    """CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.size < OLD.size THEN RAISE EXCEPTION 'audit_head never moves backwards'; END IF;
         RETURN NEW;
       END $$""",
    *(
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION audit_refuse()"
        for t in ("audit_event", "audit_checkpoint", "audit_meta")
    ),
    *(
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()"
        for t in ("audit_event", "audit_checkpoint", "audit_meta", "audit_head")
    ),
    "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_forward()",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
]

# Approvals and identity: mutable state (a request moves pending -> approved -> consumed), so no
# append-only triggers; every change is also an audit event, which is where tamper evidence lives.
_STATE = [
    """CREATE TABLE approval_request (
        id TEXT PRIMARY KEY,
        binding TEXT NOT NULL,
        action_digest TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        requester TEXT NOT NULL,
        harness TEXT NOT NULL,
        tool TEXT NOT NULL,
        operation TEXT NOT NULL,
        env TEXT NOT NULL,
        rule TEXT NOT NULL,
        reason TEXT NOT NULL,
        needed INTEGER NOT NULL,
        grp TEXT NOT NULL,
        eligible TEXT NOT NULL,
        policy_hash TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        created {real} NOT NULL,
        expires {real} NOT NULL,
        status TEXT NOT NULL,
        closed {real} NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX approval_request_binding ON approval_request (binding, status)",
    "CREATE INDEX approval_request_status ON approval_request (status, created)",
    "CREATE INDEX approval_request_agent ON approval_request (agent_id, status)",
    """CREATE TABLE approval_vote (
        request_id TEXT NOT NULL,
        person TEXT NOT NULL,
        vote TEXT NOT NULL,
        comment TEXT NOT NULL,
        time {real} NOT NULL,
        PRIMARY KEY (request_id, person)
    )""",
]
# One pending request per action and agent, even when two processes file it at the same moment (the
# second insert does nothing and that filer takes the first's request). Duplicates left by older
# versions are closed first, the oldest stands.
_ONE_PENDING = [
    """UPDATE approval_request SET status = 'cancelled', closed = created
       WHERE status = 'pending' AND EXISTS (
           SELECT 1 FROM approval_request o
           WHERE o.binding = approval_request.binding AND o.agent_id = approval_request.agent_id
             AND o.status = 'pending'
             AND (o.created < approval_request.created
                  OR (o.created = approval_request.created AND o.id < approval_request.id)))""",
    "CREATE UNIQUE INDEX approval_request_one_pending ON approval_request (binding, agent_id) WHERE status = 'pending'",
]

_IDENTITY = [
    """CREATE TABLE agent_status (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        changed {real} NOT NULL
    )""",
    """CREATE TABLE person (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created {real} NOT NULL,
        disabled INTEGER NOT NULL
    )""",
]


# The MCP gateway's pinned tool definitions (store/mcp_pins.py). Mutable state, not evidence: every
# change to a pin is also an audit event, so the tables need no append-only triggers.
_MCP = [
    """CREATE TABLE mcp_tool_pin (
        server TEXT NOT NULL,
        tool TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pinned', 'changed', 'new')),
        digest TEXT NOT NULL,
        definition TEXT NOT NULL,
        seen_digest TEXT NOT NULL,
        seen_definition TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        updated TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        PRIMARY KEY (server, tool)
    )""",
]


# The indexed columns cannot lie (issue 17.3): audit v3 replaces the six columns a writer filled in with
# columns the database derives from the canonical body, so editing one means changing the schema (which
# ``verify`` checks, see ``derived_problems`` in the stores). Audit v2 gives the head its seal.
INDEXED = ("kind", "agent_id", "tool", "verdict", "env", "correlation_id")


def sqlite_expr(column: str) -> str:
    """The SQLite expression that derives ``column`` from the entry bytes (``$.event.<column>``)."""
    return (
        f"CASE WHEN json_valid(CAST(body AS TEXT)) THEN "
        f"coalesce(json_extract(CAST(body AS TEXT), '$.event.{column}'), '') ELSE '' END"
    )


PG_FIELD_FUNCTION = (
    "CREATE FUNCTION audit_field(body bytea, field text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS "
    "$$ SELECT coalesce(convert_from(body, 'UTF8')::jsonb -> 'event' ->> field, '') $$"
)
PG_FIELD_SOURCE = " SELECT coalesce(convert_from(body, 'UTF8')::jsonb -> 'event' ->> field, '') "

_AUDIT_SEAL_SQLITE = ["ALTER TABLE audit_head ADD COLUMN seal BLOB NOT NULL DEFAULT x''"]
_AUDIT_SEAL_POSTGRES = ["ALTER TABLE audit_head ADD COLUMN seal BYTEA NOT NULL DEFAULT '\\x'::bytea"]

_AUDIT_DERIVED_SQLITE = [
    "DROP INDEX audit_event_agent",
    "DROP INDEX audit_event_correlation",
    *(f"ALTER TABLE audit_event DROP COLUMN {c}" for c in INDEXED),
    *(f"ALTER TABLE audit_event ADD COLUMN {c} TEXT GENERATED ALWAYS AS ({sqlite_expr(c)}) VIRTUAL" for c in INDEXED),
    "CREATE INDEX audit_event_agent ON audit_event (agent_id)",
    "CREATE INDEX audit_event_correlation ON audit_event (correlation_id)",
]
_AUDIT_DERIVED_POSTGRES = [
    PG_FIELD_FUNCTION,
    "ALTER TABLE audit_event "
    + ", ".join(f"DROP COLUMN {c}" for c in INDEXED)
    + ", "
    + ", ".join(f"ADD COLUMN {c} TEXT GENERATED ALWAYS AS (audit_field(body, '{c}')) STORED" for c in INDEXED),
    "CREATE INDEX audit_event_agent ON audit_event (agent_id)",
    "CREATE INDEX audit_event_correlation ON audit_event (correlation_id)",
]


# Audit v4: the roots of complete subtrees of >= 256 leaves (``blastdoor.audit.tiles``): derived data,
# so proofs read O(log n) hashes. A wrong row only makes a proof fail against its signed checkpoint.
_AUDIT_SUBTREES = [
    "CREATE TABLE audit_subtree (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash {blob} NOT NULL,"
    " PRIMARY KEY (level, idx))"
]


# Break-glass (approvals/break_glass.py): one exact action's deny overridden once by a named group.
# Mutable state like approvals: every change is an audit event first.
_BREAK_GLASS = [
    """CREATE TABLE break_glass (
        id TEXT PRIMARY KEY,
        binding TEXT NOT NULL,
        action_digest TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        on_behalf_of TEXT NOT NULL,
        harness TEXT NOT NULL,
        tool TEXT NOT NULL,
        operation TEXT NOT NULL,
        env TEXT NOT NULL,
        rules TEXT NOT NULL,
        requester TEXT NOT NULL,
        reason TEXT NOT NULL,
        needed INTEGER NOT NULL,
        grp TEXT NOT NULL,
        eligible TEXT NOT NULL,
        policy_hash TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        created {real} NOT NULL,
        expires {real} NOT NULL,
        status TEXT NOT NULL,
        closed {real} NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX break_glass_binding ON break_glass (binding, agent_id, status)",
    "CREATE UNIQUE INDEX break_glass_one_open ON break_glass (binding, agent_id)"
    " WHERE status IN ('pending', 'granted')",
    """CREATE TABLE break_glass_vote (
        glass_id TEXT NOT NULL,
        person TEXT NOT NULL,
        vote TEXT NOT NULL,
        comment TEXT NOT NULL,
        time {real} NOT NULL,
        PRIMARY KEY (glass_id, person)
    )""",
]


# Agent credentials (identity/credentials.py): the public keys that sign them and every credential issued.
_AGENT_CREDENTIALS = [
    """CREATE TABLE agent_key (
        kid TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        created {real} NOT NULL
    )""",
    """CREATE TABLE agent_credential (
        jti TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        kid TEXT NOT NULL,
        issued {real} NOT NULL,
        expires {real} NOT NULL,
        status TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        changed {real} NOT NULL,
        reason TEXT NOT NULL
    )""",
    "CREATE INDEX agent_credential_agent ON agent_credential (agent_id, status)",
]

# Task leases (identity/leases.py).
_LEASES = [
    """CREATE TABLE agent_lease (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        task TEXT NOT NULL,
        scope TEXT NOT NULL,
        otherwise TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        request_id TEXT NOT NULL,
        created {real} NOT NULL,
        expires {real} NOT NULL,
        changed_by TEXT NOT NULL,
        reason TEXT NOT NULL
    )""",
    "CREATE INDEX agent_lease_agent ON agent_lease (agent_id, status)",
]

# The circuit breaker (limits/): one row per (limit, agent) that is locked while counting, and the
# actions counted in the window.
_LIMITS = [
    """CREATE TABLE limit_state (
        limit_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        status TEXT NOT NULL,
        tripped {real} NOT NULL,
        touched {real} NOT NULL,
        PRIMARY KEY (limit_id, agent_id)
    )""",
    """CREATE TABLE limit_event (
        limit_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        time {real} NOT NULL
    )""",
    "CREATE INDEX limit_event_window ON limit_event (limit_id, agent_id, time)",
]


# Inventory reports (inventory/reports.py): the latest report per host, replaced on each submission.
_INVENTORY = [
    """CREATE TABLE inventory_report (
        host TEXT PRIMARY KEY,
        received {real} NOT NULL,
        submitted_by TEXT NOT NULL,
        generated TEXT NOT NULL,
        agents INTEGER NOT NULL,
        tier_1 INTEGER NOT NULL,
        reach_production INTEGER NOT NULL,
        body TEXT NOT NULL
    )""",
]

# Denial memory (limits/memory.py): what was denied, per agent and session, and paused sessions.
_DENIALS = [
    """CREATE TABLE denial_memory (
        agent_id TEXT NOT NULL,
        session TEXT NOT NULL,
        effect TEXT NOT NULL,
        target TEXT NOT NULL,
        rule TEXT NOT NULL,
        time {real} NOT NULL
    )""",
    "CREATE INDEX denial_memory_session ON denial_memory (agent_id, session)",
    """CREATE TABLE denial_pause (
        agent_id TEXT NOT NULL,
        session TEXT NOT NULL,
        denials INTEGER NOT NULL,
        status TEXT NOT NULL,
        changed {real} NOT NULL,
        PRIMARY KEY (agent_id, session)
    )""",
]


# The change gate (review/signoff.py): review requests bound to exact commit ids, and their votes.
_CHANGE_REVIEW = [
    """CREATE TABLE change_review (
        id TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        repo TEXT NOT NULL,
        range_text TEXT NOT NULL,
        commits TEXT NOT NULL,
        need TEXT NOT NULL,
        excluded TEXT NOT NULL,
        eligible TEXT NOT NULL,
        status TEXT NOT NULL,
        created {real} NOT NULL,
        closed {real} NOT NULL,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX change_review_digest ON change_review (digest, status)",
    "CREATE INDEX change_review_status ON change_review (status, created)",
    """CREATE TABLE change_review_vote (
        review_id TEXT NOT NULL,
        person TEXT NOT NULL,
        vote TEXT NOT NULL,
        comment TEXT NOT NULL,
        time {real} NOT NULL,
        PRIMARY KEY (review_id, person)
    )""",
]


# The identity epoch (identity/remember.py): one counter that every change to the kill switch, the
# credentials or the leases bumps, in whichever process makes it, so a server can keep what it read of
# those tables until the counter moves and still see a revoke at the very next decision.
_EPOCH_TABLES = ("agent_status", "agent_credential", "agent_lease")
_IDENTITY_EPOCH = [
    "CREATE TABLE identity_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)",
    "INSERT INTO identity_epoch (id, n) VALUES (1, 0)",
]
_IDENTITY_EPOCH_SQLITE = [
    *_IDENTITY_EPOCH,
    *(
        f"CREATE TRIGGER {t}_epoch_{op.lower()} AFTER {op} ON {t}"
        " BEGIN UPDATE identity_epoch SET n = n + 1 WHERE id = 1; END"
        for t in _EPOCH_TABLES
        for op in ("INSERT", "UPDATE", "DELETE")
    ),
]
_IDENTITY_EPOCH_POSTGRES = [
    *_IDENTITY_EPOCH,
    """CREATE FUNCTION identity_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN UPDATE identity_epoch SET n = n + 1 WHERE id = 1; RETURN NULL; END $$""",
    *(
        f"CREATE TRIGGER {t}_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}"
        " FOR EACH STATEMENT EXECUTE FUNCTION identity_epoch_bump()"
        for t in _EPOCH_TABLES
    ),
]


def _dialect(statements: list[str], real: str) -> list[str]:
    return [sql.format(real=real) for sql in statements]


# (component, version, statements) per dialect, in the order they apply.
MIGRATIONS: dict[str, list[tuple[str, int, list[str]]]] = {
    SQLITE: [
        ("audit", 1, _AUDIT_SQLITE),
        ("approvals", 1, _dialect(_STATE, "REAL")),
        ("identity", 1, _dialect(_IDENTITY, "REAL")),
        ("mcp", 1, _MCP),
        ("approvals", 2, _ONE_PENDING),
        ("break_glass", 1, _dialect(_BREAK_GLASS, "REAL")),
        ("inventory", 1, _dialect(_INVENTORY, "REAL")),
        ("audit", 2, _AUDIT_SEAL_SQLITE),
        ("audit", 3, _AUDIT_DERIVED_SQLITE),
        ("audit", 4, [_AUDIT_SUBTREES[0].format(blob="BLOB")]),
        ("change_review", 1, _dialect(_CHANGE_REVIEW, "REAL")),
        ("identity", 2, _dialect(_AGENT_CREDENTIALS, "REAL")),
        ("identity", 3, _dialect(_LEASES, "REAL")),
        ("limits", 1, _dialect(_LIMITS, "REAL")),
        ("limits", 2, _dialect(_DENIALS, "REAL")),
        ("identity", 4, _IDENTITY_EPOCH_SQLITE),
    ],
    POSTGRES: [
        ("audit", 1, _AUDIT_POSTGRES),
        ("approvals", 1, _dialect(_STATE, "DOUBLE PRECISION")),
        ("identity", 1, _dialect(_IDENTITY, "DOUBLE PRECISION")),
        ("mcp", 1, _MCP),
        ("approvals", 2, _ONE_PENDING),
        ("break_glass", 1, _dialect(_BREAK_GLASS, "DOUBLE PRECISION")),
        ("inventory", 1, _dialect(_INVENTORY, "DOUBLE PRECISION")),
        ("audit", 2, _AUDIT_SEAL_POSTGRES),
        ("audit", 3, _AUDIT_DERIVED_POSTGRES),
        ("audit", 4, [_AUDIT_SUBTREES[0].format(blob="BYTEA")]),
        ("change_review", 1, _dialect(_CHANGE_REVIEW, "DOUBLE PRECISION")),
        ("identity", 2, _dialect(_AGENT_CREDENTIALS, "DOUBLE PRECISION")),
        ("identity", 3, _dialect(_LEASES, "DOUBLE PRECISION")),
        ("limits", 1, _dialect(_LIMITS, "DOUBLE PRECISION")),
        ("limits", 2, _dialect(_DENIALS, "DOUBLE PRECISION")),
        ("identity", 4, _IDENTITY_EPOCH_POSTGRES),
    ],
}

VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def latest(dialect: str) -> dict[str, int]:
    """The version each component reaches once every migration has run."""
    out: dict[str, int] = {}
    for component, version, _ in MIGRATIONS[dialect]:
        out[component] = max(out.get(component, 0), version)
    return out


def pending(dialect: str, current: dict[str, int]) -> list[tuple[str, int, list[str]]]:
    """The steps not yet applied, given ``component -> version`` from ``schema_version``."""
    return [m for m in MIGRATIONS[dialect] if m[1] > current.get(m[0], 0)]
