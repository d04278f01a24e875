"""Policy tests: the ``tests:`` blocks of policy files and ``tests/policy/*.yaml``, run like unit tests.

Pure: the runner takes an ``evaluate`` function (classification and decision are wired by the caller),
so the policy package stays free of classifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.action import Action, Decision


class Case:
    __slots__ = ("expect", "file", "line", "name", "rule", "spec")

    def __init__(self, file: str, line: int, spec: dict[str, Any]) -> None:
        self.file = file
        self.line = line
        self.spec = spec
        self.expect: str = spec["expect"]
        self.rule: str | None = spec.get("rule")
        self.name: str = spec.get("name") or _short(spec["action"])


class Result:
    __slots__ = ("case", "error", "got", "got_rule", "passed")

    def __init__(self, case: Case, got: str, got_rule: str, error: str = "") -> None:
        self.case = case
        self.got = got
        self.got_rule = got_rule
        self.error = error
        self.passed = not error and got == case.expect and (case.rule is None or case.rule == got_rule)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.case.name,
            "location": f"{self.case.file}:{self.case.line}",
            "expect": self.case.expect,
            "expect_rule": self.case.rule,
            "got": self.got,
            "got_rule": self.got_rule,
            "passed": self.passed,
            "error": self.error,
        }


def _short(action: Any) -> str:
    if isinstance(action, dict):
        for key in ("shell", "raw", "sql", "file", "operation", "tool"):
            if isinstance(action.get(key), str):
                text: str = action[key]
                return text if len(text) <= 70 else text[:67] + "..."
    return "action"


def run_cases(
    cases: list[Case],
    to_action: Callable[[dict[str, Any]], Action],
    evaluate: Callable[[Action], Decision],
) -> list[Result]:
    results = []
    for case in cases:
        try:
            decision = evaluate(to_action(case.spec["action"]))
        except (ValueError, KeyError, TypeError) as exc:
            results.append(Result(case, "error", "", error=f"bad test action: {exc}"))
            continue
        results.append(Result(case, decision.verdict, decision.rule))
    return results
