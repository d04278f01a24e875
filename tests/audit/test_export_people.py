"""OCSF export of what people do: the actor is the person who acted (type User), not an agent or `unknown`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blastdoor.action import Action, Agent
from blastdoor.audit import events as ev
from blastdoor.audit import export
from blastdoor.services import open_services
from tests.audit.test_export import VALIDATORS


def _ocsf_of_kind(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [export.to_ocsf(e) for e in entries if e["event"]["kind"] == kind]


def test_people_events_name_the_person_who_acted(tmp_path: Path) -> None:
    with open_services(str(tmp_path / "store.db")) as services:
        services.people.add("root", "admin", by="root")
        services.people.add("bob", "approver", by="root")
        services.people.reissue("bob", by="root")
        services.people.remove("bob", by="carol")
        services.agents.revoke("agent-7", by="dana", reason="incident")
        action = Action("mcp", "mcp:github/delete_repository", agent=Agent("agent-7", "cursor", on_behalf_of="alice"))
        services.log.append(ev.approval_event(ev.APPROVAL_DENIED, request_id="r1", action=action, approver="erin"))
        entries = list(services.log.entries())

    cases = [
        ("person.added", "root", "person:bob"),
        ("person.token_reissued", "root", "person:bob"),
        ("person.removed", "carol", "person:bob"),
        ("agent.revoked", "dana", "agent:agent-7"),
    ]
    for kind, who, subject in cases:
        docs = _ocsf_of_kind(entries, kind)
        assert docs, kind
        doc = docs[-1]
        assert doc["actor"]["user"] == {"uid": who, "name": who, "type_id": 1, "type": "User"}, kind
        assert doc["actor"]["app_name"] == "blastdoor"
        assert doc["resources"][0]["uid"] == subject, kind
        assert who in doc["message"] and subject.split(":", 1)[1] in doc["message"]
        problems = sorted(VALIDATORS[doc["class_uid"]].iter_errors(doc), key=str)
        assert not problems, f"{kind}: {problems[0].message} at {list(problems[0].path)}"

    (denied,) = _ocsf_of_kind(entries, "approval.denied")
    assert denied["actor"]["user"]["name"] == "erin" and denied["actor"]["user"]["type"] == "User"
    assert not sorted(VALIDATORS[denied["class_uid"]].iter_errors(denied), key=str)


def test_an_agents_own_decision_keeps_the_agent_as_actor(tmp_path: Path) -> None:
    from blastdoor.action import Decision

    with open_services(str(tmp_path / "store.db")) as services:
        action = Action("aws", "aws:s3:ListBuckets", agent=Agent("agent-7", "cursor"), effects=["read"])
        services.log.record_decision(action, Decision("allow", "reads"), correlation_id="c1")
        (entry,) = [e for e in services.log.entries() if e["event"]["kind"] == "decision"]
    doc = export.to_ocsf(entry)
    assert doc["actor"]["user"]["name"] == "agent-7" and doc["actor"]["user"]["type_id"] == 99
    assert doc["actor"]["app_name"] == "cursor"
