"""Table-driven shell classifier cases: tests/classify/cases/*.yaml, run by one runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from blastdoor.action import Action
from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.shell import classify_shell

CASES_DIR = Path(__file__).with_name("cases")
HOME = "/home/dev"
CWD = "/home/dev/project"


def _load() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            out.append(pytest.param(case, id=f"{path.stem}[{i}] {case['cmd'][:50]}"))
    return out


def classify(cmd: str) -> Action:
    ctx = ClassifyContext({"HOME": HOME, "TMPDIR": "/tmp"}, HOME, CWD)
    return classify_shell(Action("shell", raw=cmd, cwd=CWD), ctx)


@pytest.mark.parametrize("case", _load())
def test_case(case: dict[str, Any]) -> None:
    action = classify(case["cmd"])
    effects = set(action.effects)
    parts = action.parts or (action,)
    if "effects" in case:
        assert effects == set(case["effects"]), action.notes
    for effect in case.get("has", []):
        assert effect in effects, (effect, sorted(effects), [str(n) for n in action.notes])
    for effect in case.get("lacks", []):
        assert effect not in effects, (effect, [str(n) for n in action.notes])
    for op in case.get("ops", []):
        assert op in {p.operation for p in parts}
    for target in case.get("targets", []):
        assert target in action.targets, action.targets
    for key, value in (case.get("evidence") or {}).items():
        found = [p.facts.get("evidence", {}).get(key) for p in parts]
        assert value in found, (key, found)
    if "command" in case:
        assert case["command"] in [p.command for p in parts]


def test_every_part_has_a_note_per_effect() -> None:
    action = classify("sudo rm -rf ./build && git push --force origin main | tee log")
    for part in action.parts:
        noted = {n.value for n in part.notes if n.kind == "effect"}
        assert set(part.effects) <= noted, part


def test_the_top_level_is_the_union_of_parts() -> None:
    action = classify("ls; rm -rf /tmp/x; git status")
    assert action.tool == "shell"
    union: set[str] = set()
    for part in action.parts:
        union |= part.effects
    assert set(action.effects) == union
