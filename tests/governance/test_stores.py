"""Drills and the evidence pack on both stores (SQLite and the real PostgreSQL): the revocation is seen
through a second connection, as every process sharing the store sees it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blastdoor.cli.main import main
from tests.governance.test_drill import PROD


def test_drill_and_pack_on_the_store(store_url: str, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    policy = tmp_path / "blastdoor.yaml"
    policy.write_text(PROD)
    base = ["--policy", str(policy), "--no-cache", "--db", store_url]
    assert main(["drill", "incident-stack-recreate", *base, "--record", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert r["containment"]["held"] and r["detection"]["recorded"]
    # a drill on a real store gives the drill agent back
    assert main(["agents", "list", "--json", "--db", store_url]) == 0
    agents = json.loads(capsys.readouterr().out)
    assert [a["status"] for a in agents if a["id"] == "drill-agent-operator"] == ["active"]
    out = tmp_path / "pack"
    assert main(["evidence", *base, "--out", str(out)]) == 0
    assert main(["evidence", "verify", str(out)]) == 0
