"""The terraform previewer: real plan JSON (OpenTofu's and checkov's fixtures, and two written in the same
format), and the end-to-end path through `blastdoor exec` with a STAND-IN `terraform` executable
(tests/preview/plans/standin_terraform.py; no terraform binary is installed for the tests) that emits
those plans for `plan -out`/`show -json` and records what `apply` was given."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from blastdoor.approvals import Person
from blastdoor.preview.terraform import summarise
from blastdoor.services import open_services
from tests.hooks.harness import BLASTDOOR

PLANS = Path(__file__).parent / "plans"
FIXTURES = sorted(PLANS.glob("*/*.json"))


def _expected(plan: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """Counted independently of the previewer: the plan's own action lists."""
    out: dict[str, int] = {}
    for rc in plan["resource_changes"]:
        actions = rc["change"]["actions"]
        kind = "replace" if sorted(actions) == ["create", "delete"] else actions[0]
        if kind not in ("no-op", "read"):
            out[kind] = out.get(kind, 0) + 1
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture_is_summarised_by_its_own_actions(path: Path) -> None:
    plan = json.loads(path.read_text())
    p = summarise(plan, state_token="t", saved="x", workspace="default")
    assert p.summary == _expected(plan)
    assert {i["id"] for i in p.items} == {
        f"terraform:{rc['address']}"
        for rc in plan["resource_changes"]
        if rc["change"]["actions"] not in (["no-op"], ["read"])
    }


def test_known_plans() -> None:
    def load(name: str) -> dict:  # type: ignore[type-arg]
        return json.loads(next(PLANS.glob(f"*/{name}")).read_text())

    assert summarise(load("basic-delete.plan.json"), state_token="", saved="p", workspace="w").summary == {
        "update": 1,
        "delete": 1,
    }
    rep = summarise(load("plan_with_deleted_resources.tfplan.json"), state_token="", saved="p", workspace="w")
    assert rep.summary == {"replace": 1} and rep.items[0]["order"] == "create first"
    d = summarise(load("destroy.plan.json"), state_token="", saved="", workspace="default")
    assert d.summary == {"delete": 4} and d.facts["db_deleted_without_final_snapshot"] == 1
    assert d.facts["evidence"]["aws_account"] == "111111111111" and d.facts["unsaved_plan"] == 1
    with pytest.raises(ValueError):
        summarise({"format_version": "1.0"}, state_token="", saved="", workspace="")


POLICY = """version: 1
default: allow
environments:
  prod:
    terraform_workspaces: [prod]
    aws_accounts: ["111111111111"]
protect: ["terraform:aws_db_instance.*"]
approvers:
  sre-leads: [bob, carol]
rules:
  - id: terraform-changes
    match: { tool: terraform }
    verdict: approve
    approvals: { count: 2, from: sre-leads }
    reason: Infrastructure changes need two SRE leads.
  - id: prod-needs-a-saved-plan
    match: { tool: terraform, env: prod, preview: { unsaved_plan: 1 } }
    verdict: deny
    reason: In production, apply a saved plan (terraform plan -out=tfplan, then terraform apply tfplan).
  - id: no-db-without-snapshot
    match: { tool: terraform, env: prod, preview: { db_deleted_without_final_snapshot: { gte: 1 } } }
    verdict: deny
    reason: A production database is never deleted without a final snapshot.
"""


@pytest.fixture()
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(PLANS / "standin_terraform.py", bindir / "terraform")
    (bindir / "terraform").chmod(0o755)
    work = tmp_path / "infra"
    work.mkdir()
    (work / "blastdoor.yaml").write_text(POLICY)
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "STANDIN_PLAN": str(PLANS / "blastdoor" / "replace.plan.json"),
        "STANDIN_DESTROY_PLAN": str(PLANS / "blastdoor" / "destroy.plan.json"),
        "STANDIN_LOG": str(tmp_path / "applied.log"),
    }
    return work, env


def _exec(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BLASTDOOR, "exec", "--wait", "0", "--", *args],
        cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip


def _pending() -> list:  # type: ignore[type-arg]
    with open_services(checkpoint_on_close=False) as services:
        return services.approvals.find(status="pending")


def _approve(request_id: str) -> None:
    with open_services(checkpoint_on_close=False) as services:
        services.approvals.approve(request_id, Person("bob"))
        services.approvals.approve(request_id, Person("carol"))


def _applied(env: dict[str, str]) -> list[str]:
    log = Path(env["STANDIN_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def test_an_approved_plan_file_applies_once_and_only_while_unchanged(project: tuple[Path, dict[str, str]]) -> None:
    work, env = project
    env["TF_WORKSPACE"] = "staging"
    plan = work / "tfplan"
    shutil.copy(PLANS / "blastdoor" / "replace.plan.json", plan)
    apply = ["terraform", "apply", "tfplan"]
    first = _exec(apply, work, env)
    assert first.returncode == 4, first.stderr
    assert "terraform: 1 replace, 1 update" in first.stderr
    (request,) = _pending()
    preview = request.detail["preview"]
    assert preview["summary"] == {"replace": 1, "update": 1}
    assert preview["items"][0] == {
        "change": "replace", "id": "terraform:aws_instance.web", "type": "aws_instance",
        "reason": "replace_by_request", "order": "delete first",
    }  # fmt: skip
    _approve(request.id)
    # Another plan in the same file: the approval does not carry over.
    shutil.copy(PLANS / "opentofu" / "basic-delete.plan.json", plan)
    moved = _exec(apply, work, env)
    assert moved.returncode == 5 and "was approved for another state" in moved.stderr, moved.stderr
    assert _applied(env) == []
    # The approved plan, byte for byte: it applies, once.
    shutil.copy(PLANS / "blastdoor" / "replace.plan.json", plan)
    ran = _exec(apply, work, env)
    assert ran.returncode == 0, ran.stderr
    import hashlib

    assert _applied(env) == [f"apply {hashlib.sha256(plan.read_bytes()).hexdigest()}"]
    again = _exec(apply, work, env)
    assert again.returncode == 4 and len(_applied(env)) == 1


def test_a_different_plan_file_is_not_approved_by_another_ones_approval(project: tuple[Path, dict[str, str]]) -> None:
    work, env = project
    env["TF_WORKSPACE"] = "staging"
    shutil.copy(PLANS / "blastdoor" / "replace.plan.json", work / "a.tfplan")
    shutil.copy(PLANS / "opentofu" / "basic-delete.plan.json", work / "b.tfplan")
    assert _exec(["terraform", "apply", "a.tfplan"], work, env).returncode == 4
    (request,) = _pending()
    _approve(request.id)
    other = _exec(["terraform", "apply", "b.tfplan"], work, env)
    assert other.returncode == 4 and request.id not in other.stderr
    assert _applied(env) == []


def test_destroy_without_a_saved_plan_is_not_planned_by_blastdoor_and_is_denied_in_prod(
    project: tuple[Path, dict[str, str]],
) -> None:
    work, env = project
    env["TF_WORKSPACE"] = "prod"
    # If blastdoor ran `terraform plan` itself, the stand-in would find no plan to emit and fail loudly.
    del env["STANDIN_DESTROY_PLAN"], env["STANDIN_PLAN"]
    proc = _exec(["terraform", "destroy", "-auto-approve"], work, env)
    assert proc.returncode == 5, proc.stderr
    assert "apply a saved plan" in proc.stderr
    assert "no preview available: no saved plan to show: run `terraform plan -destroy -out=tfplan`" in proc.stderr
    assert _applied(env) == [] and not _pending()
    # Outside prod the same command waits for approvals, with the reason it has no preview.
    env["TF_WORKSPACE"] = "staging"
    staging = _exec(["terraform", "destroy", "-auto-approve"], work, env)
    assert staging.returncode == 4 and "no preview available" in staging.stderr


def test_a_saved_destroy_plan_that_drops_a_db_without_snapshot_is_denied_in_prod(
    project: tuple[Path, dict[str, str]],
) -> None:
    work, env = project  # no workspace: the plan's provider account says prod
    shutil.copy(PLANS / "blastdoor" / "destroy.plan.json", work / "tfplan")
    proc = _exec(["terraform", "apply", "tfplan"], work, env)
    assert proc.returncode == 5 and "final snapshot" in proc.stderr, proc.stderr
    assert _applied(env) == []
