"""Codex: ``config.toml`` (approval_policy, sandbox_mode, profiles, MCP servers), ``.rules`` files and hooks.

User scope: ``~/.codex/config.toml``, ``~/.codex/rules/*.rules``, ``~/.codex/hooks.json``; project scope:
``.codex/config.toml``, ``.codex/rules/*.rules`` and ``.codex/hooks.json``. ``sandbox_mode =
"danger-full-access"`` turns the sandbox off; ``approval_policy = "never"`` never asks. A ``.rules``
file holds ``prefix_rule(pattern=[...], decision="allow")`` calls (Starlark); an allow of a shell or an
infrastructure CLI runs it unasked.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any

from blastdoor.inventory._files import Parsed, line_at, read_text
from blastdoor.inventory.model import Agent, Finding
from blastdoor.inventory.scanners.base import ScanContext, hooks_of, mcp_servers, project_dirs, scope
from blastdoor.inventory.scanners.claude_code import INFRA, WRAPPERS

JSON = Any
_PREFIX_RULE = re.compile(r"^[ \t]*prefix_rule\s*\(", re.M)
_PATTERN = re.compile(r"pattern\s*=\s*\[(.*?)\]", re.S)
_DECISION = re.compile(r"decision\s*=\s*[\"'](\w+)[\"']")


class Codex:
    tool = "codex"

    def scan(self, ctx: ScanContext) -> list[Agent]:
        agents = []
        places = [("user", ctx.home, ctx.user(".codex"))]
        places += [("project", root, os.path.join(root, ".codex")) for root in project_dirs(ctx)]
        for scope_name, root, base in places:
            agent = Agent(self.tool, scope_name, root)
            self._config(ctx, agent, os.path.join(base, "config.toml"))
            for path in sorted(glob.glob(os.path.join(base, "rules", "*.rules"))):
                self._rules(ctx, agent, path)
            hooks_path = os.path.join(base, "hooks.json")
            parsed = ctx.load(hooks_path, agent=agent.id)
            if parsed is not None:
                agent.files.append(hooks_path)
                hooks_of(agent, parsed.data, "codex")
            if agent.files:
                agents.append(agent)
        return agents

    def _config(self, ctx: ScanContext, agent: Agent, path: str) -> None:
        parsed = ctx.load(path, "toml", agent=agent.id)
        if parsed is None:
            return
        agent.files.append(path)
        data = parsed.data
        self._modes(ctx, agent, parsed, data, ())
        profiles = data.get("profiles")
        if isinstance(profiles, dict):
            for name, profile in profiles.items():
                if isinstance(profile, dict):
                    self._modes(ctx, agent, parsed, profile, ("profiles", name))
        mcp_servers(ctx, agent, parsed, data.get("mcp_servers"), ("mcp_servers",))
        if data.get("version"):
            agent.version = str(data["version"])

    def _modes(
        self, ctx: ScanContext, agent: Agent, parsed: Parsed, data: dict[str, JSON], at: tuple[str, ...]
    ) -> None:
        where = f" (profile {at[1]})" if at else ""
        sandbox = data.get("sandbox_mode")
        approval = data.get("approval_policy")
        if sandbox is not None and not isinstance(sandbox, str):
            ctx.wrong_type(parsed, (*at, "sandbox_mode"), "a string", agent.id)
        if sandbox == "danger-full-access":
            agent.scopes.append(
                scope(
                    "bypass",
                    f"sandbox_mode danger-full-access{where}: no sandbox, full disk and network access",
                    parsed,
                    *at,
                    "sandbox_mode",
                    setting=".".join([*at, "sandbox_mode=danger-full-access"]),
                )
            )
        if approval == "never":
            kind = "shell-any" if sandbox == "danger-full-access" else "write-any"
            agent.scopes.append(
                scope(
                    kind,
                    f"approval_policy never{where}: commands run without asking",
                    parsed,
                    *at,
                    "approval_policy",
                    setting=".".join([*at, "approval_policy=never"]),
                )
            )
        sww = data.get("sandbox_workspace_write")
        if isinstance(sww, dict) and sww.get("network_access") is True:
            agent.scopes.append(
                scope(
                    "network",
                    f"workspace-write sandbox with network access{where}",
                    parsed,
                    *at,
                    "sandbox_workspace_write",
                    "network_access",
                )
            )

    def _rules(self, ctx: ScanContext, agent: Agent, path: str) -> None:
        text, problem = read_text(path)
        if problem:
            ctx.findings.append(
                Finding(
                    "malformed-config",
                    "medium",
                    "configuration file cannot be read",
                    problem.message,
                    path,
                    0,
                    "fix the file",
                    agent=agent.id,
                )
            )
            return
        agent.files.append(path)
        for m in _PREFIX_RULE.finditer(text):
            body = _call_body(text, m.end())
            decision = _DECISION.search(body)
            pattern = _PATTERN.search(body)
            line = line_at(text, m.start())
            if pattern is None:
                ctx.findings.append(
                    Finding(
                        "malformed-config",
                        "low",
                        "prefix_rule without a pattern",
                        "a prefix_rule call has no `pattern = [...]`",
                        path,
                        line,
                        "give the rule a pattern",
                        agent=agent.id,
                        subject=f"rule@{line}",
                    )
                )
                continue
            if decision is None or decision.group(1) != "allow":
                continue
            words = re.findall(r"[\"']([^\"']*)[\"']", pattern.group(1))
            head = " ".join(words[:2])
            first = words[0] if words else ""
            setting = f"prefix_rule:{' '.join(words)}:allow"
            if not words or first.rsplit("/", 1)[-1] in WRAPPERS:
                agent.scopes.append(
                    _rule_scope(
                        "shell-any",
                        f"`.rules` allows `{' '.join(words) or '(empty)'}`: any command through it runs unasked",
                        path,
                        line,
                        setting,
                    )
                )
            elif any(head == c or first == c for c in INFRA):
                agent.scopes.append(
                    _rule_scope(
                        "shell-infra", f"`.rules` allows `{' '.join(words)}` without asking", path, line, setting
                    )
                )


def _rule_scope(kind: str, detail: str, path: str, line: int, setting: str) -> Any:
    from blastdoor.inventory.model import Scope

    return Scope(kind, detail, path, line, setting)


def _call_body(text: str, start: int) -> str:
    """The arguments of a call whose ``(`` ends at ``start``: up to the matching ``)``, strings skipped."""
    depth, i, quote = 1, start, ""
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return text[start:]
