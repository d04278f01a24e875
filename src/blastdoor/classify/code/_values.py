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
