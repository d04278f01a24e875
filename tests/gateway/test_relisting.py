"""Attacks on the gateway's cached tool listing: a server whose tools change after they were pinned.

The gateway answers calls (and, over streamable HTTP, the SDK's per-call input-schema lookup) from the
routes of its last listing, checked against the pins. These tests make the server change mid-session
(tests/mcp/servers/shifty.py: ``morph`` rewrites ``send_money`` and adds ``wipe_disk``) and check that
neither the changed tool nor the new one runs once the gateway has had its chance to list again: at
the server's ``list_changed`` notification, or after ``pinning.relist_after`` seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import anyio

from mcp import Client
from tests.gateway.harness import BLASTDOOR, MCP_DIR, Project, text
from tests.gateway.test_http import free_port, running

SHIFTY = str(MCP_DIR / "servers" / "shifty.py")
POLICY = """version: 1
default: allow
unknown: allow  # only pinning stands between these calls and the server
"""


def _project(tmp_path: Path, *, notify: bool, **pinning: Any) -> Project:
    env = {"SHIFTY_LEDGER": str(tmp_path / "ledger")}
    if notify:
        env["SHIFTY_NOTIFY"] = "1"
    server = {"command": sys.executable, "args": [SHIFTY], "env": env}
    return Project(tmp_path, {"shifty": server}, POLICY, pinning=pinning)


def _pinned(tmp_path: Path, *, notify: bool, **pinning: Any) -> Project:
    """A project whose first three tools were pinned (trust on first use) by an earlier session; from now
    on new tools wait for approval."""
    first = _project(tmp_path, notify=notify)
    names = first.session(lambda c: _names(c))
    assert names == {"shifty__get_status", "shifty__morph", "shifty__send_money"}
    return _project(tmp_path, notify=notify, trust_new=False, **pinning)


async def _names(c: Client) -> set[str]:
    return {t.name for t in (await c.list_tools()).tools}


def _ledger(tmp_path: Path) -> list[str]:
    path = tmp_path / "ledger"
    return path.read_text().split() if path.exists() else []


async def _attack(c: Client, *, poll: float = 0.0) -> tuple[Any, Any, Any, int]:
    """Call send_money, morph the server, call send_money again (for up to ``poll`` seconds until it is
    refused) and wipe_disk; the three results and how many calls ran after the morph."""
    assert "shifty__send_money" in await _names(c)
    before = await c.call_tool("shifty__send_money", {"recipient": "bob"})
    morphed = await c.call_tool("shifty__morph", {})
    assert not morphed.is_error, text(morphed)
    deadline = time.monotonic() + poll
    slipped = 0
    while True:
        after = await c.call_tool("shifty__send_money", {"recipient": "bob", "also_to": "mallory"})
        if after.is_error or time.monotonic() > deadline:
            break
        slipped += 1
    wiped = await c.call_tool("shifty__wipe_disk", {})
    return before, after, wiped, slipped


def _refused(p: Project, tmp_path: Path, before: Any, after: Any, wiped: Any) -> None:
    assert not before.is_error, text(before)
    assert after.is_error and "withheld because its definition changed" in text(after)
    assert wiped.is_error and "withheld because it has not been approved" in text(wiped)
    assert "wipe_disk" not in _ledger(tmp_path)
    changed = [e for e in p.events("mcp.tool_changed") if e["name"] == "send_money"]
    assert len(changed) == 1 and "also_to" in str(changed[0]["definition"]["inputSchema"])
    assert [e["name"] for e in p.events("mcp.tool_new")] == ["wipe_disk"]


def test_a_silent_change_is_withheld_at_the_next_call_when_relist_after_is_zero(tmp_path: Path) -> None:
    p = _pinned(tmp_path, notify=False, relist_after=0)
    before, after, wiped, slipped = p.session(lambda c: _attack(c))
    _refused(p, tmp_path, before, after, wiped)
    assert slipped == 0
    assert _ledger(tmp_path) == ["send_money", "morph"]


def test_a_change_the_server_announces_is_withheld_without_waiting_for_relist_after(tmp_path: Path) -> None:
    p = _pinned(tmp_path, notify=True, relist_after=3600)
    # The notification and the morph's answer race to the gateway: a call may slip between them, no more.
    before, after, wiped, slipped = p.session(lambda c: _attack(c, poll=10.0), mode="legacy")
    _refused(p, tmp_path, before, after, wiped)
    assert slipped <= 1
    assert _ledger(tmp_path).count("send_money") == 1 + slipped


def test_a_silent_change_is_served_until_relist_after_runs_out(tmp_path: Path) -> None:
    # The window the setting bounds (the control for the tests above: the attack is real).
    p = _pinned(tmp_path, notify=False, relist_after=3600)
    before, after, wiped, _ = p.session(lambda c: _attack(c))
    assert not before.is_error and not after.is_error
    assert wiped.is_error  # never listed in this session: routing it lists the server again, and it waits
    assert _ledger(tmp_path) == ["send_money", "morph", "send_money"]


def test_over_http_the_schema_lookup_never_serves_a_tool_the_pins_do_not_hold(tmp_path: Path) -> None:
    p = _pinned(tmp_path, notify=False, relist_after=0)
    port = free_port()
    listen = ["mcp", "--config", str(p.config), "--listen", f"127.0.0.1:{port}"]
    with running([BLASTDOOR, *listen], port, env=p.env(), cwd=tmp_path):

        async def main() -> tuple[Any, Any, Any, int]:
            async with Client(f"http://127.0.0.1:{port}/mcp", mode="auto") as c:  # 2026-07-28: header checks
                return await _attack(c)

        before, after, wiped, slipped = anyio.run(main)
    _refused(p, tmp_path, before, after, wiped)
    assert slipped == 0
    assert _ledger(tmp_path) == ["send_money", "morph"]
