"""The terraform / OpenTofu previewer: what an apply or destroy would create, update, delete and
replace, read from the plan itself (``show -json``).

- ``apply PLANFILE``: the saved plan is shown (``terraform show -json PLANFILE``, read-only); the
  state token is the plan file's SHA-256, so an approval holds for that very file, unchanged.
- ``apply`` without a saved plan, ``apply -auto-approve``, ``destroy``, ``-replace=ADDR``: a saved
  plan is required. blastdoor does not make one itself (planning runs the providers and ``external``
  data sources of a configuration the agent may have written, before anyone approved anything): the
  preview fails with what to run instead (``plan -out=tfplan``, then ``apply tfplan``), the verdict
  stays escalated, and a rule on ``preview: {unsaved_plan: 1}`` (unknown: read in the safe
  direction) can deny it outright.

The environment comes from the workspace (``TF_WORKSPACE`` or ``.terraform/environment``) and the
providers' configuration in the plan (the AWS profile, region and allowed account ids), handed to
the pipeline as evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from typing import TYPE_CHECKING, Any

from blastdoor.action.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from blastdoor.action import Action
    from blastdoor.preview import Context

KIND = "terraform"
_EXES = frozenset(("terraform", "tofu"))
# Options of apply/destroy that shape the plan, passed on to the plan the previewer makes.
_DATABASES = frozenset(
    ("aws_db_instance", "aws_rds_cluster", "aws_neptune_cluster", "aws_docdb_cluster", "aws_redshift_cluster")
)
_PLAN_OPTS = ("-replace", "-target", "-var", "-var-file", "-refresh", "-parallelism", "-exclude")


class TerraformPreviewer:
    """``Previewer`` for ``terraform``/``tofu`` ``apply`` and ``destroy``."""

    kind = KIND

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        return (
            part.operation in ("terraform:apply", "terraform:destroy")
            and bool(argv)
            and os.path.basename(argv[0]) in _EXES
        )

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        exe, chdir, sub, args = _split(argv)
        cwd = os.path.join(part.cwd or ctx.cwd, chdir) if chdir else (part.cwd or ctx.cwd)
        env = dict(ctx.environ)
        env.setdefault("TF_IN_AUTOMATION", "1")
        positional = [a for a in args if not a.startswith("-")]
        if sub == "apply" and positional:
            path = os.path.join(cwd, positional[0])
            with open(path, "rb") as fh:
                plan_sha = hashlib.sha256(fh.read()).hexdigest()
            plan = _show(exe, chdir, path, part.cwd or ctx.cwd, env, ctx.timeout)
            return summarise(
                plan, state_token=f"plan-file:sha256:{plan_sha}", saved=positional[0], workspace=_workspace(cwd, env)
            )
        # No saved plan: blastdoor does not run `terraform plan` itself (a plan runs providers and
        # `external` data sources of a configuration the agent may have written). It requires one.
        destroy = " -destroy" if sub == "destroy" else ""
        raise ValueError(
            f"no saved plan to show: run `{os.path.basename(exe)} plan{destroy} -out=tfplan`, then "
            f"`{os.path.basename(exe)} apply tfplan` (blastdoor previews that file and binds the approval to it)"
        )


def _split(argv: Sequence[str]) -> tuple[str, str, str, list[str]]:
    """(executable, -chdir, subcommand, its arguments)."""
    exe, chdir = argv[0], ""
    words = list(argv[1:])
    while words and words[0].startswith("-"):
        if words[0].startswith("-chdir="):
            chdir = words[0].split("=", 1)[1]
        words = words[1:]
    if not words:
        raise ValueError("no terraform subcommand")
    return exe, chdir, words[0], words[1:]


def _run(cmd: list[str], cwd: str, env: Mapping[str, str], timeout: float) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, env=dict(env), capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"`{' '.join(cmd[:3])}` failed: {err[-1] if err else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "replace")


def _show(exe: str, chdir: str, path: str, cwd: str, env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    text = _run([exe, *([f"-chdir={chdir}"] if chdir else []), "show", "-json", path], cwd, env, timeout)
    try:
        plan = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"`show -json` did not print a plan: {exc}") from exc
    if not isinstance(plan, dict):
        raise ValueError("`show -json` did not print a plan object")
    return plan


def _workspace(cwd: str, env: Mapping[str, str]) -> str:
    if env.get("TF_WORKSPACE"):
        return env["TF_WORKSPACE"]
    data_dir = env.get("TF_DATA_DIR") or ".terraform"
    try:
        with open(os.path.join(cwd, data_dir, "environment"), encoding="utf-8") as fh:
            return fh.read(4096).strip() or "default"
    except OSError:
        return "default"


def change_of(actions: Sequence[str]) -> str:
    """A plan's action list as one kind of change (``["delete", "create"]`` is a replacement)."""
    kinds = set(actions)
    if {"create", "delete"} <= kinds:
        return "replace"
    for kind in ("delete", "create", "update", "read"):
        if kind in kinds:
            return kind
    return "no-op"


def summarise(plan: Mapping[str, Any], *, state_token: str, saved: str, workspace: str) -> Preview:
    """The preview of a plan's JSON form (``show -json``): counts and the changes by address."""
    changes = plan.get("resource_changes")
    if changes is None and "planned_values" not in plan:
        raise ValueError("not a terraform plan (no resource_changes)")
    summary: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    unsnapshotted = 0
    for rc in changes or []:
        actions = (rc.get("change") or {}).get("actions") or []
        change = change_of(actions)
        if change in ("no-op", "read"):
            continue
        summary[change] = summary.get(change, 0) + 1
        item: dict[str, Any] = {
            "change": change,
            "id": f"terraform:{rc.get('address', '?')}",
            "type": rc.get("type", ""),
        }
        if rc.get("action_reason"):
            item["reason"] = rc["action_reason"]
        if change == "replace":
            item["order"] = "create first" if actions[0] == "create" else "delete first"
        before = (rc.get("change") or {}).get("before")
        doomed_db = change in ("delete", "replace") and rc.get("type") in _DATABASES and isinstance(before, dict)
        if doomed_db and isinstance(before, dict) and before.get("skip_final_snapshot") is True:
            item["final_snapshot"] = False
            unsnapshotted += 1
        items.append(item)
    order = {"delete": 0, "replace": 1, "update": 2, "create": 3}
    items.sort(key=lambda i: (order.get(i["change"], 9), i["id"]))
    evidence: dict[str, str] = {"terraform_workspace": workspace}
    providers = ((plan.get("configuration") or {}).get("provider_config")) or {}
    for cfg in providers.values():
        exprs = cfg.get("expressions") or {}
        for key, fact in (("profile", "aws_profile"), ("region", "aws_region")):
            value = (exprs.get(key) or {}).get("constant_value")
            if isinstance(value, str):
                evidence.setdefault(fact, value)
        accounts = (exprs.get("allowed_account_ids") or {}).get("constant_value")
        if isinstance(accounts, list) and accounts and isinstance(accounts[0], str):
            evidence.setdefault("aws_account", accounts[0])
    facts: dict[str, Any] = {
        "workspace": workspace,
        "unsaved_plan": 0 if saved else 1,
        "destroyed": summary.get("delete", 0) + summary.get("replace", 0),
        "db_deleted_without_final_snapshot": unsnapshotted,
        "evidence": evidence,
    }
    if saved:
        facts["plan_file"] = saved
    return Preview(
        KIND, summary=summary, items=items, targets=[i["id"] for i in items], state_token=state_token, facts=facts
    )
