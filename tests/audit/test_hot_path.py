"""The hook's path: a fresh process that opens the log and appends one event imports only what it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from blastdoor.store import open_log

HOOK = """
import json, sys
from blastdoor.store import open_log
log = open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_on_close=False, checkpoint_interval=1e12)
seq = log.append({"kind": "decision", "agent_id": "hook", "verdict": "allow", "targets": ["./build"]})
log.close()
heavy = ("typing", "cryptography", "secrets", "hmac", "warnings", "blastdoor.action", "blastdoor.audit.checkpoint")
print(json.dumps({"seq": seq, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def _hook(db: Path, key: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", HOOK, str(db), str(key)], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_fresh_process_append_skips_heavy_imports(tmp_path: Path) -> None:
    db, key = tmp_path / "a.db", tmp_path / "k" / "audit.key"
    first = _hook(db, key)  # creates the database (migrations import ``secrets`` for the log id)
    second = _hook(db, key)  # the hook's steady state: schema current, salt present
    assert first["seq"] == 0 and second["seq"] == 1
    assert second["loaded"] == [], f"the hook path imported {second['loaded']}"
    with open_log(str(db), key_path=key) as log:
        assert log.verify().ok
        entry = log.entry(1)
        assert entry is not None and entry["event"]["targets"] == ["./build"]


def test_redaction_still_finds_secrets_after_lazy_compilation(tmp_path: Path) -> None:
    # The patterns compile on first need; the first event of a process must be redacted like any other.
    code = (
        "import sys, json\nfrom blastdoor.store import open_log\n"
        "log = open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_on_close=False)\n"
        "log.append({'kind': 'decision', 'action': {'raw': 'curl -H \"Authorization: Bearer abcdefgh12345\" x',"
        " 'env': {'GITHUB_TOKEN': 'ghp_' + 'a' * 36}}})\n"
        "print(json.dumps(log.entry(0)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "a.db"), str(tmp_path / "k")],
        capture_output=True,
        text=True,
        check=True,
    )
    event = json.loads(out.stdout)["event"]
    assert "abcdefgh12345" not in out.stdout and "aaaaaaaa" not in out.stdout
    assert {r["kind"] for r in event["redacted"]} == {"bearer", "key-name"}
