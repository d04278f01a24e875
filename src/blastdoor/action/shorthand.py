"""Short ways to write an action in tests and on the command line.

``{shell: "rm -rf build"}`` is ``{tool: shell, raw: "rm -rf build"}``; likewise ``sql:`` and
``file: path`` (with ``op``). Anything with a ``tool`` key is a full Action.
"""

from __future__ import annotations

from typing import Any

from blastdoor.action.model import Action

_SHORT = {"shell": "shell", "sql": "sql"}
_EXTRA = ("cwd", "agent", "context", "args")


def action_from_spec(spec: Any) -> Action:
    """An Action from a full JSON action or a shorthand; raises ValueError naming what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError(f"an action must be a mapping, got {type(spec).__name__}")
    if "tool" in spec:
        return Action.from_dict(spec)
    for key, tool in _SHORT.items():
        if key in spec:
            rest = {k: v for k, v in spec.items() if k != key}
            bad = set(rest) - set(_EXTRA)
            if bad:
                raise ValueError(f"unknown field {sorted(bad)[0]!r} in `{key}:` shorthand")
            return Action.from_dict({"tool": tool, "raw": spec[key], **rest})
    if "file" in spec:
        rest = {k: v for k, v in spec.items() if k not in ("file", "op")}
        args = {"path": spec["file"], "op": spec.get("op", "write")}
        return Action.from_dict({"tool": "file", "operation": f"file:{args['op']}", "args": args, **rest})
    raise ValueError("an action needs `tool` (a full action) or a shorthand key: shell, sql, file")
