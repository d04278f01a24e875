"""Containers that reach into the host: bind mounts of ``docker run``/``create`` (podman, nerdctl).

A container is only a boundary for what it cannot see. Binding a host directory into it
(``-v /:/host``, ``--volume ~/.ssh:/k``, ``--mount type=bind,source=/etc,target=/e``) gives whatever
runs inside the power to change that directory, whatever the command after the image says. So each
bind source is judged as a write of that place (a read when mounted read-only: ``:ro``,
``readonly``), and a few sources are privilege outright: ``/`` and the system directories, the
Docker socket (root on the host), and the home directory or a directory above it.

Option forms, from ``docker run --help`` and the Docker documentation: ``-v``/``--volume
SRC:DST[:OPTS]`` (a SRC without ``/`` is a named volume, not the host), and ``--mount`` with
comma-separated ``key=value`` fields (``type=bind``, ``source``/``src``, ``target``/``dst``,
``readonly``/``ro``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

__all__ = ["HANDLERS"]

_SOCKETS = frozenset(("/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock", "/var/run/podman.sock"))
_SYSTEM = (
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
)


def _binds(cmd: Cmd) -> list[tuple[str | None, bool]]:
    """(host source, read-only) of every bind mount; ``None`` is a source computed at run time."""
    found: list[tuple[str | None, bool]] = []
    for opt, value in cmd.opts:
        if opt in ("-v", "--volume"):
            if value is None:
                found.append((None, False))
                continue
            fields = value.split(":")
            if len(fields) < 2 or not fields[0].startswith(("/", "~", ".")):
                continue  # a named or anonymous volume: not the host's files
            found.append((fields[0], len(fields) > 2 and "ro" in fields[2].split(",")))
        elif opt == "--mount":
            if value is None:
                found.append((None, False))
                continue
            keys: dict[str, str] = {}
            flags: set[str] = set()
            for field in value.split(","):
                key, eq, val = field.partition("=")
                if eq:
                    keys[key.strip()] = val.strip()
                else:
                    flags.add(key.strip())
            if keys.get("type", "volume") != "bind":
                continue
            source = keys.get("source") or keys.get("src")
            readonly = bool(flags & {"readonly", "ro"}) or keys.get("readonly", keys.get("ro", "")) in ("true", "1")
            found.append((source, readonly))
    return found


def container_run(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    home = st.ctx.home.rstrip("/")
    for source, readonly in _binds(cmd):
        if source is None:
            part.add("unknown", "a host directory mounted into the container is computed at run time")
            continue
        if source.startswith("~"):
            source = home + source[1:]
        path = st.path(source)
        if path == DYNAMIC:
            part.add("unknown", "a host directory mounted into the container is computed at run time")
            continue
        part.target(path)
        if path in _SOCKETS:
            part.add("privilege", f"the container gets the container engine's socket {path}: root on the host")
            continue
        path_effects(part, path, "read" if readonly else "write", st)
        holds_home = st.holds_home(path)
        if readonly:
            if path in ("/", "/etc", "/root") or holds_home:
                part.add("secrets", f"the container can read everything under {path} (keys, credentials)")
            continue
        if path in _SYSTEM or any(path.startswith(d + "/") for d in _SYSTEM[1:] if d not in ("/var", "/run")):
            part.add("privilege", f"the container can change the host's {path}")
        elif holds_home:
            part.add("privilege", f"the container can change {path}: shell start-up files, ~/.ssh, credentials")
            part.add("persist", f"what runs later on the host can be changed through {path}")


HANDLERS = {"container_run": container_run}
