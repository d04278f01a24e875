"""The gateway's recorder on a real SQLite log: outcomes prepared ahead of the commit that carries them.

The stdio wire prepares a call's outcome (redacted, encoded) once the answer is out; the next
decision's commit takes it ready. What is recorded must not change: the same bytes as an event appended
the plain way, in the same order (the outcome ahead of the next decision), and an outcome that cannot be
prepared fails that commit exactly as it did before (the decision is not written, the outcome stays
queued).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blastdoor.action import Action, Decision
from blastdoor.adapters._base import make_agent
from blastdoor.audit.log import AuditLog
from blastdoor.errors import InputError
from blastdoor.gateway.outcomes import Recorder
from blastdoor.store import open_log


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    with open_log(str(tmp_path / "audit.db"), key_path=tmp_path / "keys" / "audit.key") as opened:
        yield opened


def _decided(recorder: Recorder, cid: str, token: str = "") -> int:
    args = {"message": "hello", "api_key": token} if token else {"message": "hello"}
    action = Action("mcp", "mcp:s/echo", args=args, cwd="/tmp", agent=make_agent("mcp", session="s1"))
    decision = Decision("allow", "recommended.reads", reasons=("Plain reads are allowed.",), policy_hash="sha256:0")
    return recorder.record_decision(action, decision, correlation_id=cid)


def test_a_prepared_outcome_is_recorded_as_the_plain_append_records_it_ahead_of_the_next_decision(
    log: AuditLog,
) -> None:
    recorder = Recorder(log, idle=3600)  # the idle writer stays out of it
    try:
        _decided(recorder, "mcp-1", token="sk-test-0123456789abcdefABCDEF")
        secret = "ghp_0123456789abcdefABCDEF0123456789abcd"
        # A tool error's first text becomes the outcome's error: it is redacted like any other field.
        result = {
            "content": [{"type": "text", "text": f"rejected {secret}"}],
            "isError": True,
            "resultType": "complete",
        }
        recorder.put("mcp-1", duration_ms=1.25, result=result, extra={"session": "s1"})
        recorder.prepare_queued()
        seq = _decided(recorder, "mcp-2")
    finally:
        recorder.close()
    outcome, decision = log.entry(seq - 1), log.entry(seq)
    assert outcome is not None and decision is not None
    assert outcome["event"]["kind"] == "outcome" and outcome["event"]["correlation_id"] == "mcp-1"
    assert decision["event"]["kind"] == "decision" and decision["event"]["correlation_id"] == "mcp-2"
    assert secret not in str(outcome["event"]) and outcome["event"]["redacted"]
    # The same event appended the plain way is the same bytes, seq and time aside.
    from blastdoor.gateway.outcomes import _outcome_event

    agent = make_agent("mcp", session="s1")
    plain = log.append_many([_outcome_event("mcp-1", 1.25, None, result, {"session": "s1"}, (agent, "mcp:s/echo"))])
    again = log.entry(plain[0])
    assert again is not None and again["event"] == outcome["event"]


def test_an_outcome_that_cannot_be_prepared_fails_the_commit_that_takes_it_and_stays_queued(log: AuditLog) -> None:
    recorder = Recorder(log, idle=3600)
    try:
        _decided(recorder, "mcp-1")
        size = log.size()
        recorder.put("mcp-1", duration_ms=float("nan"), error="boom")  # NaN has no JSON form
        recorder.prepare_queued()  # leaves it as it is, raises nothing
        with pytest.raises(InputError):
            _decided(recorder, "mcp-2")
        assert log.size() == size  # the decision was not written either
        with pytest.raises(InputError):
            _decided(recorder, "mcp-3")  # still queued, still refused
    finally:
        recorder.close()


def test_a_remembered_decision_event_is_prepared_to_the_same_bytes_as_preparing_it_afresh(log: AuditLog) -> None:
    from blastdoor.audit import events as ev

    recorder = Recorder(log, idle=3600)
    agent = make_agent("mcp", session="s1")
    decision = Decision("allow", "recommended.reads", reasons=("Plain reads are allowed.",), policy_hash="sha256:0")
    try:
        for args in (
            {"message": "hello"},
            {"message": "hello", "api_key": "sk-test-0123456789abcdefABCDEF", "n": 1.5, "flags": [True, None]},
            {"path": "/tmp/ünïcode", "password": "hunter2hunter2"},
        ):
            for i in range(3):  # the first prepares and remembers, the others are swapped from it
                action = Action("mcp", "mcp:s/echo", args=args, cwd="/tmp", agent=agent)
                event = ev.decision_event(action, decision, correlation_id=f"mcp-{i:024x}")
                fresh, remembered = log.prepare(event), recorder._prepare_decision(event)
                assert remembered.body == fresh.body and remembered.index == fresh.index
                assert remembered.marks_checkpoint is fresh.marks_checkpoint is False
        assert len(recorder._templates) == 3
        # Another decision for the same call is another event, not a swapped one.
        denied = Decision("deny", "recommended.secrets", reasons=("No.",), policy_hash="sha256:0")
        event = ev.decision_event(action, denied, correlation_id="mcp-1")
        assert recorder._prepare_decision(event).body == log.prepare(event).body
        assert len(recorder._templates) == 4
    finally:
        recorder.close()


def test_a_remembered_outcome_event_is_prepared_to_the_same_bytes_as_preparing_it_afresh(log: AuditLog) -> None:
    from blastdoor.gateway.outcomes import _outcome_event

    recorder = Recorder(log, idle=3600)
    who = (make_agent("mcp", session="s1"), "mcp:s/echo")
    ok = {"content": [{"type": "text", "text": "Echo: hello"}], "resultType": "complete"}
    failed = {
        "content": [{"type": "text", "text": "bad token ghp_0123456789abcdefABCDEF0123456789abcd"}],
        "isError": True,
    }
    try:
        for result, error in ((ok, None), (failed, None), (None, "not run: denied")):
            # Durations canonical JSON writes as their repr, and others (integral, tiny) it does not.
            for i, duration in enumerate((1.25, 0.5004, 12.3456, 3.0, 0.00001, 1.25, 7.0625)):
                outcome = (f"mcp-{i:024x}", duration, error, result, {"session": "s1"}, who)
                fresh = log.prepare(_outcome_event(*outcome))
                remembered = recorder._prepare_outcome(outcome)
                assert remembered.body == fresh.body and remembered.index == fresh.index
        assert len(recorder._templates) == 3  # one per result: the rest were swapped from it
    finally:
        recorder.close()
