"""What each installed harness really enforces, and its known gaps: where a team's policy actually holds.

Reads the harness configs at project and user scope (``adapters.config.PATHS``), finds blastdoor's
entries, and reports the verdicts the harness can express and what weakens them, from the protocol
facts (shared/protocols/HOOKS.md) and from the entries themselves (a Claude Code hook without
``onFailure: block`` fails open).
"""

from __future__ import annotations

from typing import Any

from blastdoor.adapters.config import EVENTS, FAIL_CLOSED, PATHS, config_path, is_ours, read_json

JSON = Any

# harness -> (verdicts enforced as themselves, how the others are expressed, protocol gaps)
FACTS: dict[str, tuple[list[str], str, list[str]]] = {
    "claude-code": (
        ["allow", "ask", "deny"],
        "approve is enforced as deny with the approval it needs",
        [
            "some subagent tool calls have skipped PreToolUse",
            "@file mentions bypass PreToolUse (write Read rules in the harness's permissions too)",
            "tools outside the matcher (Glob, Grep, WebSearch, Task) are not checked",
        ],
    ),
    "codex": (
        ["deny"],
        "PreToolUse ignores allow and ask: ask and approve are enforced as deny with instructions; allow "
        "leaves Codex's own approval_policy in charge (PermissionRequest can allow)",
        ["Codex's own .rules and approval_policy/sandbox_mode in config.toml still apply and are not read"],
    ),
    "cursor": (
        ["allow", "ask", "deny"],
        "approve is enforced as deny with the approval it needs; beforeReadFile has no ask (deny)",
        ["tools without a before* event are not checked"],
    ),
    "gemini": (
        ["allow", "deny"],
        "no ask from a hook: ask and approve are enforced as deny with instructions",
        ["BeforeTool has fired after Gemini's own permission prompt (the user may already have said yes)"],
    ),
    "kiro": (
        ["allow", "deny"],
        "exit code only: ask and approve are enforced as deny (exit 2) with instructions",
        [
            "only the agent config that carries the hook is covered; other agents run unchecked",
            "toolsSettings (allowedCommands, allowedPaths) and --trust-all-tools are Kiro's own, not read",
        ],
    ),
    "copilot": (
        ["allow", "ask", "deny"],
        "approve is enforced as deny with the approval it needs",
        ["the Copilot CLI and VS Code read different hook files; check both are installed"],
    ),
}


def _ours(config: dict[str, JSON], harness: str) -> dict[str, list[dict[str, JSON]]]:
    """event -> blastdoor's hook entries under it."""
    found: dict[str, list[dict[str, JSON]]] = {}
    hooks = config.get("hooks")
    if not isinstance(hooks, dict):
        return found
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            continue
        for group in groups:
            inner = group.get("hooks") if isinstance(group, dict) else None
            for entry in inner if isinstance(inner, list) else [group]:
                if is_ours(entry, harness):
                    found.setdefault(event, []).append(entry)
    return found


def _entry_gaps(harness: str, config: dict[str, JSON], ours: dict[str, list[dict[str, JSON]]]) -> list[str]:
    gaps: list[str] = []
    for event, _matcher in EVENTS[harness]:
        if event not in ours:
            is_pre = event.startswith(("Pre", "pre", "before", "Before", "Permission"))
            gaps.append(f"no blastdoor hook on {event}: " + ("not checked" if is_pre else "outcomes not recorded"))
    for event, entries in ours.items():
        for entry in entries:
            if harness == "claude-code" and entry.get("onFailure") != "block":
                gaps.append(f'{event}: the hook has no "onFailure": "block", so a crash or timeout lets the tool run')
            if harness == "cursor" and entry.get("failClosed") is not True:
                gaps.append(f'{event}: the hook has no "failClosed": true, so a crash lets the tool run')
            if entry.get("type") == "http":
                gaps.append(f"{event}: HTTP hook: decisions need `blastdoor serve` running (blocked when it is down)")
    if FAIL_CLOSED.get(harness) is None:
        gaps.append(
            "the harness has no fail-closed switch: a hook that cannot start at all (its Python removed or "
            "moved) lets the tool run; blastdoor's launcher blocks (exit 2) when only blastdoor is missing"
        )
    if harness == "gemini":
        hooks = config.get("hooks")
        tools = config.get("tools")
        enabled = (isinstance(hooks, dict) and hooks.get("enabled") is True) or (
            isinstance(tools, dict) and tools.get("enableHooks") is True
        )
        if not enabled:
            gaps.append("hooks are not enabled (hooks.enabled / tools.enableHooks): nothing runs")
    return gaps


def report(project: str, *, kiro_agent: str = "default") -> list[dict[str, JSON]]:
    """One record per harness config that carries blastdoor's hook, plus one per harness without any."""
    out: list[dict[str, JSON]] = []
    for harness in PATHS:
        found = False
        for scope in ("project", "user"):
            path = config_path(harness, scope, project=project, agent=kiro_agent)
            if scope == "user" and any(r["path"] == path for r in out):
                continue  # the project is the home directory
            try:
                config = read_json(path)
            except (OSError, ValueError) as exc:
                out.append({"harness": harness, "scope": scope, "path": path, "installed": False,
                            "error": f"unreadable: {exc}"})  # fmt: skip
                continue
            ours = _ours(config, harness)
            if not ours:
                continue
            found = True
            enforced, others, protocol = FACTS[harness]
            out.append(
                {
                    "harness": harness,
                    "scope": scope,
                    "path": path,
                    "installed": True,
                    "events": sorted(ours),
                    "enforces": enforced,
                    "expressed_as_deny": others,
                    "fail_closed": FAIL_CLOSED.get(harness) or "none: the harness has no switch for it",
                    "gaps": _entry_gaps(harness, config, ours) + protocol,
                }
            )
        if not found:
            out.append({"harness": harness, "installed": False, "path": config_path(harness, "project",
                        project=project, agent=kiro_agent)})  # fmt: skip
    return out


def hook_status(config: dict[str, JSON], harness: str) -> tuple[list[str], list[str]]:
    """For one harness config already read: the events blastdoor's hook is on, and what weakens them.

    The gaps are the entries' own (a hook that fails open, an event without the hook, hooks not enabled);
    the protocol's gaps (``FACTS``) are not repeated. ``blastdoor inventory`` reads configs itself.
    """
    ours = _ours(config, harness)
    return sorted(ours), (_entry_gaps(harness, config, ours) if ours else [])
