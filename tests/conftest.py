"""Shared fixtures: every test runs with its own HOME and cache so no real user config is touched."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# Modules that load data at import (the shell knowledge base) cache it before any fixture runs: keep that
# cache out of the real user's home too.
os.environ["XDG_CACHE_HOME"] = os.path.join(__import__("tempfile").mkdtemp(prefix="blastdoor-test-cache-"), "cache")
os.environ.pop("BLASTDOOR_CACHE_DIR", None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("BLASTDOOR_HOME", str(home / ".blastdoor"))
    monkeypatch.setenv("BLASTDOOR_MANAGED_POLICY", "none")
    # An installed launcher starts the per-user server on a miss (hook/launch.py), which then idles for
    # 15 minutes: tests ask an existing server only, unless they test that start (tests/hooks/test_cold.py).
    monkeypatch.setenv("BLASTDOOR_SERVER", "ask")
    for var in ("BLASTDOOR_POLICY", "BLASTDOOR_USER_POLICY", "BLASTDOOR_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    assert os.environ["HOME"] == str(home)
    return home


# CI runs hypothesis derandomized: the same examples every run, so a red build is reproducible.
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
_hsettings.register_profile("dev", deadline=None)
_hsettings.load_profile("ci" if os.environ.get("CI") else "dev")


# -- stores: SQLite in a temp dir; PostgreSQL in a schema of its own per test, dropped after ----------

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
