"""The MCP gateway's pinned tool definitions: one row per (server, tool), in the store beside the audit log.

Why the store rather than a file beside it: the pins are shared state with the same lifetime and
audience as the audit log (several gateways on one PostgreSQL control plane must agree on what was
approved, and `blastdoor mcp tools approve` on one machine must release a tool on all of them), and
the store already gives both backends, migrations and durable single-statement updates. A file would
need its own locking and would split one decision across two places. The audit log still records
every pin, change and approval as an event: the table is the current state, the log is the evidence.

A pin's ``status``: ``pinned`` (the definition seen matches the approved one), ``changed`` (a
different definition was seen: ``seen_*`` holds it until someone approves it), ``new`` (seen but
never approved, when the gateway does not trust tools on first use). The access code lives here,
apart from the audit store classes, on the store's state API (``read`` and ``write`` transactions,
the same as approvals and identity use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.store.postgres import PostgresStore
    from blastdoor.store.sqlite import SqliteStore

__all__ = ["CHANGED", "NEW", "PINNED", "ToolPin", "ToolPins"]

PINNED = "pinned"
CHANGED = "changed"
NEW = "new"

_COLUMNS = (
    "server",
    "tool",
    "status",
    "digest",
    "definition",
    "seen_digest",
    "seen_definition",
    "first_seen",
    "updated",
    "approved_by",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM mcp_tool_pin"


class ToolPin:
    """One tool's pin: the approved definition (``digest``, ``definition``) and a pending one (``seen_*``).

    Definitions are canonical JSON text (RFC 8785) of the tool's name, description, input schema and
    annotations; digests are ``sha256:`` of those bytes.
    """

    __slots__ = _COLUMNS

    def __init__(self, *values: str) -> None:
        for name, value in zip(_COLUMNS, values, strict=True):
            setattr(self, name, str(value))

    # For mypy: the attributes __init__ sets from _COLUMNS.
    server: str
    tool: str
    status: str
    digest: str
    definition: str
    seen_digest: str
    seen_definition: str
    first_seen: str
    updated: str
    approved_by: str

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _COLUMNS}

    def __repr__(self) -> str:
        return f"ToolPin({self.server}/{self.tool}, {self.status})"


class ToolPins:
    """Read and change pins through the store's state API (``read``, and ``write`` transactions)."""

    def __init__(self, store: SqliteStore | PostgresStore) -> None:
        self._store = store

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._store.read(sql, params)

    def _write(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """One statement ending in RETURNING, in its own durable transaction; the rows it changed."""
        with self._store.write() as tx:
            return tx.query(sql, params)

    # -- reading --------------------------------------------------------------------------------------

    def of_server(self, server: str) -> dict[str, ToolPin]:
        """Every pin of ``server``, by tool name."""
        return {r[1]: ToolPin(*r) for r in self._read(f"{_SELECT} WHERE server = ?", (server,))}

    def get(self, server: str, tool: str) -> ToolPin | None:
        rows = self._read(f"{_SELECT} WHERE server = ? AND tool = ?", (server, tool))
        return ToolPin(*rows[0]) if rows else None

    def all(self) -> list[ToolPin]:
        return [ToolPin(*r) for r in self._read(f"{_SELECT} ORDER BY server, tool")]

    # -- changing -------------------------------------------------------------------------------------

    def first_seen(self, server: str, tool: str, digest: str, definition: str, now: str, *, trust: bool) -> bool:
        """Record a tool seen for the first time: pinned when ``trust`` (trust on first use), else ``new``.

        Returns False when another gateway recorded it first (the caller then reads what it wrote).
        """
        if trust:
            values = (server, tool, PINNED, digest, definition, "", "", now, now, "")
        else:
            values = (server, tool, NEW, "", "", digest, definition, now, now, "")
        placeholders = ", ".join("?" for _ in _COLUMNS)
        sql = f"INSERT INTO mcp_tool_pin ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        return bool(self._write(f"{sql} ON CONFLICT (server, tool) DO NOTHING RETURNING tool", values))

    def saw(self, server: str, tool: str, digest: str, definition: str, now: str) -> bool:
        """Record a definition that differs from the approved one (status ``changed``, or still ``new``).

        Returns True when this is news: the pending definition was not already this one.
        """
        rows = self._write(
            "UPDATE mcp_tool_pin SET status = CASE WHEN status = 'new' THEN 'new' ELSE 'changed' END,"
            " seen_digest = ?, seen_definition = ?, updated = ?"
            " WHERE server = ? AND tool = ? AND digest <> ? AND seen_digest <> ? RETURNING tool",
            (digest, definition, now, server, tool, digest, digest),
        )
        return bool(rows)

    def settle(self, server: str, tool: str, now: str) -> bool:
        """The server serves the approved definition again: back to ``pinned``, nothing pending."""
        rows = self._write(
            "UPDATE mcp_tool_pin SET status = 'pinned', seen_digest = '', seen_definition = '', updated = ?"
            " WHERE server = ? AND tool = ? AND status = 'changed' RETURNING tool",
            (now, server, tool),
        )
        return bool(rows)

    def approve(self, server: str, tool: str, *, by: str, now: str, expected: str = "") -> ToolPin | None:
        """Make the pending definition the approved one; None when nothing is pending (or, with
        ``expected``, when the pending definition is no longer the one the approver was shown)."""
        guard = " AND seen_digest = ?" if expected else ""
        params: tuple[str, ...] = (by, now, server, tool, *((expected,) if expected else ()))
        rows = self._write(
            "UPDATE mcp_tool_pin SET status = 'pinned', digest = seen_digest, definition = seen_definition,"
            " seen_digest = '', seen_definition = '', approved_by = ?, updated = ?"
            f" WHERE server = ? AND tool = ? AND status <> 'pinned' AND seen_digest <> ''{guard}"
            f" RETURNING {', '.join(_COLUMNS)}",
            params,
        )
        return ToolPin(*rows[0]) if rows else None
