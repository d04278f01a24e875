"""The evidence pack on a log built here: proofs verify offline, tampering fails, the PDF renders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from blastdoor.cli import exits
from blastdoor.cli.main import main

POLICY = """\
version: 1
extends: [recommended]
environments:
  prod:
    aws_accounts: ["111122223333"]
"""


def _build(tmp_path: Path, capsys: Any, *, write_policy: bool = True) -> Path:
    policy = tmp_path / "blastdoor.yaml"
    if write_policy:
        policy.write_text(POLICY)
    db = str(tmp_path / "log.db")
    # a log with decisions of every kind, a revocation and an acknowledgement, through the CLI
    drill = ["drill", "incident-stack-recreate", "--policy", str(policy), "--no-cache", "--db", db, "--record"]
    assert main(drill) == 0
    assert main(["boundary", "acknowledge", "--policy", str(policy), "--db", db]) == 0
    out = tmp_path / "pack"
    assert main(["evidence", "--policy", str(policy), "--db", db, "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_the_pack_verifies_and_tampering_fails(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    pack = _build(tmp_path, capsys)
    controls = json.loads((pack / "controls.json").read_text())
    ids = {c["id"] for c in controls}
    assert {"CC6.1", "CC6.3", "CC7.1", "CC7.2", "CC8.1", "CC9.2", "A.5.37", "A.8.8", "A.8.9"} <= ids
    assert {c["framework"] for c in controls} >= {
        "NIST AI RMF",
        "ISO/IEC 42001",
        "OWASP Top 10 for Agentic Applications",
    }
    cited = {s for c in controls for s in c["cited"]}
    assert cited, "the controls cite events of the log"
    by_id = {c["id"]: c for c in controls}
    events = {json.loads(line)["seq"]: json.loads(line)["event"] for line in (pack / "events.jsonl").open()}
    assert any(events[s]["kind"] == "governance.drill" for s in by_id["A.8.8"]["cited"]), "the drill is evidence"
    assert any(events[s]["kind"] == "agent.revoked" for s in by_id["MANAGE 2.4"]["cited"])
    assert all(events[s].get("verdict") == "deny" for s in by_id["ASI02"]["cited"])
    assert main(["evidence", "verify", str(pack)]) == 0
    summary = json.loads((pack / "summary.json").read_text())
    assert summary["acknowledgements"]["acknowledged"], "the acknowledgement is in the pack"

    # tamper with one cited event: its verdict
    bad = tmp_path / "bad"
    shutil.copytree(pack, bad)
    seq = min(cited)
    proof_path = bad / "proofs" / f"{seq}.json"
    proof = json.loads(proof_path.read_text())
    entry = json.loads(proof["entry"])
    entry["event"]["by"] = "someone-else"
    entry["event"]["verdict"] = "allow"
    proof["entry"] = json.dumps(entry, separators=(",", ":"), sort_keys=True)
    proof.pop("leaf_hash", None)
    proof_path.write_text(json.dumps(proof))
    capsys.readouterr()
    assert main(["evidence", "verify", str(bad)]) == 1
    assert f"entry {seq}" in capsys.readouterr().out

    # or only in events.jsonl
    bad2 = tmp_path / "bad2"
    shutil.copytree(pack, bad2)
    lines = (bad2 / "events.jsonl").read_text().splitlines()
    lines[0] = lines[0].replace('"kind"', '"kind" ', 1)
    (bad2 / "events.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["evidence", "verify", str(bad2)]) == 1


def test_the_oscal_and_the_pdf(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    pack = _build(tmp_path, capsys)
    from trestle.oscal.assessment_results import Model

    whole = json.loads((pack / "oscal-assessment-results.json").read_text())
    Model.model_validate(whole)  # the OSCAL models generated from NIST's published JSON schema (strict)
    whole["assessment-results"]["results"][0]["findings"][0]["verdict"] = "fine"
    with pytest.raises(ValueError):
        Model.model_validate(whole)  # the validation has teeth: an unknown field is refused
    doc = json.loads((pack / "oscal-assessment-results.json").read_text())["assessment-results"]
    assert doc["metadata"]["oscal-version"] == "1.2.1"
    (result,) = doc["results"]
    obs = {o["uuid"] for o in result["observations"]}
    assert all(r["observation-uuid"] in obs for f in result["findings"] for r in f["related-observations"])
    assert len(result["findings"]) == len(json.loads((pack / "controls.json").read_text()))
    pdf = pack / "memo.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for page in pages:
        img = Image.open(page).convert("L")
        assert abs(img.height / img.width - 297 / 210) < 0.01, "A4 pages"
        assert sum(img.histogram()[:128]) > 50, f"{page.name} is blank"
    first = Image.open(pages[0]).convert("L")
    title = first.crop((0, 0, first.width, first.height // 12))
    assert sum(title.histogram()[:128]) > 100, "the first page starts with the memo's title"
    rows = [first.crop((0, y, first.width, y + 1)) for y in range(first.height)]
    inked = sum(1 for r in rows if min(r.getextrema()) < 128)
    assert inked > first.height // 4, "the first page holds the control list, not a few stray lines"


def _verifier(pack: Path) -> str:
    return (pack / "verifier.txt").read_text().split()[0]


def test_the_signed_manifest_catches_a_quiet_edit(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    pack = _build(tmp_path, capsys)
    # an insider drops the deny decisions from the controls and from events.jsonl: consistent, but unsigned
    controls = json.loads((pack / "controls.json").read_text())
    denied = set(next(c for c in controls if c["id"] == "ASI02")["cited"])
    assert denied
    for c in controls:
        c["cited"] = [s for s in c["cited"] if s not in denied]
    (pack / "controls.json").write_text(json.dumps(controls, indent=2))
    kept = [ln for ln in (pack / "events.jsonl").read_text().splitlines() if json.loads(ln)["seq"] not in denied]
    (pack / "events.jsonl").write_text("".join(ln + "\n" for ln in kept))
    for seq in denied:
        (pack / "proofs" / f"{seq}.json").unlink()
    capsys.readouterr()
    assert main(["evidence", "verify", str(pack)]) == 1
    out = capsys.readouterr().out
    assert "controls.json: changed" in out and "missing from the pack" in out


def test_a_pack_from_another_log_fails_under_the_pinned_key(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "a" / "home"))
    (tmp_path / "a").mkdir()
    real = _build(tmp_path / "a", capsys)
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "b" / "home"))
    (tmp_path / "b").mkdir()
    forged = _build(tmp_path / "b", capsys)
    assert _verifier(real) != _verifier(forged)
    assert main(["evidence", "verify", str(forged)]) == 0, "self-consistent on its own key"
    assert main(["evidence", "verify", str(forged), "--trust", _verifier(real)]) == 1
    assert main(["evidence", "verify", str(real), "--trust", _verifier(real)]) == 0
    (real / "notes.txt").write_text("added later")
    assert main(["evidence", "verify", str(real), "--trust", _verifier(real)]) == 1


def test_the_summary_lists_what_the_log_holds(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    (tmp_path / "blastdoor.yaml").write_text(
        POLICY + "tests:\n  - { action: { shell: 'rm -rf /' }, expect: deny }\n"
        "  - { action: { shell: 'ls' }, expect: deny }\n"
    )
    pack = _build(tmp_path, capsys, write_policy=False)
    summary = json.loads((pack / "summary.json").read_text())
    assert summary["policy_tests"]["run"] == 2 and summary["policy_tests"]["passed"] == 1
    assert summary["policy_tests"]["failed"][0]["got"] == "allow"
    assert [r["agent_id"] for r in summary["revocations"]] == ["drill-agent-operator"]
    (drill,) = summary["drills"]
    assert drill["scenario"] == "incident-stack-recreate" and drill["passed"] and drill["contained"]
    stopped = {(d["operation"], d["verdict"]) for d in summary["denied_or_escalated"]}
    assert any(v == "deny" for _, v in stopped) and any(v == "approve" for _, v in stopped)


def test_the_inventory_and_the_register_are_evidence(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    from trestle.oscal.assessment_results import Model

    from blastdoor.inventory.reports import InventoryReports, normalise
    from blastdoor.services import open_services

    home = tmp_path / "home"
    monkeypatch.setenv("BLASTDOOR_HOME", str(home / ".blastdoor"))
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text('{"permissions": {"allow": ["Bash(*)"]}}')
    db = str(tmp_path / "log.db")
    assert main(["inventory", "--json", "--home", str(home), str(tmp_path)]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    with open_services(db) as services:
        InventoryReports(services.store).put(normalise(report), by="lead", now=1.0)
    register = tmp_path / "agents.yaml"
    assert main(["inventory", "--home", str(home), str(tmp_path), "--write-register", str(register)]) in (0, 1)
    policy = tmp_path / "blastdoor.yaml"
    policy.write_text(POLICY)
    out = tmp_path / "pack"
    args = ["evidence", "--policy", str(policy), "--db", db, "--out", str(out), "--register", str(register)]
    assert main(args) == 0
    capsys.readouterr()
    govern = next(c for c in json.loads((out / "controls.json").read_text()) if c["id"] == "GOVERN 1.6")
    assert govern["attached"] == ["inventory.json", "register.yaml"]
    assert json.loads((out / "inventory.json").read_text())[0]["agents"], "the fleet's agents are in the pack"
    assert (out / "register.yaml").read_bytes() == register.read_bytes()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inventory"]["hosts"] == 1 and summary["inventory"]["agents"] >= 1
    whole = json.loads((out / "oscal-assessment-results.json").read_text())
    Model.model_validate(whole)
    assert main(["evidence", "verify", str(out)]) == 0
    (out / "register.yaml").write_text("agents: []\n")  # the register is under the signed manifest too
    assert main(["evidence", "verify", str(out)]) == 1


def test_another_process_checkpointing_meanwhile(tmp_path: Path, monkeypatch: Any) -> None:
    # A server checkpoints a larger tree while the pack is written: the proofs stay against the pack's
    # own checkpoint, and the pack verifies.
    from blastdoor.governance.evidence import build_pack, verify_pack
    from blastdoor.policy import load_policy
    from blastdoor.services import Services
    from blastdoor.store import open_log

    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    policy = load_policy(str(tmp_path), project=str(tmp_path / "blastdoor.yaml"), managed="none", use_cache=False)
    services = Services(open_log(str(tmp_path / "log.db"), checkpoint_on_close=False))
    try:
        services.agents.revoke("agent-x", by="lead", reason="test")
        original = services.log.checkpoint

        def racing(*, force: bool = False) -> str | None:
            mine = original(force=force)
            services.agents.revoke("agent-y", by="lead", reason="meanwhile")  # another process appends
            original(force=True)  # ... and checkpoints a larger tree
            return mine

        monkeypatch.setattr(services.log, "checkpoint", racing)
        build_pack(services, policy, tmp_path / "pack")
    finally:
        services.close()
    problems, checked = verify_pack(tmp_path / "pack")
    assert problems == [] and checked >= 1


def test_a_pack_is_never_written_over_another(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    pack = _build(tmp_path, capsys)
    before = {p: p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    policy = tmp_path / "blastdoor.yaml"
    code = main(["evidence", "--policy", str(policy), "--db", str(tmp_path / "log.db"), "--out", str(pack)])
    assert code == exits.INPUT and "not an empty directory" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in pack.rglob("*") if p.is_file()} == before
