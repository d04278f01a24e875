"""Real material for the previewers: git repositories with a bare remote, a PostgreSQL schema of our
own, a SQLite file. Nothing is mocked."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_BASE

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"change {name}")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A work tree with a bare remote `origin` that has main pushed."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    git(work, "remote", "add", "origin", str(remote))
    commit(work, "a.txt", "a\n")
    commit(work, "b.txt", "b\n")
    git(work, "push", "-q", "origin", "main")
    return work


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under root (mode, content), .git included: a previewer must change none of it."""
    out: dict[str, tuple[int, bytes]] = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.islink(p):
                out[p] = (0, os.readlink(p).encode())
            else:
                with open(p, "rb") as fh:
                    out[p] = (os.stat(p).st_mode, fh.read())
    return out


@pytest.fixture()
def pg_schema() -> Iterator[str]:
    import psycopg

    name = "preview_" + secrets.token_hex(4)
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")
