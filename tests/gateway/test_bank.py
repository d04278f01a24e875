"""The FastMCP bank server through the gateway: argument rules, ask, approve, deny, and a server that dies.

Every tool of the bank writes what ran to a ledger file, so each test checks what really happened
downstream, not only what the gateway answered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest

from tests.gateway.harness import Project, bank, text

POLICY = """version: 1
default: ask
rules:
  - id: reads
    match: { effects: [read] }
    verdict: allow
  - id: payments
    match: { operation: "mcp:bank/send_money" }
    verdict: allow
  - id: payments-external
    match: { operation: "mcp:bank/send_money", args: { recipient: { not_in: ["UK12", "UK34"] } } }
    verdict: approve
    approvals: { count: 1, from: finance }
    reason: Payments to recipients outside the list need finance's approval.
  - id: no-repo-deletes
    match: { operation: "mcp:*/delete_repository" }
    verdict: deny
    reason: Repositories are deleted by people, not agents.
approvers:
  finance: [fiona]
"""


def ledger(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def project(tmp_path: Path, policy: str = POLICY) -> tuple[Project, Path]:
    book = tmp_path / "ledger.jsonl"
    return Project(tmp_path, {"bank": bank(BANK_LEDGER=str(book))}, policy), book


def test_a_recipient_rule_escalates_exactly_the_calls_it_should(tmp_path: Path) -> None:
    p, book = project(tmp_path)
    calls = [
        {"recipient": "UK12", "amount": 10},
        {"recipient": "FR99", "amount": 10},
        {"recipient": "UK34", "amount": 20},
        {"recipient": "uk12", "amount": 30},  # not the same recipient
        {"amount": 40},  # a missing recipient is read in the safe direction
    ]

    async def body(c: Any) -> list[Any]:
        return [await c.call_tool("bank__send_money", args) for args in calls]

    results = p.session(body)
    assert [r.is_error for r in results] == [False, True, False, True, True]
    assert "sent 10.00 to UK12" in text(results[0])
    assert "approve by rule `payments-external`" in text(results[1]) and "from `finance`" in text(results[1])
    assert [(e["recipient"], e["amount"]) for e in ledger(book)] == [("UK12", 10), ("UK34", 20)]
    verdicts = [(d["action"]["args"].get("recipient"), d["verdict"]) for d in p.events("decision")]
    assert verdicts == [
        ("UK12", "allow"),
        ("FR99", "approve"),
        ("UK34", "allow"),
        ("uk12", "approve"),
        (None, "approve"),
    ]


def test_a_lying_read_only_hint_does_not_make_a_payment_a_read(tmp_path: Path) -> None:
    p, _ = project(
        tmp_path, "version: 1\ndefault: deny\nrules:\n  - {id: reads, match: {effects: [read]}, verdict: allow}\n"
    )

    async def body(c: Any) -> Any:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert tools["bank__send_money"].annotations.read_only_hint is True  # what the server claims
        return await c.call_tool("bank__send_money", {"recipient": "UK12", "amount": 1})

    result = p.session(body)
    assert result.is_error and "deny by rule `policy.default`" in text(result)
    decision = p.events("decision")[0]
    assert {"write", "exfiltrate"} <= set(decision["effects"])
    assert decision["action"]["context"]["mcp"]["annotations"] == {"readOnlyHint": True}


def test_deny_answers_a_tool_error_with_the_reason(tmp_path: Path) -> None:
    p, book = project(tmp_path)
    result = p.session(lambda c: c.call_tool("bank__delete_repository", {"name": "api"}))
    assert result.is_error
    assert text(result) == (
        "blastdoor: deny by rule `no-repo-deletes`: Repositories are deleted by people, not agents."
    )
    assert ledger(book) == []


ASK_PAYMENTS = POLICY.replace("verdict: allow\n  - id: payments-external", "verdict: ask\n  - id: payments-external")


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # 2025-11-25 elicitation/create; 2026-07-28 input_required
def test_ask_is_an_elicitation_and_only_a_yes_runs_the_call(tmp_path: Path, mode: str) -> None:
    p, book = project(tmp_path, ASK_PAYMENTS)
    answers = iter([True, False])
    asked: list[str] = []

    async def elicit(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": next(answers)})

    async def body(c: Any) -> tuple[Any, Any, Any]:
        read = await c.call_tool("bank__get_balance", {})  # allowed: nobody is asked
        yes = await c.call_tool("bank__send_money", {"recipient": "UK12", "amount": 1})
        return read, yes, await c.call_tool("bank__send_money", {"recipient": "UK12", "amount": 2})

    read, yes, no = p.session(body, elicitation_callback=elicit, mode=mode)
    assert not read.is_error
    assert not yes.is_error and "sent 1.00 to UK12" in text(yes)
    assert no.is_error and "did not confirm" in text(no)
    assert [e["amount"] for e in ledger(book) if e["tool"] == "send_money"] == [1]
    assert len(asked) == 2 and "bank__send_money" in asked[0] and '"recipient": "UK12"' in asked[0]
    decisions = [d for d in p.events("decision") if d["operation"] == "mcp:bank/send_money"]
    assert [d["verdict"] for d in decisions] == ["ask", "ask"]
    outcomes = [p.outcome_of(d)["outcome"] for d in decisions]
    assert outcomes[0]["extra"]["asked"] == "accepted" and "error" not in outcomes[0]
    assert outcomes[1]["error"] == "not run: decline"


def test_without_elicitation_ask_needs_an_approval_and_the_identical_call_then_runs_once(tmp_path: Path) -> None:
    p, book = project(tmp_path, ASK_PAYMENTS)
    call = {"recipient": "UK12", "amount": 5}
    first = p.session(lambda c: c.call_tool("bank__send_money", call))  # a client without elicitation
    assert first.is_error and "needs an approval" in text(first) and "request req_" in text(first)
    request_id = text(first).split("request ")[1].split(" ")[0]

    from blastdoor.approvals import Person
    from blastdoor.services import open_services

    with open_services(str(p.store), checkpoint_on_close=False) as services:
        services.approvals.approve(request_id, Person("fiona"))

    async def body(c: Any) -> list[Any]:
        return [await c.call_tool("bank__send_money", call) for _ in range(2)]

    again, third = p.session(body)
    assert not again.is_error and "sent 5.00 to UK12" in text(again)
    assert third.is_error and "request req_" in text(third)  # used once: the next call is a new request
    assert [e["amount"] for e in ledger(book)] == [5]
    verdicts = [(d["verdict"], d.get("request_id", "")) for d in p.events("decision")]
    assert verdicts[1] == ("allow", request_id)


def test_a_server_that_dies_gives_clear_errors_and_the_gateway_goes_on(tmp_path: Path) -> None:
    book = tmp_path / "ledger.jsonl"
    p = Project(tmp_path, {"bank": bank(BANK_LEDGER=str(book)), "other": bank()}, POLICY)

    async def body(c: Any) -> list[Any]:
        return [
            await c.call_tool("bank__get_crash", {}),
            await c.call_tool("bank__get_balance", {}),
            await c.call_tool("other__get_balance", {}),
            await c.list_tools(),
        ]

    crash, after, other, tools = p.session(body, read_timeout_seconds=30)
    assert crash.is_error and "server `bank` is not available" in text(crash)
    assert after.is_error and "`bank` is not available" in text(after)
    assert not other.is_error and text(other) == "1000.00"
    names = {t.name for t in tools.tools}
    assert "other__get_balance" in names and not any(n.startswith("bank__") for n in names)


def test_a_server_that_cannot_start_is_reported_and_the_others_serve(tmp_path: Path) -> None:
    p = Project(
        tmp_path,
        {
            "bank": bank(),
            "ghost": {"command": str(tmp_path / "no-such-server")},
            "far": {"url": "http://127.0.0.1:9/mcp"},
        },
        POLICY,
    )

    async def body(c: Any) -> tuple[set[str], Any, Any]:
        names = {t.name for t in (await c.list_tools()).tools}
        return names, await c.call_tool("ghost__anything", {}), await c.call_tool("bank__get_balance", {})

    names, ghost, balance = p.session(body)
    assert names and all(n.startswith("bank__") for n in names)
    assert ghost.is_error and "server `ghost` is not available: could not start" in text(ghost)
    assert not balance.is_error
