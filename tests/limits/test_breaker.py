"""The circuit breaker (issue 16, item 3): limits counted on the store, tripped, reset by a person."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.errors import PolicyError
from blastdoor.identity import Agents
from blastdoor.pipeline import decide_and_record
from blastdoor.policy.compiled import CompiledPolicy
from tests.identity.helpers import action, policy, services

LIMITED = """version: 1
default: allow
unknown: allow
environments:
  prod: { paths: ["/srv/prod/**"] }
  staging: { paths: ["/srv/staging/**"] }
limits:
  - id: prod-deletes
    match: { env: prod, effects: [delete] }
    max: 3
    per: 1m
    reason: at most 3 deletes in prod a minute
"""


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


def _decide(pol: CompiledPolicy, svc: Any, agents: Agents, command: str, agent: str = "ci-bot") -> tuple[str, str]:
    _, d = decide_and_record(pol, action(agent, command, cwd="/srv"), svc.log, "c", agents=agents, environ={})
    return d.verdict, d.rule


def test_fourth_prod_delete_trips_and_reset_restores(store_url: str, tmp_path: Path) -> None:
    pol = policy(base=LIMITED)
    clock = Clock()
    with services(store_url, tmp_path) as svc:
        agents = Agents(svc.store, svc.log, clock=clock)
        got = [_decide(pol, svc, agents, f"rm /srv/prod/db/t{i}") for i in range(4)]
        assert [v for v, _ in got] == ["allow", "allow", "allow", "deny"]
        assert got[3][1] == "limit.tripped:prod-deletes"
        # Stays tripped: even after the window, until a person resets it.
        clock.now += 3600
        assert _decide(pol, svc, agents, "rm /srv/prod/db/t5")[0] == "deny"
        # Other kinds, other agents: not affected.
        assert _decide(pol, svc, agents, "rm /srv/staging/x")[0] == "allow"
        assert _decide(pol, svc, agents, "cat /srv/prod/db/t5")[0] == "allow"
        assert _decide(pol, svc, agents, "rm /srv/prod/db/t5", agent="other-bot")[0] == "allow"
        from blastdoor.limits import Breaker

        breaker = Breaker(svc.store, svc.log, clock=clock)
        assert [s["status"] for s in breaker.state(agent_id="ci-bot")] == ["tripped"]
        assert breaker.reset("ci-bot", by="alice", reason="checked") == ["prod-deletes"]
        assert _decide(pol, svc, agents, "rm /srv/prod/db/t6")[0] == "allow"
        kinds = [e["event"]["kind"] for e in svc.log.entries()]
        assert kinds.count("limit.tripped") == 1 and kinds.count("limit.reset") == 1


def test_window_slides(tmp_path: Path) -> None:
    pol = policy(base=LIMITED)
    clock = Clock()
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        agents = Agents(svc.store, svc.log, clock=clock)
        for i in range(3):
            assert _decide(pol, svc, agents, f"rm /srv/prod/db/t{i}")[0] == "allow"
            clock.now += 25  # 3 deletes over 50 s, then the first leaves the window
        clock.now += 11
        assert _decide(pol, svc, agents, "rm /srv/prod/db/t9")[0] == "allow"


def test_denied_actions_are_not_counted(tmp_path: Path) -> None:
    base = LIMITED + "rules:\n  - id: no-db\n    match: { targets: ['/srv/prod/db/**'] }\n    verdict: deny\n"
    pol = policy(base=base)
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        for i in range(5):
            assert _decide(pol, svc, svc.agents, f"rm /srv/prod/db/t{i}") == ("deny", "no-db")
        for i in range(3):
            assert _decide(pol, svc, svc.agents, f"rm /srv/prod/web/t{i}")[0] == "allow"


def test_dropping_the_credential_keeps_the_count(tmp_path: Path) -> None:
    pol = policy(base=LIMITED)
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        svc.agents.credentials.enrol("ci-bot", by="alice")
        for i in range(3):
            _decide(pol, svc, svc.agents, f"rm /srv/prod/db/t{i}")  # judged as unknown-agent, claimed ci-bot
        assert _decide(pol, svc, svc.agents, "rm /srv/prod/db/t4")[0] == "deny"


def test_concurrent_decisions_count_exactly(pg_url: str, tmp_path: Path) -> None:
    """Eight threads, each with its own connection, race for 3 slots: exactly 3 run."""
    pol = policy(base=LIMITED)
    verdicts: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    opened = [services(pg_url, tmp_path) for _ in range(8)]  # one connection each, opened in turn

    def one(i: int) -> None:
        start.wait(timeout=60)
        v = _decide(pol, opened[i], opened[i].agents, f"rm /srv/prod/db/c{i}")[0]
        with lock:
            verdicts.append(v)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for svc in opened:
            svc.close()
    assert sorted(verdicts) == ["allow"] * 3 + ["deny"] * 5


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("limits:\n  - { id: x, match: { env: prod }, max: 0, per: 1m }\n", "minimum"),
        ("limits:\n  - { id: x, match: { env: prod }, max: 1, per: 1y }\n", "1y"),
        ("limits:\n  - { id: x, match: { env: prod }, max: 1, per: 1m, verdict: allow }\n", "allow"),
        (
            "limits:\n  - { id: x, match: { env: prod }, max: 1, per: 1m }\n"
            "  - { id: x, match: {}, max: 1, per: 1s }\n",
            "duplicate limit id",
        ),
    ],
)
def test_bad_limits_are_clear_errors(block: str, message: str) -> None:
    base = LIMITED.split("limits:")[0]
    with pytest.raises(PolicyError) as err:
        policy(block, base=base)
    assert message in str(err.value)


# -- two server processes sharing PostgreSQL ----------------------------------------------------------


@pytest.fixture()
def two_servers(tmp_path: Path, pg_url: str) -> Iterator[tuple[Any, Any]]:
    from tests.server.harness import Server

    a = Server(tmp_path / "a", db=pg_url)
    try:
        b = Server(tmp_path / "b", db=pg_url)
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_breaker_trips_across_two_servers_sharing_postgres(two_servers: tuple[Any, Any], tmp_path: Path) -> None:
    from tests.attacks.boundary import bash_payload

    a, b = two_servers
    project = tmp_path / "project"
    (project / "prod").mkdir(parents=True)
    (project / "blastdoor.yaml").write_text(LIMITED.replace("/srv/prod/**", f"{project}/prod/**"))

    def hook(server: Any, i: int) -> str:
        payload = json.dumps(bash_payload(f"rm {project}/prod/f{i}", project, call=f"t{i}")).encode()
        _, reply, err = server.hook("claude-code", payload, BLASTDOOR_AGENT="ci-bot")
        assert reply is not None, err
        return str(reply["hookSpecificOutput"]["permissionDecision"])

    assert [hook(s, i) for i, s in enumerate([a, b, a, b])] == ["allow", "allow", "allow", "deny"]
    assert hook(a, 5) == "deny"
    out = b.cli("limits", "list", "--json").stdout
    assert json.loads(out)[0]["status"] == "tripped"
    b.cli("limits", "reset", "--agent", "ci-bot", "-m", "looked at it")
    assert hook(a, 6) == "allow"
    assert os.path.exists(a.socket)
