"""A small real world for guarded agents: a SQLite database and a file tree, the policy that guards them,
and the two tools an agent gets (SQL and shell), shared by the SDK and every framework's tests."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.approvals import Person
from blastdoor.sdk import Guard
from blastdoor.services import Services, open_services

POLICY = """version: 1
extends: [recommended]
approvers:
  dba: [bob]
rules:
  - id: no-drop
    match: { tool: sql, effects: [irreversible] }
    verdict: deny
    reason: Dropping tables is not allowed.
  - id: no-rm
    match: { tool: shell, effects: [delete] }
    verdict: deny
    reason: Deleting files is not allowed here.
  - id: confirm-updates
    match: { tool: sql, effects: [write] }
    verdict: ask
    reason: Changing rows needs the user's word.
  - id: delete-rows
    match: { tool: sql, effects: [delete] }
    verdict: approve
    approvals: { count: 1, from: dba, ttl: 10m }
    reason: Deleting rows needs a DBA.
"""

DROP = "DROP TABLE users"
RM = "rm -rf ./data"
SELECT = "SELECT name FROM users ORDER BY id"
DELETE = "DELETE FROM users WHERE id = 2"


class World:
    """The database, the files, and the tools that really touch them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "app.db"
        self.data = root / "data"
        self.data.mkdir(parents=True)
        for i in range(3):
            (self.data / f"f{i}.txt").write_text(f"file {i}\n")
        with sqlite3.connect(self.db) as con:
            con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
            con.executemany("INSERT INTO users VALUES (?, ?)", [(1, "ada"), (2, "bob"), (3, "cy")])
        self.policy = root / "blastdoor.yaml"
        self.policy.write_text(POLICY)
        self.calls: list[tuple[str, str]] = []  # every call that really ran

    def run_sql(self, query: str) -> str:
        """Run one SQL statement on the application database."""
        self.calls.append(("sql", query))
        with sqlite3.connect(self.db) as con:
            rows = con.execute(query).fetchall()
        return repr(rows)

    def run_shell(self, command: str) -> str:
        """Run one shell command in the project directory."""
        self.calls.append(("shell", command))
        done = subprocess.run(["sh", "-c", command], cwd=self.root, capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    def users(self) -> list[str]:
        with sqlite3.connect(self.db) as con:
            return [r[0] for r in con.execute("SELECT name FROM users ORDER BY id")]

    def files(self) -> list[str]:
        return sorted(p.name for p in self.data.iterdir()) if self.data.exists() else []

    def intact(self) -> bool:
        return self.users() == ["ada", "bob", "cy"] and self.files() == ["f0.txt", "f1.txt", "f2.txt"]


@pytest.fixture()
def world(tmp_path: Path) -> World:
    return World(tmp_path / "world")


@pytest.fixture()
def services(tmp_path: Path) -> Iterator[Services]:
    s = open_services(str(tmp_path / "audit.db"))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture()
def guard(world: World, services: Services) -> Iterator[Guard]:
    g = Guard.local(policy=str(world.policy), services=services, agent="test-agent", requester="alice")
    try:
        yield g
    finally:
        g.close()


def approve(services: Services, request_id: str, by: str = "bob") -> None:
    """A person of the policy's group approves, in the same store the Guard uses."""
    services.approvals.approve(request_id, Person(by))


def pending(services: Services) -> list[str]:
    return [r.id for r in services.approvals.find(status="pending")]


def kinds(services: Services, correlation_id: str) -> list[str]:
    """The kinds of the audit events filed under ``correlation_id``."""
    return [e["kind"] for e in events(services) if e.get("correlation_id") == correlation_id]


def events(services: Services) -> list[dict[str, Any]]:
    return [entry["event"] for entry in services.log.entries()]


def verdicts(services: Services) -> list[tuple[str, str]]:
    """(verdict, rule) of every decision in the log, in order."""
    return [(e["verdict"], e["rule"]) for e in events(services) if e["kind"] == "decision"]
