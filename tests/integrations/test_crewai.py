"""CrewAI with blastdoor: a real Crew in tests/integrations/.venv-crewai (``make framework-venvs``; CrewAI's
pins conflict with .venv's), run as a subprocess by run_crewai.py on this test's world and audit log."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending
from tests.server.harness import Server

HERE = Path(__file__).resolve().parent
PYTHON = HERE / ".venv-crewai" / "bin" / "python"
UPDATE = "UPDATE users SET name = 'zed' WHERE id = 3"
BROKEN = "SELECT name FROM nope"  # a read that fails: there is no such table


def _env(home: Path) -> dict[str, str]:
    """No network and no keys: CrewAI's telemetry and trace prompts off, its storage under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLASTDOOR", "OPENAI", "CREWAI"))}
    env.update(CREWAI_DISABLE_TELEMETRY="true", CREWAI_TRACING_ENABLED="false", OTEL_SDK_DISABLED="true",
               HOME=str(home), PYTHONPATH="")  # fmt: skip
    return env


def crew(
    world: World, tmp: Path, runs: list[dict[str, Any]], stdin: str = "", **server: str
) -> tuple[list[dict[str, str]], list[tuple[str, ...]]]:
    """Run the crews of ``runs`` in CrewAI's venv, deciding locally (or with ``url`` and ``token``, by that
    server); (what the model read per run, the calls that really ran)."""
    assert PYTHON.exists(), f"{PYTHON} is missing: run `make framework-venvs`"
    calls = tmp / "calls.jsonl"
    config = {"policy": str(world.policy), "store": str(tmp / "audit.db"), "db": str(world.db),
              "root": str(world.root), "calls": str(calls), "runs": runs, **server}  # fmt: skip
    (tmp / "crew.json").write_text(json.dumps(config))
    done = subprocess.run([str(PYTHON), str(HERE / "run_crewai.py"), str(tmp / "crew.json")], input=stdin,
                          capture_output=True, text=True, env=_env(tmp / "home"), timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = [run["seen"] for run in json.loads(done.stdout.strip().splitlines()[-1])["runs"]]
    ran = [tuple(json.loads(line)) for line in calls.read_text().splitlines()] if calls.exists() else []
    return seen, ran


def test_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, services: Services, tmp_path: Path
) -> None:
    # Run 1: the model asks for DROP, rm -rf, a SELECT and a DELETE (approve); run 2 asks for the DELETE again
    # with the hook waiting, and bob approves once it waits (its second `approve` decision is in the log).
    def bob() -> None:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            if sum(e["kind"] == "decision" and e["verdict"] == "approve" for e in events(services)) >= 2:
                (request_id,) = pending(services)
                approve(services, request_id)
                return
            time.sleep(0.05)

    approver = threading.Thread(target=bob, daemon=True)
    approver.start()
    runs = [{"plan": [["run_sql", DROP], ["run_shell", RM], ["run_sql", SELECT], ["run_sql", DELETE]]},
            {"plan": [["run_sql", DELETE]], "wait": 120}]  # fmt: skip
    (first, second), ran = crew(world, tmp_path, runs)
    approver.join(5)

    assert ran == [("sql", SELECT), ("sql", DELETE)]  # the DELETE once, after the approval
    assert world.users() == ["ada", "cy"] and world.files() == ["f0.txt", "f1.txt", "f2.txt"]
    assert "no-drop" in first["call-0"] and "Dropping tables is not allowed" in first["call-0"]
    assert "no-rm" in first["call-1"] and "'ada'" in first["call-2"]
    assert "is pending" in first["call-3"] and "req_" in first["call-3"]
    assert "blastdoor" not in second["call-0"] and "[]" in second["call-0"]

    evs = events(services)
    decisions = [(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"]
    assert ("deny", "no-drop") in decisions and ("deny", "no-rm") in decisions and ("allow", "delete-rows") in decisions
    allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
    outcomes = [e for e in evs if e["kind"] == "outcome"]
    assert len(allowed) == 2 and allowed == {e["correlation_id"] for e in outcomes}
    assert all(e["status"] == "ok" and e["outcome"]["exit_code"] == 0 for e in outcomes)


def test_a_model_without_native_tools_reads_the_reason_as_its_observation(
    world: World, services: Services, tmp_path: Path
) -> None:
    # CrewAI's ReAct text protocol runs the same hooks on another path (tool_utils, not the native executor).
    # A read that fails is recorded as failed on both paths. The text path retries a tool that raised without
    # running the hooks again (crewai 1.15.30: 6 runs for one decision; the native path runs it once).
    plan = [["run_sql", DROP], ["run_shell", RM], ["run_sql", SELECT], ["run_sql", BROKEN]]
    (seen, _), ran = crew(world, tmp_path, [{"plan": plan, "react": True}, {"plan": [["run_sql", BROKEN]]}])
    assert ran[0] == ("sql", SELECT) and set(ran[1:]) == {("sql", BROKEN)} and world.intact()
    assert "no-drop" in seen["call-0"] and "no-rm" in seen["call-1"] and "'ada'" in seen["call-2"]
    assert "blocked by hook" not in seen["call-0"]
    evs = events(services)
    broken = {e["correlation_id"] for e in evs if e["kind"] == "decision" and "nope" in e["action"].get("raw", "")}
    statuses = sorted((e["correlation_id"] in broken, e["status"]) for e in evs if e["kind"] == "outcome")
    assert statuses == [(False, "ok"), (True, "error"), (True, "error")]


def test_a_policy_that_cannot_be_read_lets_nothing_run(world: World, tmp_path: Path) -> None:
    world.policy.write_text("version: 1\nrules: [ {id: broken\n")  # CrewAI runs a tool whose hook fails: not ours
    plan = [["run_sql", DROP], ["run_sql", SELECT]]
    (seen,), ran = crew(world, tmp_path, [{"plan": plan}])
    assert ran == [] and world.intact()
    assert all("policy cannot be loaded" in seen[f"call-{i}"] for i in range(2)), seen


def test_an_ask_is_crewais_human_input_and_no_answer_refuses(world: World, services: Services, tmp_path: Path) -> None:
    # The policy asks before an UPDATE: the person at CrewAI's console says no, then yes; then input ends.
    # A second crew's hooks (ask="approve") file an approval request instead of asking the console.
    plan = [["run_sql", UPDATE], ["run_sql", UPDATE], ["run_sql", UPDATE.replace("zed", "max")]]
    later = [["run_sql", UPDATE.replace("zed", "max")]]
    (seen, filed), ran = crew(world, tmp_path, [{"plan": plan}, {"plan": later, "ask": "approve"}], stdin="no\nyes\n")

    assert ran == [("sql", UPDATE)]
    assert world.users() == ["ada", "bob", "zed"]
    assert "did not confirm" in seen["call-0"] and "confirm-updates" in seen["call-0"]
    assert "nobody confirmed" in seen["call-2"]
    evs = events(services)
    asked = [e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "ask"]
    outcomes = [e["correlation_id"] for e in evs if e["kind"] == "outcome"]
    assert len(asked) == 3 and outcomes == [asked[1]]  # the confirmed call's decision, and its outcome
    (request_id,) = pending(services)  # only the ask="approve" crew filed one; the console answered the rest
    assert request_id in filed["call-0"] and "is pending" in filed["call-0"]


def test_the_example_runs_and_stops_the_drop(tmp_path: Path) -> None:
    example = HERE.parent.parent / "examples" / "crewai_guard.py"
    done = subprocess.run([str(PYTHON), str(example)], capture_output=True, text=True, env=_env(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the model read: blastdoor: deny by rule `no-drop`" in done.stdout
    assert "users: ['ada', 'bob']" in done.stdout


def test_through_a_real_server_an_approval_there_runs_the_call_once(world: World, tmp_path: Path) -> None:
    # The crew's Guard asks `blastdoor serve` with a requester's token; bob approves over the server's API
    # while the hook waits; the outcomes reach the server's log through POST /v1/outcomes.
    server = Server(tmp_path / "server-home")
    try:
        admin = server.add_person("root-admin", "admin")
        bob = server.add_person("bob", admin_token=admin)
        svc = server.add_person("svc", "requester", admin_token=admin)

        def bob_approves() -> None:
            deadline = time.monotonic() + 200
            while time.monotonic() < deadline:
                found = server.tcp.get("/v1/approvals", headers=server.auth(bob)).json()["requests"]
                if found:
                    server.tcp.post(f"/v1/approvals/{found[0]['id']}/approve", json={}, headers=server.auth(bob))
                    return
                time.sleep(0.1)

        approver = threading.Thread(target=bob_approves, daemon=True)
        approver.start()
        plan = [["run_sql", DROP], ["run_shell", RM], ["run_sql", SELECT], ["run_sql", DELETE]]
        (seen,), ran = crew(world, tmp_path, [{"plan": plan, "wait": 120}], url=server.url, token=svc)
        approver.join(5)

        assert ran == [("sql", SELECT), ("sql", DELETE)]
        assert world.users() == ["ada", "cy"] and world.files() == ["f0.txt", "f1.txt", "f2.txt"]
        assert "no-drop" in seen["call-0"] and "no-rm" in seen["call-1"] and "'ada'" in seen["call-2"]
        assert "blastdoor" not in seen["call-3"]
        entries = server.tcp.get("/v1/audit/events", params={"limit": 500}, headers=server.auth(admin)).json()
        evs = [e["event"] for e in entries["entries"]]
        decisions = {(e["verdict"], e["rule"]) for e in evs if e["kind"] == "decision"}
        assert {("deny", "no-drop"), ("deny", "no-rm"), ("allow", "delete-rows")} <= decisions
        assert all(e["agent"]["on_behalf_of"] == "svc" for e in evs if e["kind"] == "decision")
        allowed = {e["correlation_id"] for e in evs if e["kind"] == "decision" and e["verdict"] == "allow"}
        outcomes = [e for e in evs if e["kind"] == "outcome"]
        assert len(allowed) == 2 and allowed == {e["correlation_id"] for e in outcomes}
    finally:
        server.stop()
