"""Drill scenarios: a sequence of agent actions, as data.

A scenario file (YAML or JSON)::

    id: incident-stack-recreate
    title: ...
    description: ...
    agent: { id: drill-agent-operator, harness: claude-code, on_behalf_of: operator }
    environ: { AWS_PROFILE: operator, AWS_ACCOUNT_ID: "111122223333" }   # the agent's variables
    steps:
      - name: delete the production stack
        action: { shell: "aws cloudformation delete-stack --stack-name shop" }   # any action form
        must: stop        # optional: stop | deny | ask

``must`` is what the policy must at least do at that step: ``deny``; ``stop`` (deny, or an approval by
someone other than the operator: the agent cannot go on on its operator's word); ``ask`` (at least a
confirmation). A step without ``must`` is context (it may pass). A step may override ``environ``,
``agent`` fields and ``harness``. The built-in scenarios live in ``scenarios/`` beside this module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blastdoor.errors import InputError

if TYPE_CHECKING:
    from blastdoor.action import Action

BUILTIN = Path(__file__).resolve().parent / "scenarios"
MUST = ("stop", "deny", "ask")
# The verdicts that satisfy each ``must``.
SATISFIES: dict[str, frozenset[str]] = {
    "deny": frozenset({"deny"}),
    "stop": frozenset({"deny", "approve"}),
    "ask": frozenset({"deny", "approve", "ask"}),
}


class Step:
    """One action of a scenario and what the policy must do about it."""

    __slots__ = ("environ", "index", "must", "name", "spec")

    def __init__(self, index: int, name: str, spec: dict[str, Any], environ: dict[str, str], must: str) -> None:
        self.index = index
        self.name = name
        self.spec = spec
        self.environ = environ
        self.must = must

    def action(self) -> Action:
        from blastdoor.action.shorthand import action_from_spec

        return action_from_spec(json.loads(json.dumps(self.spec)))

    def command(self) -> str:
        s = self.spec
        for key in ("shell", "sql", "raw", "command"):
            if isinstance(s.get(key), str):
                return str(s[key])
        if "file" in s:
            return f"{s.get('op', 'write')} {s['file']}"
        return json.dumps(s, sort_keys=True)


class Scenario:
    """A named sequence of steps taken by one agent."""

    __slots__ = ("agent", "description", "id", "path", "steps", "title")

    def __init__(self, sid: str, title: str, description: str, agent: dict[str, str], steps: list[Step], path: str):
        self.id = sid
        self.title = title
        self.description = description
        self.agent = agent
        self.steps = steps
        self.path = path

    @property
    def agent_id(self) -> str:
        return self.agent.get("id", "")


def _strs(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InputError(f"{where}: expected a mapping of strings")
    return dict(value)


def scenario_from_data(data: Any, where: str) -> Scenario:
    """A ``Scenario`` from parsed data; ``InputError`` naming the place of the first problem."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a scenario is a mapping with `id`, `agent` and `steps`")
    unknown = set(data) - {"id", "title", "description", "agent", "environ", "steps"}
    if unknown:
        raise InputError(f"{where}: unknown key `{sorted(unknown)[0]}`")
    sid = data.get("id")
    if not isinstance(sid, str) or not sid:
        raise InputError(f"{where}: `id` must be a non-empty string")
    agent = _strs(data.get("agent"), f"{where}: agent")
    if not agent.get("id"):
        raise InputError(f"{where}: agent.id is required (the identity the drill acts as, and revokes)")
    environ = _strs(data.get("environ"), f"{where}: environ")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise InputError(f"{where}: `steps` must be a non-empty list")
    steps: list[Step] = []
    for i, raw in enumerate(raw_steps):
        at = f"{where}: steps[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("action"), dict):
            raise InputError(f"{at}: a step is a mapping with an `action`")
        bad = set(raw) - {"name", "action", "must", "environ"}
        if bad:
            raise InputError(f"{at}: unknown key `{sorted(bad)[0]}`")
        must = raw.get("must", "")
        if must and must not in MUST:
            raise InputError(f"{at}: `must` is one of {', '.join(MUST)}, not `{must}`")
        spec = dict(raw["action"])
        given = spec.get("agent")
        spec_agent: dict[str, Any] = given if isinstance(given, dict) else {}
        harness = spec.pop("harness", None) or agent.get("harness", "")
        spec["agent"] = {**{k: v for k, v in agent.items() if k != "harness"}, **spec_agent}
        if harness:
            spec["harness"] = harness
        step = Step(
            i + 1, str(raw.get("name") or f"step {i + 1}"), spec, {**environ, **_strs(raw.get("environ"), at)}, must
        )
        try:
            step.action()
        except ValueError as exc:
            raise InputError(f"{at}: action: {exc}") from exc
        steps.append(step)
    return Scenario(sid, str(data.get("title", sid)), str(data.get("description", "")).strip(), agent, steps, where)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file (YAML or JSON)."""
    import yaml

    where = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise InputError(f"cannot read the scenario {where}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not YAML or JSON: {exc}") from exc
    return scenario_from_data(data, where)


def builtin_scenarios() -> list[Scenario]:
    """Every built-in scenario, the incident first."""
    found = [load_scenario(p) for p in sorted(BUILTIN.glob("*.yaml"))]
    return sorted(found, key=lambda s: (s.id != "incident-stack-recreate", s.id))


def resolve(names: list[str]) -> list[Scenario]:
    """Scenarios by built-in id or file path; none given: every built-in one."""
    if not names:
        return builtin_scenarios()
    builtins = {s.id: s for s in builtin_scenarios()}
    out: list[Scenario] = []
    for name in names:
        if name in builtins:
            out.append(builtins[name])
        elif os.path.exists(name):
            out.append(load_scenario(name))
        else:
            raise InputError(
                f"no scenario `{name}`: neither a built-in one nor a file",
                hints=[f"built-in: {', '.join(sorted(builtins))}"],
            )
    return out
