"""Abstract values the code analysers propagate: constants, followed objects, and the unknown."""

from __future__ import annotations

from typing import Any


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


U: Any = _Unknown()  # a value computed at run time


class K:
    """A constant: str, int, float, bool, None, bytes, or list/dict of values."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, K) and type(other.v) is type(self.v) and other.v == self.v

    def __hash__(self) -> int:
        return 0


class Obj:
    """A followed object: ``kind`` (ref, path, db, http, aws_session, aws_client, ...) and its facts."""

    __slots__ = ("kind", "props")

    def __init__(self, kind: str, **props: Any) -> None:
        self.kind = kind
        self.props = props

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Obj) and other.kind == self.kind and other.props == self.props

    def __hash__(self) -> int:
        return hash(self.kind)

    def get(self, key: str, default: Any = "") -> Any:
        return self.props.get(key, default)


def join(a: Any, b: Any) -> Any:
    if a is b or a == b:
        return a
    if isinstance(a, Obj) and isinstance(b, Obj) and a.kind == b.kind:
        keys = set(a.props) | set(b.props)
        return Obj(a.kind, **{k: (a.props.get(k) if a.props.get(k) == b.props.get(k) else None) for k in keys})
    return U


def join_env(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: join(a.get(k, U), b.get(k, U)) for k in set(a) | set(b)}


def text_of(v: Any) -> str | None:
    """The string a value holds, or None when it is not a known string."""
    if isinstance(v, K) and isinstance(v.v, str):
        return v.v
    if isinstance(v, Obj) and v.kind == "path" and isinstance(v.get("path", None), str):
        path: str = v.props["path"]
        return path
    return None


def credential_in(values: list[Any]) -> Obj | None:
    """The first credential (``Obj("credential")``) among ``values``, looking into lists and dicts."""
    for v in values:
        if isinstance(v, Obj) and v.kind == "credential":
            return v
        if isinstance(v, K) and isinstance(v.v, list | tuple):
            found = credential_in(list(v.v))
            if found is not None:
                return found
        if isinstance(v, K) and isinstance(v.v, dict):
            found = credential_in(list(v.v.values()))
            if found is not None:
                return found
    return None


def spec_arg(index: Any, recv: Any, args: list[Any]) -> Any:
    """The argument a call spec names: ``"receiver"`` (the object the method is called on, U when none)
    or the positional at ``index``; U when the call does not have it."""
    if index == "receiver":
        return recv if recv is not None else U
    if isinstance(index, int) and index < len(args):
        return args[index]
    return U


# -- local data: what a program read here, and where it goes --------------------------------------


def local_data(what: str) -> Obj:
    """A value that holds local state: a file's content, a command's output, this machine's name."""
    return Obj("local", what=what)


def data_value(kind: str, name: str, path: str | None) -> Obj:
    """What a call with ``data: KIND`` in its spec returns: a file's ``content``, a command's ``output``,
    or this machine's ``identity`` (its name, the user's)."""
    if kind == "content":
        return local_data(f"the content of {path or 'a file'}")
    if kind == "output":
        return local_data(f"the output of `{name}`")
    return local_data(f"this machine's identity (`{name}`)")


def data_in(values: list[Any]) -> Obj | None:
    """The first credential or local data among ``values`` (credentials first), looking into lists and
    dicts."""
    found = credential_in(values)
    if found is not None:
        return found
    for v in values:
        if isinstance(v, Obj) and v.kind == "local":
            return v
        if isinstance(v, K) and isinstance(v.v, list | tuple | dict):
            inner = data_in(list(v.v.values()) if isinstance(v.v, dict) else list(v.v))
            if inner is not None:
                return inner
    return None


_CARRIERS = ("local", "credential")


def concat(parts: list[Any]) -> Any:
    """A string built from ``parts`` (``+``, an f-string, a template literal): a constant when every part
    is one; else the credential or local data it carries, with the literal text before and after the
    computed parts (``prefix``, ``suffix``: a URL's host, a looked-up name's domain); else U."""
    texts = [text_of(p) for p in parts]
    if None not in texts:
        return K("".join(texts))  # type: ignore[arg-type]
    if not any((isinstance(p, Obj) and p.kind in _CARRIERS) or isinstance(p, K) for p in parts):
        return U  # the common case: computed parts that carry nothing (checked first, it is on every f-string)
    found = data_in(parts)
    if found is None:
        return U
    first = next(i for i, t in enumerate(texts) if t is None)
    last = max(i for i, t in enumerate(texts) if t is None)
    before, after = parts[first], parts[last]
    prefix = "".join(t or "" for t in texts[:first]) + (before.get("prefix") if isinstance(before, Obj) else "")
    suffix = (after.get("suffix") if isinstance(after, Obj) else "") + "".join(t or "" for t in texts[last + 1 :])
    return Obj(found.kind, **{**found.props, "prefix": prefix, "suffix": suffix})


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
