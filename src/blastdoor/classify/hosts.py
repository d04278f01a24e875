"""Where a request goes: a URL's host, and whether a host is this machine only.

Shared by the shell classifier (``shell/_sends.py``, ``shell/_listeners.py``) and the code analysers
(``code/_values.py``): local data sent to this machine has not left it.
"""

from __future__ import annotations

import re

__all__ = ["loopback", "url_host"]

_LOOPBACK = re.compile(r"^(localhost|[\w.-]+\.localhost|127(\.\d{1,3}){3}|::1|ip6-localhost|0:0:0:0:0:0:0:1)\.?$", re.I)
_ANY = frozenset(("0.0.0.0", "::", "0"))  # every interface to bind; this machine to connect to
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^/@\s?#]*@)?(\[[^\]]*\]|[^/:?#\s]*)([/:?#]|$)", re.I)


def loopback(host: str, *, bind: bool = False) -> bool:
    """Whether ``host`` (a name or an address, maybe in brackets) is this machine only. ``bind``: as an
    address to listen on, where ``0.0.0.0`` and ``::`` are every interface, not this machine."""
    host = host.strip("[]")
    return bool(_LOOPBACK.match(host)) or (not bind and host in _ANY)


def url_host(url: str, *, complete: bool = False) -> str | None:
    """The host of ``scheme://[user@]host[:port]/...``, lower-cased; None when ``url`` is not one.
    ``complete``: only when the host is followed by a port, a path, a query or nothing more is known to
    follow (``url`` is a prefix of the real URL: ``https://evil.example/?d=`` + data)."""
    m = _URL.match(url)
    if m is None or not m.group(1):
        return None
    if complete and not m.group(2):
        return None
    return m.group(1).strip("[]").lower()
