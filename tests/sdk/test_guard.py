"""The SDK's Guard: decorated tools on a real SQLite file and file tree, in-process and against a real
`blastdoor serve`, and every way it must fail closed."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.approvals import Person
from blastdoor.sdk import Blocked, Guard
from blastdoor.services import Services
from tests.sdk.world import DELETE, DROP, RM, SELECT, World, approve, events, pending
from tests.server.harness import Server


def _when(condition: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


def _approve_when_filed(services: Services, by: str = "bob") -> threading.Thread:
    def run() -> None:
        rid = _when(lambda: pending(services))[0]  # type: ignore[index]
        approve(services, rid, by)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_the_decorator_stops_destruction_and_runs_reads(world: World, guard: Guard, services: Services) -> None:
    sql = guard.tool(sql="query")(world.run_sql)
    shell = guard.tool(shell="command")(world.run_shell)
    with pytest.raises(Blocked) as dropped:
        sql(DROP)
    assert dropped.value.decision.rule == "no-drop" and "Dropping tables is not allowed" in str(dropped.value)
    with pytest.raises(Blocked, match="no-rm"):
        shell(RM)
    assert "'ada'" in sql(SELECT)
    assert world.intact() and world.calls == [("sql", SELECT)]
    assert guard.flush()
    outcomes = [e for e in events(services) if e["kind"] == "outcome"]
    assert len(outcomes) == 1 and outcomes[0]["outcome"]["exit_code"] == 0 and outcomes[0]["status"] == "ok"


@pytest.mark.parametrize(
    ("hint", "text"),
    [
        ("sql", "drop table users"),
        ("sql", "/* tidy */ DROP TABLE IF EXISTS users; SELECT 1"),
        ("sql", "SELECT 1; DROP TABLE users"),
        ("shell", "bash -c 'rm -rf ./data'"),
        ("shell", "cd data && find . -delete"),
        ("shell", "echo cm0gLXJmIC4vZGF0YQ== | base64 -d | sh"),
        ("shell", "python3 -c \"import shutil; shutil.rmtree('data')\""),
    ],
)
def test_spellings_of_destruction_are_stopped(world: World, guard: Guard, hint: str, text: str) -> None:
    tool = guard.tool(name="run_" + hint, **{hint: "text"})(
        lambda text: world.run_sql(text) if hint == "sql" else world.run_shell(text)
    )
    with pytest.raises(Blocked):
        tool(text)
    assert world.intact() and world.calls == []


def test_an_unhinted_tool_is_judged_by_its_name_and_arguments(world: World, guard: Guard) -> None:
    @guard.tool
    def execute(query: str) -> str:
        return world.run_sql(query)

    @guard.tool(name="remove_tree")
    def cleanup(path: str) -> str:
        return world.run_shell(f"rm -rf {path}")

    for call in (lambda: execute(DROP), lambda: cleanup("data")):
        with pytest.raises(Blocked):
            call()
    assert world.intact()


def test_async_tools_and_on_block_return(world: World, guard: Guard) -> None:
    @guard.tool(sql="query", on_block="return")
    async def run(query: str) -> str:
        return world.run_sql(query)

    assert "no-drop" in asyncio.run(run(DROP))
    assert "'ada'" in asyncio.run(run(SELECT))
    assert world.intact() and world.calls == [("sql", SELECT)]


def test_an_approval_waits_and_the_call_runs_once(world: World, guard: Guard, services: Services) -> None:
    tool = guard.tool(sql="query", wait=20)(world.run_sql)
    _approve_when_filed(services)
    assert tool(DELETE) == "[]"
    assert world.users() == ["ada", "cy"] and world.calls == [("sql", DELETE)]
    # used once: the same call needs a new approval
    quick = guard.tool(sql="query")(world.run_sql)
    with pytest.raises(Blocked, match="is pending"):
        quick(DELETE)
    assert world.calls == [("sql", DELETE)]
    # the requester cannot approve her own request
    (rid,) = pending(services)
    with pytest.raises(Exception, match="cannot approve"):
        services.approvals.approve(rid, Person("alice"))


def test_wait_for_approval_times_out_and_a_denial_is_final(world: World, guard: Guard, services: Services) -> None:
    action = guard.action("run_sql", {"query": DELETE}, sql="query")
    decision = guard.decide(action)
    assert decision.verdict == "approve" and decision.request_id
    assert guard.wait_for_approval(decision, timeout=0.05).verdict == "approve"  # not settled: nothing runs
    services.approvals.deny(decision.request_id, Person("bob"))
    final = guard.wait_for_approval(decision, timeout=5)
    assert final.verdict == "deny" and "denied" in final.reason
    assert world.intact()


# -- fail closed ----------------------------------------------------------------------------------------


def test_a_broken_policy_denies_everything_but_nothing_runs(world: World, services: Services) -> None:
    world.policy.write_text("version: 1\nrules: [ {id: x, verdict: nope} ]\n")
    g = Guard.local(policy=str(world.policy), services=services)
    tool = g.tool(sql="query")(world.run_sql)
    for q in (DROP, SELECT):
        with pytest.raises(Blocked, match="policy cannot be loaded"):
            tool(q)
    assert world.calls == []


def test_an_unwritable_audit_log_lets_only_plain_reads_run(world: World, tmp_path: Path) -> None:
    g = Guard.local(policy=str(world.policy), store=str(tmp_path / "missing" / "dir" / "audit.db"))
    tool = g.tool(name="run_sql", sql="query")(world.run_sql)
    with pytest.raises(Blocked):
        tool("UPDATE users SET name = 'x'")
    assert world.intact() and world.calls == []


def test_arguments_that_cannot_be_judged_do_not_run(world: World, guard: Guard) -> None:
    tool = guard.tool(sql="query")(world.run_sql)
    with pytest.raises(Blocked, match="must be a string"):
        tool(42)  # type: ignore[arg-type]
    with pytest.raises(Blocked, match="not JSON"):
        guard.tool(lambda x: x)(object())
    assert world.calls == []


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


def test_a_server_that_does_not_answer_is_a_deny(world: World, silent_port: int) -> None:
    g = Guard.remote(f"http://127.0.0.1:{silent_port}", token="t", timeout=0.3)
    tool = g.tool(shell="command")(world.run_shell)
    with pytest.raises(Blocked, match="did not answer"):
        tool("ls")
    closed = Guard.remote("http://127.0.0.1:1", token="t", timeout=2)
    with pytest.raises(Blocked, match="cannot be reached"):
        closed.tool(shell="command")(world.run_shell)("ls")
    adecided = asyncio.run(g.adecide(g.action("run_shell", {"command": "ls"}, shell="command")))
    assert adecided.verdict == "deny"
    assert world.calls == []


# -- against a real `blastdoor serve` --------------------------------------------------------------------


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "server-home")
    try:
        yield srv
    finally:
        srv.stop()


def test_remote_over_the_socket_and_tcp_with_an_approval(world: World, server: Server) -> None:
    admin = server.add_person("root-admin", "admin")
    bob = server.add_person("bob", admin_token=admin)
    requester = server.add_person("svc", "requester", admin_token=admin)
    for g in (
        Guard.remote(socket=server.socket, cwd=str(world.root), agent="remote-agent"),
        Guard.remote(server.url, token=requester, cwd=str(world.root), agent="remote-agent"),
    ):
        sql = g.tool(sql="query")(world.run_sql)
        with pytest.raises(Blocked, match="no-drop"):
            sql(DROP)
        with pytest.raises(Blocked, match="no-rm"):
            g.tool(shell="command")(world.run_shell)(RM)
        assert "'ada'" in sql(SELECT)
    assert world.intact()

    g = Guard.remote(server.url, token=requester, cwd=str(world.root), agent="remote-agent")
    decision = g.decide(g.action("run_sql", {"query": DELETE}, sql="query"))
    assert decision.verdict == "approve"
    shown = server.tcp.get(f"/v1/approvals/{decision.request_id}", headers=server.auth(bob)).json()
    assert shown["requester"] == "svc"  # who asks is the token's person, whatever the Guard claims
    voted = server.tcp.post(f"/v1/approvals/{decision.request_id}/approve", json={}, headers=server.auth(bob))
    assert voted.json()["status"] == "approved"
    allowed = g.wait_for_approval(decision, timeout=20)
    assert allowed.verdict == "allow" and allowed.approved_by == ("bob",)
    assert g.wait_for_approval(allowed).verdict == "allow"  # settled decisions are returned as they are
    again = g.decide(g.action("run_sql", {"query": DELETE}, sql="query"))
    assert again.verdict == "approve" and again.request_id != decision.request_id  # used once
    bad = Guard.remote(server.url, token="not-a-token", cwd=str(world.root))
    with pytest.raises(Blocked, match="not valid"):
        bad.tool(sql="query")(world.run_sql)(SELECT)


# -- ask, and the one invariant ---------------------------------------------------------------------------

UPDATE = "UPDATE users SET name = 'bea' WHERE id = 2"


def test_ask_goes_to_the_confirm_callback(world: World, services: Services) -> None:
    answers: list[bool] = []

    def confirm(action: object, decision: object) -> bool:
        return answers.pop(0)

    g = Guard.local(policy=str(world.policy), services=services, requester="alice", confirm=confirm)
    tool = g.tool(sql="query")(world.run_sql)
    answers.append(False)
    with pytest.raises(Blocked, match="declined"):
        tool(UPDATE)
    assert world.users() == ["ada", "bob", "cy"]
    answers.append(True)
    tool(UPDATE)
    assert world.users() == ["ada", "bea", "cy"]
    # without a confirm callback, a local Guard makes the ask an approval request: nothing runs yet
    plain = Guard.local(policy=str(world.policy), services=services, requester="alice")
    with pytest.raises(Blocked, match="is pending"):
        plain.tool(sql="query")(world.run_sql)("UPDATE users SET name = 'x' WHERE id = 1")
    assert world.users() == ["ada", "bea", "cy"]


STATEMENTS = [
    *(SELECT, DROP, DELETE, UPDATE, "SELECT count(*) FROM users", "DELETE FROM users", "TRUNCATE users"),
    *("DROP TABLE IF EXISTS users", "ALTER TABLE users RENAME TO old", "INSERT INTO users VALUES (9, 'z')"),
]


@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=3), st.sampled_from(["", " ", "\n", "  -- note\n"]))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_guarded_call_runs_exactly_when_the_decision_allows(
    world: World, guard: Guard, statements: list[str], pad: str
) -> None:
    """Metamorphic: however statements are combined or padded, the tool runs iff the verdict is allow,
    and a combination never gets more than its worst statement does alone."""
    text = pad + "; ".join(statements)
    action = guard.action("run_sql", {"query": text}, sql="query")
    verdict = guard.decide(action).verdict
    alone = {guard.decide(guard.action("run_sql", {"query": s}, sql="query")).verdict for s in statements}
    if alone != {"allow"}:
        assert verdict != "allow"
    before = len(world.calls)
    tool = guard.tool(sql="query", on_block="return")(lambda query: world.calls.append(("sql", query)) or "ran")
    result = tool(text)
    assert (result == "ran") == (verdict == "allow") == (len(world.calls) == before + 1)
