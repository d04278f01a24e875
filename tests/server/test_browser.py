"""The approval flow end to end, in real headless Chromium: hook → inbox → two approvals → allowed once.

The server is the real `blastdoor serve` (a subprocess, TCP and a unix socket); the hook is run as a
harness runs it (`python -I -S .../hookclient.py claude-code`, the payload on stdin, claiming USER=alice:
the server takes the requester from the socket's peer, this test's OS user, instead); people are
added with the CLI; the browser is Debian's chromium driven by Playwright.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import blastdoor.hookclient

CHROMIUM = "/usr/bin/chromium"
ME = getpass.getuser()  # the OS user the unix socket reports: the requester of the hook's actions
TIMEOUT_MS = 20_000  # any single browser step; the whole flow takes a few seconds
PROJECT_POLICY = """\
version: 1
approvers:
  sre-leads: [bob, carol]
rules:
  - id: data-wipe
    match: { effects: [delete] }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
    reason: Deleting the data directory needs two SRE leads.
"""


def _cli(*args: str, env: dict[str, str], token: str = "") -> subprocess.CompletedProcess[str]:
    run_env = {**env, "BLASTDOOR_TOKEN": token} if token else env
    return subprocess.run(
        [sys.executable, "-m", "blastdoor", *args], env=run_env, capture_output=True, text=True, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`blastdoor serve` in a subprocess, its stderr kept for the failure message."""

    def __init__(self, env: dict[str, str], sock: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._err = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "blastdoor", "serve", "--listen", f"127.0.0.1:{self.port}", "--socket", sock],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"blastdoor serve exited: {self.output()}"
            assert time.monotonic() < deadline, f"blastdoor serve did not answer /healthz: {self.output()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200 and os.path.exists(sock):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._err.close()
        return self.proc.returncode


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A blastdoor home, a project with the two-person policy, people, and the running server."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does)")
    # The test's own isolated HOME and BLASTDOOR_HOME (conftest), so this process can read the store after.
    outside = (
        "BLASTDOOR_DB",
        "BLASTDOOR_TOKEN",
        "BLASTDOOR_SOCKET",
        "BLASTDOOR_SERVER",
        "BLASTDOOR_LISTEN",
        "BLASTDOOR_AGENT",
    )
    env = {k: v for k, v in os.environ.items() if k not in outside}
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "blastdoor.yaml").write_text(PROJECT_POLICY)
    # A unix socket path must stay short (108 bytes): not under pytest's long tmp_path.
    sockdir = tempfile.mkdtemp(prefix="bd-")
    sock = os.path.join(sockdir, "server.sock")

    tokens: dict[str, str] = {}
    root = _cli("people", "add", "boss", "--role", "admin", env=env)
    assert root.returncode == 0, root.stderr
    tokens["boss"] = root.stdout.strip()
    for name in ("bob", "carol", ME):
        added = _cli("people", "add", name, env=env, token=tokens["boss"])
        assert added.returncode == 0, added.stderr
        tokens[name] = added.stdout.strip()

    server = Server(env, sock, tmp_path / "server.log")
    try:
        yield {"env": env, "project": project, "sock": sock, "tokens": tokens, "server": server}
    finally:
        server.stop()
        shutil.rmtree(sockdir, ignore_errors=True)


def _hook(world: dict[str, Any]) -> dict[str, Any]:
    """Claude Code's PreToolUse for `rm -rf ./data`, through the thin hook client, claiming to be alice's agent."""
    payload = {
        "session_id": "e2e-session",
        "transcript_path": str(world["project"] / "transcript.jsonl"),
        "cwd": str(world["project"]),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf ./data", "description": "clean up the data directory"},
        "tool_use_id": "toolu_e2e",
    }
    env = {**world["env"], "BLASTDOOR_SOCKET": world["sock"], "USER": "alice"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", blastdoor.hookclient.__file__, "claude-code"],
        input=json.dumps(payload),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=world["project"],
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    reply: dict[str, Any] = json.loads(done.stdout)["hookSpecificOutput"]
    return reply


def _hook_calls_served(world: dict[str, Any]) -> float:
    """How many Claude Code hook calls the server decided (the fast path, not the in-process fallback)."""
    text = httpx.get(f"{world['server'].url}/metrics", timeout=10).text
    found = re.findall(r'^blastdoor_decisions_total\{[^}]*front="hook:claude-code"[^}]*\} (\S+)$', text, re.M)
    return sum(float(n) for n in found)


def _pending_id(reply: dict[str, Any]) -> str:
    assert reply["permissionDecision"] == "deny", reply
    found = re.search(r"request (req_[0-9a-f]+) is pending", reply["permissionDecisionReason"])
    assert found, reply
    return found.group(1)


def test_the_approval_flow_from_hook_to_click_to_one_allowed_retry(world: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = world["server"].url
    tokens = world["tokens"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)

            def sign_in(name: str) -> None:
                page.goto(f"{url}/")
                expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
                page.get_by_label("API token").fill(tokens[name])
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator("#signed-in-as")).to_have_text(name)

            def sign_out() -> None:
                page.get_by_role("button", name="Sign out").click()
                expect(page).to_have_url(re.compile(r"/login$"))

            def vote(button: str, comment: str) -> None:
                page.get_by_label("Comment").fill(comment)
                page.get_by_role("button", name=button).click()

            # bob has the inbox open when the agent asks: the request appears without a reload (SSE).
            sign_in("bob")
            expect(page.locator("#inbox")).to_contain_text("No pending requests")
            served = _hook_calls_served(world)
            request_id = _pending_id(_hook(world))
            assert _hook_calls_served(world) == served + 1  # the server answered the hook
            card = page.locator(f"article#{request_id}")
            expect(card).to_be_visible()
            for fact in ("rm -rf ./data", ME, "claude-code", "data-wipe", "0 of 2 approvals", "sre-leads"):
                expect(card).to_contain_text(fact)

            card.get_by_role("link", name=f"Review {request_id}").click()
            expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible()
            expect(page.locator("pre.command")).to_have_text("rm -rf ./data")
            vote("Approve", "bob: the data directory is scratch")
            expect(page.locator("#message")).to_have_text("Your approval is recorded.")
            expect(page.locator("#state")).to_contain_text("1 of 2 approvals")
            # A second vote by the same person is not offered (the server would refuse it); the page says why.
            expect(page.locator("#no-vote")).to_contain_text("bob has already voted")
            expect(page.get_by_role("button", name="Approve")).to_have_count(0)
            sign_out()

            sign_in(ME)  # the agent acts for the socket's peer (not the USER it claims): no self-approval
            page.goto(f"{url}/requests/{request_id}")
            expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # no button on their own request
            expect(page.locator("#no-vote")).to_contain_text("You asked for this action")
            expect(page.locator("#no-vote")).to_contain_text("carol")  # who can approve it instead
            sign_out()

            sign_in("carol")
            expect(page.locator(f"article#{request_id}")).to_contain_text("1 of 2 approvals")
            # carol follows the notification's link from another site (localhost is not 127.0.0.1): the
            # browser withholds the SameSite=Strict cookie, and the page reloads itself to get it.
            page.goto(f"http://localhost:{world['server'].port}/login")
            page.evaluate("url => { location.href = url }", f"{url}/requests/{request_id}")
            expect(page).to_have_url(f"{url}/requests/{request_id}")
            expect(page.locator("#signed-in-as")).to_have_text("carol")
            vote("Approve", "carol: agreed")
            expect(page.locator("#status")).to_have_text("approved")
            expect(page.locator("#state")).to_contain_text("carol: agreed")

            # The identical action again: allowed, once.
            assert _hook(world)["permissionDecision"] == "allow"
            again = _pending_id(_hook(world))
            assert again != request_id
            page.goto(f"{url}/")
            expect(page.locator(f"article#{again}")).to_be_visible()
            expect(page.locator(f"article#{request_id}")).to_have_count(0)
            page.goto(f"{url}/history")
            expect(page.get_by_role("row", name=re.compile(request_id))).to_contain_text("consumed")
        finally:
            browser.close()

    # Stopped cleanly (SIGTERM, as a service manager stops it): exit 0, its socket removed, the store closed.
    assert world["server"].stop() == 0, world["server"].output()
    assert not os.path.exists(world["sock"])
    env = world["env"]
    verified = _cli("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    from blastdoor.services import open_services

    with open_services(checkpoint_on_close=False) as services:
        events = [e["event"] for e in services.log.entries()]
    decisions = [(e["verdict"], e.get("request_id"), e["approvers"]) for e in events if e["kind"] == "decision"]
    assert decisions == [
        ("approve", request_id, []),
        ("allow", request_id, ["bob", "carol"]),
        ("approve", again, []),
    ]
    granted = [
        (e["approval"]["request_id"], e["approval"]["approver"]) for e in events if e["kind"] == "approval.granted"
    ]
    assert granted == [(request_id, "bob"), (request_id, "carol")]
    comments = [e["approval"].get("reason") for e in events if e["kind"] == "approval.granted"]
    assert comments == ["bob: the data directory is scratch", "carol: agreed"]
