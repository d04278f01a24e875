"""The server's configuration: a YAML file, then environment variables, then command-line flags.

    listen: 127.0.0.1:8787          # HTTP address ("" to serve the unix socket only)
    socket: ~/.local/share/blastdoor/server.sock   # the hooks' fast path ("" to disable)
    db: postgresql://blastdoor@db/blastdoor        # default: the embedded SQLite file
    policy: /etc/blastdoor/project.yaml            # default: each call's project policy, found from its cwd
    public_url: https://blastdoor.example.com      # links in notifications (default: http://LISTEN)
    webhooks:
      - { url: "https://hooks.slack.com/services/...", format: slack }
      - { url: "https://ops.example.com/blastdoor", format: generic, secret_env: OPS_WEBHOOK_SECRET }

Environment: BLASTDOOR_LISTEN, BLASTDOOR_SOCKET, BLASTDOOR_DB, BLASTDOOR_POLICY,
BLASTDOOR_PUBLIC_URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blastdoor.errors import InputError

KEYS = ("listen", "socket", "db", "policy", "public_url", "webhooks", "checkpoint_interval")
WEBHOOK_FORMATS = ("generic", "slack")


class Webhook:
    __slots__ = ("format", "secret", "url")

    def __init__(self, url: str, format: str = "generic", secret: str = "") -> None:
        self.url = url
        self.format = format
        self.secret = secret


class ServerConfig:
    def __init__(
        self,
        *,
        listen: str = "127.0.0.1:8787",
        socket: str | None = None,
        db: str | None = None,
        policy: str | None = None,
        public_url: str = "",
        webhooks: list[Webhook] | None = None,
        checkpoint_interval: float = 60.0,
    ) -> None:
        from blastdoor.hook.wire import socket_path

        self.listen = listen
        self.socket = socket_path(os.environ) if socket is None else socket
        self.db = db
        self.policy = policy
        self.webhooks = webhooks or []
        self.checkpoint_interval = checkpoint_interval
        self.public_url = (public_url or (f"http://{listen}" if listen else "http://localhost")).rstrip("/")

    @property
    def host_port(self) -> tuple[str, int] | None:
        if not self.listen:
            return None
        host, sep, port = self.listen.rpartition(":")
        if not sep or not port.isdigit():
            raise InputError(f"listen: `{self.listen}` is not HOST:PORT")
        return host.strip("[]") or "127.0.0.1", int(port)

    @classmethod
    def load(cls, path: str | None = None, environ: Mapping[str, str] | None = None, **flags: Any) -> ServerConfig:
        """The file at ``path`` (if any), overridden by the environment, overridden by non-None ``flags``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if path:
            values.update(_read_file(path))
        for key, var in (
            ("listen", "BLASTDOOR_LISTEN"),
            ("socket", "BLASTDOOR_SOCKET"),
            ("db", "BLASTDOOR_DB"),
            ("policy", "BLASTDOOR_POLICY"),
            ("public_url", "BLASTDOOR_PUBLIC_URL"),
        ):
            if env.get(var) is not None:
                values[key] = env[var]
        values.update({k: v for k, v in flags.items() if v is not None})
        hooks = values.pop("webhooks", [])
        config = cls(**values, webhooks=[_webhook(h, i, env) for i, h in enumerate(hooks or [])])
        config.host_port  # noqa: B018 - validate now, not at bind time
        return config


def _read_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise InputError(f"cannot read the server config `{path}`: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise InputError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of settings ({', '.join(KEYS)})")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InputError(f"{path}: unknown setting `{unknown[0]}`", hints=[f"known: {', '.join(KEYS)}"])
    for key in ("listen", "socket", "db", "policy", "public_url"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise InputError(f"{path}: `{key}` must be a string")
    if "checkpoint_interval" in data and not isinstance(data["checkpoint_interval"], int | float):
        raise InputError(f"{path}: `checkpoint_interval` must be a number of seconds")
    if "webhooks" in data and not isinstance(data["webhooks"], list):
        raise InputError(f"{path}: `webhooks` must be a list of {{url, format}}")
    return data


def _webhook(value: Any, index: int, env: Mapping[str, str]) -> Webhook:
    where = f"webhooks[{index}]"
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise InputError(f"{where}: expected {{url: ..., format: generic|slack}}")
    unknown = sorted(set(value) - {"url", "format", "secret_env"})
    if unknown:
        raise InputError(f"{where}: unknown key `{unknown[0]}` (url, format, secret_env)")
    fmt = value.get("format", "generic")
    if fmt not in WEBHOOK_FORMATS:
        raise InputError(f"{where}.format: `{fmt}` is not one of {', '.join(WEBHOOK_FORMATS)}")
    url = value["url"]
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{where}.url: `{url}` is not an http(s) URL")
    secret = env.get(value["secret_env"], "") if value.get("secret_env") else ""
    return Webhook(url, fmt, secret)
