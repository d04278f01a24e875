"""The fleet store on SQLite and PostgreSQL, and what a submitted report is reduced to."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.inventory.reports import InventoryReports, ReportError, normalise, unseen_agents
from blastdoor.store import open_store

REPORT = {
    "host": "laptop-1",
    "generated": "2026-12-04T17:00:00Z",
    "agents": [
        {"id": "codex@user", "tool": "codex", "tier": 1, "hooks": "absent", "prod_credentials": ["aws-profile:prod"],
         "reasons": ["approval_policy never"], "credentials": ["aws-profile:prod"],
         "files": ["/home/me/.codex/config.toml"]},
    ],
    "findings": [{"id": "INV-0123456789ab", "rule": "unrestricted-execution", "severity": "critical",
                  "file": "/home/me/.codex/config.toml", "line": 3, "message": "m", "fix": "f"}],
    "credentials": [{"kind": "aws-profile", "name": "prod"}],
}  # fmt: skip


def test_latest_report_per_host(store_url: str) -> None:
    store = open_store(store_url)
    try:
        reports = InventoryReports(store)
        reports.put(normalise(REPORT), by="alice", now=1.0)
        reports.put(normalise({**REPORT, "host": "ci-7", "agents": []}), by="bot", now=2.0)
        second = {**REPORT, "agents": [{**REPORT["agents"][0], "tier": 3}]}  # type: ignore[dict-item]
        reports.put(normalise(second), by="bob", now=3.0)
        got = {r["host"]: r for r in reports.all()}
        assert sorted(got) == ["ci-7", "laptop-1"]
        assert got["laptop-1"]["agents"][0]["tier"] == 3 and got["laptop-1"]["submitted_by"] == "bob"
        assert got["laptop-1"]["received"] == 3.0
        # only the fleet view's fields are kept: no credential list, no file list, no messages
        stored = json.dumps(got["laptop-1"])
        assert "credentials" not in got["laptop-1"] and "files" not in stored and '"message"' not in stored
    finally:
        store.close()


def test_unseen_agents_by_host_and_harness() -> None:
    reports = [normalise(REPORT)]
    seen = [
        {"id": "a", "harness": "codex", "host": "laptop-1"},
        {"id": "b", "harness": "claude-code", "host": "laptop-1"},
        {"id": "c", "harness": "codex", "host": ""},
        {"id": "d", "harness": "codex", "host": "other"},
        {"id": "e", "harness": "", "host": "laptop-1"},
    ]
    assert [a["id"] for a in unseen_agents(reports, seen)] == ["b", "d", "e"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "host"),
        ({"host": ""}, "host"),
        ({"host": "h", "agents": {}}, "agents"),
        ({"host": "h", "agents": [{"id": "a", "tool": "t", "tier": True}]}, "agents[0].tier"),
        ({"host": "h", "agents": [{"id": "a", "tier": 1}]}, "agents[0].tool"),
        ({"host": "h", "findings": [{"severity": "urgent"}]}, "findings[0].severity"),
        ({"host": "h", "agents": [{"id": "a", "tool": "t", "tier": 1, "reasons": [1]}]}, "agents[0].reasons[0]"),
    ],
)
def test_bad_reports_say_where(body: dict, where: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ReportError) as raised:
        normalise(body)
    assert str(raised.value).startswith(f"`{where}`")


JSONS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["host", "agents", "findings", "id", "tool", "tier", "severity", "reasons", "line", "x"]), inner, max_size=5),
    max_leaves=20,
)  # fmt: skip


@given(JSONS)
def test_any_json_is_a_report_or_a_report_error(value: object) -> None:
    try:
        out = normalise(value)
    except ReportError:
        return
    assert isinstance(out["host"], str) and out["host"]
    assert all(1 <= a["tier"] <= 4 for a in out["agents"])
