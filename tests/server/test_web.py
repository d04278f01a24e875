"""The web inbox through Starlette's TestClient (and a real uvicorn for the event stream).

Sessions, CSRF, refusals shown as messages, escaping of whatever an agent supplies, the audit and
agents pages, and live updates (a vote in this process and one from the CLI both reach the stream).
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from blastdoor.action import Action, Agent
from blastdoor.approvals import Person
from blastdoor.errors import InputError
from blastdoor.pipeline import decide_and_record
from blastdoor.server.app import create_app
from blastdoor.server.config import ServerConfig
from blastdoor.services import Services, open_services
from tests.policy.helpers import policy

POLICY = policy(
    {
        "default": "allow",
        "approvers": {"sre-leads": ["bob", "carol", "alice"]},
        "rules": [
            {
                "id": "data-wipe",
                "match": {"effects": ["delete"]},
                "verdict": "approve",
                "approvals": {"count": 2, "from": "sre-leads", "ttl": "30m"},
                "reason": "Deleting data needs two SRE leads.",
            }
        ],
    }
)
AGENT = Agent("claude-code:alice@laptop", "claude-code", session="s1", on_behalf_of="alice", host="laptop")
EVIL = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"


class Site:
    """The app, a client, the services behind it and everyone's API token."""

    def __init__(self, client: TestClient, services: Services, tokens: dict[str, str], db: str) -> None:
        self.client = client
        self.services = services
        self.tokens = tokens
        self.db = db

    def sign_in(self, name: str) -> None:
        r = self.client.post("/login", data={"token": self.tokens[name]}, follow_redirects=False)
        assert r.status_code == 303, r.text

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
        assert found, page.text
        return found.group(1)

    def file(self, raw: str = "rm -rf ./data", agent: Agent = AGENT) -> str:
        return file_request(self.services, raw, agent)


def file_request(services: Services, raw: str = "rm -rf ./data", agent: Agent = AGENT) -> str:
    """What a hook does on an approve verdict: decide, record, file the request; its id."""
    action = Action("shell", "shell", raw=raw, cwd="/work/app", agent=agent)
    decision = decide_and_record(
        POLICY, action, services.log, "c-" + raw[:8], approvals=services.approvals, agents=services.agents
    )[1]
    assert decision.verdict == "approve", decision.to_dict()
    return decision.request_id


def _services(db: str) -> Services:
    # The signing key in $BLASTDOOR_HOME (a temp dir per test), where the CLI in another process finds it too.
    return open_services(db, checkpoint_on_close=False)


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Site]:
    db = str(tmp_path / "store.db")
    services = _services(db)
    tokens = {"root": services.people.add("root", "admin")}
    for name in ("bob", "carol", "alice"):
        tokens[name] = services.people.add(name, by="root")
    app = create_app(ServerConfig(listen="", socket=""), services)
    with TestClient(app) as client:
        yield Site(client, services, tokens, db)
    services.close()


def _message(page: str, which: str) -> str:
    found = re.search(rf'id="{which}">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


# -- sessions ---------------------------------------------------------------------------------------------


def test_signed_out_pages_send_you_to_sign_in_and_back(site: Site) -> None:
    request_id = site.file()
    for path in ("/", "/history", "/audit", "/audit/0", "/agents", f"/requests/{request_id}"):
        r = site.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    vote = site.client.post(f"/requests/{request_id}/approve", data={"csrf": "x"}, follow_redirects=False)
    assert vote.headers["location"] == f"/login?next=%2Frequests%2F{request_id}"  # the page, not the POST
    assert site.client.get("/fragments/inbox").status_code == 401
    assert site.client.get("/events").status_code == 401

    login = site.client.get(f"/requests/{request_id}", follow_redirects=True)
    assert login.url.path == "/login" and 'type="password"' in login.text
    r = site.client.post(
        "/login", data={"token": site.tokens["bob"], "next": f"/requests/{request_id}"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/requests/{request_id}"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("blastdoor_session=") and site.tokens["bob"] not in cookie  # a session, not the token
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Max-Age=43200"):
        assert attribute.lower() in cookie.lower(), cookie
    page = site.client.get(f"/requests/{request_id}")
    assert page.status_code == 200 and _message(page.text, "signed-in-as") == "bob"
    assert site.client.get("/login?next=/agents", follow_redirects=False).headers["location"] == "/agents"


def test_a_bad_token_or_an_offsite_next_does_not_sign_in_or_leave_the_site(site: Site) -> None:
    r = site.client.post("/login", data={"token": "bd_not-a-token"}, follow_redirects=False)
    assert r.status_code == 401 and "not valid" in r.text and "set-cookie" not in r.headers
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = site.client.post("/login", data={"token": site.tokens["bob"], "next": target}, follow_redirects=False)
        assert r.headers["location"] == "/", target


def test_sign_out_needs_the_csrf_token_and_ends_the_session(site: Site) -> None:
    site.sign_in("bob")
    assert site.client.post("/logout", data={"csrf": "0" * 64}).status_code == 403
    assert site.client.get("/", follow_redirects=False).status_code == 200  # still signed in
    r = site.client.post("/logout", data={"csrf": site.csrf()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "blastdoor_session=" in r.headers["set-cookie"] and "max-age=0" in r.headers["set-cookie"].lower()
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_a_reissued_token_ends_the_session(site: Site) -> None:
    site.sign_in("bob")
    site.services.people.reissue("bob", by="root")
    r = site.client.get("/", follow_redirects=True)
    assert r.url.path == "/login" and "session ended" in r.text


def test_a_session_is_signed_bound_to_the_token_and_expires(site: Site) -> None:
    from blastdoor.approvals import Person

    people, secret = site.services.people, site.client.app.state.blastdoor.secret  # type: ignore[attr-defined]
    session = people.issue_session(Person("bob"), secret)
    opened = people.open_session(session, secret)
    assert opened is not None and (opened.name, opened.role) == ("bob", "approver")
    assert site.tokens["bob"] not in session
    # The session cookie is not an API credential.
    r = site.client.get("/v1/approvals", headers={"authorization": f"Bearer {session}"})
    assert r.status_code == 401
    issued, name, mac = session.split(".")
    forged = [
        f"{issued}.{b'carol'.hex()}.{mac}",  # someone else's name under bob's mac
        f"{int(issued) + 3600}.{name}.{mac}",  # a later time under the same mac
        f"{issued}.{name}.{'0' * 64}",
        f"{issued}.zz.{mac}",
        "",
        "a.b.c",
    ]
    assert [people.open_session(v, secret) for v in forged] == [None] * len(forged)
    assert people.open_session(session, b"another server's secret" * 2) is None
    later = people.clock() + 12 * 3600 + 1
    original = people.clock
    people.clock = lambda: later
    try:
        assert people.open_session(session, secret) is None  # expired
    finally:
        people.clock = original
    site.services.people.remove("bob", by="root")
    assert people.open_session(session, secret) is None  # removed: every session ends


def test_a_link_from_another_site_is_reloaded_from_this_one(site: Site) -> None:
    # The browser withholds the SameSite=Strict cookie on a cross-site link (a Slack notification): the
    # page reloads itself from this site instead of asking a signed-in person to sign in again.
    request_id = site.file()
    r = site.client.get(f"/requests/{request_id}", headers={"sec-fetch-site": "cross-site"}, follow_redirects=False)
    assert r.status_code == 200 and f'content="0; url=/requests/{request_id}"' in r.text
    r = site.client.get(f"/requests/{request_id}", headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert r.status_code == 303


# -- voting -----------------------------------------------------------------------------------------------


def test_two_approvals_in_the_inbox_approve_the_request(site: Site) -> None:
    request_id = site.file()
    site.sign_in("bob")
    inbox = site.client.get("/")
    assert request_id in inbox.text and "rm -rf ./data" in inbox.text and "0 of 2 approvals" in inbox.text
    for fact in ("claude-code:alice@laptop", "alice", "claude-code", "data-wipe", "Deleting data needs two SRE leads."):
        assert html.escape(fact) in inbox.text, fact
    r = site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf(), "comment": "checked"})
    assert r.status_code == 200 and r.url.path == f"/requests/{request_id}"
    assert _message(r.text, "message") == "Your approval is recorded." and "1 of 2 approvals" in r.text
    site.sign_in("carol")
    r = site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf(), "comment": "ok by me"})
    assert _message(r.text, "status") == "approved"
    assert [(v.person, v.comment) for v in site.services.approvals.get(request_id).votes] == [
        ("bob", "checked"),
        ("carol", "ok by me"),
    ]
    assert request_id not in site.client.get("/").text
    history = site.client.get("/history").text
    assert request_id in history and "bob: approve (checked)" in history and "carol: approve (ok by me)" in history
    assert request_id in site.client.get("/history?status=approved").text
    assert request_id not in site.client.get("/history?status=denied").text


@pytest.mark.parametrize(
    ("who", "status", "says"),
    [
        ("alice", 403, "alice asked for this action"),  # the agent acts for alice
        ("root", 403, "root is not in the approver group `sre-leads`"),
    ],
)
def test_refused_votes_are_shown_on_the_page(site: Site, who: str, status: int, says: str) -> None:
    request_id = site.file()
    site.sign_in(who)
    r = site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf(), "comment": "mine"})
    assert r.status_code == status and says in _message(r.text, "refused")
    # No vote form comes back: another try would be refused the same; the page says why instead.
    assert 'id="no-vote"' in r.text and 'class="approve"' not in r.text
    assert site.services.approvals.get(request_id).votes == []


def test_a_second_vote_a_closed_request_and_an_expired_one_are_refused_with_a_message(site: Site) -> None:
    request_id = site.file()
    site.sign_in("bob")
    site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf()})
    again = site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf()})
    assert again.status_code == 403 and "bob has already voted" in _message(again.text, "refused")

    site.sign_in("carol")
    site.client.post(f"/requests/{request_id}/deny", data={"csrf": site.csrf(), "comment": "not today"})
    assert site.services.approvals.get(request_id).status == "denied"
    site.sign_in("alice")
    closed = site.client.post(f"/requests/{request_id}/approve", data={"csrf": site.csrf()})
    assert closed.status_code == 409 and "denied, not pending" in _message(closed.text, "refused")

    late = site.file("rm -rf ./other")
    site.sign_in("bob")
    token = site.csrf()
    site.services.approvals.clock = lambda: time.time() + 3600  # the request's 30 minutes are over
    expired = site.client.post(f"/requests/{late}/approve", data={"csrf": token})
    assert expired.status_code == 409 and "expired, not pending" in _message(expired.text, "refused")


def test_forms_without_this_sessions_csrf_token_change_nothing(site: Site) -> None:
    request_id = site.file()
    site.sign_in("carol")
    carols = site.csrf()
    site.sign_in("bob")
    for data in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": carols}):
        r = site.client.post(f"/requests/{request_id}/approve", data=data)
        assert r.status_code == 403 and "nothing was changed" in r.text, data
        r = site.client.post("/agents/revoke", data={**data, "agent_id": AGENT.id, "reason": "x"})
        assert r.status_code == 403, data
    assert site.services.approvals.get(request_id).votes == []
    assert site.services.agents.status(AGENT.id)[0] == "active"


def test_an_unknown_request_or_vote_is_a_not_found_page(site: Site) -> None:
    request_id = site.file()
    site.sign_in("bob")
    assert "no approval request `req_nope`" in site.client.get("/requests/req_nope").text
    r = site.client.post(f"/requests/{request_id}/maybe", data={"csrf": site.csrf()}, headers={"accept": "text/html"})
    assert r.status_code == 404


# -- escaping ---------------------------------------------------------------------------------------------


def test_what_an_agent_supplies_is_never_rendered_as_html(site: Site) -> None:
    evil_agent = Agent(f"agent{EVIL}", "claude-code", on_behalf_of="alice", host=EVIL)
    request_id = site.file(f'rm -rf ./data; echo "{EVIL}"', agent=evil_agent)
    site.sign_in("bob")
    site.client.post(f"/requests/{request_id}/deny", data={"csrf": site.csrf(), "comment": EVIL})
    pending = site.file(f"rm -rf ./x # {EVIL}")
    decisions = [
        e["seq"] for e in site.services.log.entries() if e["event"]["kind"] == "decision" and "pwned" in json.dumps(e)
    ]
    pages = [
        "/",
        "/fragments/inbox",
        f"/requests/{request_id}",
        f"/requests/{pending}",
        f"/fragments/requests/{request_id}",
        "/history",
        "/audit",
        f"/audit/{decisions[0]}",
        "/agents",
    ]
    for path in pages:
        text = site.client.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;alert(" in text, path  # it is shown, as text
    # No inline script at all, and the policy forbids it even if a template were wrong.
    page = site.client.get(f"/requests/{pending}")
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/live.js" defer>']
    assert "script-src 'self'" in page.headers["content-security-policy"]


# -- audit and agents -------------------------------------------------------------------------------------


def test_audit_search_and_an_entry_with_a_proof_that_checks(site: Site) -> None:
    from blastdoor.audit.proofs import check_inclusion

    request_id = site.file()
    site.services.approvals.approve(request_id, Person("bob"))
    site.services.log.checkpoint()
    site.sign_in("carol")
    found = site.client.get("/audit", params={"verdict": "approve", "agent": AGENT.id}).text
    assert "rm -rf ./data" in found and "data-wipe" in found
    assert "No matching entries" in site.client.get("/audit", params={"verdict": "deny"}).text
    granted = site.client.get("/audit", params={"kind": "approval.granted", "since": "1h"}).text
    assert f"{request_id} bob" in granted and "rm -rf" not in granted
    assert "No matching entries" in site.client.get("/audit", params={"until": "2000-01-01"}).text
    bad = site.client.get("/audit", params={"since": "last tuesday"})
    assert bad.status_code == 200 and "bad time `last tuesday`" in bad.text

    seq = int(re.findall(r'href="/audit/(\d+)"', granted)[0])
    page = site.client.get(f"/audit/{seq}").text
    entry = json.loads(html.unescape(re.search(r'<pre id="entry">(.*?)</pre>', page, re.S).group(1)))  # type: ignore[union-attr]
    assert entry["seq"] == seq and entry["event"]["approval"]["approver"] == "bob"
    proof = json.loads(html.unescape(re.search(r'<pre id="proof">(.*?)</pre>', page, re.S).group(1)))  # type: ignore[union-attr]
    assert "checkpoint" in proof
    assert str(seq) in check_inclusion(proof, site.services.log.keys.trusted())
    assert "blastdoor audit prove --check" in page and f'href="/requests/{request_id}"' in page
    # The download link is the API's proof, which the session cookie opens too.
    assert site.client.get(f"/v1/audit/events/{seq}/proof").json()["root"] == proof["root"]
    assert site.client.get("/audit/99999").status_code == 404


def test_history_pages_through_every_closed_request_once(site: Site) -> None:
    from blastdoor.server.web import LIMIT

    ids = [site.file(f"rm -rf ./data{n}") for n in range(LIMIT + 12)]
    for request_id in ids:
        site.services.approvals.deny(request_id, Person("bob"), comment="no")
    site.sign_in("carol")
    seen: list[str] = []
    path = "/history?status=denied"
    for _ in range(5):  # bounded: a cursor that restarts would page forever
        page = site.client.get(path).text
        seen += re.findall(r'href="/requests/(req_[0-9a-f]+)"', page)
        older = re.search(r'<a href="([^"]+)" rel="next">', page)
        if older is None:
            break
        path = html.unescape(older.group(1))
        assert "status=denied" in path
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen[0] == ids[-1]  # most recently closed first
    with pytest.raises(InputError):
        site.services.approvals.closed(["nonsense"])


def test_the_audit_browser_pages_through_the_whole_log_by_sequence_number(site: Site) -> None:
    from blastdoor.server.web import LIMIT

    for n in range(LIMIT + 30):
        site.services.log.append({"kind": "acme.tick", "n": n})
    total = site.services.log.size()
    site.sign_in("carol")
    seen: list[int] = []
    path = "/audit?kind=acme.tick"
    for _ in range(5):
        page = site.client.get(path).text
        seen += [int(s) for s in re.findall(r'<td><a href="/audit/(\d+)">', page)]
        older = re.search(r'<a href="([^"]+)" rel="next">', page)
        if older is None:
            break
        path = html.unescape(older.group(1))
        assert "kind=acme.tick" in path  # the filters carry over to the next page
    assert len(seen) == LIMIT + 30 and seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen)
    assert 'href="/audit?kind=acme.tick">Newest entries' in site.client.get(path).text
    # The API pages the same way.
    api = site.client.get("/v1/audit/events", params={"kind": "acme.tick", "before": seen[9], "limit": 5}).json()
    assert [e["seq"] for e in api["entries"]] == seen[10:15]
    assert site.client.get("/v1/audit/events", params={"before": "x"}).status_code == 400
    assert max(seen) < total


def test_anyone_revokes_an_agent_and_only_admins_restore_it(site: Site) -> None:
    request_id = site.file()
    site.sign_in("bob")
    agents = site.client.get("/agents").text
    assert AGENT.id in agents and "laptop" in agents and f"Revoke {AGENT.id}" in agents
    token = site.csrf("/agents")
    no_reason = site.client.post("/agents/revoke", data={"csrf": token, "agent_id": AGENT.id, "reason": ""})
    assert no_reason.status_code == 400 and "reason" in _message(no_reason.text, "refused")
    r = site.client.post("/agents/revoke", data={"csrf": token, "agent_id": AGENT.id, "reason": "looping on prod"})
    assert r.status_code == 200 and f"Cancelled its open requests: {request_id}" in _message(r.text, "message")
    assert site.services.agents.status(AGENT.id) == ("revoked", "looping on prod", "bob")
    assert site.services.approvals.get(request_id).status == "cancelled"
    assert f"Restore {AGENT.id}" not in r.text  # bob is not an admin
    refused = site.client.post("/agents/restore", data={"csrf": token, "agent_id": AGENT.id, "reason": "ok"})
    assert refused.status_code == 403 and "bob is not an admin" in _message(refused.text, "refused")

    site.sign_in("root")
    assert f"Restore {AGENT.id}" in site.client.get("/agents").text
    r = site.client.post("/agents/restore", data={"csrf": site.csrf(), "agent_id": AGENT.id, "reason": "fixed"})
    assert r.status_code == 200 and site.services.agents.status(AGENT.id)[0] == "active"


def test_static_files_are_served_from_the_package(site: Site) -> None:
    css = site.client.get("/static/blastdoor.css")
    js = site.client.get("/static/live.js")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert js.status_code == 200 and "EventSource" in js.text


# -- live updates -----------------------------------------------------------------------------------------


class Served:
    """The app on a real uvicorn in a thread (TestClient cannot read an endless response)."""

    def __init__(self, app: Starlette) -> None:
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, loop="asyncio", lifespan="on", log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()


def _next_event(lines: Iterator[str]) -> dict[str, str]:
    """The next event's fields (comments and the retry hint skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "event" in fields:
                return fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    raise AssertionError("the stream ended")


def test_the_event_stream_announces_votes_from_this_server_and_from_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    services = _services(db)
    tokens = {name: services.people.add(name) for name in ("bob", "carol")}
    request_id = file_request(services)
    app = create_app(ServerConfig(listen="", socket=""), services)
    served = Served(app)
    state = app.state.blastdoor
    try:
        with httpx.Client(base_url=served.url, timeout=15) as client:
            from blastdoor.approvals import Person

            client.cookies.set("blastdoor_session", services.people.issue_session(Person("bob"), state.secret))
            with client.stream("GET", "/events") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.iter_lines()
                assert next(lines).startswith("retry:")  # subscribed: what happens from now on is announced
                # A vote through this server: published at once (named; a poll may announce it first).
                r = client.post(
                    f"/v1/approvals/{request_id}/approve", json={}, headers={"authorization": f"Bearer {tokens['bob']}"}
                )
                assert r.status_code == 200, r.text
                event = _next_event(lines)
                if event["data"] == "changed":
                    event = _next_event(lines)
                assert event["event"] == "change" and event["data"] == f"approve {request_id}" and event["id"]
                # A vote from the CLI, another process: the stream sees the store's fingerprint change.
                env = {**os.environ, "BLASTDOOR_DB": db, "BLASTDOOR_TOKEN": tokens["carol"]}
                cli = [sys.executable, "-m", "blastdoor", "approvals", "approve", request_id, "-m", "from the cli"]
                done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
                assert done.returncode == 0, done.stderr
                event = _next_event(lines)
                assert event == {"id": event["id"], "event": "change", "data": "changed"}
                assert services.approvals.get(request_id).status == "approved"
            # The client went away: the stream stops and unsubscribes.
            deadline = time.monotonic() + 10
            while state._subscribers:
                assert time.monotonic() < deadline, "the stream did not stop after the client left"
                time.sleep(0.05)
            # A reconnect from a stale point (Last-Event-ID) hears about what it missed at once.
            with client.stream("GET", "/events", headers={"last-event-id": "stale"}) as stream:
                event = _next_event(stream.iter_lines())
                assert event["event"] == "change" and event["id"] != "stale"
    finally:
        served.stop()
        services.close()
