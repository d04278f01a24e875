"""Search filters as SQL, shared by both dialects (only the placeholder differs)."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from blastdoor.audit.log import Query


def where_clause(query: Query, mark: str = "?") -> tuple[str, list[object]]:
    """The WHERE clause of a search (shared by both SQL dialects: only the placeholder differs)."""
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (
        ("agent_id", query.agent),
        ("verdict", query.verdict),
        ("tool", query.tool),
        ("env", query.env),
        ("kind", query.kind),
        ("correlation_id", query.correlation_id),
    ):
        if value:
            clauses.append(f"{column} = {mark}")
            params.append(value)
    if query.since:
        clauses.append(f"time >= {mark}")
        params.append(query.since)
    if query.until:
        clauses.append(f"time < {mark}")
        params.append(query.until)
    if query.before is not None:
        clauses.append(f"seq < {mark}")
        params.append(min(query.before, 2**63 - 1))  # a larger cursor is no bound; SQL integers stop there
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params
