"""An environment chosen earlier in a command line carries to the commands after it.

The environment detector (``classify.environment``) matches evidence such as a kube context or a
terraform workspace. Much of that evidence is *state*: environment variables (``export AWS_PROFILE=prod``,
``AWS_PROFILE=prod;``: kept in ``State.env`` by the walker), the working directory (``cd infra``: kept in
``State.cwd``), and files that CLIs read and write (a kubeconfig's current context, terraform's
``.terraform/environment``, gcloud's and az's active project and subscription, the checked-out git
branch). This module does the files' part for one input:

- **setters** record what a command switches to, in ``State.settings`` (shared by subshells: a file
  changed in ``( ... )`` stays changed): ``kubectl config use-context X``, ``kubectl config set-context
  --current --namespace N``, ``terraform workspace select|new X``, ``pulumi stack select|init X``,
  ``gcloud config set project P``, ``az account set --subscription S``, ``git switch B`` /
  ``git checkout -b B``;
- **readers** fill a later command's evidence when no flag of its own names it: what this input set
  first, else what the files say now, read against the state's cwd and environment (so ``cd``,
  ``export KUBECONFIG=...`` and ``TF_DATA_DIR=...`` count).

A name computed at run time (``use-context "$X"``) records nothing: the files keep speaking for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.classify.context import ClassifyContext
    from blastdoor.classify.shell._argv import Cmd
    from blastdoor.classify.shell._state import Part, State

__all__ = ["apply", "terraform_workspace"]

_KUBE = frozenset({"kubectl", "helm", "oc"})
_FAMILIES = _KUBE | {"terraform", "pulumi", "gcloud", "az", "git"}  # the rest pass at the cost of one lookup


def _context(st: State, cmd: Cmd) -> ClassifyContext:
    """The state's view for the file readers: the chain's exported variables, cwd and home."""
    from blastdoor.classify.context import ClassifyContext

    environ = dict(st.ctx.environ)
    environ.update({k: v for k, v in st.env.items() if v is not None})
    environ.update({k: v for k, v in cmd.assigns.items() if v is not None})
    for k, v in [*st.env.items(), *cmd.assigns.items()]:
        if v is None:
            environ.pop(k, None)  # computed at run time: not what the file says either
    return ClassifyContext(environ, st.ctx.home, st.cwd or st.ctx.cwd, st.ctx.depth)


def _kubeconfig(cmd: Cmd, ctx: ClassifyContext) -> str:
    """The kubeconfig a kube command reads and ``use-context`` writes: the first of ``--kubeconfig``,
    ``KUBECONFIG`` (its first file), ``~/.kube/config``."""
    from blastdoor.classify.environment import _kubeconfig_paths

    words = [w for o, v in cmd.opts for w in ((o, v) if v is not None else (o,))]
    paths = _kubeconfig_paths(ctx, words)
    return os.path.normpath(paths[0]) if paths else ""


def _tf_data_dir(cmd: Cmd, ctx: ClassifyContext) -> str:
    chdir = cmd.value("-chdir")
    base = cmd.st.path(chdir) if chdir else (cmd.st.cwd or ctx.cwd)
    data = ctx.environ.get("TF_DATA_DIR") or ".terraform"
    return os.path.normpath(data if os.path.isabs(data) else os.path.join(base, data))


def terraform_workspace(cmd: Cmd) -> str | None:
    """The workspace a terraform command runs in: ``TF_WORKSPACE``, else what this input selected for
    its data directory, else that directory's ``environment`` file; ``None`` when none says."""
    ws = cmd.env("TF_WORKSPACE")
    if ws:
        return ws
    ctx = _context(cmd.st, cmd)
    data_dir = _tf_data_dir(cmd, ctx)
    chosen = cmd.st.settings.get(("terraform_workspace", data_dir))
    if chosen:
        return chosen
    try:
        with open(os.path.join(data_dir, "environment"), encoding="utf-8") as fh:
            return fh.read(200).strip() or None
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None


def _set(st: State, key: str, scope: str, value: str | None) -> None:
    if value:  # None: computed at run time, nothing known to record
        st.settings[(key, scope)] = value


def _record(cmd: Cmd, ctx: ClassifyContext) -> None:
    """What this command switches later commands to."""
    st, name, subs, pos = cmd.st, cmd.name, cmd.subs, cmd.pos
    first = pos[0] if pos else None
    if name in ("kubectl", "oc") and subs[:1] == ["config"]:
        if subs[1:2] == ["use-context"]:
            _set(st, "kube_context", _kubeconfig(cmd, ctx), first)
        elif subs[1:2] == ["set-context"] and cmd.has("--current"):
            _set(st, "kube_namespace", _kubeconfig(cmd, ctx), cmd.value("--namespace", "-n"))
    elif name == "terraform" and subs[:1] == ["workspace"] and subs[1:2] in (["select"], ["new"]):
        _set(st, "terraform_workspace", _tf_data_dir(cmd, ctx), first)
    elif name == "pulumi" and subs[:1] == ["stack"] and subs[1:2] in (["select"], ["init"]):
        _set(st, "pulumi_stack", cmd.value("--cwd", "-C") or st.cwd or ctx.cwd, first or cmd.value("--stack", "-s"))
    elif name == "gcloud" and [p for p in pos[:3]] == ["config", "set", "project"] and len(pos) > 3:
        _set(st, "gcp_project", "gcloud", pos[3])
    elif name == "az" and pos[:2] == ["account", "set"]:
        _set(st, "azure_subscription", "az", cmd.value("--subscription"))
    elif name == "git" and subs[:1] == ["switch"]:
        _set(st, "git_branch", st.cwd or ctx.cwd, cmd.value("-c", "-C", "--create") or first)
    elif name == "git" and subs[:1] == ["checkout"]:
        _set(st, "git_branch", st.cwd or ctx.cwd, cmd.value("-b", "-B"))


def _fill(cmd: Cmd, part: Part, ctx: ClassifyContext) -> None:
    """Evidence a command's own flags did not give: what this input set, else what the files say."""
    st, name, ev = cmd.st, cmd.name, part.evidence
    if name in _KUBE:
        config = _kubeconfig(cmd, ctx)
        if "kube_context" not in ev:
            from blastdoor.classify.environment import kube_context

            found = st.settings.get(("kube_context", config)) or kube_context([], _only(ctx, config))
            if found:
                ev["kube_context"] = found
        if "kube_namespace" not in ev and st.settings.get(("kube_namespace", config)):
            ev["kube_namespace"] = st.settings[("kube_namespace", config)]
    elif name == "pulumi" and "terraform_workspace" not in ev:
        chosen = st.settings.get(("pulumi_stack", cmd.value("--cwd", "-C") or st.cwd or ctx.cwd))
        if chosen:
            ev["terraform_workspace"] = chosen
    elif name == "gcloud" and "gcp_project" not in ev and st.settings.get(("gcp_project", "gcloud")):
        ev["gcp_project"] = st.settings[("gcp_project", "gcloud")]
    elif name == "az" and "azure_subscription" not in ev and st.settings.get(("azure_subscription", "az")):
        ev["azure_subscription"] = st.settings[("azure_subscription", "az")]
    elif name == "git" and ev.get("git_branch") in (None, "HEAD"):
        chosen = st.settings.get(("git_branch", st.cwd or ctx.cwd))
        if chosen:
            ev["git_branch"] = chosen


def _only(ctx: ClassifyContext, config: str) -> ClassifyContext:
    """``ctx`` reading exactly the kubeconfig ``config`` (the one a command uses)."""
    from blastdoor.classify.context import ClassifyContext

    return ClassifyContext({**ctx.environ, "KUBECONFIG": config}, ctx.home, ctx.cwd, ctx.depth)


def apply(cmd: Cmd, part: Part) -> None:
    """Fill ``part``'s evidence from the state before it, then record what the command switches."""
    if cmd.name not in _FAMILIES:
        return
    # Only kube and terraform read files through the chain's environment; the others need the cwd.
    ctx = _context(cmd.st, cmd) if cmd.name in _KUBE or cmd.name == "terraform" else cmd.st.ctx
    _fill(cmd, part, ctx)
    _record(cmd, ctx)
