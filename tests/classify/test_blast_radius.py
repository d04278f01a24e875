"""`blast_radius` is counted for shell commands; an unknown radius only ever makes a verdict stricter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.policy.helpers import policy

from blastdoor.action import Action
from blastdoor.classify.dispatch import classify_action
from blastdoor.policy.engine import decide


def _radius(command: str) -> int | None:
    action = classify_action(Action("shell", raw=command, cwd="/work/p"), {}, environ={}, home="/home/u")
    return action.blast_radius


@pytest.mark.parametrize(
    ("command", "radius"),
    [
        ("rm a.txt", 1),
        ("rm a b c", 3),
        ("rm a a", 1),  # the same file twice is one file
        ("mv a b dest/", 3),
        ("chmod 600 a b", 2),
        ("kubectl delete pod a b c", 3),
        ("aws ec2 terminate-instances --instance-ids i-1 i-2", 2),
        ("git branch -D a b", 2),
        ("psql -c 'DROP TABLE a, b'", 2),
        ("rm a && rm b c", 3),
        ("echo hi", 0),
        # unknown: a glob, recursion, a selector, a computed name, rows, a wipe, no target named
        ("rm *.log", None),
        ("rm -r build", None),
        ("rm --recursive build", None),
        ("chmod -R 777 d", None),
        ("kubectl delete pod -l app=x", None),
        ("kubectl delete pods --all", None),
        ("aws s3 rm s3://b --recursive", None),
        ('rm "$X"', None),
        ("psql -c 'DELETE FROM users'", None),
        ("rm -rf /", None),
        ("terraform apply", None),
        ("rm a && rm -r b", None),
    ],
)
def test_counted(command: str, radius: int | None) -> None:
    assert _radius(command) == radius


POLICY = policy(
    {
        "default": "allow",
        "rules": [
            {"id": "many-deletes", "match": {"effects": ["delete"], "blast_radius": {"gt": 2}}, "verdict": "deny"},
            {
                # "less than 3" loosens a restrictive rule: an unknown count must not satisfy it
                "id": "perms",
                "match": {"effects": ["privilege"]},
                "verdict": "ask",
                "except": [{"blast_radius": {"lt": 3}}],
            },
        ],
    }
)


def _verdict(command: str) -> str:
    action = classify_action(Action("shell", raw=command, cwd="/work/p"), {}, environ={}, home="/home/u")
    return decide(POLICY, action).verdict


def test_a_more_than_rule_no_longer_matches_a_single_file() -> None:
    assert _verdict("rm a.txt") == "allow"
    assert _verdict("rm a b") == "allow"
    assert _verdict("rm a b c") == "deny"


def test_an_unknown_radius_satisfies_more_than_and_never_less_than() -> None:
    assert _verdict("rm -r build") == "deny"  # could be any number of files
    assert _verdict("rm *.log") == "deny"
    assert _verdict("chown u a") == "allow"  # 1 < 3
    assert _verdict("chown u a b c") == "ask"  # 3 is not < 3
    assert _verdict("chown -R u d") == "ask"  # `lt: 3` does not hold for an unknown count


@given(st.lists(st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,3})?", fullmatch=True), min_size=1, max_size=12, unique=True))
def test_each_named_file_counts_once_and_any_glob_makes_it_unknown(names: list[str]) -> None:
    # Metamorphic: one more distinct operand adds exactly one; a glob among them makes the count unknown.
    assert _radius("rm " + " ".join(names)) == len(names)
    assert _radius("rm " + " ".join([*names, "zz-extra"])) == len(names) + 1
    assert _radius("rm " + " ".join([*names, "*.tmp"])) is None
