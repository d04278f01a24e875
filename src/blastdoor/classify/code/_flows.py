"""Where local data goes: into a request's URL, query or headers, or a name looked up.

The value side (``_values``: ``local_data``, ``concat``) carries a file's content, a command's output, a
credential or this machine's name through a program; these are the sinks that send it out. Shared by
the Python and JavaScript call specs (``_py_specs``/``_js_specs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.classify.code._values import K, Obj, data_in, local_data, text_of

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FLOW_KEYS", "flows", "looked_up", "sent_out"]

# The call-spec keys ``flows`` reads.
FLOW_KEYS = frozenset(("url", "lookup", "data"))


def data_value(kind: str, name: str, path: str | None) -> Obj:
    """What a call with ``data: KIND`` in its spec returns: a file's ``content``, a command's ``output``,
    or this machine's ``identity`` (its name, the user's)."""
    if kind == "content":
        return local_data(f"the content of {path or 'a file'}")
    if kind == "output":
        return local_data(f"the output of `{name}`")
    return local_data(f"this machine's identity (`{name}`)")


_AUTH_HEADERS = frozenset(
    (
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "private-token",
        "x-access-token",
        "x-goog-api-key",
        "cookie",
    )
)


def sent_out(url: Any, extras: list[Any], headers: Any = None) -> tuple[str, str] | None:
    """(what, host) when a request to ``url`` carries local data or a credential to another host: in
    the URL itself, in ``extras`` (query parameters, a name to look up), or in a header other than one
    that authenticates (a token in ``Authorization`` is the token used, not sent out). None when nothing
    is carried, the host is this machine, or the host itself is computed."""
    from blastdoor.classify.hosts import loopback, url_host

    carried = [url, *extras]
    if isinstance(headers, K) and isinstance(headers.v, dict):
        carried += [v for k, v in headers.v.items() if str(k).lower() not in _AUTH_HEADERS]
    found = data_in(carried)
    if found is None:
        return None
    whole = text_of(url)
    host = url_host(whole) if whole is not None else None
    if host is None and isinstance(url, Obj):
        host = url_host(str(url.get("prefix")), complete=True)
    if host is None or loopback(host):
        return None
    what = found.get("what") or f"${found.get('name')}"
    return str(what), host


def looked_up(name: Any) -> tuple[str, str] | None:
    """(what, domain) when a name to resolve (``socket.gethostbyname``, ``dns.lookup``) is local data
    under a literal domain: that domain's name servers receive it."""
    from blastdoor.classify.hosts import loopback

    if not isinstance(name, Obj) or name.kind not in ("local", "credential"):
        return None
    domain = str(name.get("suffix")).strip(".")
    if "." not in domain or not name.get("suffix", "").startswith(".") or loopback(domain):
        return None
    what = name.get("what") or f"${name.get('name')}"
    return str(what), domain


def flows(
    add: Callable[..., None],
    spec: dict[str, Any],
    name: str,
    url: Any,
    params: Any,
    headers: Any,
    lookup: Any,
    path: Any,
) -> Any:
    """What a call spec's ``url``, ``lookup`` and ``data`` keys say (``kb/code/calls.yaml``): a ``send``
    finding for local data that leaves, and the local data the call returns (None when it returns none)."""
    if "url" in spec:
        leak = sent_out(url, [params], headers)
        if leak is not None:
            add("send", f"`{name}` sends {leak[0]} to {leak[1]}", data={"url": text_of(url) or ""})
    if "lookup" in spec:
        found = looked_up(lookup)
        if found is not None:
            add("send", f"`{name}` looks up a name built from {found[0]}: {found[1]}'s servers see it")
    if "data" in spec:
        return data_value(spec["data"], name, text_of(path) if "path" in spec else None)
    return None
