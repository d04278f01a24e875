"""The examples a user copies (examples/*_guard.py) run as they are: offline, each with its framework's
scripted model asking for DROP TABLE, rm -rf and a SELECT. Run as a user would (a subprocess), on a
directory this test then reads: the table and the files intact, the reasons printed, the SELECT run and
every decision in the example's audit log. (crewai_guard.py runs in CrewAI's own venv: test_crewai.py.)"""

from __future__ import annotations

import getpass
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from blastdoor.approvals import Person
from blastdoor.services import open_services

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FRAMEWORKS = ["sdk_guard.py", "pydantic_ai_guard.py", "langchain_guard.py", "openai_agents_guard.py",
              "google_adk_guard.py"]  # fmt: skip


def _env(home: Path) -> dict[str, str]:
    """No keys and no telemetry: nothing may reach a real model or the network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLASTDOOR", "OPENAI", "GOOGLE", "GEMINI"))}
    env.update(HOME=str(home), OTEL_SDK_DISABLED="true")
    return env


def _run(example: str, work: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / example), "--dir", str(work), *args], capture_output=True,
                          text=True, env=_env(work / "home"), timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _users(work: Path) -> list[str]:
    with sqlite3.connect(work / "app.db") as con:
        return [r[0] for r in con.execute("SELECT name FROM users ORDER BY id")]


def _events(work: Path) -> list[dict[str, Any]]:
    services = open_services(str(work / "audit.db"))
    try:
        return [entry["event"] for entry in services.log.entries()]
    finally:
        services.close()


@pytest.mark.parametrize("example", FRAMEWORKS)
def test_the_example_stops_drop_and_rm_and_runs_the_select(example: str, tmp_path: Path) -> None:
    out = _run(example, tmp_path)

    assert _users(tmp_path) == ["ada", "bob", "cy"]  # DROP TABLE did not run
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["f0.txt", "f1.txt", "f2.txt"]  # nor rm -rf
    read = [ln for ln in out.splitlines() if ln.startswith("the model read")]
    drop = next(ln for ln in read if "no-drop" in ln)
    assert "Dropping tables is not allowed." in drop
    assert any("no-rm" in ln and "Deleting files is not allowed here." in ln for ln in read)
    assert any("('ada',), ('bob',), ('cy',)" in ln for ln in read), out  # the SELECT ran and the model read it
    assert "users: ['ada', 'bob', 'cy']" in out and "files: ['f0.txt', 'f1.txt', 'f2.txt']" in out

    evs = _events(tmp_path)
    decisions = [(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions
    allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
    assert len(allowed) == 1  # the SELECT, and its outcome recorded
    assert allowed == {e["correlation_id"] for e in evs if e["kind"] == "outcome"}


def test_the_sdk_example_leaves_a_delete_pending_without_an_approval(tmp_path: Path) -> None:
    out = _run("sdk_guard.py", tmp_path)
    assert "delete-rows" in out and "is pending" in out and _users(tmp_path) == ["ada", "bob", "cy"]


def test_the_sdk_example_runs_a_delete_once_approved(tmp_path: Path) -> None:
    # The example waits for a DBA (the OS user here; the agent acts for alice); approve once it is pending.
    approved: list[str] = []

    def dba() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not approved:
            if (tmp_path / "audit.db").exists():
                services = open_services(str(tmp_path / "audit.db"))
                try:
                    for request in services.approvals.find(status="pending"):
                        services.approvals.approve(request.id, Person(getpass.getuser()))
                        approved.append(request.id)
                finally:
                    services.close()
            time.sleep(0.05)

    approver = threading.Thread(target=dba, daemon=True)
    approver.start()
    out = _run("sdk_guard.py", tmp_path, "--wait", "120")
    approver.join(5)

    assert len(approved) == 1 and _users(tmp_path) == ["ada", "cy"]  # the DELETE ran, after the approval
    assert "is pending" not in out
    outcomes = [e for e in _events(tmp_path) if e["kind"] == "outcome"]
    assert len(outcomes) == 2  # the SELECT and the approved DELETE, each once
