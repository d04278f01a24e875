"""The fleet view: `blastdoor inventory --submit` to the real server, the API, and /inventory in Chromium."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inventory.conftest import SECRETS, cli
from tests.server.harness import Server

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "server-home")
    try:
        yield srv
    finally:
        srv.stop()


def _decide_as(server: Server, agent: str, harness: str, host: str) -> None:
    answer = server.client.post(
        "/v1/decide", json={"action": {"shell": "ls", "agent": {"id": agent, "harness": harness, "host": host}}}
    )
    assert answer.status_code == 200, answer.text


def test_submit_keeps_the_latest_report_per_host(server: Server, risky: Path) -> None:
    admin = server.add_person("root", "admin")
    machine = server.add_person("laptop-7", "requester", admin_token=admin)
    home, repo = risky / "home", risky / "repo"
    done = cli("inventory", str(repo), "--home", str(home), "--submit", server.url, home=home, cwd=repo,
               env={"BLASTDOOR_TOKEN": machine})  # fmt: skip
    assert done.returncode == 0, done.stderr
    fleet = server.tcp.get("/v1/inventory", headers=server.auth(admin)).json()
    (report,) = fleet["reports"]
    assert report["host"] == socket.gethostname() and report["submitted_by"] == "laptop-7"
    assert {a["id"].split("@")[0] for a in report["agents"] if a["tier"] == 1} >= {"claude-code", "kiro/ops", "codex"}
    body = server.tcp.get("/v1/inventory", headers=server.auth(admin)).text
    assert not any(secret in body for secret in SECRETS)
    # a second report from the same host replaces the first
    claude = repo / ".claude" / "settings.json"
    claude.write_text(claude.read_text().replace('"Bash(*)",', ""))
    done = cli("inventory", str(repo), "--home", str(home), "--submit", server.url + "/v1/inventory", home=home,
               cwd=repo, env={"BLASTDOOR_TOKEN": machine})  # fmt: skip
    assert done.returncode == 0, done.stderr
    (report,) = server.tcp.get("/v1/inventory", headers=server.auth(admin)).json()["reports"]
    assert next(a for a in report["agents"] if a["id"].startswith("claude-code@/"))["tier"] > 1
    # a requester may report but not read the fleet
    assert server.tcp.get("/v1/inventory", headers=server.auth(machine)).status_code == 403


def test_submit_refuses_without_a_token_and_bad_reports(server: Server, risky: Path) -> None:
    admin = server.add_person("root", "admin")
    assert server.tcp.post("/v1/inventory", json={"host": "x"}).status_code == 401
    bad = server.tcp.post("/v1/inventory", json={"host": "x", "agents": [{"id": "a", "tool": "t", "tier": 9}]},
                          headers=server.auth(admin))  # fmt: skip
    assert bad.status_code == 400 and "agents[0].tier" in bad.json()["error"]["message"]
    assert server.tcp.post("/v1/inventory", json=[1], headers=server.auth(admin)).status_code == 400
    home, repo = risky / "home", risky / "repo"
    done = cli("inventory", str(repo), "--home", str(home), "--submit", server.url, home=home, cwd=repo,
               env={"BLASTDOOR_TOKEN": "not-a-token"})  # fmt: skip
    assert done.returncode == 7 and "refused" in done.stderr
    assert server.tcp.get("/v1/inventory", headers=server.auth(admin)).json()["reports"] == []


def test_an_agent_in_the_audit_log_absent_from_every_inventory_is_flagged(server: Server) -> None:
    admin = server.add_person("root", "admin")
    _decide_as(server, "ci-bot", "codex", "build-7")
    _decide_as(server, "dev", "claude-code", "laptop-1")
    report = {"host": "laptop-1", "agents": [{"id": "claude-code@user", "tool": "claude-code", "tier": 3}]}
    assert server.tcp.post("/v1/inventory", json=report, headers=server.auth(admin)).status_code == 200
    unseen = server.tcp.get("/v1/inventory", headers=server.auth(admin)).json()["unseen_agents"]
    assert [a["id"] for a in unseen] == ["ci-bot"]
    report = {"host": "build-7", "agents": [{"id": "codex@user", "tool": "codex", "tier": 2}]}
    server.tcp.post("/v1/inventory", json=report, headers=server.auth(admin))
    assert server.tcp.get("/v1/inventory", headers=server.auth(admin)).json()["unseen_agents"] == []


def test_the_inventory_page_in_chromium(server: Server) -> None:
    from playwright.sync_api import expect, sync_playwright

    admin = server.add_person("root", "admin")
    _decide_as(server, "ci-bot", "codex", "build-7")
    report = {
        "host": "laptop-1",
        "agents": [
            {"id": "claude-code@~/src/api", "tool": "claude-code", "tier": 1, "hooks": "absent",
             "prod_credentials": ["aws-profile:prod-admin"], "reasons": ["`Bash(*)` allows every shell command"]},
            {"id": "gemini@user", "tool": "gemini", "tier": 4, "hooks": "fail-closed", "reasons": ["asks"]},
        ],
    }  # fmt: skip
    assert server.tcp.post("/v1/inventory", json=report, headers=server.auth(admin)).status_code == 200
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{server.url}/inventory")
            expect(page).to_have_url(re.compile(r"/login\?next=%2Finventory$"))
            page.get_by_label("API token").fill(admin)
            page.get_by_role("button", name=re.compile("sign in", re.I)).click()
            expect(page).to_have_url(re.compile(r"/inventory$"))
            expect(page.get_by_role("heading", name="Agent inventory")).to_be_visible()
            row = page.locator("#inventory-table tbody tr").filter(has_text="claude-code@~/src/api")
            expect(row).to_contain_text("1 critical")
            expect(row).to_contain_text("aws-profile:prod-admin")
            expect(row).to_contain_text("Bash(*)")
            expect(page.locator("#inventory-table tbody tr").filter(has_text="gemini@user")).to_contain_text("4 low")
            expect(page.locator("#unseen")).to_contain_text("1 agent acted")
            expect(page.locator("#unseen-table")).to_contain_text("ci-bot")
            expect(page.get_by_role("link", name="Inventory")).to_have_attribute("aria-current", "page")
        finally:
            browser.close()
