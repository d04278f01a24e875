"""A tool call of an agent written in code, as the Action blastdoor judges.

A function tool becomes ``mcp:<app>/<tool>`` with its arguments as ``args``: the MCP classifier reads
what a tool does from its name's verb and its arguments' roles (a ``query`` argument holding SQL, a
``command`` holding a shell line, a ``path``...). A *hint* says outright which argument is what:

- ``sql="query"``: the argument ``query`` is SQL; the call is judged as that statement (``tool: sql``);
- ``shell="command"``: the argument is a shell line (``tool: shell``), unwrapped like any hook's;
- ``path="target"`` with ``op="write"`` (or ``read``/``delete``): a file operation (``tool: file``).

The tool's own name and arguments always travel in ``context.sdk`` so the audit log says which
function was asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.action import Action

__all__ = ["Hint", "action_for"]

_FILE_OPS = ("read", "write", "delete")


class Hint:
    """Which argument of a tool is SQL, a shell line or a path (at most one of them)."""

    __slots__ = ("arg", "kind", "op")

    def __init__(self, *, sql: str = "", shell: str = "", path: str = "", op: str = "write") -> None:
        given = [(k, v) for k, v in (("sql", sql), ("shell", shell), ("path", path)) if v]
        if len(given) > 1:
            raise ValueError(f"a tool takes one hint, got {', '.join(k for k, _ in given)}")
        if path and op not in _FILE_OPS:
            raise ValueError(f"op must be one of {', '.join(_FILE_OPS)}, got {op!r}")
        self.kind, self.arg = given[0] if given else ("", "")
        self.op = op

    def __bool__(self) -> bool:
        return bool(self.kind)

    def __repr__(self) -> str:
        return f"Hint({self.kind}={self.arg!r})" if self.kind else "Hint()"


def _text(args: Mapping[str, Any], name: str, tool: str) -> str:
    if name not in args:
        raise ValueError(f"tool {tool!r}: the hinted argument {name!r} is missing")
    value = args[name]
    if not isinstance(value, str):
        raise ValueError(f"tool {tool!r}: the hinted argument {name!r} must be a string, got {type(value).__name__}")
    return value


def action_for(
    tool: str,
    args: Mapping[str, Any],
    *,
    hint: Hint | None = None,
    operation: str = "",
    app: str = "sdk",
    agent: Mapping[str, str] | None = None,
    cwd: str = "",
) -> Action:
    """The Action for one call of ``tool`` with ``args``; raises ValueError naming a bad hint or argument.

    ``operation`` overrides the one the hint implies (``mcp:<app>/<tool>`` without a hint).
    """
    from blastdoor.action import Action
    from blastdoor.action.canonical import canonical_json

    plain = _jsonable(dict(args), tool)
    canonical_json(plain)  # every argument must be JSON: fail here, with the tool's name, not deep inside
    spec: dict[str, Any] = {"agent": dict(agent or {}), "context": {"sdk": {"tool": tool, "app": app}}}
    if cwd:
        spec["cwd"] = cwd
    kind = hint.kind if hint else ""
    if kind == "sql":
        spec.update(tool="sql", raw=_text(plain, hint.arg, tool) if hint else "", args=plain)
    elif kind == "shell":
        spec.update(tool="shell", raw=_text(plain, hint.arg, tool) if hint else "", args=plain)
    elif kind == "path" and hint is not None:
        path = _text(plain, hint.arg, tool)
        spec.update(tool="file", operation=f"file:{hint.op}", args={"path": path, "op": hint.op})
        spec["context"]["sdk"]["args"] = plain
    else:
        spec.update(tool="mcp", operation=f"mcp:{app}/{tool}", args=plain)
    if operation:
        spec["operation"] = operation
    return Action.from_dict(spec)


def _jsonable(value: Any, tool: str, where: str = "args") -> Any:
    """Arguments as JSON values: pydantic models and dataclasses as their fields, tuples as lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v, tool, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, tool, f"{where}[{i}]") for i, v in enumerate(value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _jsonable(dump(mode="json"), tool, where)
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value), tool, where)
    raise ValueError(f"tool {tool!r}: {where} is a {type(value).__name__}, which is not JSON")
