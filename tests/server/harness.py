"""Run the real server (`blastdoor serve`) as a subprocess, the way an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))
HOOK_CLIENT = str(Path(__import__("blastdoor.hookclient").hookclient.__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `blastdoor serve` process with its own home (store, keys, socket)."""

    def __init__(self, home: Path, *, db: str | None = None, extra: list[str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.socket = str(home / "server.sock")
        self.env = {**os.environ, "BLASTDOOR_HOME": str(home)}
        if db:
            self.env["BLASTDOOR_DB"] = db
        argv = [BLASTDOOR, "serve", "--listen", f"127.0.0.1:{self.port}", "--socket", self.socket, *(extra or [])]
        self.proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("the server did not come up within 30 s")
        # Decisions are asked over the unix socket (the requester is this process's OS user, from the
        # socket's peer credentials); everything else works the same on either. `tcp` is the TCP side,
        # where deciding needs a token.
        uds = httpx.HTTPTransport(uds=self.socket)
        self.client = httpx.Client(base_url="http://blastdoor", transport=uds, timeout=30)
        self.tcp = httpx.Client(base_url=self.url, timeout=30)

    def cli(self, *args: str, token: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **({"BLASTDOOR_TOKEN": token} if token else {})}
        return subprocess.run([BLASTDOOR, *args], env=env, capture_output=True, text=True, check=check, timeout=60)

    def add_person(self, name: str, role: str = "approver", admin_token: str = "") -> str:
        return self.cli("people", "add", name, "--role", role, token=admin_token).stdout.strip()

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def hook(self, harness: str, payload: bytes, **env: str) -> tuple[int, Any, str]:
        """The thin hook client as a harness runs it: `python -I -S hookclient.py HARNESS`."""
        import json

        full = {**self.env, "BLASTDOOR_SOCKET": self.socket, **env}
        proc = subprocess.run(
            [sys.executable, "-I", "-S", HOOK_CLIENT, harness], input=payload, env=full, capture_output=True, timeout=60
        )
        out = proc.stdout.decode()
        return proc.returncode, (json.loads(out) if out.strip() else None), proc.stderr.decode()

    def stop(self) -> str:
        """Stop with SIGTERM (a clean shutdown: checkpoint, close); returns what it printed on stderr."""
        if hasattr(self, "client"):
            self.client.close()
            self.tcp.close()
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err or ""
