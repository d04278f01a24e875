"""Task leases in the policy's own matchers: compile a lease's scope, and judge an action against it. Pure.

A lease narrows (never widens) what an agent may do: an action every part of which one of the lease's
matchers covers keeps the policy's verdict; anything else gets at least the lease's ``otherwise``.
Matchers are read as an ``allow`` rule reads them (permissively): every effect of a part among the
matcher's ``effects``, every target inside its ``targets``, a missing fact never covered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.verdict import SEVERITY
from blastdoor.errors import InputError, Location, PolicyError

if TYPE_CHECKING:
    from blastdoor.action.decision import Decision
    from blastdoor.action.model import Action
    from blastdoor.policy.compiled import Rule

LEASE_RULE = "lease.outside"  # the pseudo-rule of a verdict a lease raised


def check_matchers(matchers: list[dict[str, Any]]) -> None:
    """Raise InputError naming each matcher that the policy schema's ``matcher`` refuses."""
    from jsonschema import Draft202012Validator

    from blastdoor.policy.schema import policy_schema

    schema = {**policy_schema(), "$ref": "#/$defs/matcher"}
    schema.pop("properties", None)
    schema.pop("required", None)
    schema.pop("additionalProperties", None)
    schema.pop("type", None)
    validator = Draft202012Validator(schema)
    problems = []
    for i, m in enumerate(matchers):
        for err in validator.iter_errors(m):
            where = ".".join(str(p) for p in err.absolute_path)
            problems.append(f"--allow #{i + 1}{' ' + where if where else ''}: {err.message}")
    if problems:
        raise InputError("the lease's matchers are not valid policy matchers", hints=problems)


def compile_scope(matchers: list[dict[str, Any]], home: str) -> tuple[Rule, ...]:
    """The lease's matchers as permissive rules (the engine's own matching, read as ``allow`` reads)."""
    from blastdoor.policy.compile import _Compiler
    from blastdoor.policy.compiled import Rule
    from blastdoor.policy.syntax import Document

    compiler = _Compiler(home)
    doc = Document("<lease>", {}, None)
    rules = []
    for i, m in enumerate(matchers):
        conds = compiler.matcher(doc, m, ("allow", i))
        rules.append(Rule(f"lease.allow.{i}", "allow", conds, (), None, "", "lease", False, "<lease>", 0))
    if compiler.problems:
        raise PolicyError([(Location("<lease>"), msg) for _, msg in compiler.problems])
    return tuple(rules)


def covers(scope: tuple[Rule, ...], action: Action) -> bool:
    """True when every part of ``action`` is inside one of the scope's matchers."""
    from blastdoor.policy.engine import rule_matches

    return all(any(rule_matches(r, part, action) for r in scope) for part in (action.parts or (action,)))


def narrow(decision: Decision, otherwise: str, lease_id: str, task: str) -> Decision:
    """``decision`` raised to at least ``otherwise`` (outside the lease); never lowered."""
    if SEVERITY[otherwise] <= SEVERITY[decision.verdict]:
        return decision
    from blastdoor.action.decision import Approvals

    raised = decision.with_verdict(
        otherwise, LEASE_RULE, f"outside lease {lease_id} ({task}): the agent's task does not cover this"
    )
    if otherwise == "approve":
        raised.approvals = Approvals()
    return raised
