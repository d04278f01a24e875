"""Stores: the storage behind the audit log (and, next, approvals and agents).

    open_log(url=None, *, key_path=None, **options) -> AuditLog     the audit log on a store
    open_store(url=None) -> SqliteStore | PostgresStore            the store alone

``url`` is ``None`` (the default SQLite file ``$BLASTDOOR_HOME/blastdoor.db``, else
``~/.local/share/blastdoor/blastdoor.db``), a path or ``sqlite:///path``, or ``postgresql://...``
(``?schema=NAME`` selects a schema, created when missing). ``psycopg`` is imported only for the latter.
"""

from __future__ import annotations

import os

from blastdoor.errors import StoreError

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from blastdoor.audit.log import AuditLog
    from blastdoor.store.postgres import PostgresStore
    from blastdoor.store.sqlite import SqliteStore

__all__ = ["default_home", "open_log", "open_store"]


def default_home() -> str:
    """``$BLASTDOOR_HOME``, else ``$XDG_DATA_HOME/blastdoor``, else ``~/.local/share/blastdoor``."""
    from blastdoor.paths import data_dir

    return data_dir()


def open_store(url: str | None = None) -> SqliteStore | PostgresStore:
    """The store at ``url`` (see the module docstring), migrated to the current schema."""
    if url is None or url == "":
        path = os.path.join(default_home(), "blastdoor.db")
    elif url.startswith(("postgresql://", "postgres://")):
        from blastdoor.store.postgres import PostgresStore

        return PostgresStore(url)
    elif url.startswith("sqlite:///"):
        path = url[len("sqlite://") :]
    elif url.startswith("sqlite:"):
        path = url[len("sqlite:") :]
    elif "://" in url:
        raise StoreError(f"unsupported store URL `{url}`", hints=["use a file path, sqlite:///PATH or postgresql://"])
    else:
        path = url
    from blastdoor.store.sqlite import SqliteStore

    return SqliteStore(path)


def open_log(url: str | None = None, *, key_path: str | os.PathLike[str] | None = None, **options: Any) -> AuditLog:
    """The audit log on the store at ``url``.

    ``key_path`` is the checkpoint signing key (default ``<home>/audit.key``); the redaction salt and
    trusted verifier keys live beside it. ``options`` go to ``AuditLog`` (``checkpoint_every``,
    ``checkpoint_interval``, ``checkpoint_on_close``, ``clock``).
    """
    from blastdoor.audit.keys import KeyRing
    from blastdoor.audit.log import AuditLog

    key = os.fspath(key_path) if key_path is not None else os.path.join(default_home(), "audit.key")
    return AuditLog(open_store(url), KeyRing(key), **options)
