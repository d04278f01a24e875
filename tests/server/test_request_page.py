"""The request page: what needs approval for SQL run through a shell, each line once, and no vote
button for someone the server would refuse (their own request)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from blastdoor.server.app import create_app
from blastdoor.server.config import ServerConfig
from tests.server.test_web import Site, _services


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Site]:
    db = str(tmp_path / "store.db")
    services = _services(db)
    tokens = {"root": services.people.add("root", "admin")}
    for name in ("bob", "carol", "alice"):
        tokens[name] = services.people.add(name, by="root")
    with TestClient(create_app(ServerConfig(listen="", socket=""), services)) as client:
        yield Site(client, services, tokens, db)
    services.close()


def _text(page: str) -> list[str]:
    main = page[page.index("<main") :]
    main = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    lines = re.sub(r"</(p|li|tr|dd|h\d|pre)>", "\n", main)
    lines = html.unescape(re.sub(r"<[^>]+>", " ", lines))
    return [" ".join(ln.split()) for ln in lines.splitlines() if ln.strip()]


def _dd(page: str, term: str) -> str:
    found = re.search(rf"<dt>{term}</dt><dd[^>]*>(.*?)</dd>", page, flags=re.S)
    assert found, term
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.mark.parametrize(
    ("raw", "tool", "operation"),
    [
        ("psql -c 'DROP TABLE x'", "sql", "sql:drop_table"),
        ("cd /tmp && psql -c 'DELETE FROM users'", "sql", "sql:delete"),
        ("rm -rf ./data", "shell", "shell:rm"),
    ],
)
def test_the_headline_is_the_part_that_needs_approval(site: Site, raw: str, tool: str, operation: str) -> None:
    request_id = site.file(raw)
    site.sign_in("bob")
    page = site.client.get(f"/requests/{request_id}").text
    shown = _dd(page, "Tool")
    assert shown.startswith(f"{tool} · {operation}"), shown
    assert ("run through shell" in shown) == (tool != "shell"), shown
    inbox = site.client.get("/").text
    assert f"<code>{operation}</code>" in inbox


def test_no_line_is_shown_twice(site: Site) -> None:
    request_id = site.file("psql -c 'DROP TABLE x'")
    site.sign_in("bob")
    csrf = site.csrf(f"/requests/{request_id}")
    site.client.post(f"/requests/{request_id}/approve", data={"csrf": csrf, "comment": "looked"})
    page = site.client.get(f"/requests/{request_id}").text
    notes = re.findall(r"<li>([^<]*) <span class=\"hint\">", page)
    assert notes and len(notes) == len(set(notes)), notes
    assert page.count("Deleting data needs two SRE leads") == 1  # beside the rule, not again as a reason
    assert len(re.findall(r"bob\b[^<]*approved|<td>bob</td>", page)) == 1  # the votes table, not a summary too


def test_the_requester_gets_no_vote_buttons_and_is_told_why(site: Site) -> None:
    request_id = site.file("rm -rf ./data")  # on behalf of alice
    site.sign_in("alice")
    page = site.client.get(f"/requests/{request_id}").text
    assert 'class="approve"' not in page and "/deny" not in page
    said = _text(page)
    assert any("You asked for this action" in ln and "bob, carol" in ln for ln in said), said
    # The server still refuses a vote sent anyway (the page only stops offering it).
    token = site.tokens["alice"]
    answer = site.client.post(f"/v1/approvals/{request_id}/approve", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "self"


def test_an_eligible_approver_still_gets_the_buttons(site: Site) -> None:
    request_id = site.file("rm -rf ./data")
    site.sign_in("bob")
    page = site.client.get(f"/requests/{request_id}").text
    assert 'class="approve"' in page and f"/requests/{request_id}/deny" in page and "no-vote" not in page
