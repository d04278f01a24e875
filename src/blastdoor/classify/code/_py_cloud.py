"""The cloud SDKs a Python program uses, followed: boto3/botocore sessions, clients, resources and
paginators (AWS operations with the profile, region and endpoint they are built with), and the
Kubernetes client (``delete_namespaced_pod`` and friends as the equivalent ``kubectl`` command).

A mixin of the Python analyser (``python.py``): it reads the analyser's state and reports through its
``add``/``unknown``.
"""

from __future__ import annotations

import re
from typing import Any

from blastdoor.classify.code._values import K, Obj, U, text_of

__all__ = ["AWS_SESSION_FUNCS", "AWS_SESSION_GETTERS", "CloudCalls", "pascal"]


def _prop(v: Any) -> str | None:
    """A fact for a followed object: the string, or None when computed."""
    return text_of(v)


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in name.split("_") if w)


_AWS_NOOP = frozenset(
    (
        "get_waiter",
        "can_paginate",
        "close",
        "generate_presigned_url",
        "generate_presigned_post",
        "meta",
        "exceptions",
        "get_available_subresources",
        "load",
        "reload",
        "wait_until_exists",
        "wait_until_not_exists",
        "wait_until_running",
        "wait_until_stopped",
        "wait_until_terminated",
    )
)
AWS_SESSION_FUNCS = frozenset(
    ("boto3.Session", "boto3.session.Session", "aioboto3.Session", "botocore.session.Session")
)
AWS_SESSION_GETTERS = frozenset(("botocore.session.get_session",))
_KUBE = re.compile(
    r"^(?P<verb>delete_collection|delete|create|patch|replace|read|list|connect_\w+?)_(?P<ns>namespaced_)?(?P<kind>\w+?)"
    r"(?:_for_all_namespaces)?$"
)


# A destructive verb with a noun, for Kubernetes API methods blastdoor does not map.
_DESTROY = re.compile(r"^(delete|destroy|drop|purge|terminate|truncate|wipe|erase|revoke)_[a-z]")


class CloudCalls:
    """AWS and Kubernetes calls of the Python analyser."""

    environ: dict[str, Any]
    default_session: Obj | None
    kube_context: Any

    def add(self, kind: str, why: str, **kw: Any) -> None:
        raise NotImplementedError

    def unknown(self, why: str) -> None:
        raise NotImplementedError

    # -- AWS --------------------------------------------------------------------------------------------

    def aws_session(self, kw: dict[str, Any]) -> Obj:
        def fact(key: str, env_key: str = "") -> str | None:
            if key in kw:
                return _prop(kw[key])
            return ""

        props: dict[str, Any] = {
            "profile": fact("profile_name"),
            "region": fact("region_name"),
            "endpoint": "",
        }
        if "**" in kw:
            props = dict.fromkeys(props)
        if "aws_access_key_id" in kw:
            props["keys"] = True
        return Obj("aws_session", **props)

    def aws_client(self, session: Obj, kind: str, pos: list[Any], kw: dict[str, Any]) -> Obj:
        service = text_of(pos[0]) if pos else text_of(kw.get("service_name", U))
        props = dict(session.props)
        if "region_name" in kw or len(pos) > 1:
            props["region"] = _prop(kw.get("region_name", pos[1] if len(pos) > 1 else U))
        if "endpoint_url" in kw:
            props["endpoint"] = _prop(kw["endpoint_url"])
        if "**" in kw:
            props["region"] = props["endpoint"] = None
        props["service"] = service
        return Obj(kind, **props)

    def _aws_env(self, props: dict[str, Any]) -> dict[str, Any]:
        """Profile/region from the program's own os.environ writes when the session gave none."""
        out = dict(props)
        for key, names in (
            ("profile", ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")),
            ("region", ("AWS_REGION", "AWS_DEFAULT_REGION")),
        ):
            if out.get(key) == "":
                for n in names:
                    if n in self.environ:
                        out[key] = text_of(self.environ[n])
                        break
                else:
                    if "*" in self.environ:
                        out[key] = None
        if out.get("endpoint") == "" and "AWS_ENDPOINT_URL" in self.environ:
            out["endpoint"] = text_of(self.environ["AWS_ENDPOINT_URL"])
        return out

    def aws_op(self, client: Obj, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        if attr in _AWS_NOOP or attr.startswith("wait_until"):
            return U
        if attr == "get_paginator":
            op = text_of(pos[0]) if pos else None
            if op is None:
                self.unknown("`get_paginator` of an operation named at run time")
                return U
            return Obj("aws_paginator", **client.props, operation=op)
        params = {
            k: (
                text_of(v)
                if text_of(v) is not None
                else (v.v if isinstance(v, K) and isinstance(v.v, bool | int) else "{...}")
            )
            for k, v in kw.items()
            if k != "**"
        }
        data = self._aws_env(client.props)
        data.update(operation=attr, params=params)
        self.add("aws", f"calls the AWS API `{attr}`", data=data)
        return U

    def aws_resource_call(self, recv: Obj, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        if attr[:1].isupper():
            return Obj("aws_res", **{**recv.props, "type": attr, "collection": False})
        if attr in ("all", "filter", "limit", "page_size") and recv.kind == "aws_res":
            return recv
        if attr in _AWS_NOOP or attr.startswith("wait_until"):
            return U
        if recv.kind == "aws_resource":
            return self.aws_op(recv, attr, pos, kw)
        typ = str(recv.get("type") or "")
        verb = pascal(attr)
        candidates = [f"{verb}{typ}", f"{verb}{typ}s", verb] if typ else [verb]
        if recv.get("collection"):
            candidates = [f"{verb}{typ}s", f"{verb}{typ}", verb]
        params = {k: text_of(v) or "{...}" for k, v in kw.items() if k != "**"}
        data = self._aws_env(recv.props)
        data.update(operation="", candidates=candidates, params=params)
        self.add("aws", f"calls `{typ}.{attr}()` on an AWS resource", data=data)
        return U

    # -- Kubernetes ------------------------------------------------------------------------------------

    def kube_named(self, name: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        leaf = name.rsplit(".", 1)[-1]
        if leaf in ("load_kube_config", "new_client_from_config", "load_incluster_config"):
            if "context" in kw:
                self.kube_context = kw["context"]
            return Obj("kube_client", context=_prop(self.kube_context))
        if leaf.endswith("Api") or leaf == "ApiClient":
            return Obj("kube_api", context=_prop(self.kube_context))
        if leaf.startswith("V1") or leaf.startswith("V2"):
            return U
        if _DESTROY.match(leaf):
            self.unknown(f"calls `{name}`, which blastdoor cannot follow")
        return U

    def kube_call(self, recv: Obj, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        m = _KUBE.match(attr)
        if m is None:
            if _DESTROY.match(attr):
                self.unknown(f"calls the Kubernetes API `{attr}`, which blastdoor does not map")
            return U
        verb, namespaced, kind = m.group("verb"), m.group("ns"), m.group("kind").replace("_", "")
        names: list[Any] = []
        ns: Any = None
        if verb in ("delete", "read", "patch", "replace") or verb.startswith("connect"):
            names = [pos[0] if pos else kw.get("name", U)]
            if namespaced:
                ns = pos[1] if len(pos) > 1 else kw.get("namespace", U)
        elif namespaced:
            ns = pos[0] if pos else kw.get("namespace", U)
        kubectl_verb = {
            "delete_collection": "delete",
            "read": "get",
            "list": "get",
            "replace": "replace",
        }.get(verb, verb)
        if verb.startswith("connect"):
            kubectl_verb = "exec" if attr.endswith("exec") else "port-forward" if "portforward" in attr else "proxy"
        argv: list[str | None] = ["kubectl", kubectl_verb]
        if kubectl_verb == "exec":
            argv += [text_of(names[0]) if names else None, "--", None]
        else:
            argv.append(kind)
            argv += [text_of(n) for n in names]
            if verb == "delete_collection":
                argv.append("--all")
        if namespaced:
            argv += ["-n", text_of(ns)]
        elif verb == "list" and "for_all_namespaces" in attr:
            argv.append("-A")
        context = recv.get("context")
        if context:
            argv += ["--context", context]
        elif context is None:
            argv += ["--context", None]
        self.add("kube", f"calls the Kubernetes API `{attr}`", argv=argv)
        return U
