"""JavaScript and TypeScript programs read with tree-sitter: what each call would do, as findings.

The same model as the Python analyser: one pass in source order, constants propagated through
``const``/``let``/``var`` and object literals, branches joined, every function body read. Modules are
followed from ``require``/``import`` (``node:`` prefixes and ``fs/promises`` normalised); the AWS SDK
for JavaScript v3 (``new XClient(config).send(new YCommand(input))`` and the aggregated ``new X(config)
.yOp(input)``) and v2 (``new AWS.X(config).yOp(input)``) map to AWS operations with the region,
profile and endpoint of the client's configuration; ``child_process`` to commands; ``fs`` to file
effects; ``pg``/``mysql2``/``sqlite`` drivers' queries to SQL; ``fetch``/``axios``/``http`` sending a
body to exfiltration. ``eval``/``new Function`` of computed text, ``require`` of a computed name and
``obj[computed](...)`` are ``unknown``.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.classify.code._data import table
from blastdoor.classify.code._findings import Finding
from blastdoor.classify.code._js_specs import CallSpecs
from blastdoor.classify.code._js_syntax import (
    BUILTIN,
    DISTINCT,
    STATEMENTS,
    canon,
    identifiers,
    module_name,
    parser,
    unescape,
)
from blastdoor.classify.code._values import K, Obj, U, concat, credential_in, data_in, join, join_env, text_of
from blastdoor.classify.credentials import credential_variable

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["analyse_javascript"]

MAX_LOCAL_DEPTH = 3
MAX_LOCAL_MODULES = 32  # local modules read for one program (bounded time in a hook)
_AWS_V3 = re.compile(r"^@aws-sdk/client-([a-z0-9-]+)$")
# A destructive verb with a noun (`deleteStack`, `dropTable`, `terminateInstances`); bare verbs
# (`map.delete(k)`, `stream.destroy()`) and DOM methods (`removeChild`) are ordinary.
_DESTROY = re.compile(
    r"^(delete|destroy|drop|purge|terminate|truncate|wipe|nuke|erase|deregister|revoke|batchDelete)[A-Z]"
)
# Packages whose objects are remote infrastructure (containers, buckets, VMs, repositories): in a program
# that requires one, a bare verb (`container.remove()`, `bucket.delete()`) on an object blastdoor cannot
# follow may destroy something, so it is `unknown` (in other programs bare verbs stay ordinary).
_INFRA_PACKAGES = re.compile(
    r"^(dockerode|@google-cloud/|@azure/|@octokit/|@gitbeaker/|@pulumi/|@kubernetes/|digitalocean|"
    r"hcloud-js|@vercel/|@cloudflare/|cloudflare$|heroku-client|@supabase/|firebase-admin)"
)
_BARE_DESTROY = frozenset(("delete", "remove", "destroy", "terminate", "purge", "drop", "prune", "kill", "wipe"))


def _kebab_service(pkg: str) -> str:
    return pkg.replace("-", "")


# What writes its arguments where the agent reads them (the terminal, the tool's output).
_PRINTS = frozenset(
    (
        "console.log",
        "console.error",
        "console.info",
        "console.warn",
        "console.debug",
        "console.dir",
        "process.stdout.write",
        "process.stderr.write",
    )
)


class _Analyser(CallSpecs):
    def __init__(self, src: bytes, base_dir: str | None, depth: int, seen: set[str], dialect: str) -> None:
        t = table("javascript")
        self.calls: dict[str, Any] = t["calls"]
        self.methods: dict[str, Any] = t["methods"]
        self.any: dict[str, Any] = t["any"]
        self.src = src
        self.findings: list[Finding] = []
        self.base_dir = base_dir
        self.depth = depth
        self.seen = seen
        self.dialect = dialect
        self.environ: dict[str, Any] = {}
        self.third_party = False
        self.infra = ""  # the infrastructure package this program requires (see _INFRA_PACKAGES)
        self.modules: set[str] = set()
        self.line = 0

    def add(self, kind: str, why: str, **kw: Any) -> None:
        self.findings.append(Finding(kind, why, line=self.line, **kw))

    def unknown(self, why: str) -> None:
        self.add("unknown", why)

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- statements ------------------------------------------------------------------------------------

    def block(self, node: Node, env: dict[str, Any]) -> dict[str, Any]:
        for child in node.named_children:
            env = self.stmt(child, env)
        return env

    def stmt(self, node: Node, env: dict[str, Any]) -> dict[str, Any]:
        t = node.type
        self.line = node.start_point[0] + 1
        if t in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                if decl.type == "variable_declarator":
                    name = decl.child_by_field_name("name")
                    value_node = decl.child_by_field_name("value")
                    value = self.ev(value_node, env) if value_node is not None else K(None)
                    if name is not None:
                        self.bind(name, value, env)
            return env
        if t == "import_statement":
            self.import_statement(node, env)
            return env
        if t == "if_statement":
            cond = node.child_by_field_name("condition")
            if cond is not None:
                self.ev(cond, env)
            cons = node.child_by_field_name("consequence")
            alt = node.child_by_field_name("alternative")
            a = self.stmt(cons, dict(env)) if cons is not None else env
            b = self.stmt(alt, dict(env)) if alt is not None else env
            return join_env(a, b)
        if t in ("for_statement", "for_in_statement", "while_statement", "do_statement"):
            inner = dict(env)
            for child in node.named_children:
                if child.type in ("statement_block", "expression_statement") or child.type.endswith("_statement"):
                    inner = self.stmt(child, inner)
                else:
                    self.ev(child, inner)
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                inner[self.text(left)] = U
            return join_env(env, inner)
        if t in ("try_statement", "switch_statement"):
            out = env
            for child in node.named_children:
                out = join_env(out, self.stmt(child, dict(env)))
            return out
        if t in (
            "statement_block",
            "program",
            "class_body",
            "switch_case",
            "switch_default",
            "else_clause",
            "catch_clause",
            "finally_clause",
            "switch_body",
            "export_statement",
            "labeled_statement",
        ):
            for child in node.named_children:
                env = self.stmt(child, env)
            return env
        if t in ("function_declaration", "generator_function_declaration", "method_definition", "class_declaration"):
            self.ev(node, env)
            name = node.child_by_field_name("name")
            if name is not None:
                env[self.text(name)] = U
            return env
        if t in ("comment", "empty_statement", "hash_bang_line", "debugger_statement"):
            return env
        self.ev(node, env)
        return env

    def bind(self, pattern: Node, value: Any, env: dict[str, Any]) -> None:
        t = pattern.type
        if t == "identifier":
            env[self.text(pattern)] = value
        elif t == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    key = self.text(child)
                    env[key] = self.member(value, key)
                elif child.type == "pair_pattern":
                    key_node = child.child_by_field_name("key")
                    val_node = child.child_by_field_name("value")
                    if key_node is not None and val_node is not None:
                        key = self.text(key_node).strip("'\"")
                        self.bind(val_node, self.member(value, key), env)
                elif child.type == "object_assignment_pattern":
                    left = child.child_by_field_name("left")
                    if left is not None:
                        self.bind(
                            left, self.member(value, self.text(left)) if left.type.startswith("shorthand") else U, env
                        )
                else:
                    for ident in identifiers(child):
                        env[self.text(ident)] = U
        elif t == "array_pattern":
            items = value.v if isinstance(value, K) and isinstance(value.v, list) else None
            for i, child in enumerate(pattern.named_children):
                self.bind(child, items[i] if items is not None and i < len(items) else U, env)
        elif t == "assignment_pattern":
            left = pattern.child_by_field_name("left")
            if left is not None:
                self.bind(left, value, env)
        else:
            for ident in identifiers(pattern):
                env[self.text(ident)] = U

    def import_statement(self, node: Node, env: dict[str, Any]) -> None:
        source = node.child_by_field_name("source")
        if source is None:
            return
        module = module_name(self.string(source) or "")
        ref = self.require(module)
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    env[self.text(part)] = ref
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        env[self.text(ident)] = ref
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias")
                        if name is not None:
                            env[self.text(alias if alias is not None else name)] = self.member(ref, self.text(name))

    # -- modules -------------------------------------------------------------------------------------

    def require(self, module: str) -> Any:
        self.modules.add(module)
        if module.startswith((".", "/")):
            self.local(module)
            return U
        root = module.split("/")[0]
        if root not in BUILTIN and module not in BUILTIN:
            self.third_party = True
            if not self.infra and _INFRA_PACKAGES.match(module):
                self.infra = module
        return Obj("ref", name=module)

    def local(self, module: str) -> None:
        if not self.base_dir:
            self.unknown(f"requires the local module `{module}`, which blastdoor cannot find")
            return
        base = os.path.normpath(os.path.join(self.base_dir, module))
        found = None
        for cand in (
            base,
            *(base + ext for ext in (".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx", ".jsx")),
            *(os.path.join(base, "index" + ext) for ext in (".js", ".ts", ".mjs")),
        ):
            if os.path.isfile(cand):
                found = cand
                break
        if found is None:
            if module.endswith((".json", ".css", ".svg", ".png")):
                return
            self.unknown(f"requires the local module `{module}`, which blastdoor cannot find")
            return
        if found in self.seen:
            return
        self.seen.add(found)
        if len(self.seen) > MAX_LOCAL_MODULES:
            self.unknown(f"the program loads more than {MAX_LOCAL_MODULES} local modules: the rest is not read")
            return
        if found.endswith(".json"):
            return
        if self.depth >= MAX_LOCAL_DEPTH:
            self.unknown(f"local modules nested too deep: `{module}`")
            return
        try:
            with open(found, "rb") as fh:
                data = fh.read(256 * 1024 + 1)
        except OSError:
            self.unknown(f"cannot read the local module `{module}`")
            return
        if len(data) > 256 * 1024:
            self.unknown(f"the local module `{module}` is larger than the script limit")
            return
        dialect = "tsx" if found.endswith(".tsx") else "typescript" if found.endswith((".ts", ".mts")) else "javascript"
        for f in analyse_javascript(
            data.decode("utf-8", "replace"),
            dialect=dialect,
            base_dir=os.path.dirname(found),
            depth=self.depth + 1,
            seen=self.seen,
        ):
            f.why = f"{f.why} (in the local module `{module}`, line {f.line})"
            f.line = self.line
            self.findings.append(f)

    # -- values ----------------------------------------------------------------------------------------

    def string(self, node: Node) -> str | None:
        if node.type == "string":
            out = []
            for child in node.named_children:
                if child.type == "string_fragment":
                    out.append(self.text(child))
                elif child.type == "escape_sequence":
                    out.append(unescape(self.text(child)))
            if not node.named_children:
                return self.text(node)[1:-1]
            return "".join(out)
        return None

    def member(self, base: Any, name: str) -> Any:
        if isinstance(base, Obj):
            if base.kind == "ref":
                if base.get("name") == "process.env":
                    # What the program set, else the home directory for HOME: `process.env.HOME + "/.ssh"`.
                    if name in self.environ:
                        return self.environ[name]
                    if name in ("HOME", "USERPROFILE"):
                        return K("~")
                    if credential_variable(name):  # unknown here, but printing it leaks it
                        return Obj("credential", name=name)
                return Obj("ref", name=f"{base.get('name')}.{name}")
            return Obj("bound", recv=base, attr=name)
        if isinstance(base, K) and isinstance(base.v, dict):
            return base.v.get(name, U)
        return U

    def ev(self, node: Node | None, env: dict[str, Any]) -> Any:
        if node is None:
            return U
        t = node.type
        if t == "string":
            s = self.string(node)
            return K(s) if s is not None else U
        if t == "template_string":
            pieces: list[Any] = []
            for child in node.named_children:
                if child.type == "string_fragment":
                    pieces.append(K(self.text(child)))
                elif child.type == "escape_sequence":
                    pieces.append(K(unescape(self.text(child))))
                elif child.type == "template_substitution":
                    subs = [self.ev(c, env) for c in child.named_children]
                    pieces.append(subs[0] if len(subs) == 1 else (data_in(subs) or U))
            return concat(pieces)
        if t == "number":
            return K(self.text(node))
        if t in ("true", "false"):
            return K(t == "true")
        if t in ("null", "undefined"):
            return K(None)
        if t == "identifier":
            name = self.text(node)
            if name in env:
                return env[name]
            if name in (
                "require",
                "eval",
                "Function",
                "fetch",
                "process",
                "axios",
                "module",
                "setTimeout",
                "setInterval",
                "setImmediate",
                "console",
            ):
                return Obj("ref", name=name)
            if name in ("globalThis", "global", "window", "self"):  # globalThis.eval is eval
                return Obj("ref", name=name)
            if name in ("__dirname", "__filename") and self.base_dir:
                return K(self.base_dir if name == "__dirname" else os.path.join(self.base_dir, "index.js"))
            return U
        if t in (
            "parenthesized_expression",
            "await_expression",
            "as_expression",
            "non_null_expression",
            "satisfies_expression",
            "type_assertion",
            "spread_element",
        ):
            value = U
            for child in node.named_children:
                v = self.ev(child, env)
                if child.type not in ("type_annotation", "predefined_type", "type_identifier", "generic_type"):
                    value = v
            return value if t != "spread_element" else U
        if t == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            base = self.ev(obj, env)
            if prop is None:
                return U
            return self.member(base, self.text(prop))
        if t == "subscript_expression":
            base = self.ev(node.child_by_field_name("object"), env)
            idx = self.ev(node.child_by_field_name("index"), env)
            key = text_of(idx)
            if key is None:
                if isinstance(base, Obj) and base.kind == "ref":
                    self.unknown(f"`{base.get('name')}[...]` with a name computed at run time")
                return U
            return self.member(base, key)
        if t == "call_expression":
            return self.call(node, env)
        if t == "new_expression":
            ctor = self.ev(node.child_by_field_name("constructor"), env)
            args = self.arguments(node.child_by_field_name("arguments"), env)
            return self.construct(ctor, args)
        if t == "object":
            out_d: dict[str, Any] = {}
            for child in node.named_children:
                if child.type == "pair":
                    key_node = child.child_by_field_name("key")
                    value = self.ev(child.child_by_field_name("value"), env)
                    if key_node is not None:
                        key = self.string(key_node) if key_node.type == "string" else self.text(key_node)
                        if key_node.type == "computed_property_name":
                            continue
                        out_d[key or ""] = value
                elif child.type == "shorthand_property_identifier":
                    out_d[self.text(child)] = env.get(self.text(child), U)
                else:
                    self.ev(child, env)
            return K(out_d)
        if t == "array":
            return K([self.ev(c, env) for c in node.named_children])
        if t == "binary_expression":
            left = self.ev(node.child_by_field_name("left"), env)
            right = self.ev(node.child_by_field_name("right"), env)
            op = node.child_by_field_name("operator")
            if op is not None and self.text(op) == "+" and text_of(left) is not None and text_of(right) is not None:
                return K(str(text_of(left)) + str(text_of(right)))
            if op is not None and self.text(op) == "+":  # "Bearer " + token, a URL + a file's content
                return concat([left, right])
            return U
        if t == "ternary_expression":
            self.ev(node.child_by_field_name("condition"), env)
            return join(
                self.ev(node.child_by_field_name("consequence"), env),
                self.ev(node.child_by_field_name("alternative"), env),
            )
        if t in ("assignment_expression", "augmented_assignment_expression"):
            left = node.child_by_field_name("left")
            value = self.ev(node.child_by_field_name("right"), env)
            if t == "augmented_assignment_expression":
                value = U
            if left is not None:
                self.assign(left, value, env)
            return value
        if t in (
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
            "function",
        ):
            inner = dict(env)
            params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
            if params is not None:
                for ident in identifiers(params):
                    inner[self.text(ident)] = U
            body = node.child_by_field_name("body")
            if body is not None:
                if body.type == "statement_block":
                    self.block(body, inner)
                else:
                    self.ev(body, inner)
            return U
        if t in ("class_declaration", "class"):
            body = node.child_by_field_name("body")
            if body is not None:
                for child in body.named_children:
                    self.ev(child, dict(env))
            return U
        if t in ("field_definition", "public_field_definition"):
            value = node.child_by_field_name("value")
            return self.ev(value, env) if value is not None else U
        if t == "expression_statement" or t == "return_statement" or t == "throw_statement":
            value = U
            for child in node.named_children:
                value = self.ev(child, env)
            return value
        if t in ("statement_block",):
            self.block(node, dict(env))
            return U
        if t in STATEMENTS:
            self.stmt(node, env)
            return U
        for child in node.named_children:
            self.ev(child, env)
        return U

    def assign(self, left: Node, value: Any, env: dict[str, Any]) -> None:
        if left.type == "identifier":
            env[self.text(left)] = value
            return
        if left.type == "member_expression":
            obj = left.child_by_field_name("object")
            prop = left.child_by_field_name("property")
            if obj is not None and prop is not None and self.text(obj) == "process.env":
                self.environ[self.text(prop)] = value
                return
            if obj is not None and obj.type == "this" and prop is not None:
                env["this." + self.text(prop)] = value
                return
            self.ev(obj, env)
            return
        if left.type == "subscript_expression":
            obj = left.child_by_field_name("object")
            idx = self.ev(left.child_by_field_name("index"), env)
            if obj is not None and self.text(obj) == "process.env":
                key = text_of(idx)
                self.environ[key if key is not None else "*"] = value
            return
        if left.type in ("object_pattern", "array_pattern"):
            self.bind(left, value, env)

    def arguments(self, node: Node | None, env: dict[str, Any]) -> list[Any]:
        if node is None:
            return []
        if node.type == "template_string":  # a tagged template: sql`...`
            return [self.ev(node, env)]
        values = [
            U if c.type == "spread_element" else self.ev(c, env) for c in node.named_children if c.type != "comment"
        ]
        for value in values:  # a function handed to another call (`paths.forEach(fs.rmSync)`) is called by it
            if isinstance(value, Obj) and value.kind == "ref":
                name = canon(str(value.get("name")))
                if name in self.calls and name not in ("require", "fetch", "process", "module"):
                    self.named(name, [U])
            elif isinstance(value, Obj) and value.kind == "bound":
                self.method(value.props["recv"], str(value.props["attr"]), [U])
        return values

    # -- calls ---------------------------------------------------------------------------------------

    def call(self, node: Node, env: dict[str, Any]) -> Any:
        func = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        self.line = node.start_point[0] + 1
        if func is not None and func.type == "import":  # import('x')
            args = self.arguments(args_node, env)
            module = text_of(args[0]) if args else None
            if module is None:
                self.unknown("`import()` of a module named at run time")
                return U
            return self.require(module_name(module))
        if func is not None and func.type == "member_expression":
            obj = func.child_by_field_name("object")
            prop = func.child_by_field_name("property")
            if obj is not None and obj.type == "this" and prop is not None:
                base = env.get("this." + self.text(prop), U)
                args = self.arguments(args_node, env)
                return self.invoke(base, args, self.text(prop))
            base = self.ev(obj, env)
            attr = self.text(prop) if prop is not None else ""
            args = self.arguments(args_node, env)
            if isinstance(base, Obj) and base.kind == "ref":
                return self.named(canon(f"{base.get('name')}.{attr}"), args)
            if obj is not None and obj.type == "member_expression" and self.text(obj).endswith("this"):
                pass
            return self.method(base, attr, args)
        callee = self.ev(func, env)
        args = self.arguments(args_node, env)
        if isinstance(callee, Obj) and callee.kind == "ref" and callee.get("name") == "require":
            module = text_of(args[0]) if args else None
            if module is None:
                self.unknown("`require` of a module named at run time")
                return U
            return self.require(module_name(module))
        return self.invoke(callee, args, self.text(func) if func is not None else "?")

    def invoke(self, callee: Any, args: list[Any], shown: str) -> Any:
        if isinstance(callee, Obj):
            if callee.kind == "ref":
                return self.named(canon(str(callee.get("name"))), args)
            if callee.kind == "bound":
                return self.method(callee.props["recv"], str(callee.props["attr"]), args)
            if callee.kind == "db" and args:  # postgres.js: sql`DROP TABLE x`
                self.sql(callee, args[0], shown)
                return U
        return U

    def construct(self, ctor: Any, args: list[Any]) -> Any:
        if not isinstance(ctor, Obj) or ctor.kind != "ref":
            return U
        name = str(ctor.get("name"))
        module, _, cls = name.rpartition(".")
        m = _AWS_V3.match(module)
        config = args[0] if args else K({})
        if m:
            service = _kebab_service(m.group(1))
            if cls.endswith("Command"):
                return Obj("aws_command", service=service, operation=cls[: -len("Command")], params=config)
            return self.aws_client(service, config)
        if module == "aws-sdk" or module.startswith("aws-sdk/clients/"):
            if cls in ("SharedIniFileCredentials",):
                return Obj("aws_creds", profile=self.cfg(config, "profile"))
            if cls in ("Config", "Endpoint", "Credentials", "EnvironmentCredentials"):
                return U
            return self.aws_client(cls.lower(), config)
        if name == "Function" or name.endswith(".Script"):
            return self.named(name, args)
        spec = self.calls.get(canon(name))
        if spec is not None:
            return self.apply(spec, name, None, args)
        if module.startswith("@kubernetes/client-node") and cls == "KubeConfig":
            return Obj("kube_config", context="")
        return U

    def named(self, name: str, args: list[Any]) -> Any:
        for prefix in ("globalThis.", "global.", "window.", "self."):
            name = name.removeprefix(prefix)
        if name in _PRINTS:
            found = credential_in(args)
            if found is not None:  # console.log(process.env.GITHUB_TOKEN): `echo $GITHUB_TOKEN` in Node
                why = f"`{name}` prints ${found.get('name')}, a variable that holds a credential"
                self.add("effects", why, effects=("secrets",))
        if name in ("module.require", "process.mainModule.require", "module.constructor._load") or name.endswith(
            ".createRequire"
        ):
            module = text_of(args[0]) if args else None
            if name.endswith(".createRequire"):
                return Obj("ref", name="require")
            if module is None:
                self.unknown(f"`{name}` of a module named at run time")
                return U
            return self.require(module_name(module))
        if name in ("setTimeout", "setInterval", "setImmediate"):
            code = text_of(args[0]) if args else None
            if code is not None:  # a string is evaluated as code
                self.add("code", f"`{name}` of a string evaluates it", text=code, data={"lang": self.dialect})
            return U
        if name in ("os.homedir",):
            return K("~")
        if name in ("process.cwd",):
            return K(".")
        if name.startswith("process.binding") or name in ("process.dlopen", "process._linkedBinding"):
            self.unknown(f"`{name}` reaches Node's internals")
            return U
        module, _, leaf = name.rpartition(".")
        if module == "@aws-sdk/credential-providers" or module.startswith("@aws-sdk/credential-provider"):
            if leaf in ("fromIni", "fromSSO", "fromProcess"):
                return Obj("aws_creds", profile=self.cfg(args[0] if args else K({}), "profile"))
            return U
        if _AWS_V3.match(module) and leaf.startswith("paginate"):
            client = args[0] if args else U
            params = args[1] if len(args) > 1 else K({})
            if isinstance(client, Obj) and client.kind == "aws_client":
                self.aws(client.props, leaf[len("paginate") :], params)
            return U
        if name == "aws-sdk.config.update":
            return U
        spec = self.calls.get(name)
        if spec is None and "." not in name:
            spec = self.calls.get(name)
        if spec is None:
            if module == "process.env" or name.startswith("process.env"):
                return U
            if leaf in self.any:
                return self.apply(self.any[leaf], leaf, None, args)
            if module.split("/")[0] not in BUILTIN and module and _DESTROY.match(leaf):
                self.unknown(f"calls `{name}`, which blastdoor cannot follow")
            return U
        return self.apply(spec, name, None, args)

    def method(self, recv: Any, attr: str, args: list[Any]) -> Any:
        if attr == "constructor":  # [].constructor.constructor('code') is Function
            self.unknown("calls a `constructor` reached through an object: code built at run time")
            return U
        if isinstance(recv, Obj) and recv.kind in ("local", "credential"):
            return recv  # .toString(), .trim(), .split(): the same data
        if not isinstance(recv, Obj):
            spec = self.any.get(attr)
            if spec is not None:
                return self.apply(spec, attr, None, args)
            for module in ("child_process", "fs"):
                # the module reached in a way blastdoor cannot follow (`import('fs').then(fs => ...)`)
                spec = self.calls.get(f"{module}.{attr}")
                if spec is not None and module in self.modules and attr in DISTINCT:
                    return self.apply(spec, f"{module}.{attr}", None, args)
            if self.third_party and _DESTROY.match(attr):
                self.unknown(f"calls `.{attr}(...)` on an object blastdoor cannot follow")
            elif self.infra and attr in _BARE_DESTROY:
                self.unknown(f"calls `.{attr}()` in a program that drives `{self.infra}` (remote infrastructure)")
            return U
        if recv.kind == "aws_client":
            if attr == "send":
                cmd = args[0] if args else U
                if isinstance(cmd, Obj) and cmd.kind == "aws_command":
                    props = dict(recv.props)
                    if not props.get("service"):
                        props["service"] = cmd.get("service")
                    self.aws(props, str(cmd.get("operation")), cmd.get("params"))
                else:
                    self.unknown("an AWS client sends a command built at run time")
                return U
            if attr in ("destroy", "middlewareStack", "config"):
                return U
            self.aws(recv.props, attr[:1].upper() + attr[1:], args[0] if args else K({}))
            return Obj("aws_request")
        if recv.kind == "aws_request":
            return U  # .promise(), .then()
        if recv.kind == "kube_config":
            if attr == "makeApiClient":
                return Obj("kube_api", context=recv.get("context"))
            if attr == "setCurrentContext":
                recv.props["context"] = text_of(args[0]) if args else None
            return U
        if recv.kind == "kube_api":
            return self.kube(recv, attr, args)
        table_ = self.methods.get(recv.kind)
        if table_ is not None and attr in table_:
            return self.apply(table_[attr], attr, recv, args)
        spec = self.any.get(attr)
        if spec is not None:
            return self.apply(spec, attr, None, args)
        if recv.kind == "bound":
            return U
        return U


def analyse_javascript(
    text: str,
    *,
    dialect: str = "javascript",
    base_dir: str | None = None,
    depth: int = 0,
    seen: set[str] | None = None,
) -> list[Finding]:
    """Findings for a JavaScript (``dialect`` javascript), TypeScript or TSX program."""
    src = text.encode("utf-8", "replace")
    tree = parser(dialect).parse(src)
    a = _Analyser(src, base_dir, depth, seen if seen is not None else set(), dialect)
    if tree.root_node.has_error:
        a.findings.append(Finding("unknown", f"the {dialect} code does not parse"))
    try:
        a.block(tree.root_node, {})
    except RecursionError:
        a.findings.append(Finding("unknown", f"the {dialect} code nests too deeply to analyse"))
    return a.findings
