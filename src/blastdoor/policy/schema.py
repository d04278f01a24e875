"""Validate a policy document against the published JSON Schema, with errors people can act on.

Each problem names ``file:line:column``, says what was expected and, for a misspelt name, suggests
the right one. ``schema/policy.schema.json`` in the repository is a copy of the file next to this one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blastdoor.errors import Location

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from blastdoor.policy.syntax import Document

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")

_TYPE_NAMES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def policy_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"the string `{value}`"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _suggest(word: str, choices: list[str]) -> str:
    from blastdoor.policy.near import did_you_mean

    return did_you_mean(word, choices)


def _expected_types(error: ValidationError) -> list[str]:
    kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    return [_TYPE_NAMES.get(str(k), str(k)) for k in kinds]


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the sub-errors worth reporting: the deepest ones, else all alternatives."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    deepest = max(len(e.absolute_path) for e in error.context)
    if deepest > len(error.absolute_path):
        deep = [e for e in error.context if len(e.absolute_path) == deepest]
        return [leaf for e in deep for leaf in _leaf_errors(e)]
    return [error]


def _describe_alternatives(error: ValidationError) -> str:
    enums = [e for e in error.context if e.validator == "enum"]
    if enums:
        return _describe(enums[0])[1]
    expected: list[str] = []
    for sub in error.context:
        if sub.validator == "type":
            expected.extend(_expected_types(sub))
        elif sub.validator == "minLength":
            expected.append("a non-empty string")
    names = sorted(set(expected), key=expected.index)
    got = _json_type(error.instance)
    return f"expected {' or '.join(names) or 'a different value'}, got {got}"


def _describe(error: ValidationError) -> tuple[tuple[str | int, ...], str]:
    """(path to point at, message) for one validation error."""
    path = tuple(error.absolute_path)
    v = error.validator
    schema: Any = error.schema
    instance: Any = error.instance
    validator_value: Any = error.validator_value
    if v == "additionalProperties":
        allowed = sorted((schema.get("properties") or {}).keys())
        extras = [k for k in instance if k not in allowed]
        if allowed:
            key = extras[0]
            return (*path, key), (
                f"unknown field `{key}`{_suggest(key, allowed)}; expected one of: {', '.join(allowed)}"
            )
        return path, error.message
    if v == "required":
        missing = [k for k in validator_value if k not in instance]
        return path, f"missing required field `{missing[0]}`"
    if v == "enum":
        choices = [str(c) for c in validator_value]
        return path, (
            f"`{instance}` is not allowed here{_suggest(str(instance), choices)}; expected one of: {', '.join(choices)}"
        )
    if v == "type":
        return path, f"expected {' or '.join(_expected_types(error))}, got {_json_type(instance)}"
    if v == "const":
        return path, f"expected `{validator_value}`, got {_json_type(instance)}"
    if v in ("oneOf", "anyOf"):
        return path, _describe_alternatives(error)
    if v == "pattern":
        return path, f"`{instance}` does not match the pattern `{validator_value}`"
    if v in ("minimum", "maximum", "minItems", "minLength", "minProperties", "maxProperties", "uniqueItems"):
        return path, error.message.replace("'", "`")
    return path, error.message


def validate_document(doc: Document) -> list[tuple[Location, str]]:
    """All schema problems of ``doc``, each with the location it points at, in file order."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(policy_schema())
    problems: list[tuple[Location, str]] = []
    seen: set[tuple[object, ...]] = set()
    for error in validator.iter_errors(doc.data):
        for leaf in _leaf_errors(error):
            path, message = _describe(leaf)
            is_key = leaf.validator == "additionalProperties"
            loc = doc.where(path, key=is_key)
            sig = (loc.line, loc.column, message)
            if sig not in seen:
                seen.add(sig)
                problems.append((loc, message))
    problems.sort(key=lambda p: (p[0].line, p[0].column))
    return problems
