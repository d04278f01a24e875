"""SIGTERM stops the server cleanly whenever it arrives: exit 0, the socket removed, the store closed.

A SIGTERM raised as an exception from the handler used to land in whatever ran at that instant; in an
import lock's callback it was swallowed ("Exception ignored in ...") and the server stayed up for good.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from blastdoor.cli.exits import OK, UNANCHORED
from tests.server.harness import BLASTDOOR, free_port


def _socket_bound(home: Path, proc: subprocess.Popen[bytes], port: int) -> bool:
    return (home / "server.sock").exists()


def _announced(home: Path, proc: subprocess.Popen[bytes], port: int) -> bool:
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], 0.05)
    return bool(ready) and b"serving on" in proc.stderr.readline()


def _answering(home: Path, proc: subprocess.Popen[bytes], port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("moment", [_socket_bound, _announced, _answering], ids=lambda f: f.__name__.strip("_"))
def test_sigterm_at_any_moment_of_startup_stops_the_server_cleanly(
    tmp_path: Path, moment: Callable[[Path, subprocess.Popen[bytes], int], bool]
) -> None:
    port = free_port()
    env = {**os.environ, "BLASTDOOR_HOME": str(tmp_path)}
    argv = [BLASTDOOR, "serve", "--listen", f"127.0.0.1:{port}", "--socket", str(tmp_path / "server.sock")]
    # Unbuffered stderr: a line read past by a buffer would be invisible to the next select().
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, bufsize=0)
    try:
        deadline = time.monotonic() + 60
        while not moment(tmp_path, proc, port):
            assert proc.poll() is None, "the server exited before it was stopped"
            assert time.monotonic() < deadline, "the server never reached the moment"
            if moment is _socket_bound:
                os.sched_yield()  # as soon as the file is there: no wait that would let startup finish
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = err.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert not (tmp_path / "server.sock").exists(), "the socket is left behind"
    # The store was closed, not abandoned: SQLite folds its write-ahead log back in on the last close.
    assert not (tmp_path / "blastdoor.db-wal").exists(), "the store was not closed"
    audit = subprocess.run([BLASTDOOR, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60)
    assert audit.returncode in (OK, UNANCHORED), audit.stdout + audit.stderr  # nothing wrong found
