"""An environment set earlier in a command line carries to the later parts, for every family the
environment detector knows: variables (export, assignments), cd into a directory whose state says
prod, and the CLIs that switch an environment in their own files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blastdoor.action import Action
from blastdoor.classify.dispatch import classify_action

ENVS: dict[str, dict[str, Any]] = {
    "prod": {
        "aws_profiles": ["prod*"],
        "kube_contexts": ["*prod*"],
        "kube_namespaces": ["payments"],
        "terraform_workspaces": ["prod"],
        "gcp_projects": ["prod-*"],
        "azure_subscriptions": ["prod-sub"],
        "git_branches": ["main"],
        "db_urls": ["postgres://*@db.prod.*"],
    },
    "staging": {"aws_profiles": ["staging*"], "kube_contexts": ["*staging*"], "terraform_workspaces": ["staging"]},
}


@pytest.fixture()
def world(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text("current-context: dev-cluster\n")
    project = tmp_path / "project"
    (project / "infra" / ".terraform").mkdir(parents=True)
    (project / "infra" / ".terraform" / "environment").write_text("prod\n")
    (project / "kube").mkdir()
    (project / "kube" / "prod.yaml").write_text("current-context: prod-eu\n")
    (project / "repo" / ".git").mkdir(parents=True)
    (project / "repo" / ".git" / "HEAD").write_text("ref: refs/heads/feature\n")
    return {"home": str(home), "project": str(project)}


def _last(world: dict[str, str], command: str) -> tuple[str, str]:
    """(env of the last part, env of the whole action)."""
    action = classify_action(Action("shell", raw=command, cwd=world["project"]), ENVS, environ={}, home=world["home"])
    assert action.parts, command
    return action.parts[-1].env, action.env


@pytest.mark.parametrize(
    "command",
    [
        # variables
        "export AWS_PROFILE=prod && aws s3 rm s3://bucket/key",
        "AWS_PROFILE=prod; aws s3 rm s3://bucket/key",
        "export AWS_DEFAULT_PROFILE=prod-eu; aws ec2 terminate-instances --instance-ids i-1",
        "export TF_WORKSPACE=prod && terraform destroy",
        "export DATABASE_URL=postgres://app@db.prod.internal/app && psql -c 'DROP TABLE t'",
        "export CLOUDSDK_CORE_PROJECT=prod-1 && gcloud compute instances delete vm",
        "export KUBECONFIG=./kube/prod.yaml && kubectl delete pod x",
        "export KUBE_CONTEXT=prod && kubectl delete pod x",
        # the CLIs' own switches
        "terraform workspace select prod && terraform apply",
        "terraform workspace new prod; terraform apply -auto-approve",
        "kubectl config use-context prod-eu && kubectl delete pod x",
        "kubectl config use-context prod-eu && helm uninstall release",
        "kubectl config set-context --current --namespace=payments && kubectl delete pod x",
        "pulumi stack select prod && pulumi destroy --yes",
        "gcloud config set project prod-1 && gcloud compute instances delete vm",
        "az account set --subscription prod-sub && az group delete -n rg --yes",
        "git switch main && git push origin HEAD --force",
        "git checkout -b main && git push --force",
        # cd into a directory whose state says prod
        "cd infra && terraform apply",
        "cd infra; terraform destroy",
        "terraform -chdir=infra apply",
        # a subshell's switch changes the file, so it carries too
        "(kubectl config use-context prod-eu) && kubectl delete pod x",
    ],
)
def test_the_later_part_is_in_prod(world: dict[str, str], command: str) -> None:
    last, whole = _last(world, command)
    assert last == "prod", command
    assert whole == "prod"


@pytest.mark.parametrize(
    ("command", "env"),
    [
        # the same commands without the switch: not prod (the controls)
        ("aws s3 rm s3://bucket/key", "unknown"),
        ("terraform apply", "unknown"),
        ("kubectl delete pod x", "unknown"),
        ("git push --force", "unknown"),
        # a later switch wins over an earlier one
        (
            "kubectl config use-context prod-eu && kubectl config use-context staging-1 && kubectl delete pod x",
            "staging",
        ),
        ("terraform workspace select prod && terraform workspace select staging && terraform apply", "staging"),
        ("export AWS_PROFILE=prod && export AWS_PROFILE=staging && aws s3 rm s3://b/k", "staging"),
        # an explicit flag beats the chain
        ("kubectl config use-context prod-eu && kubectl --context staging-1 delete pod x", "staging"),
        # a switch in another directory's terraform state does not leak to this one
        ("cd infra && terraform workspace select staging && cd .. && terraform apply", "unknown"),
        # a variable set in a subshell does not leak out of it
        ("(export AWS_PROFILE=prod) && aws s3 rm s3://b/k", "unknown"),
    ],
)
def test_controls(world: dict[str, str], command: str, env: str) -> None:
    assert _last(world, command)[0] == env


def test_the_files_speak_when_nothing_in_the_input_does(world: dict[str, str]) -> None:
    # ~/.kube/config says dev-cluster: not prod; its current context is read at all (it was not before).
    action = classify_action(
        Action("shell", raw="kubectl delete pod x", cwd=world["project"]), ENVS, environ={}, home=world["home"]
    )
    assert action.parts[-1].facts["evidence"]["kube_context"] == "dev-cluster"
    Path(world["home"], ".kube", "config").write_text("current-context: prod-us\n")
    assert _last(world, "kubectl delete pod x")[0] == "prod"


def test_a_computed_switch_records_nothing(world: dict[str, str]) -> None:
    # `use-context "$X"`: the value is unknown, so the kubeconfig's own context still speaks.
    Path(world["home"], ".kube", "config").write_text("current-context: prod-us\n")
    assert _last(world, 'kubectl config use-context "$X" && kubectl delete pod x')[0] == "prod"
