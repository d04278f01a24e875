"""The inventory: which AI agents run here, what they may do unasked, and which of them reach production.

    scan(paths, *, home, environments=None, system="/", host="") -> Report

Finds the repositories under ``paths``, runs one scanner per agentic tool (``scanners``), reads the
credentials an agent running as this user could reach (``credentials``), resolves them to environments
with the policy's ``environments`` (the same globs as ``env: prod`` in a rule), and assesses each agent
(``assess``: tier 1 critical .. 4 low, with reasons, and findings with stable ids). Renderers
(``render``, ``sarif``), the register (``register``) and the fleet store (``reports``) sit beside it.
Never on the hook's path: nothing in the hook, classify or policy packages imports this package.
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Any

from blastdoor.inventory.model import Agent, Credential, Finding, Report, Scope

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Agent", "Credential", "Finding", "Report", "Scope", "discover", "scan"]

# A directory holding one of these is a place an agent is configured (or a repository).
MARKERS = (
    ".git",
    ".claude",
    ".codex",
    ".cursor",
    ".gemini",
    ".kiro",
    ".vscode",
    ".mcp.json",
    ".github",
    "opencode.json",
    ".aider.conf.yml",
    ".continue",
    "blastdoor.yaml",
)
SKIP = frozenset({"node_modules", "vendor", "venv", ".venv", "__pycache__", "dist", "build", "target", "site-packages"})
MAX_DEPTH = 4
_ENV_SKIP = (".example", ".sample", ".template", ".dist")


def discover(paths: list[str], *, max_depth: int = MAX_DEPTH) -> list[str]:
    """Each path, and every directory under it (to ``max_depth``) that holds a repository or an agent config."""
    found: list[str] = []
    seen: set[str] = set()
    for top in paths:
        top = os.path.abspath(top)
        if not os.path.isdir(top):
            continue
        base_depth = top.rstrip(os.sep).count(os.sep)
        for dirpath, dirnames, filenames in os.walk(top):
            names = set(dirnames) | set(filenames)
            if (dirpath == top or names & set(MARKERS)) and dirpath not in seen:
                seen.add(dirpath)
                found.append(dirpath)
            if dirpath.count(os.sep) - base_depth >= max_depth:
                dirnames[:] = []
            else:
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP)
    return found


def env_files(root: str) -> list[str]:
    try:
        names = os.listdir(root)
    except OSError:
        return []
    return sorted(
        os.path.join(root, n) for n in names if (n == ".env" or n.startswith(".env.")) and not n.endswith(_ENV_SKIP)
    )


def scan(
    paths: list[str],
    *,
    home: str,
    environments: Mapping[str, Mapping[str, Any]] | None = None,
    system: str = "/",
    host: str = "",
    path_env: str | None = None,
) -> Report:
    """Scan ``paths`` (repositories, or directories holding them) and ``home``; see the module docstring."""
    from blastdoor.inventory import credentials
    from blastdoor.inventory.assess import assess
    from blastdoor.inventory.scanners import SCANNERS, ScanContext

    roots = discover(paths)
    ctx = ScanContext(roots=roots, home=os.path.abspath(home), system=system)
    envs = environments if environments else credentials.DEFAULT_ENVIRONMENTS
    agents: list[Agent] = []
    for scanner in SCANNERS:
        try:
            agents.extend(scanner.scan(ctx))
        except Exception as exc:
            ctx.findings.append(
                Finding(
                    "scanner-error",
                    "medium",
                    f"the {scanner.tool} scanner failed",
                    f"{type(exc).__name__}: {exc}; its agents are missing from this report",
                    ctx.home,
                    0,
                    "report this as a blastdoor bug",
                    subject=scanner.tool,
                )
            )
    found_credentials = credentials.scan(ctx, envs, {r: env_files(r) for r in roots if r != ctx.home})
    binaries = installed(ctx.home, path_env)
    _versions(agents, binaries)
    findings = assess(agents, found_credentials, ctx.findings)
    report = Report(
        host=host or socket.gethostname(),
        roots=roots,
        home=ctx.home,
        agents=agents,
        credentials=found_credentials,
        findings=findings,
        binaries=binaries,
        generated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    _portable_ids(report)
    return report


def _portable_ids(report: Report) -> None:
    """Finding ids without machine-specific paths: agents by their register key, files relative to the
    scanned path or the home directory, so the same finding has the same id on every checkout."""
    from blastdoor.inventory.register import key

    keys = {a.id: key(a, report) for a in report.agents}
    first = report.roots[0] if report.roots else ""

    def place(path: str) -> str:
        for base, label in ((report.home, "~"), (first, ".")):
            if base and (path == base or path.startswith(base.rstrip("/") + "/")):
                return f"{label}/{os.path.relpath(path, base)}"
        return path

    for f in report.findings:
        f.portable = f"{keys.get(f.agent, f.agent)}\0{place(f.file)}"


# tool -> executables on PATH; VS Code extension id prefix -> tool
BINARIES = {
    "claude-code": ("claude",),
    "codex": ("codex",),
    "cursor": ("cursor-agent", "cursor"),
    "gemini": ("gemini",),
    "kiro": ("kiro-cli", "kiro", "q"),
    "copilot": ("copilot", "code"),
    "aider": ("aider",),
    "goose": ("goose",),
    "opencode": ("opencode",),
}
EXTENSIONS = {
    "github.copilot-chat": "copilot",
    "anthropic.claude-code": "claude-code",
    "saoudrizwan.claude-dev": "cline",
    "rooveterinaryinc.roo-cline": "roo-code",
    "continue.continue": "continue",
    "google.geminicodeassist": "gemini",
}


def installed(home: str, path_env: str | None = None) -> list[dict[str, str]]:
    """Agent executables on PATH (name and path; none is run) and VS Code extensions with their versions."""
    import shutil

    out = []
    search = os.environ.get("PATH", "") if path_env is None else path_env
    for tool, names in BINARIES.items():
        for name in names:
            path = shutil.which(name, path=search)
            if path:
                out.append({"tool": tool, "kind": "binary", "name": name, "path": path, "version": ""})
    for base in (os.path.join(home, ".vscode", "extensions"), os.path.join(home, ".cursor", "extensions")):
        try:
            entries = sorted(os.listdir(base))
        except OSError:
            continue
        for entry in entries:
            for prefix, tool in EXTENSIONS.items():
                if entry.lower().startswith(prefix + "-"):
                    version = entry[len(prefix) + 1 :]
                    out.append(
                        {
                            "tool": tool,
                            "kind": "vscode-extension",
                            "name": prefix,
                            "path": os.path.join(base, entry),
                            "version": version,
                        }
                    )
    return out


def _versions(agents: list[Agent], binaries: list[dict[str, str]]) -> None:
    versions = {b["tool"]: b["version"] for b in binaries if b["version"]}
    for a in agents:
        if not a.version and a.tool in versions:
            a.version = versions[a.tool]
