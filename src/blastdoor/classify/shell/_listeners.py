"""Programs that listen: what a listening socket gives whoever connects to it.

- A file server (``python -m http.server``, ``php -S``, ``npx serve``, ``busybox httpd``, ...) gives them
  the files under the directory it serves: ``exfiltrate``, unless it is bound to this machine only
  (``--bind 127.0.0.1``, ``php -S localhost:8000``).
- ``nc -l`` with a program (``-e /bin/sh``) is a bind shell: ``remote_exec`` and ``privilege``; fed on its
  standard input it serves that data to whoever connects: ``exfiltrate``.
- ``socat`` relays between two addresses: a program on one side and the network on the other is a shell
  for the network; a file or standard input to the network sends it; a listener relayed to another
  host opens a way in (as ``ssh -R`` and ngrok do).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from blastdoor.classify.hosts import loopback

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

__all__ = ["HANDLERS"]

# Options file servers bind with (http.server -b, http-server -a, live-server --host, miniserve -i,
# darkhttpd --addr, serve -l tcp://HOST:PORT, busybox httpd -p [IP:]PORT).
_BIND_OPTS = frozenset(
    ("-b", "--bind", "-a", "--address", "--host", "-i", "--interfaces", "--addr", "-l", "--listen", "-p", "--port")
)
_DIR_OPTS = frozenset(("-d", "--directory", "-h", "--home", "--root", "--path"))


def _bind_host(value: str) -> str | None:
    """The host of a bind value: ``127.0.0.1``, ``tcp://[::1]:3000``, ``localhost:8000``; None for a port."""
    rest = value.split("://", 1)[-1]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    if rest.count(":") > 1:  # a bare IPv6 address
        return rest
    host = rest.split(":", 1)[0]
    return None if not host or host.isdigit() else host


def _local_only(binds: list[str]) -> str | None:
    hosts = [h for v in binds if (h := _bind_host(v)) is not None]
    return hosts[0] if hosts and all(loopback(h, bind=True) for h in hosts) else None


def serves(cmd: Cmd) -> None:
    """A file server: ``exfiltrate`` of the directory it serves, unless bound to this machine only."""
    from blastdoor.classify.shell._paths import path_effects

    part = cmd.part
    if "exfiltrate" not in part.effects:
        return  # an option said it only prints (`httpd -t`)
    local = _local_only([v for o, v in cmd.opts if o in _BIND_OPTS and v])
    if local is not None:
        part.only("read", f"`{cmd.name}` serves only this machine ({local})")
        return
    served = next((v for o, v in cmd.opts if o in _DIR_OPTS and v), None)
    if served is None:
        served = next((p for p in cmd.pos if p is not None and not p.isdigit()), ".")
    path = cmd.st.path(served)
    part.target(path)
    part.effects["exfiltrate"] = f"`{cmd.name}` serves {path} to anyone who can reach this machine"
    path_effects(part, path, "read", cmd.st)


def php(cmd: Cmd) -> None:
    """``php -S ADDR:PORT [-t DOCROOT]``: PHP's built-in web server; other php runs are not analysed."""
    args = cmd.args
    at = next((k for k, a in enumerate(args) if a == "-S" or (a or "").startswith("-S")), None)
    if at is None:
        return
    a = args[at] or ""
    bind = a[2:] if len(a) > 2 else (args[at + 1] if at + 1 < len(args) else None)
    if bind is not None and (local := _local_only([bind])) is not None:
        cmd.part.only("read", f"`php -S` serves only this machine ({local})")
        return
    root = next((args[k + 1] for k, x in enumerate(args[:-1]) if x == "-t"), None) or "."
    path = cmd.st.path(root)
    cmd.part.only("exfiltrate", f"`php -S` serves {path} (and runs its PHP) for anyone who can reach this machine")
    cmd.part.target(path)


def nc(cmd: Cmd) -> None:
    """``nc -l`` fed on standard input serves that data to whoever connects."""
    fed = cmd.stdin
    listening = any(o in ("-l", "--listen") for o, _ in cmd.opts)
    if listening and fed is not None and fed.kind in ("file", "dynamic") and fed.path != "/dev/null":
        cmd.part.add("exfiltrate", f"`{cmd.name} -l` serves {fed.path or 'what it is fed'} to whoever connects")


_SOCAT_NET = re.compile(
    r"^(tcp[46]?|udp[46]?|sctp[46]?|openssl|ssl|socks4a?|proxy|dccp[46]?|udplite[46]?)(-listen|-l|-connect|-sendto|"
    r"-recvfrom|-recv|-datagram)?:",
    re.I,
)
_SOCAT_PROGRAM = re.compile(r"^(exec|system|shell):(.*)$", re.I | re.S)
_SOCAT_FILE = re.compile(r"^(open|file|gopen|create|pipe|named):(.*)$", re.I | re.S)


def socat(cmd: Cmd) -> None:
    """``socat [opts] ADDRESS ADDRESS``: judged by what it joins (see the module's doc)."""
    part = cmd.part
    addresses = [a for a in cmd.pos if a is None or not a.startswith("-") or a == "-"][:2]
    if len(addresses) < 2 or None in addresses:
        part.only("unknown", "`socat` addresses computed at run time")
        return
    kinds = [_socat_kind(a or "") for a in addresses]
    net = [a for a, k in zip(addresses, kinds, strict=True) if k.startswith("net")]
    if not net:
        part.only("write", "`socat` joins two local endpoints")
        daemon = next((a for a in addresses if a and re.search(r"(docker|containerd|podman)\.sock", a)), None)
        if daemon is not None:
            part.add("privilege", f"`socat` talks to {daemon}: a container daemon runs what it is told, as root")
        return
    for a, kind in zip(addresses, kinds, strict=True):
        if kind == "program":
            program = _operand(_SOCAT_PROGRAM, a or "")
            part.only("remote_exec", f"`socat` hands `{program}` to the network: a shell for whoever talks to it")
            part.add("privilege", "anyone reaching that address runs commands as this user")
            return
    if kinds.count("net-listen") and kinds.count("net-connect"):
        part.only("exfiltrate", f"`socat` relays {net[0]} to {net[1]}: a way in from the network")
        return
    files = [a for a, k in zip(addresses, kinds, strict=True) if k == "file"]
    if files:
        path = cmd.st.path(_operand(_SOCAT_FILE, files[0] or ""))
        part.target(path)
        part.only("exfiltrate", f"`socat` joins {path} to the network")
        part.add("write", f"what arrives is written to {path}")
        return
    part.only("exfiltrate", "`socat` sends what it reads to the network")


def _operand(pattern: re.Pattern[str], address: str) -> str:
    """What an address of ``pattern``'s type names: ``EXEC:/bin/sh,pty`` -> ``/bin/sh``."""
    m = pattern.match(address)
    return (m.group(2) if m is not None else address).split(",", 1)[0]


def _socat_kind(address: str) -> str:
    head = address.split(",", 1)[0]
    m = _SOCAT_NET.match(head)
    if m is not None:
        mode = (m.group(2) or "").lower()
        return "net-listen" if mode in ("-listen", "-l", "-recvfrom", "-recv") else "net-connect"
    if _SOCAT_PROGRAM.match(head):
        return "program"
    if _SOCAT_FILE.match(head) or ("/" in head and ":" not in head):
        return "file"
    return "local"  # STDIO, -, UNIX-*, ABSTRACT-*, PTY, TUN, ...


HANDLERS = {"serves": serves, "php": php, "nc": nc, "socat": socat}
