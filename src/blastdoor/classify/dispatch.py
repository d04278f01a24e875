"""Route an action to the classifier of its family, then resolve its environment.

Every family classifier has the same shape: ``(action, ctx) -> Action`` returning the action with
effects, targets, notes, facts and (for compound input) parts filled in. Bad input yields the
``unknown`` effect; a bug raises, and the pipeline turns that into the policy's ``on_error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action import Note
from blastdoor.classify.context import ClassifyContext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from blastdoor.action import Action

    Classifier = Callable[[Action, ClassifyContext], Action]


# The families imported so far (a failed import is never stored: it raises again next time).
_FAMILIES: dict[str, Classifier] = {}


def _family(tool: str) -> Classifier | None:
    found = _FAMILIES.get(tool)
    if found is None:
        found = _import_family(tool)
        if found is not None:
            _FAMILIES[tool] = found
    return found


def _import_family(tool: str) -> Classifier | None:
    # Lazy imports: a hook classifying one shell command must not pay for sqlglot or the AWS catalog.
    # A family that fails to import raises (a broken install): the pipeline turns that into the
    # policy's ``on_error``, never a silently skipped check. ``None`` only for a tool with no family.
    if tool == "shell":
        from blastdoor.classify.shell import classify_shell

        return classify_shell
    if tool == "file":
        from blastdoor.classify.files import classify_file

        return classify_file
    if tool == "sql":
        from blastdoor.classify.sql import classify_sql_action

        return classify_sql_action
    if tool == "aws":
        from blastdoor.classify.aws import classify_aws_action

        return classify_aws_action
    if tool == "mcp":
        from blastdoor.classify.mcp import classify_mcp

        return classify_mcp
    return None


def _unknown(action: Action, why: str) -> Action:
    return action.replace(effects={"unknown"}, notes=(*action.notes, Note("effect", "unknown", why)))


def classify_action(
    action: Action,
    environments: Mapping[str, Mapping[str, Any]],
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> Action:
    if action.classified:
        return action
    ctx = ClassifyContext.for_action(action.cwd, action.context.get("env"), environ, home)
    classifier = _family(action.tool)
    if classifier is None:
        return _unknown(action, f"no classifier for tool {action.tool!r}")
    result = classifier(action, ctx)
    if environments:
        # No ImportError guard: environment detection that cannot run must end in ``on_error``.
        from blastdoor.classify.environment import resolve_environments

        result = resolve_environments(result, environments)
    if not result.effects:
        result = _unknown(result, "classification found no effect")
    return result
