"""Claude Code: every settings layer, its permissions, modes, sandbox, hooks and MCP servers.

Layers (most authoritative first): managed (``/etc/claude-code/managed-settings.json`` and
``managed-mcp.json``; macOS ``/Library/Application Support/ClaudeCode/``), the project's
``.claude/settings.local.json`` and ``.claude/settings.json``, the user's ``~/.claude/settings.json``,
plus MCP servers in ``.mcp.json`` and ``~/.claude.json``. Permission rules are ``Tool`` or
``Tool(specifier)``; ``Bash`` and ``Bash(*)`` allow every command.
"""

from __future__ import annotations

import os
import re
from typing import Any

from blastdoor.inventory._files import Parsed
from blastdoor.inventory.model import Agent
from blastdoor.inventory.scanners.base import (
    ScanContext,
    hooks_of,
    mcp_servers,
    project_dirs,
    scope,
    secret_values,
    strings,
)

JSON = Any

MANAGED_DIRS = ("etc/claude-code", "Library/Application Support/ClaudeCode")
# CLIs that reach cloud accounts, clusters and databases: allowing them by prefix allows deleting there.
INFRA = (
    "aws",
    "gcloud",
    "az",
    "kubectl",
    "helm",
    "terraform",
    "tofu",
    "pulumi",
    "psql",
    "mysql",
    "mongosh",
    "redis-cli",
    "docker",
    "ssh",
    "scp",
    "rsync",
    "rm",
    "git push",
    "gh",
    "heroku",
    "flyctl",
    "vercel",
)
_RULE = re.compile(r"^\s*([A-Za-z_][\w.*-]*)\s*(?:\((.*)\))?\s*$", re.S)
_ANY = {"", "*", ":*", "**", "* *", "*:*"}


# Commands that run any other command: allowing them by prefix allows everything.
WRAPPERS = (
    "bash",
    "sh",
    "zsh",
    "fish",
    "dash",
    "ksh",
    "python",
    "python3",
    "node",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "env",
    "sudo",
    "doas",
    "su",
    "xargs",
    "eval",
    "exec",
    "nohup",
    "timeout",
    "nice",
    "time",
    "watch",
    "npx",
    "uvx",
    "pipx",
    "find",
    "awk",
    "parallel",
    "script",
    "busybox",
    "command",
    "builtin",
    "strace",
)


def shell_scope(rule: str, tool: str, spec: str | None) -> tuple[str, str] | None:
    """(kind, detail) for a shell allow rule that grants much: any command, a command that runs any
    other (``sudo:*``, ``bash:*``, ``env:*``...), or an infrastructure CLI."""
    if spec is None or spec.strip() in _ANY or not spec.strip().strip("*: "):
        return "shell-any", f"`{rule}` allows every shell command without asking"
    head = spec.strip().removesuffix(":*").removesuffix(" *").removesuffix("*").strip()
    first = head.split()[0] if head.split() else ""
    if first.rsplit("/", 1)[-1] in WRAPPERS:
        return "shell-any", f"`{rule}` allows `{first}`, which runs any other command, without asking"
    if any(head == c or head.startswith(c + " ") for c in INFRA):
        return "shell-infra", f"`{rule}` allows `{head}` commands (cloud, cluster, database or deletion) without asking"
    return None


class ClaudeCode:
    tool = "claude-code"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents: list[Agent] = []
        managed = Agent(self.tool, "managed", ctx.system)
        for d in MANAGED_DIRS:
            self._settings(ctx, managed, ctx.system_path(d, "managed-settings.json"))
            self._mcp(ctx, managed, ctx.system_path(d, "managed-mcp.json"), ("mcpServers",))
        if managed.files:
            agents.append(managed)
        user = Agent(self.tool, "user", ctx.home)
        self._settings(ctx, user, ctx.user(".claude", "settings.json"))
        self._mcp(ctx, user, ctx.user(".claude.json"), ("mcpServers",))
        if user.files:
            agents.append(user)
        for root in project_dirs(ctx):
            agent = Agent(self.tool, "project", root)
            self._settings(ctx, agent, os.path.join(root, ".claude", "settings.json"))
            self._settings(ctx, agent, os.path.join(root, ".claude", "settings.local.json"))
            self._mcp(ctx, agent, os.path.join(root, ".mcp.json"), ("mcpServers",))
            if agent.files:
                agents.append(agent)
        return agents

    def _mcp(self, ctx: ScanContext, agent: Agent, path: str, keys: tuple[str, ...]) -> None:
        parsed = ctx.load(path, agent=agent.id)
        if parsed is None:
            return
        agent.files.append(path)
        mcp_servers(ctx, agent, parsed, parsed.data.get(keys[0]), keys)

    def _settings(self, ctx: ScanContext, agent: Agent, path: str) -> None:
        parsed = ctx.load(path, agent=agent.id)
        if parsed is None:
            return
        agent.files.append(path)
        data = parsed.data
        hooks_of(agent, data, "claude-code")
        perms = data.get("permissions", {})
        if not isinstance(perms, dict):
            ctx.wrong_type(parsed, ("permissions",), "an object", agent.id)
            perms = {}
        self._permissions(ctx, agent, parsed, perms)
        mode = perms.get("defaultMode")
        if mode == "bypassPermissions":
            agent.scopes.append(
                scope(
                    "bypass",
                    "defaultMode bypassPermissions: no permission prompts at all",
                    parsed,
                    "permissions",
                    "defaultMode",
                    setting="defaultMode:bypassPermissions",
                )
            )
        elif mode == "acceptEdits":
            agent.scopes.append(
                scope(
                    "write-any",
                    "defaultMode acceptEdits: file edits without asking",
                    parsed,
                    "permissions",
                    "defaultMode",
                    setting="defaultMode:acceptEdits",
                )
            )
        if perms.get("disableBypassPermissionsMode") == "disable":
            agent.scopes.append(
                scope(
                    "guard", "bypassPermissions mode is disabled", parsed, "permissions", "disableBypassPermissionsMode"
                )
            )
        sandbox = data.get("sandbox")
        if isinstance(sandbox, dict) and sandbox.get("enabled") is True:
            agent.scopes.append(scope("guard", "the Bash sandbox is enabled", parsed, "sandbox", "enabled"))
            if sandbox.get("autoAllowBashIfSandboxed") is True:
                agent.scopes.append(
                    scope(
                        "shell-any",
                        "autoAllowBashIfSandboxed: sandboxed commands run unasked",
                        parsed,
                        "sandbox",
                        "autoAllowBashIfSandboxed",
                    )
                )
        if data.get("enableAllProjectMcpServers") is True:
            agent.scopes.append(
                scope(
                    "mcp-auto",
                    "enableAllProjectMcpServers: every .mcp.json server is trusted",
                    parsed,
                    "enableAllProjectMcpServers",
                )
            )
        mcp_servers(ctx, agent, parsed, data.get("mcpServers"), ("mcpServers",))
        env = data.get("env")
        if isinstance(env, dict):
            secret_values(ctx, agent, parsed, env, ("env",), "the settings' `env`")

    def _permissions(self, ctx: ScanContext, agent: Agent, parsed: Parsed, perms: dict[str, JSON]) -> None:
        allow = perms.get("allow", [])
        if not isinstance(allow, list):
            ctx.wrong_type(parsed, ("permissions", "allow"), "a list of rules", agent.id)
            return
        denied = set(strings(perms.get("deny")))
        for rule in strings(allow):
            m = _RULE.match(rule)
            if not m:
                continue
            tool, spec = m.group(1), m.group(2)
            line_keys = ("permissions", "allow", rule)
            if tool == "Bash":
                found = shell_scope(rule, tool, spec)
                if found and rule not in denied:
                    agent.scopes.append(scope(found[0], found[1], parsed, *line_keys, setting=f"allow:{rule}"))
            elif tool in ("Write", "Edit", "MultiEdit") and (
                spec is None or spec.strip() in ("*", "**", "/**", "//**")
            ):
                agent.scopes.append(
                    scope(
                        "write-any",
                        f"`{rule}` allows editing any file without asking",
                        parsed,
                        *line_keys,
                        setting=f"allow:{rule}",
                    )
                )
            elif tool.startswith("mcp__") and (tool.count("__") == 1 or tool.endswith("__*")):
                agent.scopes.append(
                    scope(
                        "mcp-auto",
                        f"`{rule}` allows every tool of the server without asking",
                        parsed,
                        *line_keys,
                        setting=f"allow:{rule}",
                    )
                )
        for rule in strings(perms.get("deny")):
            agent.scopes.append(
                scope("guard", f"denies `{rule}`", parsed, "permissions", "deny", rule, setting=f"deny:{rule}")
            )
