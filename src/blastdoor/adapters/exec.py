"""``blastdoor exec``: an argv -> a shell Action; run it with the same argv, forwarding signals.

The command is judged as the shell line ``shlex.join(argv)`` (what the policy and the classifier
read) but run from the argv itself, never re-quoted through a shell.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from typing import TYPE_CHECKING

from blastdoor.adapters._base import make_agent

if TYPE_CHECKING:
    from blastdoor.action import Action

NAME = "exec"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def argv_action(argv: list[str], *, agent_id: str = "", cwd: str = "") -> Action:
    from blastdoor.action import Action

    if not argv:
        raise ValueError("no command to run")
    agent = make_agent(NAME)
    if agent_id:
        agent.id = agent_id
    return Action("shell", raw=shlex.join(argv), args={"argv": list(argv)}, cwd=cwd or os.getcwd(), agent=agent)


def correlation_id() -> str:
    return f"{NAME}:{os.urandom(12).hex()}"


def run(argv: list[str]) -> tuple[int, float]:
    """Run ``argv`` (no shell); forward SIGINT/SIGTERM/SIGHUP; (exit code, duration in ms).

    The exit code is the child's, or 128 + the signal that killed it, as a shell reports it.
    """
    start = time.monotonic()
    try:
        child = subprocess.Popen(argv)
    except FileNotFoundError:
        return 127, (time.monotonic() - start) * 1000
    except PermissionError:
        return 126, (time.monotonic() - start) * 1000

    def forward(signum: int, frame: object) -> None:
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        while True:
            try:
                code = child.wait()
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for old kernels
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    duration = (time.monotonic() - start) * 1000
    return (128 - code if code < 0 else code), duration
