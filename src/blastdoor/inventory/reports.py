"""The fleet view's storage: the latest inventory report per host, in the store beside the audit log.

A submitted report is checked and reduced to the fields the fleet view shows (``normalise``): what the
client sends is data from another machine, so nothing else is kept, strings are bounded, and a report
that is not an inventory report is refused with what and where. One row per host, replaced by the next
report from that host; who submitted it is recorded (the host name is the client's claim).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.store.postgres import PostgresStore
    from blastdoor.store.sqlite import SqliteStore

JSON = Any
MAX_TEXT = 500
MAX_ITEMS = 2000
SEVERITIES = ("critical", "high", "medium", "low", "info")


class ReportError(ValueError):
    """A submitted report that is not an inventory report (the message says what and where)."""


def _text(value: JSON, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ReportError(f"`{where}` must be a {'non-empty ' if required else ''}string")
    return value[:MAX_TEXT]


def _list(value: JSON, where: str) -> list[JSON]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"`{where}` must be an array")
    if len(value) > MAX_ITEMS:
        raise ReportError(f"`{where}` has more than {MAX_ITEMS} items")
    return value


def _strings(value: JSON, where: str) -> list[str]:
    return [_text(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where))]


def normalise(data: JSON) -> dict[str, JSON]:
    """The fields of a report the server keeps; raises ReportError for anything else."""
    if not isinstance(data, dict):
        raise ReportError("the report must be a JSON object")
    host = _text(data.get("host"), "host", required=True)
    agents = []
    for i, a in enumerate(_list(data.get("agents"), "agents")):
        at = f"agents[{i}]"
        if not isinstance(a, dict):
            raise ReportError(f"`{at}` must be an object")
        tier = a.get("tier")
        if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 4:
            raise ReportError(f"`{at}.tier` must be 1, 2, 3 or 4")
        agents.append(
            {
                "id": _text(a.get("id"), f"{at}.id", required=True),
                "tool": _text(a.get("tool"), f"{at}.tool", required=True),
                "scope": _text(a.get("scope"), f"{at}.scope"),
                "version": _text(a.get("version"), f"{at}.version"),
                "hooks": _text(a.get("hooks"), f"{at}.hooks"),
                "tier": tier,
                "prod_credentials": _strings(a.get("prod_credentials"), f"{at}.prod_credentials"),
                "reasons": _strings(a.get("reasons"), f"{at}.reasons"),
            }
        )
    findings = []
    for i, f in enumerate(_list(data.get("findings"), "findings")):
        at = f"findings[{i}]"
        if not isinstance(f, dict):
            raise ReportError(f"`{at}` must be an object")
        severity = f.get("severity")
        if severity not in SEVERITIES:
            raise ReportError(f"`{at}.severity` must be one of {', '.join(SEVERITIES)}")
        line = f.get("line", 0)
        findings.append(
            {
                "id": _text(f.get("id"), f"{at}.id"),
                "rule": _text(f.get("rule"), f"{at}.rule"),
                "severity": severity,
                "title": _text(f.get("title"), f"{at}.title"),
                "file": _text(f.get("file"), f"{at}.file"),
                "line": line if isinstance(line, int) and not isinstance(line, bool) and line >= 0 else 0,
                "agent": _text(f.get("agent"), f"{at}.agent"),
            }
        )
    return {
        "host": host,
        "generated": _text(data.get("generated"), "generated"),
        "agents": agents,
        "findings": findings,
    }


class InventoryReports:
    """Read and replace the latest report per host through the store's state API."""

    def __init__(self, store: SqliteStore | PostgresStore) -> None:
        self._store = store

    def put(self, report: dict[str, JSON], *, by: str, now: float) -> None:
        """Keep ``report`` (already ``normalise``d) as its host's latest."""
        agents = report["agents"]
        values = (
            report["host"],
            now,
            by,
            report["generated"],
            len(agents),
            sum(1 for a in agents if a["tier"] == 1),
            sum(1 for a in agents if a["prod_credentials"]),
            json.dumps(report, separators=(",", ":"), ensure_ascii=False),
        )
        with self._store.write() as tx:
            tx.query(
                "INSERT INTO inventory_report (host, received, submitted_by, generated, agents, tier_1,"
                " reach_production, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET"
                " received = excluded.received, submitted_by = excluded.submitted_by,"
                " generated = excluded.generated, agents = excluded.agents, tier_1 = excluded.tier_1,"
                " reach_production = excluded.reach_production, body = excluded.body RETURNING host",
                values,
            )

    def all(self) -> list[dict[str, JSON]]:
        """Every host's latest report, hosts in name order, with ``received`` and ``submitted_by``."""
        rows = self._store.read("SELECT host, received, submitted_by, body FROM inventory_report ORDER BY host", ())
        out = []
        for host, received, by, body in rows:
            report = json.loads(body)
            report.update(host=host, received=float(received), submitted_by=by)
            out.append(report)
        return out


def unseen_agents(reports: list[dict[str, JSON]], seen: list[dict[str, JSON]]) -> list[dict[str, JSON]]:
    """Agents in the audit log (``AgentRecord.to_dict()``) whose harness no inventory lists for their host.

    An agent without a host is matched against every inventory; one with a host against that host's.
    """
    tools_by_host: dict[str, set[str]] = {}
    every: set[str] = set()
    for r in reports:
        tools = {a["tool"] for a in r["agents"]}
        tools_by_host.setdefault(r["host"], set()).update(tools)
        every |= tools
    out = []
    for agent in seen:
        harness = agent.get("harness") or ""
        host = agent.get("host") or ""
        known = tools_by_host.get(host, set()) if host else every
        if not harness or harness not in known:
            out.append(agent)
    return out
