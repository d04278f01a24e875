"""An installed launcher with no server running: the cold hook (``blastdoor/hook/launch.py``).

Waits are for events (a socket answers, a process exits, within a deadline), never fixed sleeps.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))
POLICY = "version: 1\nextends: [recommended]\n"


def payload(cwd: str, command: str, call: str = "t1") -> bytes:
    event = {"hook_event_name": "PreToolUse", "session_id": "s-cold", "cwd": cwd, "tool_name": "Bash",
             "tool_input": {"command": command}, "tool_use_id": call}  # fmt: skip
    return json.dumps(event).encode()


def verdict(stdout: bytes) -> str:
    return str(json.loads(stdout)["hookSpecificOutput"]["permissionDecision"])


@dataclass
class Installed:
    """``blastdoor install claude-code`` in a project: the launcher's command and its fixed socket."""

    project: Path
    command: list[str]
    env: dict[str, str]
    socket: str
    started: list[int] = field(default_factory=list)

    def call(self, data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
        full = {**self.env, **env}
        return subprocess.run(self.command, input=data, env=full, cwd=self.project, capture_output=True, timeout=120)

    def spawn(self, data: bytes) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.env, cwd=self.project,
        )  # fmt: skip
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
        proc.stdin = None  # written and closed: communicate() only reads
        return proc

    def server_pid(self) -> int | None:
        from blastdoor.hook.launch import server_pid

        return server_pid(self.socket)


def install(project: Path, *, idle_exit: float | None = None) -> Installed:
    """Install the hook as a user would, from this test's environment (conftest's own HOME)."""
    project.mkdir(parents=True, exist_ok=True)
    (project / "blastdoor.yaml").write_text(POLICY)
    env = {k: v for k, v in os.environ.items() if k != "BLASTDOOR_SERVER"}  # the default: start on a miss
    subprocess.run([BLASTDOOR, "install", "claude-code"], cwd=project, env=env, check=True, capture_output=True)
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    command = shlex.split(settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"])
    launcher = Path(command[3])
    from blastdoor.adapters.config import launcher_config, launcher_text

    config = launcher_config(env)
    if idle_exit is not None:
        config["idle_exit"] = idle_exit
        launcher.write_text(launcher_text(config=config))
    return Installed(project, command, env, str(config["socket"]))


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy (the event), failing after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def get(sock_path: str, path: str) -> tuple[int, str] | None:
    """GET ``path`` from the server on the unix socket; None when nothing answers there."""

    class Conn(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(5)
            self.sock.connect(sock_path)

    conn = Conn("blastdoor", timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    except OSError:
        return None
    finally:
        conn.close()


def wait_served(sock_path: str, timeout: float = 60) -> None:
    wait_until(lambda: (get(sock_path, "/healthz") or (0, ""))[0] == 200, timeout, f"a server on {sock_path}")


def served_hooks(sock_path: str) -> float:
    """How many hook calls the server on ``sock_path`` has decided (its /metrics)."""
    answer = get(sock_path, "/metrics")
    assert answer is not None and answer[0] == 200, answer
    total = 0.0
    for line in answer[1].splitlines():
        if line.startswith("blastdoor_decisions_total{") and 'front="hook:claude-code"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait for process ``pid`` (not necessarily our child) to exit; False when it still runs."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def servers_on(sock_path: str) -> list[int]:
    """Every running ``blastdoor serve`` process whose command names ``sock_path``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and b"serve" in argv and sock_path.encode() in argv:
            found.append(int(entry))
    return found


def stop_servers(sock_path: str) -> None:
    for pid in servers_on(sock_path):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not wait_exit(pid, 30):
            os.kill(pid, signal.SIGKILL)
            wait_exit(pid, 10)


def installed_fixture(tmp_path: Path, idle_exit: float | None = None) -> Iterator[Installed]:
    inst = install(tmp_path / "project", idle_exit=idle_exit)
    try:
        yield inst
    finally:
        stop_servers(inst.socket)
