"""No unsigned tail (issue 17.1): a hook-shaped process (fresh, one append, no checkpoint) leaves a
sealed head, and whoever cuts what it wrote and resets the head is caught."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from blastdoor.audit.merkle import frontier_of, frontier_pack
from blastdoor.store import open_log

HOOK = """
import sys
from blastdoor.store import open_log
log = open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_on_close=False, checkpoint_every=10**9)
print(log.append({"kind": "decision", "agent_id": "hook", "verdict": "allow", "n": int(sys.argv[3])}))
log.close()
assert "cryptography" not in sys.modules, "the hook path signed (imported cryptography)"
"""


def _hook(db: Path, key: Path, n: int) -> int:
    done = subprocess.run([sys.executable, "-c", HOOK, str(db), str(key), str(n)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_hook_appends_leave_a_sealed_head_and_a_cut_tail_is_caught(tmp_path: Path) -> None:
    db, key = tmp_path / "a.db", tmp_path / "k" / "audit.key"
    log = open_log(str(db), key_path=key)
    for i in range(5):
        log.append({"kind": "decision", "n": i})
    log.checkpoint()
    log.close()
    seqs = [_hook(db, key, i) for i in range(4)]  # four hook processes after the last checkpoint
    log = open_log(str(db), key_path=key, checkpoint_on_close=False)
    try:
        report = log.verify()
        assert report.status == "ok" and "the sealed head" in "; ".join(report.anchors), report.summary()
        # The attacker cuts the last two hook events and resets the head to the entries that remain.
        conn = sqlite3.connect(db, isolation_level=None)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        keep = seqs[2]
        leaves = [r[0] for r in conn.execute("SELECT leaf FROM audit_event WHERE seq < ? ORDER BY seq", (keep,))]
        conn.execute("DELETE FROM audit_event WHERE seq >= ?", (keep,))
        conn.execute("UPDATE audit_head SET size = ?, frontier = ?", (keep, frontier_pack(frontier_of(leaves))))
        conn.close()
        report = log.verify()
        assert report.first_bad == keep and "seal" in report.summary(), report.summary()
    finally:
        log.close()
