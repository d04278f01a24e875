"""The control catalogue: each framework control, the blastdoor mechanism that meets it, and which
recorded events are its evidence (by event kind and verdict). Mappings are stated only where the
mechanism really does what the control asks; what it does not cover is said in ``gap``.
"""

from __future__ import annotations

from typing import Any

# evidence: event selectors, each {"kind": ..., "verdict"?: ...}; the pack cites matching events.
# attachments: files of the pack that are evidence too, when present (the inventory, the register).
CONTROLS: list[dict[str, Any]] = [
    {
        "framework": "SOC 2",
        "id": "CC6.1",
        "title": "Logical access security over protected information assets",
        "mechanism": "every agent action is classified and judged by the policy before it runs (hook, gateway, exec)",
        "evidence": [{"kind": "decision", "verdict": "deny"}, {"kind": "decision", "verdict": "approve"}],
        "gap": "harnesses without blastdoor's hook are not covered (see `blastdoor coverage`)",
    },
    {
        "framework": "SOC 2",
        "id": "CC6.3",
        "title": "Access is authorized, modified or removed based on roles and least privilege",
        "mechanism": "approvals by named people of a group; agents never approve; the kill switch revokes an agent",
        "evidence": [{"kind": "approval.granted"}, {"kind": "agent.revoked"}, {"kind": "approval.requested"}],
        "gap": "the cloud credentials an agent holds are not narrowed by blastdoor",
    },
    {
        "framework": "SOC 2",
        "id": "CC7.1",
        "title": "Detection of configuration changes and new vulnerabilities",
        "mechanism": "the policy in force is recorded by digest (policy.loaded); drills run as policy regression tests",
        "evidence": [{"kind": "policy.loaded"}, {"kind": "governance.drill"}],
        "gap": "",
    },
    {
        "framework": "SOC 2",
        "id": "CC7.2",
        "title": "Monitoring of system components for anomalies",
        "mechanism": "tamper-evident audit log (RFC 6962, signed checkpoints); approval requests pushed to webhooks",
        "evidence": [{"kind": "decision", "verdict": "deny"}, {"kind": "checkpoint"}],
        "gap": "denials are recorded and exportable (OCSF, OTLP) but not pushed to webhooks",
    },
    {
        "framework": "SOC 2",
        "id": "CC8.1",
        "title": "Changes to infrastructure are authorized, tested and approved",
        "mechanism": "production changes need an approval bound to the action's digest, used once",
        "evidence": [
            {"kind": "approval.requested"},
            {"kind": "approval.granted"},
            {"kind": "decision", "verdict": "approve"},
        ],
        "gap": "",
    },
    {
        "framework": "SOC 2",
        "id": "CC9.2",
        "title": "Risks from vendors and business partners are assessed and managed",
        "mechanism": "third-party harnesses and MCP servers act only through the boundary, stated per tool",
        "evidence": [{"kind": "governance.acknowledged"}, {"kind": "decision"}],
        "gap": "vendor assessment itself is outside blastdoor",
    },
    {
        "framework": "ISO 27001:2022",
        "id": "A.5.37",
        "title": "Documented operating procedures",
        "mechanism": "the boundary statement generated from the policy in force; staff acknowledgements in the log",
        "evidence": [{"kind": "governance.acknowledged"}, {"kind": "policy.loaded"}],
        "gap": "",
    },
    {
        "framework": "ISO 27001:2022",
        "id": "A.8.8",
        "title": "Management of technical vulnerabilities",
        "mechanism": "drills of destructive scenarios against the policy; policy tests in CI",
        "evidence": [{"kind": "governance.drill"}],
        "gap": "software vulnerability scanning is outside blastdoor",
    },
    {
        "framework": "ISO 27001:2022",
        "id": "A.8.9",
        "title": "Configuration management",
        "mechanism": "policy as code, versioned by digest; every decision names the policy hash that made it",
        "evidence": [{"kind": "policy.loaded"}, {"kind": "decision"}],
        "gap": "",
    },
    {
        "framework": "NIST AI RMF",
        "id": "GOVERN 1.4",
        "title": "Risk management is established through transparent policies and controls",
        "mechanism": "the policy and its boundary statement, acknowledged by staff",
        "evidence": [{"kind": "governance.acknowledged"}],
        "gap": "",
    },
    {
        "framework": "NIST AI RMF",
        "id": "GOVERN 1.6",
        "title": "Mechanisms are in place to inventory AI systems",
        "mechanism": "`blastdoor inventory`: the agents on each host, their tier and production reach (the fleet "
        "view); the agents seen in the audit log",
        "evidence": [],
        "attachments": ["inventory.json", "register.yaml"],
        "gap": "hosts that never submitted an inventory are not listed",
    },
    {
        "framework": "NIST AI RMF",
        "id": "MANAGE 2.4",
        "title": "Mechanisms to supersede, disengage or deactivate AI systems",
        "mechanism": "the kill switch (`blastdoor agents revoke`), checked on every decision",
        "evidence": [{"kind": "agent.revoked"}],
        "gap": "",
    },
    {
        "framework": "NIST AI RMF",
        "id": "MEASURE 2.7",
        "title": "AI system security and resilience are evaluated and documented",
        "mechanism": "tabletop drills with detection, containment and recovery results",
        "evidence": [{"kind": "governance.drill"}],
        "gap": "",
    },
    {
        "framework": "ISO/IEC 42001",
        "id": "A.6.2.6",
        "title": "AI system operation and monitoring",
        "mechanism": "every agent action recorded in a tamper-evident log before it runs",
        "evidence": [{"kind": "decision"}, {"kind": "checkpoint"}],
        "gap": "",
    },
    {
        "framework": "ISO/IEC 42001",
        "id": "A.9.2",
        "title": "Processes for responsible use of AI systems",
        "mechanism": "the action-boundary statement and its acknowledgements",
        "evidence": [{"kind": "governance.acknowledged"}],
        "gap": "",
    },
    {
        "framework": "OWASP Top 10 for Agentic Applications",
        "id": "ASI02",
        "title": "Tool misuse and exploitation",
        "mechanism": "each tool call classified by what it really does and judged by the policy",
        "evidence": [{"kind": "decision", "verdict": "deny"}],
        "gap": "",
    },
    {
        "framework": "OWASP Top 10 for Agentic Applications",
        "id": "ASI03",
        "title": "Identity and privilege abuse",
        "mechanism": "privilege and production changes escalate to people; agents cannot approve; revocation",
        "evidence": [{"kind": "decision", "verdict": "approve"}, {"kind": "agent.revoked"}],
        "gap": "",
    },
    {
        "framework": "OWASP Top 10 for Agentic Applications",
        "id": "ASI10",
        "title": "Rogue agents",
        "mechanism": "the kill switch, and edits to the guard (policy, hooks, BLASTDOOR_* variables) escalated",
        "evidence": [{"kind": "agent.revoked"}, {"kind": "governance.drill"}],
        "gap": "",
    },
]


def matches(selector: dict[str, Any], event: dict[str, Any]) -> bool:
    """True when ``event`` is of the selector's kind (and verdict, when it names one)."""
    if event.get("kind") != selector["kind"]:
        return False
    return "verdict" not in selector or event.get("verdict") == selector["verdict"]
