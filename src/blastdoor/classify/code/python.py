"""Python programs read with ``ast``: what each call would do, as findings.

One pass over the module in statement order evaluates every expression once, with simple constant
propagation (``x = 'prod'`` then ``Session(profile_name=x)``) and a handful of followed object types:
AWS sessions, clients and resources (boto3/botocore), Kubernetes API objects, database connections,
paths and HTTP sessions. Branches join: a name that holds different values on two paths is computed.
Every function body is read whether or not it is called (conservative). Local modules imported by
the program are read too (bounded); calls that cannot be resolved statically (``eval`` of computed
text, ``getattr`` with a computed name, ``__import__`` of a computed module) are ``unknown``.
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import sys
from typing import Any

from blastdoor.classify.code._data import table
from blastdoor.classify.code._findings import Finding
from blastdoor.classify.code._py_cloud import AWS_SESSION_FUNCS, AWS_SESSION_GETTERS, pascal
from blastdoor.classify.code._py_specs import CallSpecs
from blastdoor.classify.code._values import K, Obj, U, concat, credential_in, join, join_env, local_data, text_of
from blastdoor.classify.credentials import credential_variable

__all__ = ["analyse_python"]

MAX_LOCAL_DEPTH = 3
MAX_LOCAL_MODULES = 32  # local modules read for one program (bounded time in a hook)


def _prop(v: Any) -> str | None:
    """A fact for a followed object: the string, or None when computed."""
    return text_of(v)


# A destructive verb with a noun (`delete_stack`, `drop_table`, `purge_queue`): on an object blastdoor
# cannot follow, in a program that imports an SDK, it is `unknown`. Bare verbs (`delete()`) are too
# common on ordinary objects to mean anything.
_DESTROY = re.compile(
    r"^(delete|destroy|drop|purge|terminate|truncate|wipe|nuke|erase|deregister|revoke|remove_all|batch_delete|"
    r"empty|reset)_[a-z]"
)
_SDK_ROOTS = frozenset(("boto3", "botocore", "aioboto3", "aiobotocore", "kubernetes"))
# SDKs whose objects are remote infrastructure (containers, buckets, VMs, repositories): in a program
# that imports one, even a bare verb (`container.remove()`, `bucket.delete()`, `repo.delete()`) on an
# object blastdoor cannot follow may destroy something, so it is `unknown` rather than nothing.
_INFRA_ROOTS = frozenset(
    [
        "docker",
        "podman",
        "google",
        "azure",
        "openstack",
        "digitalocean",
        "hcloud",
        "linode_api4",
        "libcloud",
        "github",
        "gitlab",
        "pulumi",
        "oci",
        "ibm_cloud_sdk_core",
        "vercel",
        "heroku3",
        "proxmoxer",
        "pyVmomi",
    ]
)
# What writes its arguments where the agent reads them (the terminal, the tool's output).
_PRINTS = frozenset(("print", "pprint.pprint", "sys.stdout.write", "sys.stderr.write", "os.write"))


# Variables that hold the home directory: paths built from them are under ``~``.
_HOME_VARS = frozenset(("HOME", "USERPROFILE"))
_BARE_DESTROY = frozenset(("delete", "remove", "destroy", "terminate", "purge", "drop", "prune", "kill", "wipe"))
# Builtins that look at a function without calling it.
_INSPECT = frozenset(
    (
        "isinstance",
        "issubclass",
        "type",
        "hasattr",
        "getattr",
        "print",
        "repr",
        "str",
        "id",
        "callable",
        "help",
        "dir",
        "vars",
        "len",
        "hash",
        "format",
        "wraps",
        "signature",
        "getsource",
        "iscoroutinefunction",
    )
)


class _Analyser(CallSpecs):
    def __init__(self, base_dir: str | None, depth: int, seen: set[str]) -> None:
        self.t = table("python")
        self.calls: dict[str, Any] = self.t["calls"]
        self.methods: dict[str, Any] = self.t["methods"]
        self.any: dict[str, Any] = self.t["any"]
        self.findings: list[Finding] = []
        self.base_dir = base_dir
        self.depth = depth
        self.seen = seen
        self.environ: dict[str, Any] = {}  # os.environ[...] set by the program
        self.default_session: Obj | None = None
        self.kube_context: Any = K("")
        self.self_attrs: dict[str, Any] = {}
        self.star: list[str] = []  # modules imported with *
        self.third_party = False
        self.infra = ""  # the infrastructure SDK this program imports (see _INFRA_ROOTS)
        self.line = 0

    # -- findings ----------------------------------------------------------------------------------

    def add(self, kind: str, why: str, **kw: Any) -> None:
        self.findings.append(Finding(kind, why, line=self.line, **kw))

    def unknown(self, why: str) -> None:
        self.add("unknown", why)

    # -- statements --------------------------------------------------------------------------------

    def block(self, body: list[ast.stmt], env: dict[str, Any]) -> dict[str, Any]:
        for stmt in body:
            env = self.stmt(stmt, env)
        return env

    def stmt(self, node: ast.stmt, env: dict[str, Any]) -> dict[str, Any]:
        self.line = getattr(node, "lineno", self.line)
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    env[a.asname] = Obj("ref", name=a.name)
                else:
                    root = a.name.split(".")[0]
                    env[root] = Obj("ref", name=root)
                self.imported(a.name, 0)
            return env
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            self.imported(module, node.level)
            for a in node.names:
                if a.name == "*":
                    self.star.append(module)
                    continue
                env[a.asname or a.name] = Obj("ref", name=f"{module}.{a.name}" if module else a.name)
                if node.level or self.local_module(module) is not None:
                    self.imported(f"{module}.{a.name}" if module else a.name, node.level, quiet=True)
            return env
        if isinstance(node, ast.Assign):
            value = self.ev(node.value, env)
            for target in node.targets:
                self.assign(target, value, env)
            return env
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.ev(node.value, env), env)
            return env
        if isinstance(node, ast.AugAssign):
            self.ev(node.value, env)
            self.assign(node.target, U, env)
            return env
        if isinstance(node, ast.Expr | ast.Return | ast.Raise | ast.Assert | ast.Delete):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.ev(child, env)
            return env
        if isinstance(node, ast.If):
            self.ev(node.test, env)
            then_env = self.block(node.body, dict(env))
            else_env = self.block(node.orelse, dict(env))
            return join_env(then_env, else_env)
        if isinstance(node, ast.For | ast.AsyncFor):
            self.ev(node.iter, env)
            inner = dict(env)
            self.assign(node.target, U, inner)
            inner = self.block(node.body, inner)
            out = join_env(env, inner)
            return self.block(node.orelse, out)
        if isinstance(node, ast.While):
            self.ev(node.test, env)
            inner = self.block(node.body, dict(env))
            return self.block(node.orelse, join_env(env, inner))
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                value = self.ev(item.context_expr, env)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, value, env)
            return self.block(node.body, env)
        if isinstance(node, ast.Try | ast.TryStar):
            out = self.block(node.body, dict(env))
            for h in node.handlers:
                out = join_env(out, self.block(h.body, dict(env)))
            out = self.block(node.orelse, out)
            return self.block(node.finalbody, out)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for d in node.decorator_list:
                self.ev(d, env)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    self.ev(default, env)
            inner = dict(env)
            args = node.args
            for param in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if param is not None:
                    inner[param.arg] = U
            self.block(node.body, inner)
            env[node.name] = U
            return env
        if isinstance(node, ast.ClassDef):
            for d in [*node.decorator_list, *node.bases]:
                self.ev(d, env)
            self.block(node.body, dict(env))
            env[node.name] = U
            return env
        if isinstance(node, ast.Match):
            self.ev(node.subject, env)
            out = env
            for case in node.cases:
                out = join_env(out, self.block(case.body, dict(env)))
            return out
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Pass | ast.Break | ast.Continue):
            return env
        for child in ast.iter_child_nodes(node):  # anything newer: read its expressions
            if isinstance(child, ast.expr):
                self.ev(child, env)
        return env

    def assign(self, target: ast.expr, value: Any, env: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = value.v if isinstance(value, K) and isinstance(value.v, list | tuple) else None
            for i, elt in enumerate(target.elts):
                sub = items[i] if items is not None and i < len(items) and not isinstance(elt, ast.Starred) else U
                self.assign(elt.value if isinstance(elt, ast.Starred) else elt, sub, env)
        elif isinstance(target, ast.Attribute):
            if isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"):
                self.self_attrs[target.attr] = value
            else:
                self.ev(target.value, env)
        elif isinstance(target, ast.Subscript):
            base = self.ev(target.value, env)
            key = self.ev(target.slice, env)
            if isinstance(base, Obj) and base.kind == "ref" and base.get("name") == "os.environ":
                name = text_of(key)
                if name is None:
                    self.environ["*"] = U
                else:
                    self.environ[name] = value

    # -- imports -------------------------------------------------------------------------------------

    def local_module(self, module: str) -> str | None:
        if not self.base_dir or not module:
            return None
        rel = module.replace(".", "/")
        for cand in (f"{rel}.py", f"{rel}/__init__.py"):
            path = os.path.join(self.base_dir, cand)
            if os.path.isfile(path):
                return path
        return None

    def imported(self, module: str, level: int, *, quiet: bool = False) -> None:
        root = module.split(".")[0]
        if root in _SDK_ROOTS:
            self.third_party = True
        if root in _INFRA_ROOTS:
            self.infra = self.infra or root
        path = self.local_module(module)
        if path is None:
            if level and not quiet:
                self.unknown(f"imports the local module `{'.' * level}{module}`, which blastdoor cannot find")
            elif root and root not in sys.stdlib_module_names and not quiet:
                self.third_party = True
            return
        if path in self.seen:
            return
        self.seen.add(path)
        if len(self.seen) > MAX_LOCAL_MODULES:
            self.unknown(f"the program loads more than {MAX_LOCAL_MODULES} local modules: the rest is not read")
            return
        if self.depth >= MAX_LOCAL_DEPTH:
            self.unknown(f"local modules nested too deep: `{module}`")
            return
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(256 * 1024 + 1)
        except OSError:
            self.unknown(f"cannot read the local module `{module}`")
            return
        if len(text) > 256 * 1024:
            self.unknown(f"the local module `{module}` is larger than the script limit")
            return
        for f in analyse_python(text, base_dir=self.base_dir, depth=self.depth + 1, seen=self.seen):
            f.why = f"{f.why} (in the local module `{module}`, line {f.line})"
            f.line = self.line
            self.findings.append(f)

    # -- expressions ---------------------------------------------------------------------------------

    def ev(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return K(node.value)
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.calls or node.id in (
                "getattr",
                "setattr",
                "globals",
                "locals",
                "vars",
                "__builtins__",
                "print",
            ):
                return Obj("ref", name=node.id)
            if node.id == "__file__" and self.base_dir:
                return K(posixpath.join(self.base_dir, "__main__.py"))  # only its directory matters
            for module in self.star:  # from subprocess import *
                if f"{module}.{node.id}" in self.calls:
                    return Obj("ref", name=f"{module}.{node.id}")
            return U
        if isinstance(node, ast.Attribute):
            return self.attribute(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.JoinedStr):
            return concat([self.ev(v, env) for v in node.values])
        if isinstance(node, ast.FormattedValue):
            return self.ev(node.value, env)
        if isinstance(node, ast.BinOp):
            a, b = self.ev(node.left, env), self.ev(node.right, env)
            if isinstance(node.op, ast.Add) and text_of(a) is not None and text_of(b) is not None:
                return K(text_of(a) + text_of(b))  # type: ignore[operator]
            if isinstance(node.op, ast.Add | ast.Mod):  # "Bearer " + token, "%s" % token, URL + content
                found = concat([a, b])
                if found is not U:
                    return found
            if isinstance(node.op, ast.Div) and isinstance(a, Obj) and a.kind == "path" and text_of(b) is not None:
                base = text_of(a)
                return Obj("path", path=f"{base}/{text_of(b)}" if base is not None else None)
            return U
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return K([self.ev(e, env) for e in node.elts])
        if isinstance(node, ast.Dict):
            out_d: dict[str, Any] = {}
            for k, v in zip(node.keys, node.values, strict=True):
                key = self.ev(k, env) if k is not None else U
                value = self.ev(v, env)
                if text_of(key) is not None:
                    out_d[text_of(key)] = value  # type: ignore[index]
            return K(out_d)
        if isinstance(node, ast.IfExp):
            self.ev(node.test, env)
            return join(self.ev(node.body, env), self.ev(node.orelse, env))
        if isinstance(node, ast.Await):
            return self.ev(node.value, env)
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value, env)
            env[node.target.id] = value
            return value
        if isinstance(node, ast.Subscript):
            base = self.ev(node.value, env)
            key = self.ev(node.slice, env)
            if isinstance(base, Obj) and base.kind == "ref":
                name = str(base.get("name"))
                if name == "os.environ":
                    return self.environ_value(text_of(key))
                attr = text_of(key)
                if attr is None:  # module.__dict__[x], sys.modules[x]: a callee computed at run time
                    self.unknown(f"`{name}[...]` with a key computed at run time")
                    return U
                if name == "sys.modules":
                    return Obj("ref", name=attr)
                return Obj("ref", name=f"{name.removesuffix('.__dict__')}.{attr}")
            if isinstance(base, K) and isinstance(base.v, dict) and text_of(key) is not None:
                return base.v.get(text_of(key), U)
            if isinstance(base, K) and isinstance(base.v, list) and isinstance(key, K) and isinstance(key.v, int):
                return base.v[key.v] if -len(base.v) <= key.v < len(base.v) else U
            return U
        if isinstance(node, ast.Lambda):
            inner = dict(env)
            for a in node.args.args:
                inner[a.arg] = U
            self.ev(node.body, inner)
            return U
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            inner = dict(env)
            for gen in node.generators:
                self.ev(gen.iter, inner)
                self.assign(gen.target, U, inner)
                for cond in gen.ifs:
                    self.ev(cond, inner)
            if isinstance(node, ast.DictComp):
                self.ev(node.key, inner)
                self.ev(node.value, inner)
            else:
                self.ev(node.elt, inner)
            return U
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child, env)
        return U

    def attribute(self, node: ast.Attribute, env: dict[str, Any]) -> Any:
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and node.value.id not in env:
            return self.self_attrs.get(node.attr, U)
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return self.self_attrs.get(node.attr, U)
        base = self.ev(node.value, env)
        if isinstance(base, Obj):
            if base.kind == "ref":
                return Obj("ref", name=f"{base.get('name')}.{node.attr}")
            if base.kind == "path" and node.attr == "parent":
                where = base.get("path", None)
                return Obj("path", path=posixpath.dirname(where) or "." if isinstance(where, str) else None)
            if base.kind == "aws_res" and node.attr[:1].islower() and node.attr not in ("meta",):
                # a collection: bucket.objects, vpc.instances -> Object, Instance
                singular = node.attr[:-1] if node.attr.endswith("s") else node.attr
                return Obj(
                    "aws_res",
                    **{**base.props, "type": pascal(singular), "collection": True, "parent": base.get("type")},
                )
            if base.kind in ("aws_resource", "aws_res") and node.attr == "meta":
                return Obj("aws_meta", **base.props)
            if base.kind == "aws_meta" and node.attr == "client":
                return Obj("aws_client", **base.props)
            return Obj("bound", recv=base, attr=node.attr)
        return U

    # -- calls ---------------------------------------------------------------------------------------

    def args(self, node: ast.Call, env: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        pos: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.ev(a.value, env)
                pos.append(U)
            else:
                pos.append(self.ev(a, env))
        kw: dict[str, Any] = {}
        for k in node.keywords:
            value = self.ev(k.value, env)
            if k.arg is None:
                kw["**"] = value
            else:
                kw[k.arg] = value
        self.passed(node, pos, kw)
        return pos, kw

    def passed(self, node: ast.Call, pos: list[Any], kw: dict[str, Any]) -> None:
        """A function handed to another call (``map(os.remove, paths)``, ``Thread(target=...)``,
        ``partial(os.system, "...")``) is called by it: with the arguments ``partial`` fixes, else with
        arguments blastdoor cannot see."""
        callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if callee in _INSPECT:
            return
        partial = isinstance(node.func, ast.Attribute | ast.Name) and (
            getattr(node.func, "attr", None) == "partial" or getattr(node.func, "id", None) == "partial"
        )
        for k, value in enumerate([*pos, *kw.values()]):
            if not isinstance(value, Obj) or value.kind not in ("ref", "bound"):
                continue
            given = pos[k + 1 :] if (partial and k == 0) else [U]
            extra = {key: v for key, v in kw.items() if key != "**"} if (partial and k == 0) else {}
            if value.kind == "ref":
                name = str(value.get("name"))
                if name in self.calls or name.startswith(("boto3.", "os.", "shutil.", "subprocess.")):
                    self.named_call(name, given, extra)
            else:
                self.method(value.props["recv"], str(value.props["attr"]), given, extra)

    def call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.ev(func.value, env)
            self.line = getattr(node, "lineno", self.line)
            pos, kw = self.args(node, env)
            if isinstance(base, Obj) and base.kind == "ref":
                return self.named_call(f"{base.get('name')}.{func.attr}", pos, kw)
            return self.method(base, func.attr, pos, kw)
        fv = self.ev(func, env)
        self.line = getattr(node, "lineno", self.line)
        pos, kw = self.args(node, env)
        if isinstance(fv, Obj) and fv.kind == "ref":
            return self.named_call(str(fv.get("name")), pos, kw)
        if isinstance(fv, Obj) and fv.kind == "bound":
            return self.method(fv.props["recv"], str(fv.props["attr"]), pos, kw)
        return U

    def named_call(self, name: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        for prefix in ("builtins.", "__builtins__.", "__builtin__."):
            name = name.removeprefix(prefix)
        spec = self.calls.get(name)
        root = name.split(".")[0]
        if name in ("getattr", "setattr"):
            if len(pos) > 1 and text_of(pos[1]) is not None:
                target = pos[0]
                if name == "getattr" and isinstance(target, Obj):
                    attr = text_of(pos[1]) or ""
                    if target.kind == "ref":
                        return Obj("ref", name=f"{target.get('name')}.{attr}")
                    return Obj("bound", recv=target, attr=attr)
                return U
            self.unknown(f"`{name}` with a name computed at run time")
            return U
        if name in ("globals", "locals", "vars"):
            return U
        if name in _PRINTS:
            self.printed(name, [*pos, *kw.values()])
        if name.endswith(("Path.home", "os.path.expanduser")) and not (name.endswith("expanduser") and pos):
            return Obj("path", path="~")
        if name.endswith("Path.cwd") or name in ("os.getcwd", "os.getcwdb"):
            return Obj("path", path=".")
        if name == "os.path.dirname" and pos:
            where = text_of(pos[0])
            return K(posixpath.dirname(where)) if where is not None else U
        if name in AWS_SESSION_FUNCS or name in AWS_SESSION_GETTERS:
            return self.aws_session(kw)
        if name in ("boto3.setup_default_session",):
            self.default_session = self.aws_session(kw)
            return U
        if name in ("boto3.client", "boto3.resource", "aioboto3.client", "aioboto3.resource"):
            base = self.default_session or self.aws_session({})
            kind = "aws_client" if name.endswith("client") else "aws_resource"
            return self.aws_client(base, kind, pos, kw)
        if root == "kubernetes" or name.startswith("kubernetes."):
            return self.kube_named(name, pos, kw)
        if spec is None:
            if name.startswith("os.environ."):
                return self.environ_method(name.rsplit(".", 1)[1], pos, kw)
            if name == "os.putenv" and pos:
                key = text_of(pos[0])
                self.environ[key if key is not None else "*"] = pos[1] if len(pos) > 1 else U
            leaf = name.rsplit(".", 1)[-1]
            if root not in sys.stdlib_module_names and "." in name and leaf in self.any:
                return self.apply(self.any[leaf], leaf, None, pos, kw)
            if root not in sys.stdlib_module_names and "." in name and _DESTROY.match(leaf):
                self.unknown(f"calls `{name}`, which blastdoor cannot follow (a {leaf.split('_')[0]} verb)")
            return U
        return self.apply(spec, name, None, pos, kw)

    def printed(self, name: str, args: list[Any]) -> None:
        """``print(os.environ["GITHUB_TOKEN"])``: the same secrets read as ``printenv GITHUB_TOKEN``."""
        found = credential_in(args)
        if found is not None:
            why = f"`{name}` prints ${found.get('name')}, a variable that holds a credential"
            self.add("effects", why, effects=("secrets",))

    def environ_value(self, key: str | None) -> Any:
        """``os.environ[key]``: what the program set it to, else the home directory for ``HOME``
        (``open(os.environ["HOME"] + "/.ssh/id_rsa")`` reads the key), else a run-time value."""
        if key is None:
            return U
        if key in self.environ:
            return self.environ[key]
        if key in _HOME_VARS:
            return K("~")
        # A credential by its name: unknown here, but printing it leaks it (``printed``).
        return Obj("credential", name=key) if credential_variable(key) else U

    def environ_method(self, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        if attr == "get" and pos:
            return self.environ_value(text_of(pos[0]))
        if attr in ("setdefault",) and pos:
            key = text_of(pos[0])
            self.environ.setdefault(key if key is not None else "*", pos[1] if len(pos) > 1 else U)
        elif attr == "update":
            src = pos[0] if pos else K(dict(kw))
            if isinstance(src, K) and isinstance(src.v, dict):
                for k, v in src.v.items():
                    self.environ[k] = v
                for k, v in kw.items():
                    self.environ[k] = v
            else:
                self.environ["*"] = U
        return U

    def unfollowed(self, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        spec = self.any.get(attr)
        if spec is not None:
            return self.apply(spec, attr, None, pos, kw)
        if self.third_party and _DESTROY.match(attr):
            self.unknown(f"calls `.{attr}(...)` on an object blastdoor cannot follow")
        elif self.infra and attr in _BARE_DESTROY:
            self.unknown(f"calls `.{attr}()` in a program that drives `{self.infra}` (remote infrastructure)")
        return U

    def method(self, recv: Any, attr: str, pos: list[Any], kw: dict[str, Any]) -> Any:
        if not isinstance(recv, Obj):
            return self.unfollowed(attr, pos, kw)
        kind = recv.kind
        if kind == "aws_session":
            if attr in ("client", "resource"):
                return self.aws_client(recv, "aws_client" if attr == "client" else "aws_resource", pos, kw)
            if attr in ("create_client",):  # botocore
                return self.aws_client(recv, "aws_client", pos, kw)
            return U
        if kind == "aws_client":
            return self.aws_op(recv, attr, pos, kw)
        if kind == "aws_paginator" and attr == "paginate":
            return self.aws_op(recv, str(recv.get("operation")), pos, kw)
        if kind in ("aws_resource", "aws_res"):
            return self.aws_resource_call(recv, attr, pos, kw)
        if kind == "kube_api":
            return self.kube_call(recv, attr, pos, kw)
        table_ = self.methods.get(kind)
        if table_ is not None and attr in table_:
            return self.apply(table_[attr], attr, recv, pos, kw)
        if kind == "file" and attr in ("write", "writelines", "truncate"):
            return U
        if kind == "file" and attr in ("read", "readline", "readlines"):
            return local_data(f"the content of {recv.get('path') or 'a file'}")
        if kind in ("local", "credential"):  # .strip(), .encode(), .decode(), .upper(): the same data
            return recv
        return self.unfollowed(attr, pos, kw)


_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _declared_encoding(text: str) -> str | None:
    """A PEP 263 declaration other than UTF-8 in the first two lines, or None."""
    for line in text.split("\n", 2)[:2]:
        m = _CODING.match(line)
        if m is not None:
            name = m.group(1).lower().replace("_", "-")
            return None if name in ("utf-8", "utf8", "ascii", "us-ascii", "latin-1", "iso-8859-1") else name
        if line.strip() and not line.lstrip().startswith("#"):
            return None
    return None


def analyse_python(
    text: str, *, base_dir: str | None = None, depth: int = 0, seen: set[str] | None = None
) -> list[Finding]:
    """Findings for a Python program; ``base_dir`` is where its local modules are looked up."""
    declared = _declared_encoding(text)
    if declared is not None:
        # Python decodes the source with the declared codec (`# coding: utf-7` can hide a line in a
        # comment): read it the same way
        try:
            text = text.encode("utf-8", "surrogateescape").decode(declared)
        except (LookupError, UnicodeError):
            return [Finding("unknown", f"the python code declares an encoding blastdoor cannot decode: {declared}")]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return [Finding("unknown", "the python code does not parse")]
    a = _Analyser(base_dir, depth, seen if seen is not None else set())
    try:
        a.block(tree.body, {})
    except RecursionError:
        a.findings.append(Finding("unknown", "the python code nests too deeply to analyse"))
    return a.findings
