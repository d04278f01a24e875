"""Exports: log entries as OCSF 1.8, CloudEvents 1.0, and OpenTelemetry ``execute_tool`` spans.

Pure functions from an entry (``{"event", "seq", "time"}``) to a JSON-ready dict. JSON lines and the
verifiable bundle need no conversion: an entry is already its own canonical JSON.

OCSF classes: actions of the ``shell`` tool are Process Activity (1007, activity Launch); everything
else is API Activity (6003). The verdict maps onto the security-control profile (``action_id``,
``disposition_id``); blastdoor-specific fields go to ``unmapped``.

OpenTelemetry: the spans follow the GenAI semantic conventions (``gen_ai.operation.name`` =
``execute_tool``), one span per decision, closed by its outcome, written as OTLP/JSON so no SDK is
needed to produce the file; ``blastdoor.audit.otel`` sends them through the SDK (extra ``otel``).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from blastdoor import __version__
from blastdoor.audit.events import APPROVAL_DENIED, APPROVAL_GRANTED, DECISION, OUTCOME, parse_time

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

JSON = Any

OCSF_VERSION = "1.8.0"
API_ACTIVITY = 6003
PROCESS_ACTIVITY = 1007
_PRODUCT = {"name": "blastdoor", "vendor_name": "blastdoor", "version": __version__}

# verdict -> (action_id, action, disposition_id, disposition) of OCSF's security-control profile
_VERDICT = {
    "allow": (1, "Allowed", 1, "Allowed"),
    "deny": (2, "Denied", 2, "Blocked"),
    "ask": (99, "Other", 23, "Challenge"),
    "approve": (99, "Other", 14, "Delayed"),
}
# API Activity activity_id by the action's effects: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
_API_ACTIVITY = (("delete", 4, "Delete"), ("wipe", 4, "Delete"), ("create", 1, "Create"), ("write", 3, "Update"))


def _ms(time: str) -> int:
    return parse_time(time) // 1_000_000


def _severity(event: dict[str, JSON]) -> tuple[int, str]:
    effects = set(event.get("effects") or ())
    verdict = event.get("verdict", "")
    if effects & {"wipe"}:
        return 5, "Critical"
    if effects & {"irreversible", "privilege", "exfiltrate", "remote_exec"} or verdict == "deny":
        return 4, "High"
    if effects & {"delete", "deploy", "secrets", "persist"} or verdict == "approve":
        return 3, "Medium"
    if effects - {"read"}:
        return 2, "Low"
    return 1, "Informational"


def _person_of(event: dict[str, JSON]) -> str | None:
    """The person who acted, for events a person causes (not an agent): votes, people and agent changes.

    ``None`` for an agent's decisions and outcomes (their actor is the agent)."""
    kind = str(event.get("kind") or "")
    if kind in (APPROVAL_GRANTED, APPROVAL_DENIED):
        return str((event.get("approval") or {}).get("approver") or "unknown")
    if kind.startswith(("person.", "agent.", "policy.")) or (kind.startswith("key.") and "by" in event):
        return str(event.get("by") or "unknown")
    return None


def _actor(event: dict[str, JSON]) -> dict[str, JSON]:
    person = _person_of(event)
    if person is not None:
        # A person acted (through the CLI, the API or the web inbox): OCSF user type 1 (User).
        return {"app_name": "blastdoor", "user": {"uid": person, "name": person, "type_id": 1, "type": "User"}}
    agent = event.get("agent") or {}
    agent_id = event.get("agent_id") or agent.get("id") or "unknown"
    actor: dict[str, JSON] = {
        "app_name": event.get("harness") or agent.get("harness") or "unknown",
        "user": {"uid": agent_id, "name": agent_id, "type_id": 99, "type": "Other"},
    }
    if agent.get("session"):
        actor["session"] = {"uid": agent["session"]}
    if agent.get("on_behalf_of"):
        actor["authorizations"] = [{"decision": "on behalf of " + str(agent["on_behalf_of"])}]
    return actor


def _subjects(event: dict[str, JSON]) -> list[dict[str, JSON]]:
    """What a person's act was about, as OCSF resources: the person or agent changed, the request voted on."""
    kind = str(event.get("kind") or "")
    if kind.startswith("person.") and event.get("person"):
        name = str(event["person"])
        return [{"uid": f"person:{name}", "name": name, "type": "person"}]
    if kind.startswith("agent.") and event.get("agent_id"):
        agent_id = str(event["agent_id"])
        return [{"uid": f"agent:{agent_id}", "name": agent_id, "type": "agent"}]
    return []


def to_ocsf(entry: dict[str, JSON]) -> dict[str, JSON]:
    """One entry as an OCSF 1.8 event: Process Activity for shell actions, API Activity otherwise."""
    event: dict[str, JSON] = entry["event"]
    kind = event.get("kind", "")
    action: dict[str, JSON] = event.get("action") or {}
    sev_id, sev = _severity(event)
    metadata: dict[str, JSON] = {
        "version": OCSF_VERSION,
        "product": _PRODUCT,
        "uid": str(entry["seq"]),
        "log_name": "blastdoor.audit",
        "event_code": kind,
        "logged_time": _ms(entry["time"]),
        "profiles": ["security_control"],
    }
    if event.get("correlation_id"):
        metadata["correlation_uid"] = event["correlation_id"]
    out: dict[str, JSON] = {
        "time": _ms(entry["time"]),
        "time_dt": entry["time"],
        "severity_id": sev_id,
        "severity": sev,
        "metadata": metadata,
        "actor": _actor(event),
        "message": f"{kind} {event.get('operation', '')} {event.get('verdict', '')}".strip(),
        "unmapped": {
            "seq": entry["seq"],
            "kind": kind,
            "rule": event.get("rule", ""),
            "env": event.get("env", ""),
            "policy_hash": event.get("policy_hash", ""),
            "approvers": event.get("approvers", []),
            "effects": event.get("effects", []),
        },
    }
    verdict = event.get("verdict", "")
    if verdict in _VERDICT:
        a_id, a_name, d_id, d_name = _VERDICT[verdict]
        out.update(action_id=a_id, action=a_name, disposition_id=d_id, disposition=d_name)
    if kind == OUTCOME:
        outcome = event.get("outcome") or {}
        failed = event.get("status") == "error"
        out.update(status_id=2 if failed else 1, status="Failure" if failed else "Success")
        if "exit_code" in outcome:
            out["status_code"] = str(outcome["exit_code"])
        if outcome.get("error"):
            out["status_detail"] = str(outcome["error"])
        if "duration_ms" in outcome:
            out["duration"] = int(outcome["duration_ms"])
    if event.get("tool") == "shell":
        return _process_activity(out, event, action)
    out = _api_activity(out, event, action)
    subjects = _subjects(event)
    if subjects:
        out["resources"] = [*subjects, *(out.get("resources") or ())]
        out["message"] = f"{kind} {subjects[0]['name']} by {out['actor']['user']['name']}"
    return out


def _device(event: dict[str, JSON]) -> dict[str, JSON]:
    host = (event.get("agent") or {}).get("host") or "unknown"
    return {"hostname": host, "type_id": 0, "type": "Unknown"}


def _process_activity(out: dict[str, JSON], event: dict[str, JSON], action: dict[str, JSON]) -> dict[str, JSON]:
    argv = (action.get("args") or {}).get("argv") if isinstance(action.get("args"), dict) else None
    cmd = action.get("raw") or " ".join(str(a) for a in argv or ()) or event.get("operation", "")
    name = str(argv[0]) if argv else str(event.get("operation", "shell")).split(":")[-1]
    process: dict[str, JSON] = {"name": name, "cmd_line": cmd}
    if action.get("cwd"):
        process["working_directory"] = action["cwd"]
    out.update(
        class_uid=PROCESS_ACTIVITY,
        class_name="Process Activity",
        category_uid=1,
        category_name="System Activity",
        activity_id=1,
        activity_name="Launch",
        type_uid=PROCESS_ACTIVITY * 100 + 1,
        type_name="Process Activity: Launch",
        process=process,
        device=_device(event),
    )
    return out


def _api_activity(out: dict[str, JSON], event: dict[str, JSON], action: dict[str, JSON]) -> dict[str, JSON]:
    effects = set(event.get("effects") or ())
    activity_id, activity = 99, "Other"
    if effects == {"read"}:
        activity_id, activity = 2, "Read"
    else:
        for effect, a_id, a_name in _API_ACTIVITY:
            if effect in effects:
                activity_id, activity = a_id, a_name
                break
    operation = str(event.get("operation") or event.get("kind") or "unknown")
    api: dict[str, JSON] = {"operation": operation}
    if event.get("tool"):
        api["service"] = {"name": event["tool"]}
    resources = [{"uid": t, "name": t} for t in event.get("targets") or ()]
    provider = "AWS" if event.get("tool") == "aws" else "blastdoor"
    out.update(
        class_uid=API_ACTIVITY,
        class_name="API Activity",
        category_uid=6,
        category_name="Application Activity",
        activity_id=activity_id,
        activity_name=activity,
        type_uid=API_ACTIVITY * 100 + activity_id,
        type_name=f"API Activity: {activity}",
        api=api,
        cloud={"provider": provider},
        src_endpoint={"hostname": (event.get("agent") or {}).get("host") or "unknown"},
    )
    if resources:
        out["resources"] = resources
    return out


def to_cloudevent(entry: dict[str, JSON], *, origin: str) -> dict[str, JSON]:
    """One entry as a CloudEvents 1.0 event in JSON format (structured mode)."""
    event: dict[str, JSON] = entry["event"]
    ce: dict[str, JSON] = {
        "specversion": "1.0",
        "id": f"{origin}/{entry['seq']}",
        "source": f"urn:blastdoor:{origin}",
        "type": f"dev.blastdoor.audit.{event.get('kind', 'event')}.v{event.get('v', 1)}",
        "time": entry["time"],
        "datacontenttype": "application/json",
        "sequence": str(entry["seq"]),
        "data": entry,
    }
    if event.get("operation"):
        ce["subject"] = event["operation"]
    if event.get("correlation_id"):
        ce["correlationid"] = event["correlation_id"]
    return ce


# -- OpenTelemetry ---------------------------------------------------------------------------------


def _ids(correlation: str, seq: int) -> tuple[str, str]:
    trace = hashlib.sha256(b"trace:" + (correlation or f"seq:{seq}").encode()).hexdigest()[:32]
    span = hashlib.sha256(b"span:" + (correlation or f"seq:{seq}").encode()).hexdigest()[:16]
    return trace, span


def _attr(key: str, value: JSON) -> dict[str, JSON]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": str(v)} for v in value]}}}
    return {"key": key, "value": {"stringValue": str(value)}}


def tool_spans(entries: Iterable[dict[str, JSON]]) -> Iterator[dict[str, JSON]]:
    """``execute_tool`` spans: one per decision, ended by its outcome (or at the decision)."""
    open_spans: dict[str, dict[str, JSON]] = {}
    done: list[dict[str, JSON]] = []
    for entry in entries:
        event = entry["event"]
        kind = event.get("kind")
        cid = event.get("correlation_id") or ""
        if kind == DECISION:
            trace, span = _ids(cid, entry["seq"])
            ns = str(parse_time(entry["time"]))
            tool = str(event.get("operation") or event.get("tool") or "tool")
            s: dict[str, JSON] = {
                "traceId": trace,
                "spanId": span,
                "name": f"execute_tool {tool}",
                "kind": 1,  # SPAN_KIND_INTERNAL
                "startTimeUnixNano": ns,
                "endTimeUnixNano": ns,
                "attributes": [
                    _attr("gen_ai.operation.name", "execute_tool"),
                    _attr("gen_ai.tool.name", tool),
                    _attr("gen_ai.tool.call.id", cid),
                    _attr("gen_ai.agent.id", event.get("agent_id", "")),
                    _attr("blastdoor.verdict", event.get("verdict", "")),
                    _attr("blastdoor.rule", event.get("rule", "")),
                    _attr("blastdoor.env", event.get("env", "")),
                    _attr("blastdoor.effects", event.get("effects", [])),
                    _attr("blastdoor.seq", entry["seq"]),
                ],
                "status": {"code": 2, "message": "denied by policy"} if event.get("verdict") == "deny" else {"code": 0},
            }
            if cid:
                open_spans[cid] = s
            done.append(s)
        elif kind == OUTCOME and cid in open_spans:
            s = open_spans.pop(cid)
            s["endTimeUnixNano"] = str(parse_time(entry["time"]))
            outcome = event.get("outcome") or {}
            if event.get("status") == "error":
                s["status"] = {"code": 2, "message": str(outcome.get("error") or f"exit {outcome.get('exit_code')}")}
                s["attributes"].append(_attr("error.type", "tool_error"))
            else:
                s["status"] = {"code": 1}
            if "exit_code" in outcome:
                s["attributes"].append(_attr("process.exit.code", outcome["exit_code"]))
    yield from done


def otlp_json(entries: Iterable[dict[str, JSON]], *, origin: str) -> dict[str, JSON]:
    """An OTLP/JSON ``ExportTraceServiceRequest`` holding the ``execute_tool`` spans of ``entries``."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attr("service.name", "blastdoor"), _attr("blastdoor.log", origin)]},
                "scopeSpans": [
                    {
                        "scope": {"name": "blastdoor.audit", "version": __version__},
                        "spans": list(tool_spans(entries)),
                    }
                ],
            }
        ]
    }
