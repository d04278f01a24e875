"""Cursor, Gemini CLI, Kiro and VS Code / GitHub Copilot: permissions, auto-approval, hooks, MCP servers.

- Cursor: ``.cursor/hooks.json``, ``.cursor/mcp.json``, ``~/.cursor/cli-config.json`` and the project's
  ``.cursor/cli.json`` (``permissions.allow``: ``Shell(cmd)``, ``Write(glob)``; ``Shell(*)`` runs all).
- Gemini CLI: ``.gemini/settings.json`` (``tools.allowed``/legacy ``coreTools`` auto-run entries,
  ``tools.exclude``, ``general.defaultApprovalMode`` ``yolo``/``auto_edit``, ``tools.autoAccept``,
  ``security.disableYoloMode``, ``mcpServers`` with ``trust``), policy TOML in ``.gemini/policies/``.
- Kiro: ``.kiro/agents/*.json`` (``allowedTools`` with ``*`` trusting every tool, ``toolsSettings``
  allowedCommands, ``hooks``, ``mcpServers``) and ``.kiro/settings/mcp.json`` (``autoApprove``).
- VS Code / Copilot: ``.vscode/settings.json`` and the user's ``Code/User/settings.json`` (JSONC:
  ``chat.tools.autoApprove``, ``chat.tools.global.autoApprove``, ``chat.tools.terminal.autoApprove``),
  ``.vscode/mcp.json`` / ``mcp.json`` (``servers``), hooks in ``.github/hooks/*.json``.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any

from blastdoor.inventory._files import Parsed
from blastdoor.inventory.model import Agent
from blastdoor.inventory.scanners.base import ScanContext, hooks_of, mcp_servers, project_dirs, scope, strings
from blastdoor.inventory.scanners.claude_code import _RULE, INFRA, shell_scope

JSON = Any


def _places(ctx: ScanContext, project_rel: str, user_rel: str) -> list[tuple[str, str, str]]:
    """(scope, root, directory) for the user's and each repository's config directory."""
    return [("user", ctx.home, ctx.user(user_rel))] + [
        ("project", root, os.path.join(root, project_rel)) for root in project_dirs(ctx)
    ]


class Cursor:
    tool = "cursor"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        for scope_name, root, base in _places(ctx, ".cursor", ".cursor"):
            agent = Agent(self.tool, scope_name, root)
            for name in ("cli-config.json", "cli.json"):
                parsed = ctx.load(os.path.join(base, name), agent=agent.id)
                if parsed is None:
                    continue
                agent.files.append(parsed.path)
                perms = parsed.data.get("permissions")
                if isinstance(perms, dict):
                    for rule in strings(perms.get("allow")):
                        m = _RULE.match(rule)
                        if m and m.group(1) == "Shell":
                            found = shell_scope(rule, "Shell", m.group(2))
                            if found:
                                agent.scopes.append(
                                    scope(
                                        found[0],
                                        found[1],
                                        parsed,
                                        "permissions",
                                        "allow",
                                        rule,
                                        setting=f"allow:{rule}",
                                    )
                                )
                        elif m and m.group(1) == "Write" and (m.group(2) or "*").strip() in ("*", "**"):
                            agent.scopes.append(
                                scope(
                                    "write-any",
                                    f"`{rule}` allows writing any file",
                                    parsed,
                                    "permissions",
                                    "allow",
                                    rule,
                                    setting=f"allow:{rule}",
                                )
                            )
                    for rule in strings(perms.get("deny")):
                        agent.scopes.append(
                            scope(
                                "guard", f"denies `{rule}`", parsed, "permissions", "deny", rule, setting=f"deny:{rule}"
                            )
                        )
            hooks = ctx.load(os.path.join(base, "hooks.json"), agent=agent.id)
            if hooks is not None:
                agent.files.append(hooks.path)
                hooks_of(agent, hooks.data, "cursor")
            mcp = ctx.load(os.path.join(base, "mcp.json"), agent=agent.id)
            if mcp is not None:
                agent.files.append(mcp.path)
                mcp_servers(ctx, agent, mcp, mcp.data.get("mcpServers"), ("mcpServers",))
            if agent.files:
                agents.append(agent)
        return agents


_GEMINI_SHELL = ("run_shell_command", "ShellTool")


class Gemini:
    tool = "gemini"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        for scope_name, root, base in _places(ctx, ".gemini", ".gemini"):
            agent = Agent(self.tool, scope_name, root)
            parsed = ctx.load(os.path.join(base, "settings.json"), "jsonc", agent=agent.id)
            if parsed is not None:
                agent.files.append(parsed.path)
                self._settings(ctx, agent, parsed)
            for path in sorted(glob.glob(os.path.join(base, "policies", "*.toml"))):
                self._policy(ctx, agent, path)
            if agent.files:
                agents.append(agent)
        return agents

    def _settings(self, ctx: ScanContext, agent: Agent, parsed: Parsed) -> None:
        data = parsed.data
        hooks_of(agent, data, "gemini")
        general = data.get("general") if isinstance(data.get("general"), dict) else {}
        tools = data.get("tools") if isinstance(data.get("tools"), dict) else {}
        mode = general.get("defaultApprovalMode")
        if mode == "yolo":
            agent.scopes.append(
                scope(
                    "bypass",
                    "defaultApprovalMode yolo: every tool call runs without asking",
                    parsed,
                    "general",
                    "defaultApprovalMode",
                    setting="defaultApprovalMode:yolo",
                )
            )
        elif mode in ("auto_edit", "autoEdit"):
            agent.scopes.append(
                scope(
                    "write-any",
                    "defaultApprovalMode auto_edit: edits without asking",
                    parsed,
                    "general",
                    "defaultApprovalMode",
                    setting="defaultApprovalMode:auto_edit",
                )
            )
        for keys, value in (
            (("tools", "autoAccept"), tools.get("autoAccept")),
            (("autoAccept",), data.get("autoAccept")),
        ):
            if value is True:
                agent.scopes.append(
                    scope(
                        "write-any",
                        "autoAccept: safe-looking tool calls run without asking",
                        parsed,
                        *keys,
                        setting="autoAccept",
                    )
                )
        security = data.get("security") if isinstance(data.get("security"), dict) else {}
        if security.get("disableYoloMode") is True:
            agent.scopes.append(scope("guard", "yolo mode is disabled", parsed, "security", "disableYoloMode"))
        for keys, allowed in ((("tools", "allowed"), tools.get("allowed")), (("coreTools",), data.get("coreTools"))):
            if allowed is None:
                continue
            if not isinstance(allowed, list):
                ctx.wrong_type(parsed, keys, "a list of tool names", agent.id)
                continue
            if keys == ("coreTools",):
                continue  # coreTools restricts what exists; it does not auto-approve
            for entry in strings(allowed):
                m = re.match(r"^(\w+)\s*(?:\((.*)\))?$", entry)
                if m and m.group(1) in _GEMINI_SHELL:
                    found = shell_scope(entry, m.group(1), m.group(2))
                    if found:
                        agent.scopes.append(scope(found[0], found[1], parsed, *keys, entry, setting=f"allowed:{entry}"))
                elif m and m.group(1) in ("write_file", "replace", "WriteFileTool", "EditTool"):
                    agent.scopes.append(
                        scope(
                            "write-any",
                            f"`{entry}` runs without asking",
                            parsed,
                            *keys,
                            entry,
                            setting=f"allowed:{entry}",
                        )
                    )
        for entry in strings(tools.get("exclude")):
            agent.scopes.append(
                scope("guard", f"excludes `{entry}`", parsed, "tools", "exclude", entry, setting=f"exclude:{entry}")
            )
        mcp_servers(ctx, agent, parsed, data.get("mcpServers"), ("mcpServers",))

    def _policy(self, ctx: ScanContext, agent: Agent, path: str) -> None:
        parsed = ctx.load(path, "toml", agent=agent.id)
        if parsed is None:
            return
        agent.files.append(path)
        rules = parsed.data.get("rule")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, dict) or rule.get("decision") != "allow":
                continue
            tool = rule.get("toolName")
            prefix = rule.get("commandPrefix")
            if tool in _GEMINI_SHELL or tool == "*":
                head = prefix if isinstance(prefix, str) else ""
                found = shell_scope(f"{tool}({head})", str(tool), head or None)
                if found:
                    line = _nth_line(parsed.text, "[[rule]]", i)
                    agent.scopes.append(_at(found[0], found[1], path, line, f"policy:{tool}:{head}:allow"))


def _nth_line(text: str, marker: str, n: int) -> int:
    pos = -1
    for _ in range(n + 1):
        pos = text.find(marker, pos + 1)
        if pos < 0:
            return 1
    return text.count("\n", 0, pos) + 1


def _at(kind: str, detail: str, path: str, line: int, setting: str) -> Any:
    from blastdoor.inventory.model import Scope

    return Scope(kind, detail, path, line, setting)


_KIRO_SHELL = ("execute_bash", "shell", "execute_cmd")
_KIRO_WRITE = ("fs_write", "write")


class Kiro:
    tool = "kiro"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        for scope_name, root, base in _places(ctx, ".kiro", ".kiro"):
            mcp = ctx.load(os.path.join(base, "settings", "mcp.json"))
            for path in sorted(glob.glob(os.path.join(base, "agents", "*.json"))):
                name = os.path.basename(path)[: -len(".json")]
                agent = Agent(self.tool, scope_name, root, name=name)
                parsed = ctx.load(path, agent=agent.id)
                if parsed is None:
                    continue
                agent.files.append(path)
                self._agent(ctx, agent, parsed)
                if mcp is not None and parsed.data.get("includeMcpJson", True) is not False:
                    agent.files.append(mcp.path)
                    mcp_servers(ctx, agent, mcp, mcp.data.get("mcpServers"), ("mcpServers",), auto_key="autoApprove")
                agents.append(agent)
            if mcp is not None and not any(a.root == root and a.scope == scope_name for a in agents):
                agent = Agent(self.tool, scope_name, root, files=[mcp.path])
                mcp_servers(ctx, agent, mcp, mcp.data.get("mcpServers"), ("mcpServers",), auto_key="autoApprove")
                agents.append(agent)
        return agents

    def _agent(self, ctx: ScanContext, agent: Agent, parsed: Parsed) -> None:
        data = parsed.data
        hooks_of(agent, data, "kiro")
        allowed = data.get("allowedTools")
        if allowed is not None and not isinstance(allowed, list):
            ctx.wrong_type(parsed, ("allowedTools",), "a list of tool names", agent.id)
        for entry in strings(allowed):
            if entry in ("*", "@*", "@builtin"):
                agent.scopes.append(
                    scope(
                        "bypass",
                        f"allowedTools `{entry}`: trusts every tool (like --trust-all-tools)",
                        parsed,
                        "allowedTools",
                        entry,
                        setting=f"allowedTools:{entry}",
                    )
                )
            elif entry in _KIRO_SHELL or entry in (f"@builtin/{t}" for t in _KIRO_SHELL):
                agent.scopes.append(
                    scope(
                        "shell-any",
                        f"allowedTools `{entry}`: shell commands run without asking",
                        parsed,
                        "allowedTools",
                        entry,
                        setting=f"allowedTools:{entry}",
                    )
                )
            elif entry in _KIRO_WRITE or entry in (f"@builtin/{t}" for t in _KIRO_WRITE):
                agent.scopes.append(
                    scope(
                        "write-any",
                        f"allowedTools `{entry}`: file writes without asking",
                        parsed,
                        "allowedTools",
                        entry,
                        setting=f"allowedTools:{entry}",
                    )
                )
            elif entry.startswith("@") and "/" not in entry:
                agent.scopes.append(
                    scope(
                        "mcp-auto",
                        f"allowedTools `{entry}`: every tool of that MCP server",
                        parsed,
                        "allowedTools",
                        entry,
                        setting=f"allowedTools:{entry}",
                    )
                )
        settings = data.get("toolsSettings")
        if isinstance(settings, dict):
            for tool in _KIRO_SHELL:
                spec = settings.get(tool)
                if not isinstance(spec, dict):
                    continue
                for cmd in strings(spec.get("allowedCommands")):
                    if cmd in (".*", "*", ".+") or any(cmd.startswith(c) for c in INFRA):
                        kind = "shell-any" if cmd in (".*", "*", ".+") else "shell-infra"
                        agent.scopes.append(
                            scope(
                                kind,
                                f"toolsSettings.{tool}.allowedCommands `{cmd}` runs unasked",
                                parsed,
                                "toolsSettings",
                                tool,
                                "allowedCommands",
                                cmd,
                                setting=f"{tool}.allowedCommands:{cmd}",
                            )
                        )
                for cmd in strings(spec.get("deniedCommands")):
                    agent.scopes.append(
                        scope(
                            "guard",
                            f"denies `{cmd}`",
                            parsed,
                            "toolsSettings",
                            tool,
                            "deniedCommands",
                            cmd,
                            setting=f"{tool}.deniedCommands:{cmd}",
                        )
                    )
        mcp_servers(ctx, agent, parsed, data.get("mcpServers"), ("mcpServers",), auto_key="autoApprove")


class Copilot:
    """VS Code's agent mode (GitHub Copilot Chat) and the Copilot CLI's hooks."""

    tool = "copilot"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        user_dirs = [ctx.user(".config", "Code", "User"), ctx.user("Library", "Application Support", "Code", "User")]
        places: list[tuple[str, str, list[str], list[str]]] = [
            (
                "user",
                ctx.home,
                [os.path.join(d, "settings.json") for d in user_dirs],
                [os.path.join(d, "mcp.json") for d in user_dirs],
            ),
        ]
        for root in project_dirs(ctx):
            places.append(
                (
                    "project",
                    root,
                    [os.path.join(root, ".vscode", "settings.json")],
                    [os.path.join(root, ".vscode", "mcp.json")],
                )
            )
        for scope_name, root, settings, mcps in places:
            agent = Agent(self.tool, scope_name, root)
            for path in settings:
                parsed = ctx.load(path, "jsonc", agent=agent.id)
                if parsed is not None:
                    agent.files.append(path)
                    self._settings(ctx, agent, parsed)
            for path in mcps:
                parsed = ctx.load(path, "jsonc", agent=agent.id)
                if parsed is not None:
                    agent.files.append(path)
                    mcp_servers(ctx, agent, parsed, parsed.data.get("servers"), ("servers",))
            hook_dir = (
                os.path.join(root, ".github", "hooks") if scope_name == "project" else ctx.user(".copilot", "hooks")
            )
            for path in sorted(glob.glob(os.path.join(hook_dir, "*.json"))):
                parsed = ctx.load(path, agent=agent.id)
                if parsed is not None:
                    agent.files.append(path)
                    hooks_of(agent, parsed.data, "copilot")
            if agent.files:
                agents.append(agent)
        return agents

    def _settings(self, ctx: ScanContext, agent: Agent, parsed: Parsed) -> None:
        data = parsed.data
        for key in ("chat.tools.autoApprove", "chat.tools.global.autoApprove"):
            if data.get(key) is True:
                agent.scopes.append(
                    scope(
                        "bypass", f"`{key}`: every tool runs without asking (YOLO)", parsed, key, setting=f"{key}=true"
                    )
                )
        terminal = data.get("chat.tools.terminal.autoApprove", data.get("chat.agent.terminal.autoApprove"))
        key = (
            "chat.tools.terminal.autoApprove"
            if "chat.tools.terminal.autoApprove" in data
            else "chat.agent.terminal.autoApprove"
        )
        if terminal is True:
            agent.scopes.append(
                scope(
                    "shell-any",
                    f"`{key}`: true: every terminal command runs unasked",
                    parsed,
                    key,
                    setting=f"{key}=true",
                )
            )
        elif isinstance(terminal, dict):
            for pattern, value in terminal.items():
                if value is not True and not (isinstance(value, dict) and value.get("approve") is True):
                    continue
                bare = pattern.strip("/")
                if bare in (".*", "*", ".+", "^.*$", ""):
                    agent.scopes.append(
                        scope(
                            "shell-any",
                            f"`{key}` approves `{pattern}`: every command",
                            parsed,
                            key,
                            pattern,
                            setting=f"{key}:{pattern}",
                        )
                    )
                elif any(bare.lstrip("^") == c or bare.lstrip("^").startswith(c + " ") for c in INFRA):
                    agent.scopes.append(
                        scope(
                            "shell-infra",
                            f"`{key}` approves `{pattern}` without asking",
                            parsed,
                            key,
                            pattern,
                            setting=f"{key}:{pattern}",
                        )
                    )
        mcp_servers(
            ctx,
            agent,
            parsed,
            data.get("mcp", {}).get("servers") if isinstance(data.get("mcp"), dict) else None,
            ("mcp", "servers"),
        )
