"""Attack: blastdoor gone or slow. The hook must block, never let the tool run.

- The installed launcher, with blastdoor's package removed (a launcher whose import paths hold no
  blastdoor), exits with each harness's blocking code for every harness ``install`` writes.
- ``coverage`` names the harnesses that have no fail-closed switch of their own.
- The thin hook client has one deadline for the whole call: a server that trickles bytes forever
  does not hold it past that deadline (then it decides in-process).
- An input so large that blastdoor stops reading it keeps the verdict of what it read.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blastdoor.adapters.config import BLOCK_EXIT, FAIL_CLOSED, PATHS, launcher_text
from tests.hooks.harness import BLASTDOOR

PRE_EVENTS: dict[str, dict[str, Any]] = {
    "claude-code": {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}},
    "codex": {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "rm -rf /"}},
    "copilot": {"hook_event_name": "PreToolUse", "tool_name": "bash", "tool_input": {"command": "rm -rf /"}},
    "cursor": {"hook_event_name": "beforeShellExecution", "command": "rm -rf /", "workspace_roots": []},
    "gemini": {
        "hook_event_name": "BeforeTool",
        "tool_name": "run_shell_command",
        "tool_input": {"command": "rm -rf /"},
    },
    "kiro": {"hook_event_name": "preToolUse", "tool_name": "execute_bash", "tool_input": {"command": "rm -rf /"}},
}


def _commands(value: Any, harness: str) -> list[str]:
    """Every hook command blastdoor wrote for ``harness`` in a harness config."""
    found: list[str] = []
    if isinstance(value, dict):
        command = value.get("command")
        if isinstance(command, str) and command.rstrip().endswith(f"hook {harness}"):
            found.append(command)
        for v in value.values():
            found.extend(_commands(v, harness))
    elif isinstance(value, list):
        for v in value:
            found.extend(_commands(v, harness))
    return found


@pytest.mark.parametrize("harness", sorted(PATHS))
def test_the_launcher_blocks_when_blastdoor_cannot_be_imported(tmp_path: Path, harness: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    done = subprocess.run([BLASTDOOR, "install", harness], cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    config = project / PATHS[harness][0].format(agent="default")
    commands = _commands(json.loads(config.read_text()), harness)
    assert commands, f"no hook command for {harness} in {config}"
    launcher = Path(os.environ["BLASTDOOR_HOME"]) / "bin" / "blastdoor-hook.py"
    assert launcher.is_file() and f"{launcher}" in commands[0]
    # The package is removed: the launcher's import paths now hold no blastdoor.
    empty = tmp_path / "removed"
    empty.mkdir()
    launcher.write_text(launcher_text([str(empty)]))
    payload = json.dumps({**PRE_EVENTS[harness], "session_id": "s", "cwd": str(project)}).encode()
    for command in set(commands):
        proc = subprocess.run(["/bin/sh", "-c", command], input=payload, capture_output=True, cwd=project, timeout=60)
        assert proc.returncode == BLOCK_EXIT[harness] == 2, (proc.returncode, proc.stderr)
        assert b"cannot load blastdoor" in proc.stderr and b"blocking" in proc.stderr


def test_a_broken_interpreter_environment_blocks_too(tmp_path: Path) -> None:
    """A python that finds blastdoor's source but none of its dependencies: the hook blocks (2)."""
    launcher = tmp_path / "launcher.py"
    src = str(Path(__import__("blastdoor").__file__).parent.parent)
    launcher.write_text(launcher_text([src]))
    payload = json.dumps({**PRE_EVENTS["gemini"], "session_id": "s", "cwd": str(tmp_path)}).encode()
    env = {**os.environ, "BLASTDOOR_SERVER": "off"}
    proc = subprocess.run(
        ["/usr/bin/python3", "-I", "-S", str(launcher), "hook", "gemini"], input=payload, capture_output=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)


def test_coverage_names_harnesses_without_a_fail_closed_switch(tmp_path: Path) -> None:
    for harness in PATHS:
        done = subprocess.run([BLASTDOOR, "install", harness], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    out = subprocess.run([BLASTDOOR, "coverage", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    records = json.loads(out.stdout)
    records = records if isinstance(records, list) else records.get("harnesses", records.get("records", []))
    seen = set()
    for record in records:
        if not record.get("installed"):
            continue
        harness = record["harness"]
        seen.add(harness)
        switch = FAIL_CLOSED[harness]
        no_switch = [g for g in record["gaps"] if "no fail-closed switch" in g]
        if switch is None:
            assert no_switch and record["fail_closed"].startswith("none"), record
        else:
            assert not no_switch and record["fail_closed"] == switch, record
    assert seen == set(PATHS)


# -- the thin client's deadline ---------------------------------------------------------------------


@pytest.fixture()
def trickling_server(tmp_path: Path) -> Iterator[tuple[str, threading.Event]]:
    """A unix socket server that answers a valid HTTP head, then one byte every 50 ms, forever."""
    path = str(tmp_path / "trickle.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    stop = threading.Event()
    served = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.2)
                try:
                    conn.recv(1 << 20)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    served.set()
                    while not stop.wait(0.05):
                        conn.sendall(b"0")
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield path, served
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def test_the_thin_client_has_one_deadline_for_the_whole_call(
    trickling_server: tuple[str, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    from blastdoor.hookwire import ask_server

    path, served = trickling_server
    monkeypatch.setenv("BLASTDOOR_SOCKET", path)
    monkeypatch.setenv("BLASTDOOR_HOOK_TIMEOUT", "2")  # the client's share: 1 s
    started = time.monotonic()
    reply = ask_server("claude-code", b"{}")
    elapsed = time.monotonic() - started
    assert served.is_set(), "the server never answered: the test did not test the trickle"
    assert reply is None  # no complete reply: the hook decides in-process instead
    # Fairness bound, generous for a loaded machine: far below the 120 s a per-read timeout allowed.
    assert elapsed < 15, elapsed


def test_the_hook_process_decides_when_the_server_trickles(
    trickling_server: tuple[str, threading.Event], tmp_path: Path
) -> None:
    """The whole thin hook process: the trickling server is given up on and the hook still denies."""
    from tests.server.harness import HOOK_CLIENT

    path, _ = trickling_server
    payload = json.dumps({**PRE_EVENTS["claude-code"], "session_id": "s", "cwd": str(tmp_path)}).encode()
    env = {**os.environ, "BLASTDOOR_SOCKET": path, "BLASTDOOR_HOOK_TIMEOUT": "2"}
    proc = subprocess.run(
        [sys.executable, "-I", "-S", HOOK_CLIENT, "claude-code"], input=payload, env=env, capture_output=True,
        timeout=60,
    )  # fmt: skip
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["hookSpecificOutput"]["permissionDecision"] == "deny", proc.stderr


# -- inputs too large to read whole -----------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf / " + " ".join(["x"] * 500_000),
        "rm -rf / ; " + "echo hi; " * 40_000,
        "rm -rf / && " + "$(" * 5_000 + "x" + ")" * 5_000,
        "mkfs.ext4 /dev/sda1 | " + " | ".join(["sort -u"] * 40_000),
    ],
    ids=["500k-arguments", "40k-statements", "deep-nesting", "40k-stages"],
)
def test_what_was_read_keeps_its_verdict(command: str, tmp_path: Path) -> None:
    from blastdoor.action import Action
    from blastdoor.pipeline import evaluate
    from blastdoor.policy import load_policy

    (tmp_path / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    policy = load_policy(str(tmp_path))
    _, decision = evaluate(policy, Action("shell", raw=command, cwd=str(tmp_path)))
    assert decision.verdict == "deny", (decision.rule, decision.reasons)
