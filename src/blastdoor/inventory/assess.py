"""The assessment: which credentials each agent reaches, its risk tier with reasons, and the findings.

Pure: agents, credentials and the scanners' findings in, the same agents with tiers and the full list of
findings out. The tiers (docs/INVENTORY.md):

====  ==========  ===========================================================================================
tier  name        when
====  ==========  ===========================================================================================
1     critical    runs anything unasked (any shell command, bypass/yolo/trust-all/full access), reaches a
                  production credential, and blastdoor's hook does not guard it fail-closed
2     high        runs anything unasked without a fail-closed guard; or runs infrastructure CLIs unasked
                  and reaches production, unguarded
3     medium      broad rights that a fail-closed blastdoor hook guards; or reaches production; or edits
                  files or runs MCP tools unasked; or an MCP server that changes external systems
4     low         asks before acting, reaches no production credential
====  ==========  ===========================================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.inventory.model import Agent, Credential, Finding

if TYPE_CHECKING:
    from collections.abc import Iterable

PRODUCTION = frozenset({"prod", "production", "prd", "live"})
BROAD = frozenset({"shell-any", "bypass"})
HARNESSES = frozenset({"claude-code", "codex", "cursor", "gemini", "kiro", "copilot"})  # blastdoor install X
_FIXES = {
    "shell-any": "narrow it ({narrow}) or install blastdoor's hook fail-closed: `blastdoor install {tool}`",
    "bypass": "turn it off ({off}) or install blastdoor's hook fail-closed: `blastdoor install {tool}`",
    "shell-infra": "ask for this CLI instead of allowing it, or install blastdoor's hook: `blastdoor install {tool}`",
}


_OFF = {
    "claude-code": 'drop defaultMode bypassPermissions and set permissions.disableBypassPermissionsMode "disable"',
    "codex": 'sandbox_mode = "workspace-write" and approval_policy = "on-request"',
    "gemini": 'general.defaultApprovalMode "default" and security.disableYoloMode true',
    "kiro": "list the tools in allowedTools instead of `*`",
    "copilot": "chat.tools.autoApprove false",
    "aider": "yes-always: false",
    "goose": "GOOSE_MODE: approve",
    "opencode": 'permission: {"bash": "ask", "edit": "ask"}',
}


_NARROW = {
    "claude-code": "allow the commands it needs, e.g. `Bash(npm test)`, instead",
    "codex": 'approval_policy = "on-request", and .rules that allow named commands only',
    "cursor": "allow the commands it needs, e.g. `Shell(npm)`, instead",
    "gemini": "allow the commands it needs, e.g. `run_shell_command(git status)`, instead",
    "kiro": "list the commands in toolsSettings.execute_bash.allowedCommands instead",
    "copilot": "approve named commands in chat.tools.terminal.autoApprove instead of every command",
    "opencode": 'permission.bash "ask", or named commands only',
}


def is_prod(env: str) -> bool:
    return env in PRODUCTION


def _effective_hooks(agents: list[Agent]) -> None:
    """A user- or machine-wide hook also guards the tool's project agents (the layers merge)."""
    best = {a.tool: a for a in agents if a.scope in ("user", "managed") and a.hooks == "fail-closed"}
    for a in agents:
        if a.scope == "project" and a.hooks != "fail-closed" and a.tool in best:
            a.hooks = "fail-closed"
            a.hook_gaps = [f"guarded by the {best[a.tool].scope} hook ({best[a.tool].files[0]})", *a.hook_gaps]


def assess(agents: list[Agent], credentials: list[Credential], findings: Iterable[Finding]) -> list[Finding]:
    """Fill each agent's credentials, tier and reasons; return every finding (the scanners' first)."""
    out = list(findings)
    _effective_hooks(agents)
    for agent in agents:
        reach = [c for c in credentials if not c.project or agent.scope != "project" or c.project == agent.root]
        agent.credentials = sorted({c.key for c in reach})
        agent.prod_credentials = sorted({c.key for c in reach if is_prod(c.env)})
        out.extend(_agent_findings(agent))
        agent.tier, agent.reasons = _tier(agent)
    out.extend(_credential_findings(agents, credentials))
    return out


def guarded(agent: Agent) -> bool:
    return agent.hooks == "fail-closed"


def _tier(agent: Agent) -> tuple[int, list[str]]:

    broad = [s for s in agent.scopes if s.kind in BROAD]
    infra = [s for s in agent.scopes if s.kind == "shell-infra"]
    prod = agent.prod_credentials
    reasons = [s.detail for s in [*broad, *infra]]
    if prod:
        reasons.append(f"reaches production credentials: {', '.join(prod)}")
    if guarded(agent):
        reasons.append("blastdoor's hook is installed and fails closed: every action is judged by the policy")
    elif agent.hooks == "installed":
        reasons.append("blastdoor's hook is installed but does not fail closed: " + "; ".join(agent.hook_gaps[:2]))
    elif agent.tool in HARNESSES:
        reasons.append(f"blastdoor's hook is not installed (`blastdoor install {agent.tool}`)")
    else:
        reasons.append("no blastdoor hook exists for this tool: only its own settings limit it")
    if broad and prod and not guarded(agent):
        return 1, reasons
    if (broad or (infra and prod)) and not guarded(agent):
        return 2, reasons
    writes = [s for s in agent.scopes if s.kind in ("write-any", "mcp-auto") or s.setting.endswith(":w")]
    if broad or infra or prod or writes:
        reasons.extend(s.detail for s in writes[:5])
        return 3, reasons
    reasons.insert(0, "asks before acting")
    return 4, reasons


def _agent_findings(agent: Agent) -> list[Finding]:
    out: list[Finding] = []
    prod = agent.prod_credentials
    safe = guarded(agent)
    for s in agent.scopes:
        fix = _FIXES.get(s.kind, "").format(
            tool=agent.tool, off=_OFF.get(agent.tool, "the setting"), narrow=_NARROW.get(agent.tool, "ask instead")
        )
        if s.kind in BROAD:
            severity = "medium" if safe else ("critical" if prod else "high")
            reach = f"; it reaches production credentials ({', '.join(prod)})" if prod else ""
            guard = " (blastdoor's fail-closed hook judges each action)" if safe else ""
            out.append(
                Finding(
                    "unrestricted-execution",
                    severity,
                    f"{agent.id} runs anything without asking",
                    f"{agent.id}: {s.detail}{reach}{guard}",
                    s.file,
                    s.line,
                    fix,
                    agent.id,
                    subject=s.setting,
                )
            )
        elif s.kind == "shell-infra":
            severity = "low" if safe else ("high" if prod else "medium")
            out.append(
                Finding(
                    "infrastructure-cli-unasked",
                    severity,
                    f"{agent.id} runs infrastructure CLIs unasked",
                    f"{agent.id}: {s.detail}",
                    s.file,
                    s.line,
                    fix,
                    agent.id,
                    subject=s.setting,
                )
            )
        elif s.kind == "mcp-auto":
            out.append(
                Finding(
                    "mcp-tools-unasked",
                    "low" if safe else "medium",
                    f"{agent.id} runs MCP tools unasked",
                    f"{agent.id}: {s.detail}",
                    s.file,
                    s.line,
                    "list the read-only tools to auto-approve instead of all of them",
                    agent.id,
                    subject=s.setting,
                )
            )
        elif s.kind == "write-any":
            out.append(
                Finding(
                    "edits-unasked",
                    "low",
                    f"{agent.id} edits files without asking",
                    f"{agent.id}: {s.detail}",
                    s.file,
                    s.line,
                    "keep edits on ask, or protect paths with the policy's files rules",
                    agent.id,
                    subject=s.setting,
                )
            )
    if agent.hooks == "installed":
        out.append(
            Finding(
                "hook-fails-open",
                "high" if prod else "medium",
                "blastdoor's hook does not fail closed",
                f"{agent.id}: " + "; ".join(agent.hook_gaps),
                agent.files[0] if agent.files else "",
                1,
                f"re-run `blastdoor install {agent.tool}` (it writes the fail-closed entries)",
                agent.id,
                subject="hooks",
            )
        )
    return out


def _credential_findings(agents: list[Agent], credentials: list[Credential]) -> list[Finding]:
    out = []
    for c in credentials:
        if not is_prod(c.env):
            continue
        reaching = [a for a in agents if c.key in a.prod_credentials]
        open_broad = [a for a in reaching if not guarded(a) and a.kinds() & (BROAD | {"shell-infra"})]
        unguarded = [a for a in reaching if not guarded(a)]
        if open_broad:
            severity, who = "critical", open_broad
            text = "agents that run commands unasked and are not guarded by blastdoor"
        elif unguarded:
            severity, who = "medium", unguarded
            text = "agents not guarded by blastdoor (they ask before running commands)"
        else:
            severity, who = "info", reaching
            text = "agents guarded by blastdoor's fail-closed hook"
        rule = {"critical": "production-credential-reachable", "medium": "production-credential-unguarded"}.get(
            severity, "production-credential-guarded"
        )
        names = ", ".join(a.id for a in who) or "no agent found"
        out.append(
            Finding(
                rule,
                severity,
                f"production credential reachable: {c.kind} {c.name}",
                f"{c.kind} `{c.name}` resolves to {c.env} ({c.why or 'by name'}); reachable by {text}: {names}",
                c.file,
                c.line,
                "guard the agents that reach it (`blastdoor install HARNESS`), or keep production credentials out "
                "of the agents' environment (short-lived SSO sessions, a separate user)",
                subject=c.key,
            )
        )
    return out
