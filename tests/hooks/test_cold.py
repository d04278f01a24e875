"""The cold hook: an installed launcher with no server running decides its call in-process (recorded),
starts the per-user server once, and the calls after it are served; the server leaves when idle."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hooks.cold import (
    Installed,
    installed_fixture,
    payload,
    served_hooks,
    servers_on,
    verdict,
    wait_exit,
    wait_served,
    wait_until,
)


@pytest.fixture()
def inst(tmp_path: Path) -> Iterator[Installed]:
    yield from installed_fixture(tmp_path)


def _decisions(call_id: str) -> list[dict[str, object]]:
    from blastdoor.audit.log import Query
    from blastdoor.store import open_log

    with open_log(checkpoint_on_close=False) as log:
        found = log.search(Query(correlation_id=call_id), newest_first=False)
    return [e.get("event", e) for e in found]


def test_the_first_call_is_decided_in_process_recorded_and_starts_the_server(inst: Installed) -> None:
    assert not os.path.exists(inst.socket) and servers_on(inst.socket) == []
    first = inst.call(payload(str(inst.project), "rm -rf /", call="cold-1"))
    assert first.returncode == 0, first.stderr
    assert verdict(first.stdout) == "deny"
    recorded = _decisions("claude-code:cold-1")
    assert [e["verdict"] for e in recorded] == ["deny"], recorded
    # The miss started the server: it comes up on the socket fixed at install time, and takes the next call.
    wait_served(inst.socket)
    assert servers_on(inst.socket) == [inst.server_pid()]
    before = served_hooks(inst.socket)
    second = inst.call(payload(str(inst.project), "ls -la", call="cold-2"))
    assert second.returncode == 0 and verdict(second.stdout) == "allow", second.stderr
    assert served_hooks(inst.socket) == before + 1  # the server decided it, not the launcher
    assert [e["verdict"] for e in _decisions("claude-code:cold-2")] == ["allow"]


def test_concurrent_first_calls_start_exactly_one_server(inst: Installed) -> None:
    procs = [inst.spawn(payload(str(inst.project), "rm -rf /", call=f"race-{i}")) for i in range(6)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and verdict(out) == "deny", err
    wait_served(inst.socket)
    pid = inst.server_pid()
    assert pid is not None and servers_on(inst.socket) == [pid]
    for i in range(6):  # every one decided and recorded, served or not
        assert [e["verdict"] for e in _decisions(f"claude-code:race-{i}")] == ["deny"]


@pytest.fixture()
def idle_inst(tmp_path: Path) -> Iterator[Installed]:
    yield from installed_fixture(tmp_path, idle_exit=3)


def test_the_server_exits_when_idle_and_the_next_miss_starts_another(idle_inst: Installed) -> None:
    inst = idle_inst
    assert verdict(inst.call(payload(str(inst.project), "ls", call="idle-1")).stdout) == "allow"
    wait_served(inst.socket)
    pid = inst.server_pid()
    assert pid is not None
    assert wait_exit(pid, 60), "the server did not leave after 3 s without a request"
    assert not os.path.exists(inst.socket)  # a clean exit removes its socket
    assert verdict(inst.call(payload(str(inst.project), "ls", call="idle-2")).stdout) == "allow"
    wait_until(lambda: inst.server_pid() not in (None, pid), 60, "a second server")


def test_ask_only_never_starts_a_server(inst: Installed) -> None:
    reply = inst.call(payload(str(inst.project), "ls", call="ask-1"), BLASTDOOR_SERVER="ask")
    assert reply.returncode == 0 and verdict(reply.stdout) == "allow", reply.stderr
    assert [e["verdict"] for e in _decisions("claude-code:ask-1")] == ["allow"]
    assert inst.server_pid() is None and servers_on(inst.socket) == []


def test_a_killed_server_leaves_a_stale_socket_the_hook_decides_in_process_and_restarts_it(inst: Installed) -> None:
    inst.call(payload(str(inst.project), "ls", call="warm"))
    wait_served(inst.socket)
    pid = inst.server_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_exit(pid, 30)
    assert os.path.exists(inst.socket)  # stale: nobody listens
    reply = inst.call(payload(str(inst.project), "rm -rf /", call="stale-1"))
    assert reply.returncode == 0 and verdict(reply.stdout) == "deny", reply.stderr
    assert [e["verdict"] for e in _decisions("claude-code:stale-1")] == ["deny"]
    wait_served(inst.socket)  # the kill released the lock: the miss started a new server
    assert inst.server_pid() not in (None, pid)
