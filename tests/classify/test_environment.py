"""Environment resolution: evidence -> environment name, with notes; the file-based evidence readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blastdoor.action import Action
from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.environment import (
    git_branch,
    git_remote,
    kube_context,
    kube_namespace,
    resolve_environments,
    terraform_workspace,
)

ENVS: dict[str, dict[str, Any]] = {
    "staging": {"aws_profiles": ["staging*"], "kube_contexts": ["*stag*"], "hosts": ["*.example.com"]},
    "prod": {
        "aws_accounts": ["111111111111"],
        "aws_profiles": ["prod*"],
        "kube_contexts": ["*prod*"],
        "terraform_workspaces": ["prod"],
        "hosts": ["*.prod.example.com"],
        "db_urls": ["postgres://*@db.prod.*"],
        "git_branches": ["main", "release/*"],
        "paths": ["/srv/prod/**"],
    },
}


def _with(evidence: dict[str, Any], targets: tuple[str, ...] = ()) -> Action:
    return Action("x", effects={"read"}, facts={"evidence": evidence}, targets=targets)


@pytest.mark.parametrize(
    ("evidence", "env"),
    [
        ({"aws_profile": "prod"}, "prod"),
        ({"aws_profile": "prod-cn"}, "prod"),
        ({"aws_profile": "dev"}, "unknown"),
        ({"aws_profile": "staging-eu"}, "staging"),
        ({"aws_account": "111111111111"}, "prod"),
        ({"kube_context": "arn:aws:eks:x:cluster/prod-1"}, "prod"),
        ({"terraform_workspace": "prod"}, "prod"),
        ({"terraform_workspace": "production"}, "unknown"),
        ({"db_url": "postgres://app:***@db.prod.internal/app"}, "prod"),
        ({"git_branch": "release/1.2"}, "prod"),
        ({"git_branch": "feature/x"}, "unknown"),
        ({"path": "/srv/prod"}, "prod"),
        ({"path": "/srv/production"}, "unknown"),
        ({"aws_profile": ["dev", "prod"]}, "prod"),
        # both match: prod wins over staging, whatever the order
        ({"host": "api.prod.example.com"}, "prod"),
        ({"host": "api.example.com"}, "staging"),
        ({}, "unknown"),
    ],
)
def test_match(evidence: dict[str, Any], env: str) -> None:
    result = resolve_environments(_with(evidence), ENVS)
    assert result.env == env
    if env != "unknown":
        assert any(n.kind == "env" and n.value == env for n in result.notes)


def test_note_names_the_evidence() -> None:
    result = resolve_environments(_with({"aws_profile": "prod-cn"}), ENVS)
    assert [n.text for n in result.notes if n.kind == "env"] == [
        "aws_profile 'prod-cn' matches prod.aws_profiles 'prod*'"
    ]


def test_several_matches_first_defined_unless_prod() -> None:
    envs = {"a": {"hosts": ["*"]}, "b": {"hosts": ["h*"]}}
    assert resolve_environments(_with({"host": "h1"}), envs).env == "a"
    envs = {"a": {"hosts": ["*"]}, "production": {"hosts": ["h*"]}}
    result = resolve_environments(_with({"host": "h1"}), envs)
    assert result.env == "production"
    assert any("also matches a" in n.text for n in result.notes)


def test_paths_match_targets() -> None:
    result = resolve_environments(_with({}, targets=("/srv/prod/app/x",)), ENVS)
    assert result.env == "prod"


def test_parts_and_the_most_significant_env() -> None:
    parts = [_with({"aws_profile": "staging"}), _with({"aws_profile": "prod"}), _with({})]
    action = Action("shell", raw="a; b; c", effects={"read"}, parts=parts)
    result = resolve_environments(action, ENVS)
    assert [p.env for p in result.parts] == ["staging", "prod", "unknown"]
    assert result.env == "prod"
    assert any(n.kind == "env" and n.value == "prod" for n in result.notes)


def test_no_environments_is_a_no_op() -> None:
    action = _with({"aws_profile": "prod"})
    assert resolve_environments(action, {}) is action


def test_bad_definitions_are_ignored() -> None:
    envs: dict[str, Any] = {"prod": {"aws_profiles": "prod"}, "x": "not a mapping", "y": {"hosts": [1, None]}}
    assert resolve_environments(_with({"aws_profile": "prod"}), envs).env == "prod"


# -- evidence readers --------------------------------------------------------------------------


def _ctx(tmp_path: Path, environ: dict[str, str] | None = None, cwd: Path | None = None) -> ClassifyContext:
    return ClassifyContext(environ or {}, str(tmp_path / "home"), str(cwd or tmp_path))


def test_kube_context(tmp_path: Path) -> None:
    kube = tmp_path / "home" / ".kube"
    kube.mkdir(parents=True)
    (kube / "config").write_text("apiVersion: v1\ncontexts: []\ncurrent-context: prod-eu # active\n")
    ctx = _ctx(tmp_path)
    assert kube_context(["get", "pods"], ctx) == "prod-eu"
    assert kube_context(["--context", "dev", "get", "pods"], ctx) == "dev"
    assert kube_context(["get", "pods", "--context=stage"], ctx) == "stage"
    assert kube_context(["--kube-context", "h"], ctx) == "h"
    other = tmp_path / "k2"
    other.write_text('current-context: "ci"\n')
    assert kube_context([], _ctx(tmp_path, {"KUBECONFIG": f"{tmp_path / 'missing'}:{other}"})) == "ci"
    assert kube_context(["--kubeconfig", str(other)], ctx) == "ci"
    assert kube_context([], _ctx(tmp_path / "nowhere")) == ""


def test_kube_namespace(tmp_path: Path) -> None:
    assert kube_namespace(["-n", "kube-system", "get", "pods"], _ctx(tmp_path)) == "kube-system"
    assert kube_namespace(["get", "pods", "--namespace=x"], _ctx(tmp_path)) == "x"


def test_terraform_workspace(tmp_path: Path) -> None:
    assert terraform_workspace(_ctx(tmp_path)) == "default"
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("prod\n")
    assert terraform_workspace(_ctx(tmp_path)) == "prod"
    assert terraform_workspace(_ctx(tmp_path, {"TF_WORKSPACE": "stage"})) == "stage"


def test_git_branch_and_remote(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/release/2.0\n")
    (repo / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@x:u.git\n'
        '[remote "origin"]\n\turl = git@github.com:o/r.git\n'
    )
    ctx = _ctx(tmp_path, cwd=repo / "sub")
    assert git_branch(ctx) == "release/2.0"
    assert git_remote(ctx) == "git@github.com:o/r.git"
    assert git_remote(ctx, "upstream") == "git@x:u.git"
    (repo / ".git" / "HEAD").write_text("0123456789abcdef0123456789abcdef01234567\n")
    assert git_branch(ctx) == "0123456789abcdef0123456789abcdef01234567"
    assert git_branch(_ctx(tmp_path, cwd=tmp_path)) == ""


def test_git_worktree_file(tmp_path: Path) -> None:
    real = tmp_path / "main.git" / "worktrees" / "wt"
    real.mkdir(parents=True)
    (real / "HEAD").write_text("ref: refs/heads/wip\n")
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / ".git").write_text(f"gitdir: {real}\n")
    assert git_branch(_ctx(tmp_path, cwd=wt)) == "wip"
