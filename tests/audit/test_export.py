"""Exports: OCSF events validate against the vendored OCSF 1.8 class schemas; CloudEvents; OTel spans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from blastdoor.action import Action, Agent, Approvals, Decision
from blastdoor.audit import events as ev
from blastdoor.audit import export
from blastdoor.audit.log import AuditLog

DATA = Path(__file__).parent / "data" / "ocsf-1.8"


def _validator(name: str) -> Draft202012Validator:
    docs = {p.name: json.loads(p.read_text()) for p in DATA.glob("*.json")}
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values()
    )
    return Draft202012Validator(docs[name], registry=registry)


VALIDATORS = {6003: _validator("api_activity.json"), 1007: _validator("process_activity.json")}


def _sample(log: AuditLog) -> list[dict[str, Any]]:
    agent = Agent("agent-7", "claude-code", session="s1", on_behalf_of="alice", host="dev1")
    shell = Action(
        "shell",
        "shell:rm",
        raw="rm -rf ./build",
        args={"argv": ["rm", "-rf", "./build"]},
        cwd="/p",
        agent=agent,
        effects=["delete", "irreversible"],
        targets=["./build"],
        env="dev",
    )
    mcp = Action(
        "mcp",
        "mcp:github/delete_repository",
        args={"repo": "x/y", "token": "ghp_" + "a" * 36},
        agent=agent,
        effects=["delete", "wipe"],
        targets=["github:x/y"],
        env="prod",
    )
    aws = Action("aws", "aws:s3:ListBuckets", agent=agent, effects=["read"], env="prod")
    log.record_decision(shell, Decision("allow", "build-dirs", policy_hash="sha256:aa"), correlation_id="c1")
    log.record_outcome("c1", exit_code=0, duration_ms=12.5)
    log.record_decision(mcp, Decision("approve", "prod-wipe", approvals=Approvals(2, "sre", 1800)), correlation_id="c2")
    log.append(ev.approval_event(ev.APPROVAL_GRANTED, request_id="r1", correlation_id="c2", action=mcp, approver="bob"))
    log.record_decision(aws, Decision("deny", "no-prod"), correlation_id="c3")
    log.record_outcome("c2", error="boom", duration_ms=3)
    log.append(ev.policy_event("sha256:bb", sources=["blastdoor.yaml"]))
    log.append(ev.agent_event(ev.AGENT_REVOKED, "agent-7", by="alice", reason="incident"))
    return list(log.entries())


def test_ocsf_events_validate_against_their_class_schema(log: AuditLog) -> None:
    classes = set()
    for entry in _sample(log):
        doc = export.to_ocsf(entry)
        errors = sorted(VALIDATORS[doc["class_uid"]].iter_errors(doc), key=str)
        assert not errors, f"{entry['event']['kind']}: {errors[0].message} at {list(errors[0].path)}"
        assert doc["type_uid"] == doc["class_uid"] * 100 + doc["activity_id"]
        classes.add(doc["class_uid"])
    assert classes == {6003, 1007}


def test_the_vendored_schema_rejects_what_ocsf_rejects(log: AuditLog) -> None:
    doc = export.to_ocsf(_sample(log)[0])
    assert doc["class_uid"] == 1007
    for field in ("actor", "process", "device", "metadata", "time"):
        broken = {k: v for k, v in doc.items() if k != field}
        assert list(VALIDATORS[1007].iter_errors(broken)), field
    assert list(VALIDATORS[1007].iter_errors({**doc, "severity_id": 7}))


def test_verdicts_map_to_security_control_fields(log: AuditLog) -> None:
    by_verdict = {}
    for entry in _sample(log):
        doc = export.to_ocsf(entry)
        if entry["event"]["kind"] == "decision":
            by_verdict[entry["event"]["verdict"]] = (doc["action_id"], doc["disposition_id"])
    assert by_verdict["allow"] == (1, 1)
    assert by_verdict["deny"] == (2, 2)
    assert by_verdict["approve"][1] == 14


def test_cloudevents_have_the_required_attributes(log: AuditLog) -> None:
    for entry in _sample(log):
        ce = export.to_cloudevent(entry, origin=log.origin)
        for attr in ("specversion", "id", "source", "type"):
            assert isinstance(ce[attr], str) and ce[attr]
        assert ce["specversion"] == "1.0"
        assert ce["data"] == entry
        assert all(k.isalnum() and k.islower() for k in ce)  # extension names: lower-case alphanumerics


def test_otlp_spans_pair_decisions_with_outcomes(log: AuditLog) -> None:
    doc = export.otlp_json(_sample(log), origin=log.origin)
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(spans) == 3
    by_name = {s["name"]: s for s in spans}
    ok = by_name["execute_tool shell:rm"]
    attrs = {a["key"]: a["value"] for a in ok["attributes"]}
    assert attrs["gen_ai.operation.name"] == {"stringValue": "execute_tool"}
    assert ok["status"] == {"code": 1}
    assert int(ok["endTimeUnixNano"]) >= int(ok["startTimeUnixNano"])
    assert by_name["execute_tool mcp:github/delete_repository"]["status"]["code"] == 2
    assert by_name["execute_tool aws:s3:ListBuckets"]["status"]["code"] == 2  # denied


def test_otel_sdk_emission(log: AuditLog) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from blastdoor.audit.otel import emit_spans

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert emit_spans(_sample(log), tracer_provider=provider) == 3
    names = sorted(s.name for s in exporter.get_finished_spans())
    assert names[0] == "execute_tool aws:s3:ListBuckets"
    assert all(
        s.attributes and s.attributes["gen_ai.operation.name"] == "execute_tool" for s in exporter.get_finished_spans()
    )


def test_secrets_never_reach_the_export(log: AuditLog) -> None:
    text = json.dumps(_sample(log))
    assert "ghp_aaaa" not in text
    assert "[REDACTED:hmac-sha256:" in text
