"""Approvals and the kill switch, on SQLite and on the real PostgreSQL server.

Every refusal the rules of approval demand is tested: self-approval, an agent voting, someone outside
the group, a second vote, a different action's digest, a different environment, after expiry, after a
deny, and a second use.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from blastdoor.action import Action, Agent
from blastdoor.approvals import ApprovalRefused, Person
from blastdoor.audit.log import Query
from blastdoor.pipeline import classify_for, decide_and_record
from blastdoor.services import Services
from blastdoor.store import open_log
from tests.policy.helpers import policy

POLICY = policy(
    {
        "default": "allow",
        "approvers": {"sre-leads": ["bob", "carol", "dave", "alice"]},
        "environments": {"prod": {"aws_profiles": ["prod*"]}},
        "rules": [
            {
                "id": "prod-deletes",
                "match": {"env": "prod", "effects": ["delete", "irreversible"]},
                "verdict": "approve",
                "approvals": {"count": 2, "from": "sre-leads", "ttl": "30m"},
                "reason": "Irreversible change in production needs two SRE leads.",
            }
        ],
    }
)
AGENT = Agent("claude-code:alice@laptop", "claude-code", session="s1", on_behalf_of="alice", host="laptop")
DELETE = "aws cloudformation delete-stack --stack-name ce --profile prod"


def _action(raw: str = DELETE, agent: Agent = AGENT) -> Action:
    return Action("shell", "shell", raw=raw, cwd="/work/app", agent=agent)


def _classified(raw: str = DELETE, *, environ: dict[str, str] | None = None) -> Action:
    return classify_for(POLICY, _action(raw), environ=environ or {})


@pytest.fixture()
def services(store_url: str, tmp_path: Path) -> Iterator[Services]:
    s = Services(open_log(store_url, key_path=tmp_path / "audit.key", checkpoint_on_close=False))
    yield s
    s.close()


def _decide(services: Services, action: Action | None = None, cid: str = "c1"):  # type: ignore[no-untyped-def]
    return decide_and_record(
        POLICY, action or _action(), services.log, cid, approvals=services.approvals, agents=services.agents
    )[1]


def test_approve_files_one_request_and_the_retry_after_two_approvals_is_allowed_once(services: Services) -> None:
    first = _decide(services)
    assert first.verdict == "approve" and first.request_id.startswith("req_")
    # The identical action again: the same pending request, not a second one.
    assert _decide(services).request_id == first.request_id
    assert len(services.approvals.find(status="pending")) == 1
    request = services.approvals.get(first.request_id)
    assert (request.needed, request.group, request.requester) == (2, "sre-leads", "alice")
    assert request.command == DELETE and request.env == "prod" and "delete" in request.detail["effects"]

    services.approvals.approve(first.request_id, Person("bob"), comment="checked the stack")
    assert _decide(services).verdict == "approve"  # one of two
    assert services.approvals.approve(first.request_id, Person("carol")).status == "approved"

    allowed = _decide(services, cid="c-run")
    assert allowed.verdict == "allow" and allowed.request_id == first.request_id
    assert allowed.approved_by == ("bob", "carol")
    assert services.approvals.get(first.request_id).status == "consumed"

    again = _decide(services)
    assert again.verdict == "approve" and again.request_id not in ("", first.request_id)

    kinds = [e["event"]["kind"] for e in services.log.entries()]
    assert kinds.count("approval.requested") == 2 and kinds.count("approval.granted") == 2
    run = services.log.search(Query(correlation_id="c-run"))[0]["event"]
    assert run["verdict"] == "allow" and run["approvers"] == ["bob", "carol"] and run["request_id"] == first.request_id
    granted = [e["event"] for e in services.log.entries() if e["event"]["kind"] == "approval.granted"]
    assert [g["approval"]["approver"] for g in granted] == ["bob", "carol"]
    assert services.log.verify().ok


def test_self_approval_agents_outsiders_and_repeat_votes_are_refused(services: Services) -> None:
    request_id = _decide(services).request_id
    refusals = [
        (Person("alice"), "self"),  # the agent acts for alice: she asked for it
        (Person(AGENT.id), "agent"),
        (Person("mallory"), "group"),
        (Person("bob", role="viewer"), "role"),
    ]
    for person, code in refusals:
        with pytest.raises(ApprovalRefused) as info:
            services.approvals.approve(request_id, person, agents={AGENT.id})
        assert info.value.code == code, person
    services.approvals.approve(request_id, Person("bob"))
    with pytest.raises(ApprovalRefused) as info:
        services.approvals.approve(request_id, Person("bob"))
    assert info.value.code == "repeat"
    assert services.approvals.get(request_id).approvers == ["bob"]
    assert _decide(services).verdict == "approve"
    # The registry knows the agent from its decisions: a person of that name is refused as an agent.
    assert services.agents.among(AGENT.id) == {AGENT.id} and services.agents.among("carol") == set()
    with pytest.raises(ApprovalRefused) as info:
        services.approvals.approve(request_id, Person(AGENT.id), agents=services.agents.among(AGENT.id))
    assert info.value.code == "agent"


def test_an_approval_does_not_carry_over_to_another_action_or_environment(services: Services) -> None:
    request_id = _decide(services).request_id
    for name in ("bob", "carol"):
        services.approvals.approve(request_id, Person(name))
    other_stack = _action(DELETE.replace("--stack-name ce", "--stack-name billing"))
    assert _decide(services, other_stack).verdict == "approve"
    other_agent = _action(agent=Agent("claude-code:erin@laptop", "claude-code", on_behalf_of="erin"))
    assert _decide(services, other_agent).verdict == "approve"
    # Same text, but the profile comes from the agent's environment: bound to the environment it resolved to.
    bare = DELETE.replace(" --profile prod", "")
    filed = decide_and_record(
        POLICY, _action(bare), services.log, "c-env", approvals=services.approvals, environ={"AWS_PROFILE": "prod"}
    )[1]
    assert filed.verdict == "approve"
    for name in ("bob", "carol"):
        services.approvals.approve(filed.request_id, Person(name))
    staging = _classified(bare, environ={"AWS_PROFILE": "staging"})
    assert staging.env != "prod" and staging.digest() == _action(bare).digest()
    assert services.approvals.consume(staging) is None
    assert services.approvals.consume(_classified(bare, environ={"AWS_PROFILE": "prod"})) is not None
    assert services.approvals.get(request_id).status == "approved"  # still waiting for its own action
    assert _decide(services).verdict == "allow"


def test_expired_requests_refuse_votes_and_use(services: Services) -> None:
    import time

    request_id = _decide(services).request_id
    services.approvals.approve(request_id, Person("bob"))
    later = time.time() + 31 * 60
    services.approvals.clock = lambda: later
    with pytest.raises(ApprovalRefused) as info:
        services.approvals.approve(request_id, Person("carol"))
    assert info.value.code == "closed" and "expired" in str(info.value)
    assert services.approvals.get(request_id).status == "expired"
    expired = services.log.search(Query(kind="approval.expired"))
    assert [e["event"]["approval"]["request_id"] for e in expired] == [request_id]
    # An approved request that expires before use is not used either.
    services.approvals.clock = time.time
    second = _decide(services, cid="c2").request_id
    for name in ("bob", "carol"):
        services.approvals.approve(second, Person(name))
    services.approvals.clock = lambda: later + 10
    assert services.approvals.consume(_classified()) is None
    assert services.approvals.get(second).status == "expired"


def test_a_deny_is_final(services: Services) -> None:
    request_id = _decide(services).request_id
    services.approvals.approve(request_id, Person("bob"))
    assert services.approvals.deny(request_id, Person("dave"), comment="not during the freeze").status == "denied"
    with pytest.raises(ApprovalRefused):
        services.approvals.approve(request_id, Person("carol"))
    assert services.approvals.consume(_classified()) is None
    denied = services.log.search(Query(kind="approval.denied"))[0]["event"]
    assert denied["approval"]["approver"] == "dave" and denied["approval"]["reason"] == "not during the freeze"


def test_two_processes_racing_to_use_one_approval_get_it_once(store_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    first = Services(open_log(store_url, key_path=key, checkpoint_on_close=False))
    second = Services(open_log(store_url, key_path=key, checkpoint_on_close=False))
    try:
        request_id = _decide(first).request_id
        for name in ("bob", "carol"):
            first.approvals.approve(request_id, Person(name))
        results: list[object] = []
        barrier = threading.Barrier(2)

        def use(services: Services) -> None:
            barrier.wait()
            results.append(services.approvals.consume(_classified()))

        threads = [threading.Thread(target=use, args=(s,)) for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r is not None for r in results) == 1
    finally:
        first.close()
        second.close()


def test_the_same_action_filed_at_once_from_many_places_makes_one_request(store_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    places = [Services(open_log(store_url, key_path=key, checkpoint_on_close=False)) for _ in range(3)]
    try:
        for round_ in range(8):
            action = _action(f"aws cloudformation delete-stack --stack-name s{round_} --profile prod")
            got: list[str] = []
            barrier = threading.Barrier(6)

            def file(
                services: Services,
                action: Action = action,
                round_: int = round_,
                barrier: threading.Barrier = barrier,
                got: list[str] = got,
            ) -> None:
                barrier.wait()
                d = _decide(services, action, cid=f"r{round_}")
                got.append(d.request_id or str(d.reasons))

            # Two threads per place: same-process filers and separate "processes" (own service objects).
            threads = [threading.Thread(target=file, args=(s,)) for s in places for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert len(got) == 6 and len(set(got)) == 1, got
        pending = places[0].approvals.find(status="pending", limit=100)
        assert len(pending) == 8
        # Every request the log says was filed is either the one that stands or closed in the log too.
        entries = [e["event"] for e in places[0].log.entries()]
        requested = {e["approval"]["request_id"] for e in entries if e["kind"] == "approval.requested"}
        cancelled = {e["approval"]["request_id"] for e in entries if e["kind"] == "approval.cancelled"}
        assert requested - cancelled == {r.id for r in pending}
        assert places[0].log.verify().ok
    finally:
        for s in places:
            s.close()


def test_revoking_an_agent_denies_its_next_action_and_cancels_its_requests(services: Services) -> None:
    request_id = _decide(services).request_id
    read = _action("ls -la")
    assert _decide(services, read).verdict == "allow"
    cancelled = services.agents.revoke(AGENT.id, by="root", reason="went rogue", approvals=services.approvals)
    assert cancelled == [request_id]
    assert services.approvals.get(request_id).status == "cancelled"
    denied = _decide(services, read)
    assert denied.verdict == "deny" and denied.rule == "agent.revoked" and "revoked" in denied.reason
    assert "went rogue" in denied.reason
    others = _decide(services, _action("ls -la", Agent("codex:bob@ci", "codex", on_behalf_of="bob")))
    assert others.verdict == "allow"
    (record,) = [r for r in services.agents.all() if r.id == AGENT.id]
    facts = (record.status, record.harness, record.operator, record.host)
    assert facts == ("revoked", "claude-code", "alice", "laptop")
    assert record.decisions >= 3
    services.agents.restore(AGENT.id, by="root")
    assert _decide(services, read).verdict == "allow"
    kinds = [e["event"]["kind"] for e in services.log.entries()]
    assert {"agent.revoked", "agent.restored", "approval.cancelled"} <= set(kinds)
    assert services.log.verify().ok


REVOKE = """
import sys
from blastdoor.services import Services
from blastdoor.store import open_log
with Services(open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_on_close=False)) as s:
    s.agents.revoke(sys.argv[3], by="oncall", reason="incident 42")
"""


def test_a_revoke_in_another_process_holds_for_the_next_decision_here(pg_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    with Services(open_log(pg_url, key_path=key, checkpoint_on_close=False)) as here:
        assert _decide(here, _action("ls")).verdict == "allow"
        subprocess.run([sys.executable, "-c", REVOKE, pg_url, str(key), AGENT.id], check=True, timeout=60)
        after = _decide(here, _action("ls"))
        assert after.verdict == "deny" and after.rule == "agent.revoked" and "incident 42" in after.reason


def test_people_sign_in_with_tokens_stored_only_as_hashes(services: Services) -> None:
    token = services.people.add("bob", "approver", by="root")
    person = services.people.authenticate(token)
    assert person is not None and (person.name, person.role) == ("bob", "approver")
    assert services.people.authenticate(token + "x") is None
    stored = services.store.read("SELECT token_hash FROM person WHERE name = 'bob'")[0][0]
    assert token not in stored and stored.startswith("sha256:")
    fresh = services.people.reissue("bob")
    assert services.people.authenticate(token) is None and services.people.authenticate(fresh) is not None
    services.people.remove("bob")
    assert services.people.authenticate(fresh) is None
    assert {e["event"]["kind"] for e in services.log.entries()} >= {"person.added", "person.removed"}


@pytest.mark.parametrize("judge_here", [True, False], ids=["judged-in-loop", "judged-offloaded"])
def test_the_event_loop_pipeline_settles_approvals_and_revocations_like_the_blocking_one(
    services: Services, judge_here: bool
) -> None:
    import asyncio

    from blastdoor.pipeline import decide_and_record_async

    offloaded: list[str] = []

    async def offload(fn):  # type: ignore[no-untyped-def]
        offloaded.append(getattr(fn, "__name__", "?"))
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    async def decide(action: Action, cid: str):  # type: ignore[no-untyped-def]
        return (
            await decide_and_record_async(
                POLICY,
                action,
                services.log,
                cid,
                offload=offload,
                judge_here=judge_here,
                approvals=services.approvals,
                agents=services.agents,
            )
        )[1]

    async def flow() -> None:
        first, again = await asyncio.gather(decide(_action(), "a1"), decide(_action(), "a2"))
        assert first.verdict == again.verdict == "approve" and first.request_id == again.request_id
        for name in ("bob", "carol"):
            services.approvals.approve(first.request_id, Person(name))
        allowed = await decide(_action(), "a-run")
        assert allowed.verdict == "allow" and allowed.approved_by == ("bob", "carol")
        assert (await decide(_action(), "a-again")).verdict == "approve"  # used once; a new request
        services.agents.revoke(AGENT.id, by="root", reason="incident 7")
        denied = await decide(_action("ls -la"), "a-read")
        assert denied.verdict == "deny" and denied.rule == "agent.revoked" and "incident 7" in denied.reason

    asyncio.run(flow())
    # Settling approvals writes: never in the loop's thread. Judging is offloaded when asked, and then
    # building the decision's event too (a big action's canonical JSON). Previews of the four escalated
    # decisions read AWS: never in the loop's thread either.
    assert offloaded.count("judged") == (0 if judge_here else 5)
    assert offloaded.count("recorded") == (0 if judge_here else 5)
    assert offloaded.count("previewed") == (4 if judge_here else 0)
    assert offloaded.count("settled_approval") == 4
    # Everything else that writes state (denial memory, the breaker's counters) is off the loop too.
    assert set(offloaded) <= {
        "judged",
        "recorded",
        "previewed",
        "leased",
        "settled_approval",
        "denial_memory",
        "limited",
    }
    decisions = services.log.search(Query(kind="decision", limit=50))
    assert sorted(e["event"]["correlation_id"] for e in decisions) == sorted(["a1", "a2", "a-run", "a-again", "a-read"])
    assert services.log.verify().ok


def test_the_event_loop_pipeline_fails_closed_when_the_log_cannot_be_written() -> None:
    import asyncio
    from concurrent.futures import Future

    from blastdoor.errors import StoreError
    from blastdoor.pipeline import decide_and_record_async

    class BrokenLog:
        def submit_decision(self, action: Action, decision: object, *, correlation_id: str = "") -> Future[int]:
            failed: Future[int] = Future()
            failed.set_exception(StoreError("disk full"))
            return failed

    async def offload(fn):  # type: ignore[no-untyped-def]
        return fn()

    def decide(raw: str):  # type: ignore[no-untyped-def]
        return asyncio.run(
            decide_and_record_async(POLICY, _action(raw), BrokenLog(), "c", offload=offload, judge_here=True)
        )[1]

    write = decide("touch notes.txt")
    assert write.verdict == "deny" and write.rule == "audit.unavailable" and "disk full" in write.reason
    assert decide("ls -la").verdict == "allow"  # a plain read may still run
