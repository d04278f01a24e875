"""Validate a policy document against the published JSON Schema, with errors people can act on.

Each problem names ``file:line:column``, says what was expected and, for a misspelt name, suggests
the right one. ``schema/policy.schema.json`` in the repository is a copy of the file next to this one.

Two validators, one answer. A document is first checked by a validator that fastjsonschema compiles
from the schema into Python code (once per process): it only says valid or not, about forty times
faster than ``jsonschema``. Only a document it rejects goes to ``jsonschema``, which explains each
problem; a long list (``rules:``, ``limits:``, ...) is explained item by item, and only for the items
the compiled check rejects, so a typo in a 100,000-rule file is reported in seconds. The wording,
positions and order of the problems are ``jsonschema``'s, as before (tests/policy/test_schema_diff.py
checks both validators agree on generated documents).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blastdoor.errors import Location

if TYPE_CHECKING:
    from collections.abc import Callable

    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

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


def _describe(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str]:
    """(path to point at, message) for one validation error of the value at ``prefix``."""
    path = (*prefix, *error.absolute_path)
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


def _refuse_remote(uri: str) -> Any:
    raise ValueError(f"the policy schema may not refer outside itself: {uri}")


def _compiled(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema's validator for ``schema``: raises on an invalid value, never changes it."""
    from fastjsonschema.draft2019 import CodeGeneratorDraft2019
    from fastjsonschema.ref_resolver import RefResolver

    class _PassFail(CodeGeneratorDraft2019):
        # Whether a document is valid is all this validator is asked: jsonschema explains the rest.
        # The library's own detailed errors embed the schema in the code at every check (3x the code,
        # 3x the time to build), and its plain mode does not build for this schema.
        def exc(self, msg: str, *args: Any, append_to_msg: str | None = None, rule: str | None = None) -> None:
            self.l("raise JsonSchemaValueException('invalid')")

        # A $ref becomes a call; the library passes each call the value's name for its messages,
        # formatted with ``locals()`` for every list item (a third of the time at 10,000 rules).
        def generate_ref(self) -> None:
            definition: dict[str, Any] = self._definition or {}
            with self._resolver.in_scope(definition["$ref"]):
                name = self._resolver.get_scope_name()
                uri = self._resolver.get_uri()
                if uri not in self._validation_functions_done:
                    self._needed_validation_functions[uri] = name
                self.l("{}({variable}, custom_formats, None)", name)

    # No handler may fetch anything: every $ref of the schema is local.
    refuse = {scheme: _refuse_remote for scheme in ("", "http", "https", "file", "ftp")}
    resolver = RefResolver.from_schema(schema, handlers=refuse, store={})
    # use_default=False: the library would otherwise write schema defaults into the document.
    generator = _PassFail(schema, resolver=resolver, use_default=False, use_formats=False)  # type: ignore[no-untyped-call]
    namespace: dict[str, Any] = generator.global_state
    exec(
        compile(generator.func_code, "<policy.schema.json>", "exec"), namespace
    )  # the code is made from our own schema
    check: Callable[[Any], Any] = namespace[resolver.get_scope_name()]
    return check


@cache
def _fast_check() -> Callable[[Any], Any]:
    return _compiled(policy_schema())


@cache
def _item_check(name: str) -> Callable[[Any], Any]:
    """The compiled check for one item of the top-level list ``name``."""
    schema = policy_schema()
    items = schema["properties"][name]["items"]
    return _compiled({**{k: schema[k] for k in ("$schema", "$id", "$defs") if k in schema}, **items})


@cache
def _split_lists() -> tuple[str, ...]:
    """Top-level lists whose only constraint is on each item: these can be checked item by item."""
    out = []
    for name, spec in policy_schema()["properties"].items():
        if spec.get("type") == "array" and "items" in spec and set(spec) <= {"type", "items", "description"}:
            out.append(name)
    return tuple(out)


@cache
def _reference_validator() -> Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(policy_schema())


def is_valid(data: Any) -> bool:
    """Whether ``data`` is a valid policy document, by the compiled validator."""
    try:
        _fast_check()(data)
    except Exception:  # the compiled check raising anything means "not known valid"
        return False
    return True


def _passes(check: Callable[[Any], Any], value: Any) -> bool:
    try:
        check(value)
    except Exception:  # as in is_valid
        return False
    return True


# Lists shorter than this are explained by jsonschema in full: building a compiled check for their
# items would cost more than it saves.
_SPLIT_FROM = 64


def _schema_errors(data: Any, split_from: int = _SPLIT_FROM) -> list[tuple[tuple[str | int, ...], ValidationError]]:
    """jsonschema's errors for ``data``, each with the path of the value it was raised on.

    The same errors as ``iter_errors`` on the whole document: a long list's items are validated one
    by one (their errors are the ones jsonschema would give inside the list), the rest of the document
    with the list emptied (allowed, since the list's schema constrains nothing but its items)."""
    validator = _reference_validator()
    if not isinstance(data, dict):
        return [((), e) for e in validator.iter_errors(data)]
    split = [n for n in _split_lists() if isinstance(data.get(n), list) and len(data[n]) >= split_from]
    top = {k: ([] if k in split else v) for k, v in data.items()}
    errors: list[tuple[tuple[str | int, ...], ValidationError]] = [((), e) for e in validator.iter_errors(top)]
    properties = policy_schema()["properties"]
    for name in split:
        check = _item_check(name)
        items = validator.evolve(schema=properties[name]["items"])
        for i, item in enumerate(data[name]):
            if not _passes(check, item):
                errors.extend(((name, i), e) for e in items.iter_errors(item))
    return errors


def validate_document(doc: Document) -> list[tuple[Location, str]]:
    """All schema problems of ``doc``, each with the location it points at, in file order."""
    if is_valid(doc.data):
        return []
    return explain(doc, _schema_errors(doc.data))


def reference_problems(doc: Document) -> list[tuple[Location, str]]:
    """The problems plain ``jsonschema`` gives on the whole document: what validate_document must equal."""
    return explain(doc, [((), e) for e in _reference_validator().iter_errors(doc.data)])


def explain(doc: Document, errors: list[tuple[tuple[str | int, ...], ValidationError]]) -> list[tuple[Location, str]]:
    """Each error as (location, message), duplicates dropped, in file order."""
    problems: list[tuple[Location, str]] = []
    seen: set[tuple[object, ...]] = set()
    for prefix, error in errors:
        for leaf in _leaf_errors(error):
            path, message = _describe(leaf, prefix)
            is_key = leaf.validator == "additionalProperties"
            loc = doc.where(path, key=is_key)
            sig = (loc.line, loc.column, message)
            if sig not in seen:
                seen.add(sig)
                problems.append((loc, message))
    problems.sort(key=lambda p: (p[0].line, p[0].column))
    return problems
