"""The evidence pack: controls mapped to mechanisms, each citing recorded events, provable offline.

    build_pack(services, policy, out, since=, until=)   write the pack; returns its summary
    verify_pack(dir, trusted=())                        the problems found (empty: every cited event holds)

The pack (a directory)::

    controls.json                   each control: framework, id, mechanism, gap, cited sequence numbers
    events.jsonl                    the cited entries, byte for byte as the log stores them
    proofs/<seq>.json               an inclusion proof per cited entry (``AuditLog.prove``)
    checkpoint.txt                  the signed checkpoint every proof is made against
    verifier.txt                    the log's verifier key(s) (pin one out of band with ``--trust``)
    summary.json                    the period, the policy in force, decision and approval statistics
    boundary.md                     the action-boundary statement of the policy in force
    inventory.json, register.yaml   the fleet's latest inventory reports and the register, when present
    oscal-assessment-results.json   the same in OSCAL
    memo.md, memo.html, memo.pdf    the auditor memo
    manifest.txt                    a signed note (the log's key) over the SHA-256 of every other file

Uses only the audit log's public reading, proving and checking functions (``search``, ``checkpoint``,
``prove``, ``proofs.check_inclusion``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blastdoor.governance.controls import CONTROLS, matches

if TYPE_CHECKING:
    from collections.abc import Sequence

    from blastdoor.audit.checkpoint import Verifier
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.services import Services

SCHEMA = "blastdoor.evidence/v1"
CITE = 5  # events cited per evidence selector
SCAN = 100_000  # most events read for the period's statistics


def _period_events(services: Services, since: str, until: str) -> list[dict[str, Any]]:
    from blastdoor.audit.log import Query

    return services.log.search(Query(since=since, until=until, limit=SCAN), newest_first=True)


def build_pack(
    services: Services,
    policy: CompiledPolicy,
    out: str | os.PathLike[str],
    *,
    since: str = "",
    until: str = "",
    project: str = "",
    register: str = "",
) -> dict[str, Any]:
    """Write the evidence pack for ``[since, until]`` into ``out``; returns ``summary.json``'s content.

    ``register``: an agent register (``blastdoor inventory --write-register``) to include.
    """
    from blastdoor.audit.checkpoint import peek_checkpoint
    from blastdoor.errors import InputError, StoreError
    from blastdoor.governance.boundary import acknowledgements, enforcement, statement

    root = Path(out)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InputError(f"{root} exists and is not an empty directory: a pack is written into a new one")
    (root / "proofs").mkdir(parents=True, exist_ok=True)
    attached = _attach(services, root, register)
    entries = _period_events(services, since, until)
    controls: list[dict[str, Any]] = []
    cited: set[int] = set()
    for control in CONTROLS:
        seqs: list[int] = []
        for selector in control["evidence"]:
            found = [int(e["seq"]) for e in entries if matches(selector, e["event"])][:CITE]
            seqs.extend(s for s in found if s not in seqs)
        cited.update(seqs)
        files = [f for f in control.get("attachments", []) if f in attached]
        controls.append(
            {k: v for k, v in control.items() if k not in ("evidence", "attachments")}
            | {"cited": sorted(seqs), "attached": files}
        )
    note = services.log.checkpoint(force=True) or ""
    size = peek_checkpoint(note).size if note else 0
    events_lines: list[str] = []
    for seq in sorted(cited):
        # Against this checkpoint's size: another process may checkpoint a larger tree meanwhile.
        proof = services.log.prove(seq, size)
        if peek_checkpoint(note).root.hex() != proof["root"]:
            raise StoreError(f"the log's entries do not hash to its checkpoint at size {size}")
        proof["checkpoint"] = note
        (root / "proofs" / f"{seq}.json").write_text(json.dumps(proof, indent=1), encoding="utf-8")
        events_lines.append(str(proof["entry"]))
    (root / "events.jsonl").write_text("".join(line + "\n" for line in events_lines), encoding="utf-8")
    (root / "checkpoint.txt").write_text(note, encoding="utf-8")
    signer = services.log.keys.signer()
    keys = [signer.verifier, *(v for v in services.log.keys.trusted() if v != signer.verifier)]
    (root / "verifier.txt").write_text("".join(f"{v}\n" for v in keys), encoding="utf-8")
    (root / "controls.json").write_text(json.dumps(controls, indent=2), encoding="utf-8")
    summary = _summary(entries, policy, since, until, services)
    summary["acknowledgements"] = acknowledgements(
        services.log, policy, [str(p["name"]) for p in services.people.all()]
    )
    summary["inventory"] = attached.get("inventory.json")
    summary["register"] = attached.get("register.yaml")
    (root / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (root / "boundary.md").write_text(statement(policy) + "\n" + enforcement(project or os.getcwd()), encoding="utf-8")
    from blastdoor.governance.oscal import assessment_results

    oscal = assessment_results(controls, summary)
    (root / "oscal-assessment-results.json").write_text(json.dumps(oscal, indent=2), encoding="utf-8")
    from blastdoor.governance.pdf import write_memo

    write_memo(root / "memo.pdf", controls, summary)
    from blastdoor.governance.render import markdown_to_html

    memo = memo_markdown(controls, summary)
    (root / "memo.md").write_text(memo, encoding="utf-8")
    (root / "memo.html").write_text(markdown_to_html(memo, title="Auditor memo"), encoding="utf-8")
    from blastdoor.audit.checkpoint import sign_note

    manifest = f"{SCHEMA}\norigin {services.log.origin}\n" + "".join(
        f"{digest} {name}\n" for name, digest in _digests(root).items()
    )
    (root / MANIFEST).write_text(sign_note(manifest, [signer]), encoding="utf-8")
    return summary


MANIFEST = "manifest.txt"


def _digests(root: Path) -> dict[str, str]:
    """``{relative path: sha256 hex}`` of every file of the pack but the manifest, sorted."""
    import hashlib

    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name != MANIFEST:
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _check_manifest(root: Path, keys: Sequence[Verifier]) -> list[str]:
    from blastdoor.audit.checkpoint import NoteError, open_note

    try:
        text, _ = open_note((root / MANIFEST).read_text(encoding="utf-8"), keys)
    except (OSError, NoteError) as exc:
        return [f"manifest: {exc}"]
    lines = text.splitlines()
    if not lines or lines[0] != SCHEMA:
        return [f"manifest: not a {SCHEMA} manifest"]
    listed: dict[str, str] = {}
    for line in lines[2:]:
        digest, _, name = line.partition(" ")
        listed[name] = digest
    found = _digests(root)
    problems = [
        f"{name}: changed since the pack was signed" for name in listed if name in found and found[name] != listed[name]
    ]
    problems += [f"{name}: missing from the pack" for name in listed if name not in found]
    problems += [f"{name}: not in the signed manifest (added)" for name in found if name not in listed]
    return problems


def memo_markdown(controls: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """The auditor memo: risk category, controls in place with evidence, compensating controls, residual risk."""
    period = summary.get("period") or {}
    decisions = ", ".join(f"{k} {v}" for k, v in sorted(summary["decisions"].items())) or "none"
    acks = summary.get("acknowledgements") or {}
    out = [
        "# Auditor memo: AI agent action boundary",
        "",
        "**Risk category**: agentic AI with tool access (coding agents acting on infrastructure, data and code).",
        "",
        f"- Audit log `{summary['origin']}`, {summary['log_size']} entries",
        f"- Policy in force `{summary['policy']['hash']}`",
        f"- Period: {period.get('since') or 'start of the log'} to {period.get('until') or 'now'}",
        f"- Decisions in the period: {decisions}",
        f"- Policy tests: {summary['policy_tests']['passed']} of {summary['policy_tests']['run']} pass",
        f"- Drills recorded: {len(summary['drills'])}, passed: {sum(1 for d in summary['drills'] if d['passed'])}",
        f"- Approvals decided: {len(summary['approvals'])}; agents revoked: {len(summary['revocations'])}",
        f"- Boundary statement `{acks.get('version', '')}`: acknowledged by "
        + (", ".join(a["by"] for a in acks.get("acknowledged", [])) or "nobody yet"),
        "",
        "## Controls in place",
        "",
        "| framework | control | mechanism | evidence (log entries) |",
        "|---|---|---|---|",
    ]
    for c in controls:
        cited = ", ".join(map(str, c["cited"])) or "none in the period"
        out.append(f"| {c['framework']} | {c['id']} {c['title']} | {c['mechanism']} | {cited} |")
    out += ["", "## Compensating controls and residual risk", ""]
    out += [f"- {c['framework']} {c['id']}: {c['gap']}" for c in controls if c.get("gap")]
    out += [
        "",
        "Every cited entry carries an inclusion proof against the signed checkpoint in `checkpoint.txt`;",
        "`blastdoor evidence verify DIR` checks them offline.",
        "",
    ]
    return "\n".join(out)


def _summary(
    entries: list[dict[str, Any]], policy: CompiledPolicy, since: str, until: str, services: Services
) -> dict[str, Any]:
    verdicts: dict[str, int] = {}
    kinds: dict[str, int] = {}
    stopped: list[dict[str, Any]] = []
    for e in entries:
        ev = e["event"]
        kinds[ev.get("kind", "")] = kinds.get(ev.get("kind", ""), 0) + 1
        if ev.get("kind") == "decision":
            verdicts[ev.get("verdict", "")] = verdicts.get(ev.get("verdict", ""), 0) + 1
            if ev.get("verdict") in ("deny", "approve"):
                stopped.append(
                    {
                        "seq": e["seq"],
                        "time": e["time"],
                        "agent": ev.get("agent_id"),
                        "operation": ev.get("operation"),
                        "verdict": ev.get("verdict"),
                        "rule": ev.get("rule"),
                    }
                )

    def listed(kind: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            {"seq": e["seq"], "time": e["time"], **{k: e["event"].get(k) for k in keys}}
            for e in entries
            if e["event"].get("kind") == kind
        ][:200]

    return {
        "schema": SCHEMA,
        "period": {"since": since or None, "until": until or None},
        "policy_tests": _policy_tests(policy),
        "approvals": _approvals(entries),
        "revocations": listed("agent.revoked", ("agent_id", "by", "reason")),
        "drills": listed("governance.drill", ("scenario", "passed", "policy_hash", "stopped_at", "contained")),
        "origin": services.log.origin,
        "log_size": services.log.size(),
        "policy": {"hash": policy.hash, "sources": [{"layer": r, "path": p} for r, p, _ in policy.sources]},
        "events": kinds,
        "events_read": len(entries),
        "truncated": len(entries) >= SCAN,
        "decisions": verdicts,
        "denied_or_escalated": stopped[:200],
    }


def _attach(services: Services, root: Path, register: str) -> dict[str, Any]:
    """Copy the inventory (the fleet's reports in the store) and the register into the pack, when present."""
    attached: dict[str, Any] = {}
    try:
        from blastdoor.inventory.reports import InventoryReports

        reports = InventoryReports(services.store).all()
    except Exception:  # a store without the inventory table: nothing to attach, said in the summary
        reports = []
    if reports:
        (root / "inventory.json").write_text(json.dumps(reports, indent=2), encoding="utf-8")
        attached["inventory.json"] = {
            "hosts": len(reports),
            "agents": sum(len(r.get("agents") or []) for r in reports),
            "reaching_production": sum(1 for r in reports for a in r.get("agents") or [] if a.get("prod_credentials")),
        }
    if register:
        from blastdoor.errors import InputError

        try:
            data = Path(register).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the register {register}: {exc}") from exc
        (root / "register.yaml").write_bytes(data)
        attached["register.yaml"] = {"from": register, "bytes": len(data)}
    return attached


def _approvals(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Approvals granted or denied: who, when, for which request and action."""
    out = []
    for e in entries:
        ev = e["event"]
        if ev.get("kind") not in ("approval.granted", "approval.denied"):
            continue
        approval = ev.get("approval") if isinstance(ev.get("approval"), dict) else {}
        out.append(
            {
                "seq": e["seq"],
                "time": e["time"],
                "kind": ev["kind"],
                "request_id": approval.get("request_id"),
                "approver": approval.get("approver"),
                "approvers": ev.get("approvers"),
                "agent_id": ev.get("agent_id"),
                "operation": ev.get("operation"),
                "env": ev.get("env"),
            }
        )
    return out[:200]


def _policy_tests(policy: CompiledPolicy) -> dict[str, Any]:
    """The policy's own ``tests:`` (not the baselines'), run now against the policy in force."""
    from blastdoor.action.shorthand import action_from_spec
    from blastdoor.pipeline import evaluate
    from blastdoor.policy.testing import Case, run_cases

    cases = [Case(f, line, t) for f, line, t in policy.tests if not f.startswith("<")]
    results = run_cases(cases, action_from_spec, lambda action: evaluate(policy, action)[1])
    failed = [r.to_dict() for r in results if not r.passed]
    return {"run": len(results), "passed": len(results) - len(failed), "failed": failed}


def verify_pack(directory: str | os.PathLike[str], trusted: Sequence[Verifier] = ()) -> tuple[list[str], int]:
    """Check every cited event of the pack offline; returns ``(problems, events checked)``.

    The signed manifest must hold (every file of the pack unchanged, none added or removed), and
    each cited sequence number must have a proof that holds against the pack's signed checkpoint under
    ``trusted`` keys (default: the pack's own ``verifier.txt``), and ``events.jsonl`` must hold exactly
    the proven entries.
    """
    from blastdoor.audit.checkpoint import NoteError, Verifier
    from blastdoor.audit.merkle import ProofError
    from blastdoor.audit.proofs import check_inclusion

    root = Path(directory)
    problems: list[str] = []
    try:
        controls = json.loads((root / "controls.json").read_text(encoding="utf-8"))
        note = (root / "checkpoint.txt").read_text(encoding="utf-8")
        lines = (root / "events.jsonl").read_text(encoding="utf-8").splitlines()
        keys = list(trusted) or [Verifier.parse(k) for k in (root / "verifier.txt").read_text(encoding="utf-8").split()]
    except (OSError, ValueError, NoteError) as exc:
        return [f"the pack cannot be read: {exc}"], 0
    problems.extend(_check_manifest(root, keys))
    cited = sorted({int(s) for c in controls for s in c.get("cited", [])})
    if not cited:
        return problems + ([] if not lines else ["events.jsonl holds entries no control cites"]), 0
    if not note or not keys:
        return [*problems, "the pack has no signed checkpoint or no verifier key"], 0
    proven: list[str] = []
    for seq in cited:
        path = root / "proofs" / f"{seq}.json"
        try:
            proof = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"entry {seq}: no readable proof ({exc})")
            continue
        if proof.get("checkpoint") != note or int(proof.get("seq", -1)) != seq:
            problems.append(f"entry {seq}: the proof is not for this entry against the pack's checkpoint")
            continue
        try:
            check_inclusion(proof, keys)
        except ProofError as exc:
            problems.append(f"entry {seq}: {exc}")
            continue
        proven.append(str(proof["entry"]))
    if sorted(lines) != sorted(proven):
        problems.append("events.jsonl does not hold exactly the proven entries (an event was changed or added)")
    return problems, len(cited)
