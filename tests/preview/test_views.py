"""Where a preview is shown: the web inbox's request page (full form: counts by kind of change, then the
list; a failed preview says so), `blastdoor explain`, and the audit log's decision event."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from blastdoor.action import Action, Agent
from blastdoor.audit.log import Query
from blastdoor.pipeline import decide_and_record
from blastdoor.server.app import create_app
from blastdoor.server.config import ServerConfig
from blastdoor.services import Services, open_services
from tests.hooks.harness import BLASTDOOR
from tests.policy.helpers import policy

POLICY = policy(
    {
        "default": "allow",
        "protect": ["**/ledger/**"],
        "approvers": {"sre-leads": ["bob", "carol"]},
        "rules": [
            {
                "id": "data-wipe",
                "match": {"effects": ["delete"]},
                "verdict": "approve",
                "approvals": {"count": 2, "from": "sre-leads"},
                "reason": "Deleting data needs two SRE leads.",
            }
        ],
    }
)
AGENT = Agent("claude-code:alice@laptop", "claude-code", session="s1", on_behalf_of="alice", host="laptop")
EVIL = "<script>alert(1)<\\script>"


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    services = open_services(str(tmp_path / "store.db"), checkpoint_on_close=False)
    token = services.people.add("bob", "admin")
    with TestClient(create_app(ServerConfig(listen="", socket=""), services)) as client:
        r = client.post("/login", data={"token": token}, follow_redirects=False)
        assert r.status_code == 303
        yield client, services
    services.close()


def _file(services: Services, raw: str, cwd: Path) -> str:
    action = Action("shell", "shell", raw=raw, cwd=str(cwd), agent=AGENT)
    _, decision = decide_and_record(POLICY, action, services.log, "c1", approvals=services.approvals)
    assert decision.verdict == "approve", decision.to_dict()
    return decision.request_id


def test_the_request_page_shows_counts_then_the_list_with_protected_items(
    site: tuple[TestClient, Services], tmp_path: Path
) -> None:
    client, services = site
    (tmp_path / "books" / "ledger").mkdir(parents=True)
    (tmp_path / "books" / "ledger" / "2026.csv").write_text("x" * 10)
    (tmp_path / "books" / EVIL).write_text("y")
    request_id = _file(services, "rm -r books", tmp_path)
    page = client.get(f"/requests/{request_id}").text
    counts = page.index('id="preview-counts"')
    listing = page.index('id="preview-items"')
    assert counts < listing
    assert re.search(r"<td>delete</td><td>2</td>", page)
    assert "2026.csv</code> <strong>(protected)</strong>" in page
    assert EVIL not in page and "&lt;script&gt;alert(1)" in page  # a file name an agent chose is data


def test_a_failed_preview_says_no_preview_available(site: tuple[TestClient, Services], tmp_path: Path) -> None:
    client, services = site
    request_id = _file(services, "psql -h 127.0.0.1 -p 1 -d test -c 'DELETE FROM t'", tmp_path)
    page = client.get(f"/requests/{request_id}").text
    assert 'id="no-preview"' in page and "No preview available (failed)" in page


def test_the_audit_event_carries_the_preview_digest_and_counts(
    site: tuple[TestClient, Services], tmp_path: Path
) -> None:
    _, services = site
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("1")
    request_id = _file(services, "rm -r d", tmp_path)
    request = services.approvals.get(request_id)
    (event,) = services.log.search(Query(kind="decision"))
    recorded = event.get("event", event)["action"]["preview"]
    from blastdoor.action.canonical import digest

    assert recorded["digest"] == digest(request.detail["preview"])
    assert recorded["summary"] == {"delete": 1} and recorded["kind"] == "files" and recorded["status"] == "ok"


def test_explain_previews_an_escalated_action(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(
        "version: 1\ndefault: allow\nrules:\n  - id: deletes\n    match: { effects: [delete] }\n    verdict: ask\n"
    )
    (tmp_path / "d").mkdir()
    for i in range(3):
        (tmp_path / "d" / str(i)).write_text("1")
    out = subprocess.run([BLASTDOOR, "explain", "--", "rm", "-r", "d"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 3, out.stderr
    assert "preview: files: 3 delete" in out.stdout and "       3  delete" in out.stdout
    j = subprocess.run(
        [BLASTDOOR, "explain", "--json", "--", "rm", "-r", "d"], cwd=tmp_path, capture_output=True, text=True
    )
    assert json.loads(j.stdout)["preview"]["summary"] == {"delete": 3}
    plain = subprocess.run(
        [BLASTDOOR, "explain", "--no-preview", "--", "rm", "-r", "d"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "preview:" not in plain.stdout
    assert (tmp_path / "d" / "0").exists()
