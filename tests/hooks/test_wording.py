"""The words that tell an agent why it was stopped: one module, one `blastdoor:` prefix, whatever is relayed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.action import Approvals, Decision, wording
from tests.hooks.harness import policy_for, run_hook, substitute
from tests.hooks.payloads import PRE_EVENT

HARNESSES = sorted(PRE_EVENT)
reasons = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(reasons)
def test_a_failure_is_worded_once_however_often_it_is_relayed(cause: str) -> None:
    once = wording.failure_message(cause)
    assert wording.failure_message(once) == once
    assert wording.failure_message("blastdoor: " + once) == once
    assert once.count("blocked because the check could not complete") == 1
    assert once.startswith("blastdoor: ") and not once.startswith("blastdoor: blastdoor:")


@given(reasons, st.sampled_from(["allow", "ask", "approve", "deny"]))
def test_a_decision_is_prefixed_once_even_when_its_reason_carries_the_prefix(reason: str, verdict: str) -> None:
    plain = Decision(verdict, "r", reasons=(reason,), approvals=Approvals() if verdict == "approve" else None)
    copied = Decision(
        verdict, "r", reasons=("blastdoor: " + reason,), approvals=Approvals() if verdict == "approve" else None
    )
    assert wording.why(copied) == wording.why(plain)
    for text in (wording.blocked_message(copied, "req_1"), wording.blocked_message(copied, None)):
        assert text.startswith("blastdoor: ") and not text.startswith("blastdoor: blastdoor")
        assert text == wording.blocked_message(plain, "req_1" if "req_1" in text else None)


def test_past_tense_of_every_vote_and_change() -> None:
    assert [wording.past(v) for v in ("approve", "deny", "revoke", "restore")] == [
        "approved",
        "denied",
        "revoked",
        "restored",
    ]
    with pytest.raises(KeyError):
        wording.past("frobnicate")  # a new verb must be added to the table, not guessed


def test_hooks_and_gateway_use_the_same_words() -> None:
    from blastdoor.adapters import claude_code, codex, cursor, gemini, kiro
    from blastdoor.gateway import server

    for module in (claude_code, codex, cursor, gemini, kiro, server):
        for name in ("why", "blocked_message", "failure_message", "needs_approval"):
            if hasattr(module, name):
                assert getattr(module, name) is getattr(wording, name), (module.__name__, name)
    assert server.failure_message is wording.failure_message and server.why is wording.why


@pytest.mark.parametrize("harness", HARNESSES)
def test_a_copied_reason_is_not_prefixed_twice_in_any_reply(harness: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    policy = policy_for("deny").replace("the golden policy says deny", "'blastdoor: blocked because writes are off'")
    (project / "blastdoor.yaml").write_text(policy)
    payload = substitute(PRE_EVENT[harness], str(project))
    code, stdout, stderr = run_hook(harness, json.dumps(payload).encode(), cwd=str(project))
    said = json.dumps(stdout) + stderr
    assert "blocked because writes are off" in said, (code, said)
    assert "blastdoor: blastdoor:" not in said and ": blastdoor: " not in said
