"""The gateway's config file: the downstream MCP servers, and where the policy and the store are.

YAML or JSON. The ``servers`` map (``mcpServers`` is accepted too, so an existing ``.mcp.json`` or
Claude Desktop config works as it is) names each downstream server: a stdio ``command`` with
``args``, ``env`` and ``cwd``, or a streamable HTTP ``url`` with ``headers``. ``${VAR}`` in ``env``,
``headers``, ``args`` and ``url`` is taken from the gateway's own environment; an unset variable is
an error, not an empty string. Every problem is reported as ``FILE:LINE:COLUMN: message``.
"""

from __future__ import annotations

import difflib
import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError, Location, PolicyError

if TYPE_CHECKING:
    from blastdoor.policy.syntax import Document, Path

__all__ = ["GatewayConfig", "ServerSpec", "load_config"]

DEFAULT_SEPARATOR = "__"
DEFAULT_TIMEOUT = 300.0  # seconds a downstream tool call may take
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOP = ("servers", "mcpServers", "policy", "store", "agent", "separator", "pinning", "timeout")
_SERVER = ("command", "args", "env", "cwd", "url", "headers", "kind", "timeout", "disabled", "type", "description")
_PINNING = ("on_change", "trust_new", "relist_after")
DEFAULT_RELIST_AFTER = 10.0  # seconds a server's tool list is trusted before a call lists it again


class ServerSpec:
    """One downstream server as configured."""

    __slots__ = ("args", "command", "cwd", "env", "headers", "kind", "name", "timeout", "url")

    def __init__(
        self,
        name: str,
        *,
        command: str = "",
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        cwd: str = "",
        url: str = "",
        headers: dict[str, str] | None = None,
        kind: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.name = name
        self.command = command
        self.args = args
        self.env = env or {}
        self.cwd = cwd
        self.url = url
        self.headers = headers or {}
        self.kind = kind
        self.timeout = timeout

    @property
    def launch(self) -> str:
        """How the server is reached, as one line: its command line or its URL (no secrets: no env, no headers)."""
        if self.url:
            return self.url
        return " ".join([self.command, *self.args])


class GatewayConfig:
    """The whole config file, validated."""

    __slots__ = ("agent", "on_change", "path", "policy", "relist_after", "separator", "servers", "store", "trust_new")

    def __init__(
        self,
        path: str,
        servers: list[ServerSpec],
        *,
        policy: str = "",
        store: str = "",
        agent: str = "",
        separator: str = DEFAULT_SEPARATOR,
        on_change: str = "withhold",
        trust_new: bool = True,
        relist_after: float = DEFAULT_RELIST_AFTER,
    ) -> None:
        self.path = path
        self.servers = servers
        self.policy = policy
        self.store = store
        self.agent = agent
        self.separator = separator
        self.on_change = on_change
        self.trust_new = trust_new
        self.relist_after = relist_after


class _Checker:
    """Collects problems with their locations, so one run reports every mistake."""

    def __init__(self, doc: Document, environ: dict[str, str] | os._Environ[str]) -> None:
        self.doc = doc
        self.environ = environ
        self.problems: list[tuple[Location, str]] = []

    def problem(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append((self.doc.where(path, key=key), message))

    def keys(self, value: dict[str, Any], path: Path, allowed: tuple[str, ...], what: str) -> None:
        for key in value:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean `{near[0]}`?)" if near else f"; known: {', '.join(allowed)}"
                self.problem((*path, key), f"unknown {what} key `{key}`{hint}", key=True)

    def string(self, value: Any, path: Path, what: str, *, expand: bool = False) -> str:
        if not isinstance(value, str):
            self.problem(path, f"{what} must be a string")
            return ""
        return self.expand(value, path) if expand else value

    def expand(self, text: str, path: Path) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.environ:
                self.problem(path, f"`${{{name}}}` is not set in the gateway's environment")
                return ""
            return self.environ[name]

        return _VAR.sub(sub, text)

    def strings(self, value: Any, path: Path, what: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.problem(path, f"{what} must be a list of strings")
            return ()
        return tuple(self.string(v, (*path, i), f"{what}[{i}]", expand=True) for i, v in enumerate(value))

    def mapping(self, value: Any, path: Path, what: str) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a mapping of names to strings")
            return {}
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                v = str(v)
            out[str(k)] = self.string(v, (*path, k), f"{what}.{k}", expand=True)
        return out

    def number(self, value: Any, path: Path, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.problem(path, f"{what} must be a positive number of seconds")
            return DEFAULT_TIMEOUT
        return float(value)


def _server(
    c: _Checker, name: str, raw: Any, path: Path, base: str, separator: str, timeout: float
) -> ServerSpec | None:
    if not _NAME.match(name) or separator in name:
        c.problem(
            path,
            f"server name `{name}` must be letters, digits, `_`, `-` or `.` (up to 64) without `{separator}`, "
            "the separator of the tool names the gateway lists",
            key=True,
        )
    if not isinstance(raw, dict):
        c.problem(path, f"server `{name}` must be a mapping with `command` or `url`")
        return None
    c.keys(raw, path, _SERVER, "server")
    if raw.get("disabled") is True:
        return None
    command = c.string(raw["command"], (*path, "command"), "`command`", expand=True) if "command" in raw else ""
    url = c.string(raw["url"], (*path, "url"), "`url`", expand=True) if "url" in raw else ""
    if bool(command) == bool(url):
        c.problem(path, f"server `{name}` needs exactly one of `command` (stdio) or `url` (streamable HTTP)")
    if url and not url.startswith(("http://", "https://")):
        c.problem((*path, "url"), f"`url` must be an http:// or https:// URL, not `{url}`")
    kind = raw.get("type")
    if kind is not None and kind not in ("stdio", "http", "streamable-http", "streamableHttp"):
        c.problem((*path, "type"), f"`type` `{kind}` is not supported (stdio or streamable HTTP; SSE is not)")
    if command and ("url" in raw or "headers" in raw):
        c.problem(path, "`headers` and `url` are for HTTP servers, not `command` ones")
    if url and any(k in raw for k in ("args", "env", "cwd")):
        c.problem(path, "`args`, `env` and `cwd` are for stdio servers, not `url` ones")
    cwd = ""
    if "cwd" in raw:
        cwd = c.string(raw["cwd"], (*path, "cwd"), "`cwd`", expand=True)
        cwd = os.path.normpath(os.path.join(base, os.path.expanduser(cwd)))
    return ServerSpec(
        name,
        command=command,
        args=c.strings(raw["args"], (*path, "args"), "`args`") if "args" in raw else (),
        env=c.mapping(raw["env"], (*path, "env"), "`env`") if "env" in raw else {},
        cwd=cwd,
        url=url,
        headers=c.mapping(raw["headers"], (*path, "headers"), "`headers`") if "headers" in raw else {},
        kind=c.string(raw["kind"], (*path, "kind"), "`kind`") if "kind" in raw else "",
        timeout=c.number(raw["timeout"], (*path, "timeout"), "`timeout`") if "timeout" in raw else timeout,
    )


def parse_config(text: str, path: str, environ: dict[str, str] | os._Environ[str] | None = None) -> GatewayConfig:
    """The config in ``text`` (read from ``path``); raises InputError listing every problem with its location."""
    from blastdoor.policy.syntax import text_to_document

    try:
        doc = text_to_document(text, path)
    except PolicyError as exc:
        raise InputError(exc.diagnostics()) from exc
    c = _Checker(doc, os.environ if environ is None else environ)
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(f"{doc.where(())}: the gateway config must be a mapping with `servers`")
    c.keys(data, (), _TOP, "top-level")
    base = os.path.dirname(os.path.abspath(path))
    separator = DEFAULT_SEPARATOR
    if "separator" in data:
        separator = c.string(data["separator"], ("separator",), "`separator`")
        if not separator or not re.fullmatch(r"[_.\-]{1,3}", separator):
            c.problem(("separator",), "`separator` must be one to three of `_`, `.` or `-`")
            separator = DEFAULT_SEPARATOR
    timeout = c.number(data["timeout"], ("timeout",), "`timeout`") if "timeout" in data else DEFAULT_TIMEOUT
    key = "servers" if "servers" in data else "mcpServers"
    if "servers" in data and "mcpServers" in data:
        c.problem(("mcpServers",), "give `servers` or `mcpServers`, not both", key=True)
    raw_servers = data.get(key)
    servers: list[ServerSpec] = []
    if not isinstance(raw_servers, dict) or not raw_servers:
        c.problem((key,) if key in data else (), "`servers` must map at least one server name to its command or URL")
    else:
        for name, raw in raw_servers.items():
            spec = _server(c, str(name), raw, (key, name), base, separator, timeout)
            if spec is not None:
                servers.append(spec)
    policy = ""
    if "policy" in data:
        policy = c.string(data["policy"], ("policy",), "`policy`", expand=True)
        policy = os.path.normpath(os.path.join(base, os.path.expanduser(policy))) if policy else ""
        if policy and not os.path.isfile(policy):
            c.problem(("policy",), f"the policy file `{policy}` does not exist")
    store = c.string(data["store"], ("store",), "`store`", expand=True) if "store" in data else ""
    if store and "://" not in store and not store.startswith("sqlite:"):
        store = os.path.normpath(os.path.join(base, os.path.expanduser(store)))
    agent = c.string(data["agent"], ("agent",), "`agent`") if "agent" in data else ""
    on_change, trust_new, relist_after = "withhold", True, DEFAULT_RELIST_AFTER
    pinning = data.get("pinning")
    if pinning is not None:
        if not isinstance(pinning, dict):
            c.problem(("pinning",), "`pinning` must be a mapping (on_change, trust_new)")
        else:
            c.keys(pinning, ("pinning",), _PINNING, "pinning")
            on_change = pinning.get("on_change", "withhold")
            if on_change not in ("withhold", "allow"):
                c.problem(("pinning", "on_change"), "`on_change` must be `withhold` (the default) or `allow`")
                on_change = "withhold"
            trust_new = pinning.get("trust_new", True)
            if not isinstance(trust_new, bool):
                c.problem(("pinning", "trust_new"), "`trust_new` must be true or false")
                trust_new = True
            relist_after = pinning.get("relist_after", DEFAULT_RELIST_AFTER)
            if isinstance(relist_after, bool) or not isinstance(relist_after, int | float) or relist_after < 0:
                c.problem(("pinning", "relist_after"), "`relist_after` must be a number of seconds, 0 or more")
                relist_after = DEFAULT_RELIST_AFTER
    if c.problems:
        ordered = sorted(c.problems, key=lambda p: (p[0].line, p[0].column))
        raise InputError("\n".join(f"{loc}: {msg}" for loc, msg in ordered))
    return GatewayConfig(
        os.path.abspath(path),
        servers,
        policy=policy,
        store=store,
        agent=agent,
        separator=separator,
        on_change=on_change,
        trust_new=trust_new,
        relist_after=float(relist_after),
    )


def load_config(path: str, environ: dict[str, str] | os._Environ[str] | None = None) -> GatewayConfig:
    """Read and validate the config file at ``path``."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read the gateway config `{path}`: {exc.strerror or exc}") from exc
    return parse_config(text, path, environ)
