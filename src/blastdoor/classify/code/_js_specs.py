"""The JavaScript analyser's call specs: what a call the knowledge base describes does.

``kb/code/calls.yaml`` gives each known call (``fs.rmSync``, ``child_process.execSync``, ``fetch``, a
database client's ``query``) a spec; ``CallSpecs.apply`` turns a call's arguments, as far as they are
known, into findings. A mixin of the analyser in ``javascript.py``.
"""

from __future__ import annotations

from typing import Any

from blastdoor.classify.code._flows import FLOW_KEYS as _FLOWS
from blastdoor.classify.code._flows import flows
from blastdoor.classify.code._js_cloud import CloudCalls
from blastdoor.classify.code._values import K, Obj, U, spec_arg, text_of


class CallSpecs(CloudCalls):
    """Calls with a spec: file effects, programs run, SQL, data sent, values returned."""

    dialect: str

    def apply(self, spec: dict[str, Any], name: str, recv: Obj | None, args: list[Any]) -> Any:
        why = spec.get("why") or f"calls `{name}`"

        def arg(index: Any) -> Any:
            return spec_arg(index, recv, args)

        effects = tuple(spec.get("effects", ()))
        if "file" in spec:
            self.add("file", why, mode=spec["file"], path=text_of(arg(spec["path"])), effects=effects)
            if "also" in spec:
                self.add("file", f"{why} (moves its source away)", mode="write", path=text_of(arg(spec["also"])))
            if "read" in spec:
                self.add("file", why, mode="read", path=text_of(arg(spec["read"])))
        elif effects:
            self.add("effects", why, effects=effects)
        if spec.get("open") == "js":
            flags = text_of(arg(1)) or "r"
            mode = "write" if any(c in flags for c in "wa+") else "read"
            self.add("file", f"opens a file ({flags!r})", mode=mode, path=text_of(arg(0)))
        if "run" in spec:
            self.run(spec, name, args)
        if "sql" in spec:
            self.sql(recv, arg(spec["sql"]), name)
        if "send" in spec:
            self.send(spec, name, args)
        if not _FLOWS.isdisjoint(spec):  # data sent out, or returned (_flows)
            opts = args[1] if len(args) > 1 else U
            config = opts.v if isinstance(opts, K) and isinstance(opts.v, dict) else {}
            url = arg(spec.get("url"))
            value = flows(
                self.add,
                spec,
                name,
                url,
                config.get("params", U),
                config.get("headers"),
                arg(spec.get("lookup")),
                arg(spec.get("path")),
            )
            if value is not None:
                return value
        if spec.get("dynamic"):
            text = text_of(args[0]) if len(args) == 1 else None
            if name == "Function" and args:
                text = text_of(args[-1]) if all(text_of(a) is not None for a in args) else None
            if text is None:
                self.unknown(f"`{name}` of code computed at run time")
            else:
                self.add("code", f"`{name}` of literal code", text=text, data={"lang": self.dialect})
            return U
        if "returns" in spec:
            props: dict[str, Any] = {"dialect": spec.get("dialect", "")}
            if "db" in spec:
                db = arg(spec["db"])
                props["db"] = text_of(db) or ""
                if isinstance(db, K) and isinstance(db.v, dict):
                    props["db"] = text_of(db.v.get("connectionString", U)) or text_of(db.v.get("filename", U)) or ""
                    props["host"] = text_of(db.v.get("host", U)) or ""
            return Obj(spec["returns"], **props)
        if spec.get("join"):
            parts = [text_of(a) for a in args]
            if parts and all(p is not None for p in parts):
                return K("/".join(p for p in parts if p is not None))
            return U
        return U

    def run(self, spec: dict[str, Any], name: str, args: list[Any]) -> None:
        how = spec["run"]
        opts = next((a for a in args[1:] if isinstance(a, K) and isinstance(a.v, dict)), None)
        shell = opts.v.get("shell") if opts is not None else None
        shell_on = isinstance(shell, K) and bool(shell.v) and shell.v != "false"
        if shell is not None and not isinstance(shell, K):
            self.unknown(f"`{name}` with `shell` computed at run time")
        first = args[0] if args else U
        ctx = self.process_context(opts)
        if how == "node":
            path = text_of(first)
            self.add("argv", f"`{name}` runs a node program", argv=["node", path], data=ctx)
            return
        if how == "shell":
            self.add("shell", f"`{name}` runs shell text", text=text_of(first), data=ctx)
            return
        rest: list[str | None] = []
        if len(args) > 1 and isinstance(args[1], K) and isinstance(args[1].v, list):
            rest = [text_of(x) for x in args[1].v]
        elif len(args) > 1 and args[1] is U:
            rest = [None]
        if shell_on:
            words = [text_of(first), *rest]
            text = " ".join(w for w in words if w is not None) if None not in words else None
            self.add("shell", f"`{name}` runs shell text (shell: true)", text=text, data=ctx)
            return
        self.add("argv", f"`{name}` runs a program", argv=[text_of(first), *rest], data=ctx)

    def process_context(self, opts: Any) -> dict[str, Any]:
        """The environment and directory a spawned command gets: the program's ``process.env`` writes,
        then the ``env`` option (which replaces the environment) and ``cwd``."""
        env: dict[str, str | None] = {k: text_of(v) for k, v in self.environ.items() if k != "*"}
        out: dict[str, Any] = {}
        if isinstance(opts, K) and isinstance(opts.v, dict):
            given = opts.v.get("env")
            if isinstance(given, K) and isinstance(given.v, dict):
                env = {str(k): text_of(v) for k, v in given.v.items()}
            if "cwd" in opts.v:
                out["cwd"] = text_of(opts.v["cwd"])
        if env:
            out["env"] = env
        return out

    def sql(self, recv: Obj | None, value: Any, name: str) -> None:
        text = text_of(value)
        if text is None and isinstance(value, K) and isinstance(value.v, dict):
            text = text_of(value.v.get("text", U)) or text_of(value.v.get("sql", U))
        data = {"dialect": recv.get("dialect") if recv else "", "db": recv.get("db") if recv else ""}
        if recv is not None and recv.get("host"):
            data["host"] = recv.get("host")
        self.add("sql", f"`{name}` runs SQL", text=text, data=data)

    def send(self, spec: dict[str, Any], name: str, args: list[Any]) -> None:
        how = spec["send"]
        url = text_of(args[0]) if args else None
        opts = args[1] if len(args) > 1 else K({})
        if how in ("fetch", "axios"):
            config = args[0] if how == "axios" else opts
            if isinstance(config, K) and isinstance(config.v, dict):
                if how == "axios":
                    url = text_of(config.v.get("url", U))
                method = (text_of(config.v.get("method", K("GET"))) or "POST").upper()
                body = "body" in config.v or "data" in config.v
            elif how == "axios" and text_of(args[0]) is not None:
                method, body = "GET", len(args) > 1
            else:
                method, body = "?", True
            if method in ("GET", "HEAD", "OPTIONS") and not body:
                self.add("effects", f"`{name}` fetches {url or 'a URL'}", effects=("read",))
                return
            if method == "DELETE" and not body:
                self.add("effects", "sends an HTTP DELETE", effects=("delete", "irreversible"))
                return
        self.add("send", f"`{name}` sends data to {url or 'a URL computed at run time'}", data={"url": url or ""})
