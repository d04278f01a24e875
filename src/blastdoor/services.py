"""The services over one store, opened together: the audit log, approvals, agents, people.

Every front end (hook, ``exec``, the server, the MCP gateway, the CLI) opens them the same way, so
they all share one store and see each other's approvals and revocations.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: the hook opens the services on every call
if TYPE_CHECKING:
    from typing import Any

    from blastdoor.approvals import Approvals
    from blastdoor.approvals.break_glass import BreakGlass
    from blastdoor.audit.log import AuditLog
    from blastdoor.identity import Agents, People


class Services:
    """The audit log and the state services on its store. Close it once (it closes the store)."""

    __slots__ = ("agents", "approvals", "break_glass", "log", "people")

    def __init__(self, log: AuditLog) -> None:
        from blastdoor.approvals import Approvals
        from blastdoor.identity import Agents, People

        store: Any = log.store
        self.log = log
        self.approvals: Approvals = Approvals(store, log)
        self.agents: Agents = Agents(store, log)
        self.people: People = People(store, log)
        from blastdoor.approvals.break_glass import BreakGlass

        self.break_glass: BreakGlass = BreakGlass(store, log, clock=self.approvals.clock)

    @property
    def store(self) -> Any:
        return self.log.store

    def close(self) -> None:
        self.log.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def store_url() -> str | None:
    """The store every front end uses unless told otherwise: ``$BLASTDOOR_DB``, else the default file."""
    return os.environ.get("BLASTDOOR_DB") or None


def open_services(url: str | None = None, **log_options: Any) -> Services:
    """The services on the store at ``url`` (default: ``store_url()``); see ``blastdoor.store.open_log``."""
    from blastdoor.store import open_log

    return Services(open_log(url if url is not None else store_url(), **log_options))
