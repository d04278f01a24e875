"""The cloud SDKs a JavaScript program uses, followed: AWS SDK v3/v2 clients and their operations (with
the region, profile and endpoint of the client's configuration) and the Kubernetes client (as the
equivalent ``kubectl`` command). A mixin of the JS analyser (``javascript.py``).
"""

from __future__ import annotations

import re
from typing import Any

from blastdoor.classify.code._values import K, Obj, U, text_of

__all__ = ["CloudCalls"]

_KUBE = re.compile(
    r"^(?P<verb>deleteCollection|delete|create|patch|replace|read|list|connect\w+?)(?P<ns>Namespaced)?(?P<kind>[A-Z]\w*?)"
    r"(?:ForAllNamespaces)?$"
)

# A destructive verb with a noun, for Kubernetes API methods blastdoor does not map.
_DESTROY = re.compile(r"^(delete|destroy|drop|purge|terminate|truncate|wipe|erase|revoke)[A-Z]")


class CloudCalls:
    """AWS and Kubernetes calls of the JS analyser."""

    environ: dict[str, Any]

    def add(self, kind: str, why: str, **kw: Any) -> None:
        raise NotImplementedError

    def unknown(self, why: str) -> None:
        raise NotImplementedError

    def cfg(self, config: Any, key: str) -> str | None:
        """A client configuration's string field: "" when absent, None when computed."""
        if not isinstance(config, K) or not isinstance(config.v, dict):
            return None if config is not U else ""
        if key not in config.v:
            return ""
        return text_of(config.v[key])

    def aws_client(self, service: str, config: Any) -> Obj:
        profile = self.cfg(config, "profile")
        if isinstance(config, K) and isinstance(config.v, dict):
            creds = config.v.get("credentials")
            if isinstance(creds, Obj) and creds.kind == "aws_creds":
                profile = creds.get("profile")
            elif creds is not None and not isinstance(creds, K):
                profile = profile or None if creds is U else profile
        endpoint = self.cfg(config, "endpoint")
        return Obj("aws_client", service=service, region=self.cfg(config, "region"), profile=profile, endpoint=endpoint)

    def aws(self, props: dict[str, Any], operation: str, params: Any) -> None:
        out = dict(props)
        for key, names in (("profile", ("AWS_PROFILE",)), ("region", ("AWS_REGION", "AWS_DEFAULT_REGION"))):
            if out.get(key) == "":
                for n in names:
                    if n in self.environ:
                        out[key] = text_of(self.environ[n])
                        break
        if out.get("profile") == "" and "*" in self.environ:
            out["profile"] = None
        plain: dict[str, Any] = {}
        if isinstance(params, K) and isinstance(params.v, dict):
            for k, v in params.v.items():
                s = text_of(v)
                plain[k] = s if s is not None else (v.v if isinstance(v, K) and isinstance(v.v, bool) else "{...}")
        out.update(operation=operation, params=plain)
        self.add("aws", f"calls the AWS API `{operation}`", data=out)

    def kube(self, recv: Obj, attr: str, args: list[Any]) -> Any:
        m = _KUBE.match(attr)
        if m is None:
            if _DESTROY.match(attr):
                self.unknown(f"calls the Kubernetes API `{attr}`, which blastdoor does not map")
            return U
        verb, namespaced, kind = m.group("verb"), m.group("ns"), m.group("kind").lower()
        first = args[0] if args else U
        if isinstance(first, K) and isinstance(first.v, dict):  # newer clients: one object argument
            name_v, ns_v = first.v.get("name", U), first.v.get("namespace", U)
        else:
            name_v = first
            ns_v = args[1] if len(args) > 1 else U
            if verb in ("list", "create", "deleteCollection"):
                ns_v, name_v = first, U
        kubectl_verb = {"deleteCollection": "delete", "read": "get", "list": "get"}.get(verb, verb)
        argv: list[str | None] = ["kubectl", kubectl_verb, kind]
        if verb in ("delete", "read", "patch", "replace"):
            argv.append(text_of(name_v))
        if verb == "deleteCollection":
            argv.append("--all")
        if namespaced:
            argv += ["-n", text_of(ns_v)]
        context = recv.get("context")
        if context:
            argv += ["--context", context]
        self.add("kube", f"calls the Kubernetes API `{attr}`", argv=argv)
        return U
