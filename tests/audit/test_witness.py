"""The witness (C2SP tlog-witness / tlog-cosignature) and the append-only exports (file, git)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from blastdoor.audit import checkpoint as cp
from blastdoor.audit.log import AuditLog
from blastdoor.audit.witness import CosignatureVerifier, Witness, WitnessError, collect, load_anchors, publish


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": "a", "verdict": "allow", "n": i})


def _request(old: int, proof: list[bytes], note: str) -> str:
    return f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note


@pytest.fixture
def witness(log: AuditLog, tmp_path: Path) -> Witness:
    return Witness(cp.Signer.generate("w1"), str(tmp_path / "w.state"), {log.origin: [log.keys.signer().verifier]})


def test_cosigns_only_consistent_extensions(log: AuditLog, witness: Witness) -> None:
    _fill(log, 5)
    first = log.checkpoint(force=True)
    assert first is not None
    line = witness.add_checkpoint(_request(0, [], first))
    c, _ = CosignatureVerifier.of(witness.signer).check(first + line)
    assert c.size == cp.peek_checkpoint(first).size
    _fill(log, 7)
    second = log.checkpoint(force=True)
    assert second is not None
    old, new = c.size, cp.peek_checkpoint(second).size
    with pytest.raises(WitnessError) as conflict:  # a client that thinks the witness saw nothing
        witness.add_checkpoint(_request(0, [], second))
    assert conflict.value.status == 409 and conflict.value.body == f"{old}\n"
    bad = [bytes(32)] * len(log.consistency(old, new))
    with pytest.raises(WitnessError) as inconsistent:
        witness.add_checkpoint(_request(old, bad, second))
    assert inconsistent.value.status == 422
    witness.add_checkpoint(_request(old, log.consistency(old, new), second))
    latest = witness.latest(log.origin)
    assert latest is not None and CosignatureVerifier.of(witness.signer).check(latest)[0].size == new


def test_refuses_unknown_logs_and_forged_signatures(log: AuditLog, witness: Witness) -> None:
    _fill(log, 3)
    note = log.checkpoint(force=True)
    assert note is not None
    forged = cp.Checkpoint.parse(cp.split_note(note)[0]).sign([cp.Signer.generate("blastdoor-audit")])
    with pytest.raises(WitnessError) as refused:
        witness.add_checkpoint(_request(0, [], forged))
    assert refused.value.status == 403
    other = cp.Checkpoint("elsewhere/log", 1, bytes(32)).sign([log.keys.signer()])
    with pytest.raises(WitnessError) as unknown:
        witness.add_checkpoint(_request(0, [], other))
    assert unknown.value.status == 404
    with pytest.raises(WitnessError) as malformed:
        witness.add_checkpoint("old x\n\n" + note)
    assert malformed.value.status == 400


def test_cosignature_key_ids_follow_the_spec() -> None:
    import hashlib

    signer = cp.Signer.generate("w")
    v = CosignatureVerifier.of(signer)
    want = int.from_bytes(hashlib.sha256(b"w\n\x04" + signer.verifier.public).digest()[:4], "big")
    assert v.id == want and CosignatureVerifier.parse(str(v)).id == want


def test_file_and_git_exports_are_read_back(log: AuditLog, tmp_path: Path) -> None:
    anchors_path = tmp_path / "anchors"
    anchors_path.write_text(f"file {tmp_path / 'cps.jsonl'}\ngit {tmp_path / 'repo'}\n")
    anchors = load_anchors(str(anchors_path))
    _fill(log, 4)
    notes = [log.checkpoint(force=True) for _ in range(2)]
    for note in notes:
        assert note is not None
        assert publish(anchors, note, log.consistency) == []
    held, missing = collect(anchors, log.origin)
    assert not missing and [n for _, n in held] == notes * 2
    lines = (tmp_path / "cps.jsonl").read_text().splitlines()
    assert [json.loads(x)["checkpoint"] for x in lines] == notes
    history = subprocess.run(
        ["git", "-C", str(tmp_path / "repo"), "log", "--oneline"], capture_output=True, text=True, check=True
    )
    assert len(history.stdout.splitlines()) == 2  # one commit per checkpoint: a rewrite shows in history
