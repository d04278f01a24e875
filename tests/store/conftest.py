"""Store fixtures: SQLite in a temp dir; PostgreSQL in a schema of its own per test, dropped after."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BASE = os.environ.get("BLASTDOOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_BASE, connect_timeout=3):
            return True
    except Exception:
        return False


PG = _pg_available()


def _pg_schema() -> Iterator[str]:
    # The machine and CI run PostgreSQL: its absence is a failure, never a silent skip.
    if not PG:
        pytest.fail(f"no PostgreSQL at {PG_BASE} (set BLASTDOOR_TEST_PG to the test server's URL)")
    import psycopg

    schema = f"bd_test_{os.getpid()}_{secrets.token_hex(4)}"
    yield f"{PG_BASE}?schema={schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    yield from _pg_schema()


@pytest.fixture()
def pg_url() -> Iterator[str]:
    yield from _pg_schema()
