"""The scanner seam: one ``Scanner`` per agentic tool, and the context they share.

A scanner reads the tool's configuration files at managed, user and project scope and returns one
``Agent`` per place the tool is configured, with the scopes (what it may do unasked) and where each is
set. It never raises for a bad file: ``ScanContext.load`` turns unreadable, truncated and wrong-typed
files into ``malformed-config`` findings (with the parser's line and column) and returns None.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from blastdoor.inventory._files import Parsed, load_json, load_toml, load_yaml
from blastdoor.inventory.model import Agent, Finding, Scope

if TYPE_CHECKING:
    from collections.abc import Iterable

JSON = Any


@dataclass
class ScanContext:
    """Where to look: the repositories, the home directory and the machine's root (for managed files)."""

    roots: list[str]
    home: str
    system: str = "/"  # managed settings live under it (/etc/claude-code, ...); tests point it elsewhere
    findings: list[Finding] = field(default_factory=list)

    def user(self, *parts: str) -> str:
        return os.path.join(self.home, *parts)

    def system_path(self, *parts: str) -> str:
        return os.path.join(self.system, *parts)

    def load(self, path: str, fmt: str = "json", *, want: type = dict, agent: str = "") -> Parsed | None:
        """The parsed file, None when it does not exist or is malformed (then a finding says where)."""
        if not os.path.isfile(path):
            return None
        if fmt == "toml":
            parsed = load_toml(path)
        elif fmt == "yaml":
            parsed = load_yaml(path, want=want)
        else:
            parsed = load_json(path, jsonc=fmt == "jsonc", want=want)
        if parsed.problem is not None:
            p = parsed.problem
            self.findings.append(
                Finding(
                    "malformed-config",
                    "medium",
                    "configuration file cannot be read",
                    f"{p.message}; the tool may ignore it or refuse to start, and this scan could not assess it",
                    path,
                    p.line,
                    "fix the file (the position is where the parser stopped)",
                    agent=agent,
                    column=p.column,
                )
            )
            return None
        return parsed

    def wrong_type(self, parsed: Parsed, keys: tuple[str | int, ...], expected: str, agent: str = "") -> None:
        """A setting of the wrong type: reported where it is, and the scan goes on."""
        self.findings.append(
            Finding(
                "malformed-config",
                "medium",
                "setting has the wrong type",
                f"`{'.'.join(str(k) for k in keys)}` should be {expected}; the tool may ignore it",
                parsed.path,
                parsed.line_of(*keys),
                f"make `{keys[-1]}` {expected}",
                agent=agent,
                subject=".".join(str(k) for k in keys),
            )
        )


class Scanner(Protocol):
    """One agentic tool: where its configuration lives and what it grants."""

    tool: str

    def scan(self, ctx: ScanContext) -> list[Agent]:
        """Every place the tool is configured under ``ctx``'s roots, home and machine."""
        ...


def scope(kind: str, detail: str, parsed: Parsed, *keys: str | int, setting: str = "") -> Scope:
    return Scope(kind, detail, parsed.path, parsed.line_of(*keys), setting or ".".join(str(k) for k in keys))


def strings(value: JSON) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def hooks_of(agent: Agent, config: dict[str, JSON], harness: str) -> None:
    """Record whether blastdoor's hook is in ``config`` and fails closed (``adapters.coverage``)."""
    from blastdoor.adapters.coverage import hook_status

    events, gaps = hook_status(config, harness)
    if not events:
        return
    pre = [e for e in events if e.startswith(("Pre", "pre", "before", "Before", "Permission"))]
    weak = [g for g in gaps if "fail" in g or "lets the tool run" in g or "not checked" in g or "nothing runs" in g]
    state = "fail-closed" if pre and not weak else "installed"
    if agent.hooks != "fail-closed":
        agent.hooks = state
        agent.hook_gaps = gaps


# Servers whose tools change things outside the repository (by package or command name).
WRITE_SERVERS = (
    "filesystem",
    "postgres",
    "mysql",
    "sqlite",
    "mongo",
    "redis",
    "github",
    "gitlab",
    "kubernetes",
    "k8s",
    "aws",
    "gcp",
    "azure",
    "terraform",
    "docker",
    "shell",
    "bash",
    "exec",
    "desktop-commander",
    "supabase",
    "stripe",
    "cloudflare",
    "heroku",
    "vercel",
)
_SECRET_NAMES = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY", "DSN")


def mcp_servers(
    ctx: ScanContext,
    agent: Agent,
    parsed: Parsed,
    servers: JSON,
    keys: tuple[str, ...],
    *,
    auto_key: str = "",
) -> None:
    """MCP servers under ``keys``: one ``mcp-server`` scope each (``mcp-auto`` when tools run unasked),
    and a ``secret-in-config`` finding for a literal secret in a server's env or headers."""
    if servers is None:
        return
    if not isinstance(servers, dict):
        ctx.wrong_type(parsed, keys, "an object of servers", agent.id)
        return
    for name, spec in servers.items():
        if not isinstance(spec, dict):
            ctx.wrong_type(parsed, (*keys, name), "an object", agent.id)
            continue
        agent.mcp_servers.append(name)
        text = " ".join([str(spec.get("command", "")), *map(str, strings(spec.get("args"))), str(spec.get("url", ""))])
        writes = any(w in text.lower() or w in name.lower() for w in WRITE_SERVERS)
        detail = f"MCP server `{name}`" + (" (its tools can change external systems)" if writes else "")
        agent.scopes.append(
            scope("mcp-server", detail, parsed, *keys, name, setting=f"mcp:{name}:{'w' if writes else 'r'}")
        )
        auto = spec.get(auto_key) if auto_key else None
        if spec.get("trust") is True or auto is True or (isinstance(auto, list) and auto):
            what = (
                "all tools"
                if auto is True or spec.get("trust") is True or "*" in strings(auto)
                else ", ".join(strings(auto))
            )
            key = "trust" if spec.get("trust") is True else auto_key
            agent.scopes.append(
                scope(
                    "mcp-auto",
                    f"MCP server `{name}`: {what} run without asking",
                    parsed,
                    *keys,
                    name,
                    key,
                    setting=f"mcp-auto:{name}:{what}",
                )
            )
        for section in ("env", "headers"):
            values = spec.get(section)
            if isinstance(values, dict):
                secret_values(ctx, agent, parsed, values, (*keys, name, section), f"MCP server `{name}`")


def secret_values(
    ctx: ScanContext, agent: Agent, parsed: Parsed, values: dict[str, JSON], keys: tuple[str, ...], where: str
) -> None:
    """A ``secret-in-config`` finding per literal secret among ``values`` (never the value itself)."""
    for var, value in values.items():
        secret = _literal_secret(str(var), value) or (isinstance(value, str) and _url_password(value))
        if secret:
            ctx.findings.append(
                Finding(
                    "secret-in-config",
                    "high",
                    "literal secret in an agent's configuration",
                    f"{where} has a literal value for `{var}` (kind: {_kind_of(str(var))}); the value is not shown",
                    parsed.path,
                    parsed.line_of(*keys, str(var)),
                    f"reference it from the environment instead (e.g. `${{{var}}}`) and rotate it",
                    agent=agent.id,
                    subject=".".join([*keys, str(var)]),
                )
            )


def _url_password(value: str) -> bool:
    from urllib.parse import urlsplit

    if "://" not in value or "@" not in value:
        return False
    try:
        return bool(urlsplit(value).password)
    except ValueError:
        return False


def _literal_secret(var: str, value: JSON) -> bool:
    if not isinstance(value, str) or len(value) < 8 or value.startswith(("${", "$", "{env:", "env:")):
        return False
    upper = var.upper()
    return any(s in upper for s in _SECRET_NAMES) or upper == "AUTHORIZATION"


def _kind_of(var: str) -> str:
    upper = var.upper()
    if upper.endswith(("_URL", "_URI", "DSN")):
        return "url-with-password"
    for s in _SECRET_NAMES:
        if s in upper:
            return s.lower().replace("_", "-")
    return "credential"


def project_dirs(ctx: ScanContext) -> Iterable[str]:
    """The repositories to scan (each root given), without the home directory twice."""
    seen = set()
    for root in ctx.roots:
        real = os.path.realpath(root)
        if real not in seen and real != os.path.realpath(ctx.home):
            seen.add(real)
            yield root
