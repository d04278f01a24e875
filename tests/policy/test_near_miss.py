"""Policy validation suggests the name the author meant: approver groups, environments, rule ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.errors import PolicyError
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import read_source
from blastdoor.policy.near import near_miss

GROUPS = ["sre-leads", "dba", "finance-approvers"]


def _problems(tmp_path: Path, group: str) -> str:
    (tmp_path / "blastdoor.yaml").write_text(
        "version: 1\napprovers:\n  sre-leads: [bob, carol]\n  dba: [dana]\n  finance-approvers: [fin]\n"
        "rules:\n  - id: x\n    match: {effects: [delete]}\n    verdict: approve\n"
        f"    approvals: {{count: 1, from: '{group}'}}\n"
    )
    with pytest.raises(PolicyError) as caught:
        compile_sources([read_source("project", str(tmp_path / "blastdoor.yaml"))])
    return caught.value.diagnostics()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("sre-lead", "sre-leads"),
        ("sreleads", "sre-leads"),
        ("SRE-Leads", "sre-leads"),
        ("sre_leads", "sre-leads"),
        ("SRE", "sre-leads"),
        ("finance", "finance-approvers"),
        ("dbas", "dba"),
    ],
)
def test_an_unknown_approver_group_suggests_the_one_meant(tmp_path: Path, typed: str, meant: str) -> None:
    said = _problems(tmp_path, typed)
    assert f"approver group `{typed}` is not defined (did you mean `{meant}`?)" in said
    assert "blastdoor.yaml:10:" in said  # where: the `from:` value


def test_a_person_named_as_a_group_is_explained(tmp_path: Path) -> None:
    said = _problems(tmp_path, "bob")
    assert "`bob` is a person in `sre-leads`: `from:` names a group" in said


def test_nothing_close_lists_the_groups_instead(tmp_path: Path) -> None:
    said = _problems(tmp_path, "payments")
    assert "did you mean" not in said and "groups: `dba`, `finance-approvers`, `sre-leads`" in said


@given(
    st.lists(st.sampled_from(["sre", "leads", "prod", "ops", "platform", "db"]), min_size=1, max_size=3, unique=True),
    st.sampled_from(["-", "_", " ", ""]),
    st.booleans(),
)
def test_case_and_separators_never_hide_the_name(parts: list[str], sep: str, upper: bool) -> None:
    # Metamorphic: respelling a known name with other case and separators still finds it.
    name = "-".join(parts)
    typed = sep.join(p.upper() if upper else p for p in parts)
    if typed == name:
        return
    assert near_miss(typed, [name, "unrelated-group"]) == name


def test_no_suggestion_when_two_are_equally_plausible() -> None:
    assert near_miss("sre", ["sre-leads", "sre-oncall"]) is None
