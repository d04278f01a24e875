from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from blastdoor.action import EFFECTS, Action, Agent, Decision, Note, canonical_json, digest
from blastdoor.action.decision import Approvals, Match

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)

agents = st.builds(
    Agent,
    id=names,
    harness=st.text(max_size=10),
    session=st.text(max_size=10),
    on_behalf_of=st.text(max_size=10),
    host=st.text(max_size=10),
    subagent=st.text(max_size=10),
)
notes = st.builds(
    Note,
    kind=st.sampled_from(["effect", "env", "target", "info"]),
    value=st.text(max_size=10),
    text=st.text(max_size=20),
    source=st.text(max_size=8),
)


def _action(children: st.SearchStrategy[list[Action]] | None = None) -> st.SearchStrategy[Action]:
    return st.builds(
        Action,
        names,
        st.text(max_size=20),
        raw=st.text(max_size=40),
        command=st.text(max_size=20),
        args=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        cwd=st.text(max_size=10),
        agent=agents,
        context=st.dictionaries(st.text(max_size=8), json_values, max_size=2),
        effects=st.frozensets(st.sampled_from(sorted(EFFECTS))),
        targets=st.lists(st.text(max_size=15), max_size=3),
        env=st.text(min_size=1, max_size=8),
        blast_radius=st.none() | st.integers(0, 10**6),
        preview=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=2),
        facts=st.dictionaries(st.text(max_size=8), json_values, max_size=2),
        notes=st.lists(notes, max_size=3),
        parts=children if children is not None else st.just([]),
    )


actions = _action(st.lists(_action(), max_size=3))


@given(actions)
def test_action_json_round_trip_is_lossless(action: Action) -> None:
    text = json.dumps(action.to_dict())
    again = Action.from_dict(json.loads(text))
    assert again == action
    assert again.to_dict() == action.to_dict()
    assert again.digest() == action.digest()


@given(actions)
def test_digest_ignores_classification_but_not_the_request(action: Action) -> None:
    classified = action.replace(effects={"delete"}, targets=("/x",), env="prod")
    assert classified.digest() == action.digest()
    assert action.replace(raw=action.raw + " ").digest() != action.digest()
    assert action.replace(agent=Agent(action.agent.id + "x")).digest() != action.digest()


@given(actions, actions)
def test_replace_copies_every_field_and_changes_only_those_given(action: Action, other: Action) -> None:
    from blastdoor.action.model import _FIELDS

    assert action.replace() == action
    assert action.replace().to_dict() == action.to_dict()
    for name in _FIELDS:  # a field added to _FIELDS but not to replace() is lost here
        changed = action.replace(**{name: getattr(other, name)})
        assert getattr(changed, name) == getattr(other, name), name
        assert all(getattr(changed, k) == getattr(action, k) for k in _FIELDS if k != name), name


def test_digest_is_stable_across_key_order() -> None:
    a = Action("mcp", "mcp:bank/send", args={"b": 1, "a": [1, 2]})
    b = Action("mcp", "mcp:bank/send", args={"a": [1, 2], "b": 1})
    assert a.digest() == b.digest()
    assert a.digest().startswith("sha256:") and len(a.digest()) == 71


def test_unknown_fields_and_effects_are_rejected_with_a_hint() -> None:
    import pytest

    with pytest.raises(ValueError, match="did you mean 'effects'"):
        Action.from_dict({"tool": "shell", "efects": ["read"]})
    with pytest.raises(ValueError, match="unknown effect 'deletion'"):
        Action.from_dict({"tool": "shell", "effects": ["deletion"]})
    with pytest.raises(ValueError, match="tool: required"):
        Action.from_dict({"raw": "ls"})


def test_decision_round_trip() -> None:
    d = Decision(
        "approve",
        "r1",
        matched=[Match("r1", "approve", 0), Match("r2", "ask", 1)],
        reasons=["x"],
        approvals=Approvals(2, "sre", 1800),
        policy_hash="sha256:ab",
        action_digest="sha256:cd",
        part=0,
    )
    assert Decision.from_dict(json.loads(json.dumps(d.to_dict()))) == d


# RFC 8785 appendix B number samples and a structure sample.
def test_canonical_numbers_follow_rfc8785() -> None:
    samples = {
        0.0: "0",
        1e21: "1e+21",
        1e-7: "1e-7",
        123456789012345680000.0: "123456789012345680000",
        9007199254740992.0: "9007199254740992",
        0.000001: "0.000001",
        4.5: "4.5",
        2e-3: "0.002",
        1.7976931348623157e308: "1.7976931348623157e+308",
        5e-324: "5e-324",
        333333333.3333333: "333333333.3333333",
    }
    for value, text in samples.items():
        assert canonical_json(value) == text.encode()
    assert canonical_json(-0.0) == b"0"


def test_canonical_structure() -> None:
    value = {"b": [1, True, None], "a": "é\n", "\u20ac": 1, "\U0001f600": 2, "\ufb33": 3}
    # UTF-16 order puts U+1F600 (surrogates D83D..) before U+FB33.
    expected = '{"a":"\u00e9\\n","b":[1,true,null],"\u20ac":1,"\U0001f600":2,"\ufb33":3}'
    assert canonical_json(value) == expected.encode()
    assert digest(value) == digest(json.loads(json.dumps(value)))


@given(json_values)
def test_canonical_json_is_valid_json_with_the_same_value(value: object) -> None:
    assert json.loads(canonical_json(value)) == value
