"""Properties of `evidence verify`: any change to any cited entry fails it, wherever it is made."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.governance.evidence import verify_pack
from blastdoor.governance.scenario import builtin_scenarios

POLICY = "version: 1\nextends: [recommended]\nenvironments:\n  prod:\n    aws_accounts: ['111122223333']\n"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: Any) -> Path:
    from blastdoor.governance.drill import record_result, run_drill
    from blastdoor.governance.evidence import build_pack
    from blastdoor.policy import load_policy
    from blastdoor.services import Services
    from blastdoor.store import open_log

    base = tmp_path_factory.mktemp("pack")
    (base / "blastdoor.yaml").write_text(POLICY)
    policy = load_policy(str(base), project=str(base / "blastdoor.yaml"), managed="none", use_cache=False)
    db = str(base / "log.db")
    for scenario in builtin_scenarios():
        run_drill(scenario, policy, store=db)
    services = Services(open_log(db, key_path=str(base / "audit.key"), checkpoint_on_close=False))
    try:
        record_result(services.log, run_drill(builtin_scenarios()[0], policy))
        build_pack(services, policy, base / "out")
    finally:
        services.close()
    return base / "out"


def test_the_pack_verifies(pack: Path) -> None:
    problems, checked = verify_pack(pack)
    assert problems == [] and checked > 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_a_cited_entry_fails(pack: Path, tmp_path_factory: Any, data: Any) -> None:
    work = tmp_path_factory.mktemp("t") / "p"
    shutil.copytree(pack, work)
    proofs = sorted((work / "proofs").glob("*.json"))
    path = data.draw(st.sampled_from(proofs))
    proof = json.loads(path.read_text())
    entry = proof["entry"]
    at = data.draw(st.integers(0, len(entry) - 1))
    new = data.draw(st.characters(min_codepoint=32, max_codepoint=126).filter(lambda c: c != entry[at]))
    proof["entry"] = entry[:at] + new + entry[at + 1 :]
    path.write_text(json.dumps(proof))
    problems, _ = verify_pack(work)
    assert any(f"entry {proof['seq']}" in p for p in problems), problems
    shutil.rmtree(work.parent)
