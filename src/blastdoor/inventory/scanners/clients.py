"""The other agentic tools and MCP clients: Claude Desktop, Windsurf, Continue, Cline, Roo Code, Aider,
Goose and opencode (user scope; Aider, Continue and opencode also per repository).

What each grants without asking: Cline ``autoApprove`` and Roo ``alwaysAllow`` lists per MCP server;
Aider ``yes-always: true``; Goose ``GOOSE_MODE: auto``; opencode ``permission`` entries set to
``allow`` (``bash``, ``edit``). MCP servers are listed for all of them.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from blastdoor.inventory.model import Agent
from blastdoor.inventory.scanners.base import ScanContext, mcp_servers, project_dirs, scope

JSON = Any

_VSCODE_STORAGE = (".config/Code/User/globalStorage", "Library/Application Support/Code/User/globalStorage")


class McpClients:
    """Tools whose only agent configuration is a list of MCP servers (plus auto-approve lists)."""

    tool = "mcp-clients"
    # tool -> (paths under home, key of the servers, key of the auto-approve list)
    CLIENTS: ClassVar[dict[str, tuple[tuple[str, ...], str, str]]] = {
        "claude-desktop": (
            (
                ".config/Claude/claude_desktop_config.json",
                "Library/Application Support/Claude/claude_desktop_config.json",
            ),
            "mcpServers",
            "",
        ),
        "windsurf": ((".codeium/windsurf/mcp_config.json",), "mcpServers", ""),
        "cline": tuple(
            [
                tuple(f"{d}/saoudrizwan.claude-dev/settings/cline_mcp_settings.json" for d in _VSCODE_STORAGE),
                "mcpServers",
                "autoApprove",
            ]
        ),  # type: ignore[dict-item]
        "roo-code": tuple(
            [
                tuple(f"{d}/rooveterinaryinc.roo-cline/settings/mcp_settings.json" for d in _VSCODE_STORAGE),
                "mcpServers",
                "alwaysAllow",
            ]
        ),  # type: ignore[dict-item]
        "continue": ((".continue/config.json",), "mcpServers", ""),
    }

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        for tool, (paths, key, auto) in self.CLIENTS.items():
            agent = Agent(tool, "user", ctx.home)
            for rel in paths:
                parsed = ctx.load(ctx.user(rel), "jsonc", agent=agent.id)
                if parsed is None:
                    continue
                agent.files.append(parsed.path)
                servers = parsed.data.get(key)
                if tool == "continue" and isinstance(servers, list):
                    servers = {str(s.get("name", i)): s for i, s in enumerate(servers) if isinstance(s, dict)}
                mcp_servers(ctx, agent, parsed, servers, (key,), auto_key=auto)
            if agent.files:
                agents.append(agent)
        return agents


class Continue:
    tool = "continue"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        places = [("user", ctx.home, ctx.user(".continue", "config.yaml"))]
        places += [("project", r, os.path.join(r, ".continue", "config.yaml")) for r in project_dirs(ctx)]
        for scope_name, root, path in places:
            agent = Agent(self.tool, scope_name, root)
            parsed = ctx.load(path, "yaml", agent=agent.id)
            if parsed is None:
                continue
            agent.files.append(path)
            servers = parsed.data.get("mcpServers")
            if isinstance(servers, list):
                servers = {str(s.get("name", i)): s for i, s in enumerate(servers) if isinstance(s, dict)}
            mcp_servers(ctx, agent, parsed, servers, ("mcpServers",))
            agents.append(agent)
        return agents


class Aider:
    tool = "aider"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        places = [("user", ctx.home, ctx.user(".aider.conf.yml"))]
        places += [("project", r, os.path.join(r, ".aider.conf.yml")) for r in project_dirs(ctx)]
        for scope_name, root, path in places:
            agent = Agent(self.tool, scope_name, root)
            parsed = ctx.load(path, "yaml", agent=agent.id)
            if parsed is None:
                continue
            agent.files.append(path)
            if parsed.data.get("yes-always") is True or parsed.data.get("yes") is True:
                key = "yes-always" if "yes-always" in parsed.data else "yes"
                agent.scopes.append(
                    scope(
                        "bypass",
                        f"`{key}: true`: every confirmation (incl. shell commands) is answered yes",
                        parsed,
                        key,
                        setting=f"{key}=true",
                    )
                )
            agents.append(agent)
        return agents


class Goose:
    tool = "goose"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agent = Agent(self.tool, "user", ctx.home)
        parsed = ctx.load(ctx.user(".config", "goose", "config.yaml"), "yaml", agent=agent.id)
        if parsed is None:
            return []
        agent.files.append(parsed.path)
        if parsed.data.get("GOOSE_MODE") == "auto":
            agent.scopes.append(
                scope(
                    "bypass",
                    "GOOSE_MODE auto: every tool runs without asking",
                    parsed,
                    "GOOSE_MODE",
                    setting="GOOSE_MODE=auto",
                )
            )
        extensions = parsed.data.get("extensions")
        if isinstance(extensions, dict):
            enabled = {k: v for k, v in extensions.items() if isinstance(v, dict) and v.get("enabled", True)}
            mcp_servers(
                ctx,
                agent,
                parsed,
                {
                    k: {"command": v.get("cmd", ""), "args": v.get("args", []), "env": v.get("envs", {})}
                    for k, v in enabled.items()
                },
                ("extensions",),
            )
        return [agent]


class Opencode:
    tool = "opencode"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        places = [("user", ctx.home, ctx.user(".config", "opencode", "opencode.json"))]
        places += [("project", r, os.path.join(r, "opencode.json")) for r in project_dirs(ctx)]
        for scope_name, root, path in places:
            agent = Agent(self.tool, scope_name, root)
            parsed = ctx.load(path, "jsonc", agent=agent.id)
            if parsed is None:
                continue
            agent.files.append(path)
            perm = parsed.data.get("permission")
            if perm is None:
                agent.scopes.append(
                    scope(
                        "bypass",
                        "no `permission` section: opencode runs every tool unasked by default",
                        parsed,
                        "$schema",
                        setting="permission=default",
                    )
                )
            elif perm == "allow":
                agent.scopes.append(
                    scope("bypass", "`permission: allow`: every tool runs unasked", parsed, "permission")
                )
            elif isinstance(perm, dict):
                bash = perm.get("bash")
                if bash == "allow" or (isinstance(bash, dict) and bash.get("*") == "allow"):
                    agent.scopes.append(
                        scope(
                            "shell-any",
                            "`permission.bash: allow`: every command runs unasked",
                            parsed,
                            "permission",
                            "bash",
                            setting="permission.bash=allow",
                        )
                    )
                if perm.get("edit") == "allow":
                    agent.scopes.append(
                        scope(
                            "write-any",
                            "`permission.edit: allow`: edits without asking",
                            parsed,
                            "permission",
                            "edit",
                            setting="permission.edit=allow",
                        )
                    )
            servers = parsed.data.get("mcp")
            if isinstance(servers, dict):
                mcp_servers(
                    ctx,
                    agent,
                    parsed,
                    {
                        k: {**v, "command": " ".join(v["command"])}
                        if isinstance(v, dict) and isinstance(v.get("command"), list)
                        else v
                        for k, v in servers.items()
                    },
                    ("mcp",),
                )
            agents.append(agent)
        return agents
