"""The compiled validator and the lazy positions against the plain ones they replace.

Policy documents are generated from the published schema itself (each value valid for its subschema,
or now and then a value of the wrong shape, a misspelt key, a missing field), written as YAML in block
or flow style, and checked three ways:

- accept/reject: the compiled check (fastjsonschema) says valid exactly when plain jsonschema does;
- problems: what ``validate_document`` reports (compiled check first, jsonschema on rejected items
  only) is, to the character and in order, what jsonschema on the whole document reports;
- positions: ``Document.where`` (walking the node tree on demand) gives, for every path and key,
  the position the old parser recorded for every node of the file.
"""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.errors import PolicyError
from blastdoor.policy import schema
from blastdoor.policy.syntax import Document, Path, text_to_document

SCHEMA = schema.policy_schema()
DEFS = SCHEMA["$defs"]

# Values of every JSON type, including the ones validators disagree on most often: 1.0 as an integer,
# true as a number, empty strings and lists, strings that YAML would read as something else.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.sampled_from([0.0, 1.0, 2.5, -1.0]),
    st.sampled_from(["", "x", "prod", "1", "yes", "10m", "efects", "~", "*", "a b"]),
    st.lists(st.sampled_from(["a", 1, None]), max_size=2),
    st.dictionaries(st.sampled_from(["a", "efects", "id"]), st.integers(0, 2), max_size=2),
)
words = st.text(string.ascii_lowercase + "-_.:*/", min_size=1, max_size=8)


def _pattern_value(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(re.compile(pattern), fullmatch=True).filter(lambda s: "\n" not in s)


@st.composite
def instance(draw: st.DrawFn, node: Any, bad: int, depth: int = 0) -> Any:
    """A value for the subschema ``node``; about one value in ``bad`` of the wrong shape (0: none)."""
    if (bad and draw(st.integers(1, bad)) == 1) or depth > 6:
        return draw(junk)
    if "$ref" in node:
        return draw(instance(DEFS[node["$ref"].rsplit("/", 1)[1]], bad, depth))
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    for alt in ("oneOf", "anyOf"):
        if alt in node:
            return draw(instance(draw(st.sampled_from(node[alt])), bad, depth + 1))
    kind = node.get("type")
    if isinstance(kind, list):
        kind = draw(st.sampled_from(kind))
    if kind == "object" or "properties" in node:
        return draw(_object(node, bad, depth))
    if kind == "array":
        low = node.get("minItems", 0)
        items = node.get("items", {})
        return draw(st.lists(instance(items, bad, depth + 1), min_size=low, max_size=low + 3))
    if kind == "string":
        if "pattern" in node:
            return draw(_pattern_value(node["pattern"]))
        return draw(words) if node.get("minLength") else draw(st.one_of(st.just(""), words))
    if kind == "integer":
        return draw(st.integers(node.get("minimum", 0), node.get("maximum", 10**6)))
    if kind == "number":
        return draw(st.one_of(st.integers(0, 10**4), st.floats(0, 10**4, allow_nan=False)))
    if kind == "boolean":
        return draw(st.booleans())
    return draw(junk)


@st.composite
def _object(draw: st.DrawFn, node: Any, bad: int, depth: int) -> dict[str, Any]:
    props: dict[str, Any] = node.get("properties", {})
    required = set(node.get("required", []))
    if bad and draw(st.integers(1, bad)) == 1 and required:  # a missing required field
        required.discard(draw(st.sampled_from(sorted(required))))
    optional = [k for k in props if k not in required]
    if depth == 0:  # the top level: rules nearly always, a few other blocks
        chosen = [
            "rules",
            *draw(st.lists(st.sampled_from([k for k in optional if k != "rules"]), unique=True, max_size=3)),
        ]
    else:
        chosen = draw(st.lists(st.sampled_from(optional), unique=True, max_size=4)) if optional else []
    out = {k: draw(instance(props[k], bad, depth + 1)) for k in sorted(required & set(props)) + chosen}
    extra = node.get("additionalProperties", True)
    if isinstance(extra, dict):
        for key in draw(st.lists(words, unique=True, max_size=3)):
            out[key] = draw(instance(extra, bad, depth + 1))
    if bad and draw(st.integers(1, bad)) == 1 and props:  # a misspelt key
        out[draw(st.sampled_from(sorted(props))) + "s"] = draw(junk)
    return out


# Per document, how often a value is wrong: never (valid documents with many rules), rarely, often.
documents = st.sampled_from([0, 0, 60, 15]).flatmap(lambda bad: instance(SCHEMA, bad))
styles = st.sampled_from([False, True, None])  # block, flow, PyYAML's mix


def as_document(data: Any, style: bool | None) -> Document:
    text = yaml.safe_dump(data, default_flow_style=style, sort_keys=False, width=60)
    return text_to_document(text, "p.yaml")


def said(problems: list[tuple[Any, str]]) -> list[tuple[str, int, int, str]]:
    return [(loc.file, loc.line, loc.column, msg) for loc, msg in problems]


def compiled_accepts(data: Any) -> bool:
    return schema.is_valid(data)


def reference_accepts(data: Any) -> bool:
    return not any(True for _ in schema._reference_validator().iter_errors(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents, styles)
def test_compiled_validator_agrees_with_jsonschema(data: Any, style: bool | None) -> None:
    doc = as_document(data, style)
    assert compiled_accepts(doc.data) == reference_accepts(doc.data)
    reference = said(schema.reference_problems(doc))
    assert said(schema.validate_document(doc)) == reference
    # Item by item (as for a long list) gives the very same problems, in the same order.
    assert said(schema.explain(doc, schema._schema_errors(doc.data, split_from=0))) == reference


def test_generated_documents_are_both_valid_and_invalid() -> None:
    """The generator reaches both sides: otherwise the agreement above would prove little."""
    seen: set[bool] = set()

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents)
    def probe(data: Any) -> None:
        seen.add(reference_accepts(data))

    probe()
    assert seen == {True, False}


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        ({"version": 1, "rules": [{"id": "a", "match": {"approvals": 1}, "verdict": "deny"}]}, False),
        ({"version": 1, "rules": [{"id": "a", "match": {}, "verdict": "deny", "approvals": {"count": 1.0}}]}, True),
        ({"version": 1, "rules": [{"id": "a", "match": {}, "verdict": "deny", "approvals": {"count": True}}]}, False),
        ({"version": True}, False),
        ({"version": 1.0}, True),
        ({"extends": ["recommended", "recommended"]}, False),
        ({"on_error": "allow"}, False),
        ({"limits": [{"id": "l", "match": {}, "max": 1, "per": "10q"}]}, False),
    ],
)
def test_known_edges(data: dict[str, Any], valid: bool) -> None:
    """Corners where two JSON Schema implementations can differ (integers, booleans, uniqueness)."""
    assert reference_accepts(data) == valid
    assert compiled_accepts(data) == valid


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nrules:\n  - {id: 2020-01-01, match: {}, verdict: deny}\n",  # a date, not a string
        "version: 1\nrules:\n  - {id: a, match: {}, verdict: approve, approvals: {count: .nan}}\n",
        "version: 1\nrules:\n  - {id: a, match: {}, verdict: approve, approvals: {count: .inf}}\n",
        "version: 1\nprotect: !!set {a, b}\n",
        "version: 1\nprotect: [!!binary aGVsbG8=]\n",
        "version: 1\nrules:\n  - {id: a, match: {args: {n: {gt: 0x10}}}, verdict: deny}\n",
        "version: 1\nrules:\n  - {id: a, match: {effects: [delete]}, verdict: deny, description: ~}\n",
        "version: 1\n1: x\ntrue: y\n",  # keys that YAML reads as a number and a boolean
    ],
)
def test_yaml_values_that_are_not_json(text: str) -> None:
    """YAML reads dates, NaN, sets, bytes and hex numbers that JSON has no word for: same answers."""
    doc = text_to_document(text, "p.yaml")
    assert compiled_accepts(doc.data) == reference_accepts(doc.data)
    assert said(schema.validate_document(doc)) == said(schema.reference_problems(doc))


def test_a_long_list_is_explained_item_by_item() -> None:
    """A typo deep in a long ``rules:`` list: reported exactly as jsonschema reports it."""
    rules = [{"id": f"r{i}", "match": {"operation": f"shell:x{i}"}, "verdict": "deny"} for i in range(300)]
    rules[217]["match"] = {"efects": ["delete"]}
    rules[250]["verdict"] = "dney"
    text = yaml.safe_dump({"version": 1, "rules": rules}, sort_keys=False)
    doc = text_to_document(text, "p.yaml")
    lines = text.splitlines()
    problems = said(schema.validate_document(doc))
    assert problems == said(schema.reference_problems(doc))
    assert [(line, msg.split(";")[0]) for _, line, _, msg in problems] == [
        (lines.index("    efects:") + 1, "unknown field `efects` (did you mean `effects`?)"),
        (lines.index("  verdict: dney") + 1, "`dney` is not allowed here (did you mean `deny`?)"),
    ]


# -- positions ---------------------------------------------------------------------------------------


def eager_positions(text: str) -> tuple[dict[Path, tuple[int, int]], dict[Path, tuple[int, int]]]:
    """Every node's position as the parser before the lazy one recorded them (values, keys)."""
    values: dict[Path, tuple[int, int]] = {}
    keys: dict[Path, tuple[int, int]] = {}
    constructor = yaml.SafeLoader("")

    def walk(n: yaml.Node, path: Path) -> None:
        values[path] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = constructor.construct_object(k, deep=True)
                key = key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)
                keys[(*path, key)] = (k.start_mark.line + 1, k.start_mark.column + 1)
                walk(v, (*path, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        walk(node, ())
    return values, keys


def eager_where(tables: tuple[dict[Path, tuple[int, int]], dict[Path, tuple[int, int]]], path: Path, key: bool) -> Any:
    values, keys = tables
    probe = path
    while True:
        table = keys if key and probe in keys else values
        if probe in table:
            return table[probe]
        if not probe:
            return (1, 1)
        probe = probe[:-1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents, styles, st.lists(st.one_of(words, st.integers(-1, 5)), max_size=3))
def test_lazy_positions_match_the_eager_table(data: Any, style: bool | None, tail: list[str | int]) -> None:
    text = yaml.safe_dump(data, default_flow_style=style, sort_keys=False, width=60)
    doc = text_to_document(text, "p.yaml")
    tables = eager_positions(text)
    for path in list(tables[0]):
        for probe in (path, (*path, *tail)):  # every real path, and paths that go past the document
            for key in (False, True):
                loc = doc.where(probe, key=key)
                assert (loc.line, loc.column) == eager_where(tables, probe, key), (probe, key)


def test_positions_of_keys_values_and_anchors() -> None:
    text = "version: 1\nrules:\n  - &r {id: a, match: {}, verdict: deny}\n  - *r\nyes: 1\n"
    with pytest.raises(PolicyError):  # the alias repeats an id: parsed, then rejected by compile
        from blastdoor.policy.compile import compile_sources
        from blastdoor.policy.layers import Source

        compile_sources([Source("project", "p.yaml", text)], home="/h")
    doc = text_to_document(text, "p.yaml")
    assert (doc.where(("rules", 1)).line, doc.where(("rules", 1)).column) == (3, 5)  # the anchored node
    third = text.splitlines()[2]
    assert doc.where(("rules", 0, "verdict"), key=True).column == third.index("verdict") + 1
    assert doc.where(("rules", 0, "verdict")).column == third.index("deny") + 1
    assert doc.where(("true",), key=True).line == 5  # a boolean key is named `true`
    assert (doc.where(("rules", 9, "id")).line, doc.where(("rules", 9, "id")).column) == (3, 3)  # the list
    assert doc.item_lines("rules") == [3, 3] and doc.item_lines("nope") == []  # an alias is its anchor


def test_duplicate_keys_are_still_found_anywhere() -> None:
    with pytest.raises(PolicyError) as err:
        text_to_document("version: 1\nrules:\n  - {id: a, id: b}\nversion: 1\n", "p.yaml")
    said = [(loc.line, loc.column, msg) for loc, msg in err.value.problems]
    assert said == [(3, 13, "duplicate key `id`"), (4, 1, "duplicate key `version`")]
