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
