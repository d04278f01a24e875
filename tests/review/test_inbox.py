"""A sign-off in the web inbox (real headless Chromium, the real `blastdoor serve`) lets exactly the
reviewed commits through the remote's pre-receive hook; the commits' author is offered no sign-off
and the API refuses theirs; a commit added after the sign-off is refused."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.review.repo import Repo
from tests.server.test_browser import CHROMIUM, TIMEOUT_MS, Server


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    repo = Repo(tmp_path / "git")
    tokens: dict[str, str] = {}
    for name, role in (("boss", "admin"), ("alice", "approver"), ("sam", "approver")):
        args = ["people", "add", name, "--role", role] + (
            ["--token-file", str(tmp_path / "boss.token")] if tokens else []
        )
        code, out, err = repo.blastdoor(*args)
        assert code == 0, err
        tokens[name] = out.strip()
        (tmp_path / f"{name}.token").write_text(tokens[name])
    env = {k: v for k, v in os.environ.items() if k not in ("BLASTDOOR_TOKEN", "BLASTDOOR_SOCKET", "BLASTDOOR_SERVER")}
    env.update(repo.env)
    sockdir = tempfile.mkdtemp(prefix="bd-")
    server = Server(env, os.path.join(sockdir, "server.sock"), tmp_path / "server.log")
    try:
        yield {"repo": repo, "tokens": tokens, "server": server}
    finally:
        server.stop()
        shutil.rmtree(sockdir, ignore_errors=True)


def test_signoff_in_the_inbox_lets_exactly_the_reviewed_commits_through(world: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    repo: Repo = world["repo"]
    url = world["server"].url
    tokens = world["tokens"]
    repo.install_pre_receive()
    repo.write("infra/main.tf", 'resource "aws_s3_bucket" "logs" {}\n')
    sha = repo.agent_commit("add a log bucket", "toolu_inbox", author=("alice", "alice@example.com"))
    assert repo.push()[0] != 0
    code, out, err = repo.blastdoor("review", "origin/main..HEAD", "--request", "--json")
    assert code == 4, err
    review_id = json.loads(out)["request"]["id"]

    # The API refuses the author's own sign-off.
    refused = httpx.post(
        f"{url}/v1/reviews/{review_id}/approve", headers={"Authorization": f"Bearer {tokens['alice']}"}, json={}
    )
    assert refused.status_code == 403 and "cannot sign them off" in refused.json()["error"]["message"]

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)

            def sign_in(name: str) -> None:
                page.goto(f"{url}/changes")
                page.get_by_label("API token").fill(tokens[name])
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator("#signed-in-as")).to_have_text(name)

            sign_in("alice")
            card = page.locator(f"article#{review_id}")
            expect(card).to_contain_text("sign-off by 1 of seniors")
            card.get_by_role("link", name=f"Review {review_id}").click()
            expect(page.locator("#commits")).to_contain_text(sha[:12])
            expect(page.locator("#commits")).to_contain_text("audit-log")
            expect(page.locator("#reasons")).to_contain_text("infra/main.tf")
            expect(page.locator("#no-vote")).to_contain_text("cannot sign them off")
            expect(page.get_by_role("button", name="Sign off")).to_have_count(0)
            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(re.compile(r"/login$"))

            sign_in("sam")
            page.goto(f"{url}/changes/{review_id}")
            page.get_by_label("Comment").fill("private bucket, fine")
            page.get_by_role("button", name="Sign off").click()
            expect(page.locator("#message")).to_have_text("Your sign-off is recorded.")
            expect(page.locator("#status")).to_have_text("approved")
            expect(page.locator("#votes")).to_contain_text("private bucket, fine")
        finally:
            browser.close()

    code, err = repo.push()
    assert code == 0, err
    repo.write("infra/main.tf", 'resource "aws_s3_bucket" "more" {}\n')
    late = repo.agent_commit("one more bucket", "toolu_late")
    code, err = repo.push()
    assert code != 0 and late[:12] in err and sha[:12] not in err
