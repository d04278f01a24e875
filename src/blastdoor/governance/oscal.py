"""The evidence pack as OSCAL 1.2 assessment-results JSON (NIST's Open Security Controls Assessment
Language), so GRC tools can ingest it: one result for the period, one finding per control with its
observation citing the audit log entries (by sequence number) that evidence it.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

OSCAL_VERSION = "1.2.1"
_NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # RFC 4122 URL namespace


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "blastdoor:" + ":".join(parts)))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def assessment_results(controls: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, Any]:
    """The OSCAL ``assessment-results`` document of an evidence pack."""
    now = _now()
    policy_hash = str(summary["policy"]["hash"])
    observations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for c in controls:
        ref = f"{c['framework']}:{c['id']}"
        obs_uuid = _uuid("obs", policy_hash, ref, now)
        links = [
            {"href": f"events.jsonl#seq={seq}", "rel": "evidence", "text": f"audit log entry {seq}"}
            for seq in c["cited"]
        ]
        obs: dict[str, Any] = {
            "uuid": obs_uuid,
            "title": f"{ref} evidence",
            "description": f"{c['mechanism']}. Cited audit log entries: {c['cited'] or 'none in the period'}.",
            "methods": ["EXAMINE"],
            "collected": now,
        }
        evidence = [{"href": f, "description": f"{f} in the evidence pack"} for f in c.get("attached", [])]
        if links:
            evidence.insert(
                0, {"href": "events.jsonl", "description": f"audit log entries {c['cited']} with inclusion proofs"}
            )
            obs["links"] = links
        if evidence:
            obs["relevant-evidence"] = evidence
        observations.append(obs)
        state = "satisfied" if c["cited"] or c.get("attached") else "not-satisfied"
        findings.append(
            {
                "uuid": _uuid("finding", policy_hash, ref, now),
                "title": f"{ref} {c['title']}",
                "description": c["mechanism"] + (f" Gap: {c['gap']}." if c.get("gap") else ""),
                "props": [{"name": "framework", "value": c["framework"], "ns": "https://blastdoor.dev/ns/oscal"}],
                "target": {
                    "type": "objective-id",
                    "target-id": c["id"].lower().replace(" ", "-").replace(":", "-"),
                    "status": {"state": state},
                },
                "related-observations": [{"observation-uuid": obs_uuid}],
            }
        )
    period = summary.get("period") or {}
    return {
        "assessment-results": {
            "uuid": _uuid("ar", policy_hash, now),
            "metadata": {
                "title": "blastdoor evidence pack: agent action boundary",
                "last-modified": now,
                "version": policy_hash,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {"href": "#blastdoor-action-boundary"},
            "results": [
                {
                    "uuid": _uuid("result", policy_hash, now),
                    "title": "Agent action boundary controls",
                    "description": f"Controls met for the log `{summary['origin']}`, policy {policy_hash}.",
                    "start": period.get("since") or now,
                    **({"end": period["until"]} if period.get("until") else {}),
                    "reviewed-controls": {
                        "control-selections": [
                            {"include-controls": [{"control-id": f["target"]["target-id"]} for f in findings]}
                        ]
                    },
                    "observations": observations,
                    "findings": findings,
                }
            ],
        }
    }
