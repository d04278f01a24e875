"""Regenerate tests/hooks/golden/*.json from the payloads in payloads.py (review the diff by hand!).

.venv/bin/python -m tests.hooks.regen
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from tests.hooks.harness import env_for, normalise, policy_for, revoke_golden_agent, run_hook, substitute
from tests.hooks.payloads import CASES

GOLDEN = Path(__file__).with_name("golden")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            BLASTDOOR_HOME=str(home / ".blastdoor"),
            BLASTDOOR_MANAGED_POLICY="none",
        )
        revoke_golden_agent()
        for harness, cases in CASES.items():
            out = []
            for case in cases:
                project = Path(tmp) / "project"
                project.mkdir(exist_ok=True)
                (project / "blastdoor.yaml").write_text(policy_for(case["verdict"]))
                payload = substitute(case["payload"], str(project))
                code, stdout, _ = run_hook(
                    harness, json.dumps(payload).encode(), cwd=str(project), env=env_for(case["verdict"])
                )
                out.append({**case, "exit": code, "stdout": normalise(stdout)})
            path = GOLDEN / f"{harness}.json"
            path.write_text(json.dumps({"harness": harness, "cases": out}, indent=2, ensure_ascii=False) + "\n")
            print(f"wrote {path} ({len(out)} cases)")


if __name__ == "__main__":
    main()
