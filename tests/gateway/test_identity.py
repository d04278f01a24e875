"""The gateway remembers its identity reads (identity/remember.py): a revoke anywhere holds at the next call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mcp import Client
from tests.gateway.harness import MCP_DIR, Project, text

SHIFTY = str(MCP_DIR / "servers" / "shifty.py")
POLICY = "version: 1\ndefault: allow\nunknown: allow\n"


def test_a_revoke_by_another_process_holds_for_the_gateways_next_call(tmp_path: Path) -> None:
    from blastdoor.services import open_services

    server = {"command": sys.executable, "args": [SHIFTY], "env": {"SHIFTY_LEDGER": str(tmp_path / "ledger")}}
    p = Project(tmp_path, {"shifty": server}, POLICY, agent="ci-bot")

    async def body(c: Client) -> tuple[list[Any], Any, Any]:
        first = [await c.call_tool("shifty__send_money", {"recipient": "bob"}) for _ in range(3)]  # remembered
        with open_services(str(p.store), checkpoint_on_close=False) as cli:  # the CLI's `agents revoke`
            cli.agents.revoke("ci-bot", by="alice", reason="incident")
        revoked = await c.call_tool("shifty__send_money", {"recipient": "bob"})
        with open_services(str(p.store), checkpoint_on_close=False) as cli:
            cli.agents.restore("ci-bot", by="alice")
        return first, revoked, await c.call_tool("shifty__send_money", {"recipient": "bob"})

    first, revoked, restored = p.session(body)
    assert not any(r.is_error for r in first), [text(r) for r in first]
    assert revoked.is_error and "revoked" in text(revoked)
    assert not restored.is_error, text(restored)
    assert (tmp_path / "ledger").read_text().split() == ["send_money"] * 4
    denied = [d for d in p.events("decision") if d["verdict"] == "deny"]
    assert [d["rule"] for d in denied] == ["agent.revoked"]
