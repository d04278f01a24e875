"""Short ways to write an action in tests and on the command line.

``{shell: "rm -rf build"}`` is ``{tool: shell, raw: "rm -rf build"}``; likewise ``sql:`` and
``file: path`` (with ``op``). Anything with a ``tool`` key is a full Action.

Every form also takes ``harness: NAME`` (``claude-code``, ``cursor``, ...): the harness the agent runs
in, which rules match with ``match: {harness: ...}``. It is ``agent.harness`` of the full form.
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
    if "harness" in spec:
        spec = _with_harness(spec)
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


def _with_harness(spec: dict[str, Any]) -> dict[str, Any]:
    """``harness: NAME`` folded into ``agent.harness`` (a conflicting ``agent.harness`` is an error)."""
    harness = spec["harness"]
    if not isinstance(harness, str) or not harness:
        raise ValueError("`harness:` must be a harness name such as claude-code or cursor")
    agent = spec.get("agent") or {}
    if not isinstance(agent, dict):
        raise ValueError("agent: expected an object")
    if agent.get("harness") not in (None, harness):
        raise ValueError(f"`harness: {harness}` contradicts `agent.harness: {agent['harness']}`")
    rest = {k: v for k, v in spec.items() if k != "harness"}
    rest["agent"] = {**agent, "harness": harness}
    return rest
