"""Run the real `blastdoor mcp` gateway in front of real MCP servers, driven by the official client.

The servers are installed by `make mcp-servers` (the Makefile runs it before the tests): the npm
reference servers in tests/mcp/node_modules, the PyPI SQLite server in tests/mcp/.venv-sqlite, the git
server from the dev dependencies, and tests/mcp/servers/bank.py (FastMCP). A missing one fails the
test with the command that installs it; nothing is fetched at test time.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[2]
MCP_DIR = ROOT / "tests" / "mcp"
NODE_BIN = MCP_DIR / "node_modules" / ".bin"
BIN = Path(sys.executable).parent
BLASTDOOR = str(BIN / "blastdoor")
BANK = str(MCP_DIR / "servers" / "bank.py")


def server_path(name: str) -> str:
    """The executable of a test server; fails (never skips) when it was not installed."""
    path = {
        "filesystem": NODE_BIN / "mcp-server-filesystem",
        "everything": NODE_BIN / "mcp-server-everything",
        "sqlite": MCP_DIR / ".venv-sqlite" / "bin" / "mcp-server-sqlite",
        "git": BIN / "mcp-server-git",
    }[name]
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make mcp-servers` (the Makefile does before the tests)")
    return str(path)


def bank(**env: str) -> dict[str, Any]:
    """The config entry of the FastMCP bank server."""
    entry: dict[str, Any] = {"command": sys.executable, "args": [BANK]}
    if env:
        entry["env"] = env
    return entry


class Project:
    """A throwaway project: a gateway config, a policy and an audit store in ``path``."""

    def __init__(self, path: Path, servers: dict[str, Any], policy: str, **config: Any) -> None:
        self.path = path
        self.store = path / "audit.db"
        self.config = path / "mcp.json"
        (path / "blastdoor.yaml").write_text(policy)
        body = {"policy": "blastdoor.yaml", "store": str(self.store), "servers": servers, **config}
        self.config.write_text(json.dumps(body, indent=2))

    def env(self) -> dict[str, str]:
        keep = ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "BLASTDOOR_HOME", "BLASTDOOR_MANAGED_POLICY")
        return {k: os.environ[k] for k in keep if k in os.environ}

    def params(self) -> StdioServerParameters:
        return StdioServerParameters(
            command=BLASTDOOR, args=["mcp", "--config", str(self.config)], env=self.env(), cwd=str(self.path)
        )

    def session(self, body: Callable[[Client], Awaitable[Any]], **client: Any) -> Any:
        """Run ``body`` with an official client connected to the gateway over stdio; its result."""

        async def main() -> Any:
            async with Client(self.params(), **client) as c:
                return await body(c)

        return anyio.run(main)

    def events(self, kind: str = "") -> list[dict[str, Any]]:
        """The audit log's events, oldest first (only ``kind`` when given)."""
        from blastdoor.store import open_log

        with open_log(str(self.store), checkpoint_on_close=False) as log:
            events = [e["event"] for e in log.entries()]
        return [e for e in events if not kind or e["kind"] == kind]

    def outcome_of(self, decision: dict[str, Any]) -> dict[str, Any]:
        found = [e for e in self.events("outcome") if e["correlation_id"] == decision["correlation_id"]]
        assert len(found) == 1, f"one outcome for {decision['operation']}, got {found}"
        return found[0]


def text(result: Any) -> str:
    """The text of a tool result's first content block."""
    return str(result.content[0].text) if result.content else ""
