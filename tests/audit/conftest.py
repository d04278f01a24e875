"""Fixtures: a fresh SQLite log with its own key ring per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blastdoor.audit.log import AuditLog
from blastdoor.store import open_log


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit.key"


@pytest.fixture
def log(log_path: Path, key_path: Path) -> Iterator[AuditLog]:
    with open_log(str(log_path), key_path=key_path, checkpoint_every=10, checkpoint_interval=3600) as opened:
        yield opened
