"""Blast radius, protect: and preview: rules, judged on real previews through the pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from blastdoor.action import Action
from blastdoor.pipeline import judge
from tests.policy.helpers import policy
from tests.preview.conftest import git


def _tree(root: Path, n: int) -> Path:
    d = root / "data"
    d.mkdir(exist_ok=True)
    for i in range(n):
        (d / f"f{i}").write_text("x")
    return d


def _judge(pol: Any, raw: str, cwd: Path):  # type: ignore[no-untyped-def]
    return judge(pol, Action("shell", raw=raw, cwd=str(cwd)), environ={})


SIZES = policy(
    {
        "default": "allow",
        "approvers": {"sre": ["bob", "carol"]},
        "rules": [
            {"id": "few", "match": {"effects": ["delete"], "blast_radius": {"lt": 5}}, "verdict": "ask"},
            {"id": "many", "match": {"effects": ["delete"], "blast_radius": {"gte": 5}}, "verdict": "approve"},
        ],
    }
)


def test_fewer_than_five_deletions_ask_more_need_approval(tmp_path: Path) -> None:
    _tree(tmp_path, 3)
    action, decision = _judge(SIZES, "rm -r data", tmp_path)
    assert (decision.verdict, decision.rule) == ("ask", "few")
    assert action.preview is not None and action.preview["summary"] == {"delete": 3}
    assert action.subjects()[0].blast_radius == 3
    _tree(tmp_path, 7)
    _, decision = _judge(SIZES, "rm -r data", tmp_path)
    assert (decision.verdict, decision.rule) == ("approve", "many")


def test_a_previewed_action_is_never_allowed_outright(tmp_path: Path) -> None:
    pol = policy(
        {
            "default": "ask",
            "rules": [
                {
                    "id": "small",
                    "match": {"effects": ["delete", "irreversible"], "blast_radius": {"lt": 5}},
                    "verdict": "allow",
                }
            ],
        }
    )
    _tree(tmp_path, 2)
    _, decision = _judge(pol, "rm -r data", tmp_path)
    assert decision.verdict == "ask" and decision.rule == "preview.floor"


PROTECTING = policy(
    {
        "default": "ask",
        "protect": ["**/ledger/**", "git:branch/release/*"],
        "approvers": {"sre": ["bob", "carol"]},
        "rules": [
            {
                "id": "protected",
                "match": {"protected": True},
                "verdict": "approve",
                "approvals": {"count": 2, "from": "sre"},
            },
            {
                "id": "work-lost",
                "match": {"effects": ["delete"], "preview": {"uncommitted": {"gte": 1}}},
                "verdict": "deny",
            },
        ],
    }
)


def test_a_change_touching_a_protected_path_needs_two_approvals(tmp_path: Path) -> None:
    (tmp_path / "books" / "ledger").mkdir(parents=True)
    (tmp_path / "books" / "ledger" / "2026.csv").write_text("1")
    action, decision = _judge(PROTECTING, "rm -r books", tmp_path)
    assert decision.verdict == "approve" and decision.approvals is not None and decision.approvals.count == 2
    assert action.preview is not None and action.preview["facts"]["protected"] == 1
    assert action.preview["items"][0]["protected"] is True
    # The same command on an unprotected tree: no such rule applies.
    (tmp_path / "tmpdir").mkdir()
    (tmp_path / "tmpdir" / "x").write_text("1")
    _, other = _judge(PROTECTING, "rm -r tmpdir", tmp_path)
    assert other.verdict == "ask"


def test_a_preview_that_shows_work_lost_is_denied(repo: Path) -> None:
    (repo / "a.txt").write_text("never committed\n")
    _, decision = _judge(PROTECTING, "rm a.txt", repo)
    assert (decision.verdict, decision.rule) == ("deny", "work-lost")
    git(repo, "checkout", "--", "a.txt")
    _, clean = _judge(PROTECTING, "rm a.txt", repo)
    assert clean.verdict == "ask"


def test_a_failed_preview_keeps_the_escalation_and_says_so(tmp_path: Path) -> None:
    pol = policy({"default": "approve"})
    action, decision = _judge(pol, "psql -h 127.0.0.1 -p 1 -d test -c 'DELETE FROM t'", tmp_path)
    assert decision.verdict == "approve"
    assert action.preview is not None and action.preview["status"] == "failed"
    assert "no preview available" in decision.reason


def test_a_preview_dependent_deny_stands_when_the_preview_fails(tmp_path: Path) -> None:
    pol = policy(
        {
            "default": "ask",
            "rules": [
                {"id": "big", "match": {"tool": "sql", "preview": {"delete_rows": {"gt": 10}}}, "verdict": "deny"}
            ],
        }
    )
    _, decision = _judge(pol, "psql -h 127.0.0.1 -p 1 -d test -c 'DELETE FROM t'", tmp_path)
    assert decision.verdict == "deny"


def test_allowed_actions_never_load_or_run_the_previewers(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from blastdoor.action import Action\n"
        "from blastdoor.pipeline import judge\n"
        "from tests.policy.helpers import policy\n"
        "p = policy({'default': 'allow'})\n"
        f"a, d = judge(p, Action('shell', raw='rm -r data', cwd={str(tmp_path)!r}), environ={{}})\n"
        "assert d.verdict == 'allow' and a.preview is None\n"
        "print(sorted(m for m in sys.modules if m.startswith('blastdoor.preview')))\n"
    )
    _tree(tmp_path, 3)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert out.stdout.strip() == "[]"


def test_a_revoked_or_errored_verdict_is_never_reopened_by_a_preview(tmp_path: Path) -> None:
    from blastdoor.action import Decision
    from blastdoor.pipeline import preview_step

    _tree(tmp_path, 1)
    pol = policy({"default": "allow", "rules": [{"id": "x", "match": {"blast_radius": {"lt": 5}}, "verdict": "ask"}]})
    action = Action("shell", raw="rm -r data", cwd=str(tmp_path))
    for rule in ("agent.revoked", "policy.on_error"):
        _, d = preview_step(pol, action, Decision("deny", rule, reasons=["no"]))
        assert (d.verdict, d.rule) == ("deny", rule)


def test_protect_and_preview_conditions_are_validated_with_their_place() -> None:
    import pytest

    from blastdoor.errors import PolicyError

    for bad in (
        {"protect": "not-a-list"},
        {"rules": [{"id": "r", "match": {"protected": "yes"}, "verdict": "deny"}]},
        {"rules": [{"id": "r", "match": {"preview": {"delete": {"about": 3}}}, "verdict": "deny"}]},
    ):
        with pytest.raises(PolicyError) as info:
            policy(bad)
        assert "/p/project0.yaml:" in info.value.diagnostics()


def test_protect_lists_of_every_layer_are_merged() -> None:
    merged = policy(
        ("managed", {"protect": ["sql:table/payments"]}),
        {"protect": ["git:branch/main"], "rules": [{"id": "p", "match": {"protected": True}, "verdict": "deny"}]},
    )
    assert merged.protect == ("sql:table/payments", "git:branch/main")
    (rule,) = [r for r in merged.rules if r.id == "p"]
    assert rule.conds == (("protected", True, ("sql:table/payments", "git:branch/main")),)
