"""Governance: what the advisory asks a security lead for, generated from the policy and the log.

    scenario.py     drill scenarios as data (``scenarios/*.yaml``): steps an agent takes, with must-stop marks
    drill.py        a tabletop drill: each step judged and recorded, detection, containment, recovery
    live.py         the same drill against a running server (``--live URL``)
    boundary.py     the action-boundary statement per tool, and staff acknowledgements in the log
    controls.py     the control catalogue (SOC 2, ISO 27001, NIST AI RMF, ISO/IEC 42001, OWASP agentic)
    evidence.py     the evidence pack: controls citing events with inclusion proofs; ``verify``
    oscal.py        the pack as OSCAL assessment-results JSON
    pdf.py          the auditor memo as PDF

It reads what the core records (policy, audit log, approvals, agents) and is never on the hot path of
a decision; it sits above the server (a drill delivers alerts through the server's notifier).
"""
