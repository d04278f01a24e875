"""The Python analyser's call specs: what a call the knowledge base describes does.

``kb/code/calls.yaml`` gives each known call a spec (a file it reads, writes or deletes, a program it
runs, SQL it sends, data it sends out, a value it returns); ``CallSpecs.apply`` turns a call's
arguments, as far as they are known, into findings. A mixin of the analyser in ``python.py``.
"""

from __future__ import annotations

from typing import Any

from blastdoor.classify.code._flows import FLOW_KEYS as _FLOWS
from blastdoor.classify.code._flows import flows
from blastdoor.classify.code._py_cloud import CloudCalls
from blastdoor.classify.code._values import K, Obj, U, spec_arg, text_of


class CallSpecs(CloudCalls):
    """Calls with a spec: file effects, programs run, SQL, data sent, values returned."""

    def imported(self, module: str, level: int, *, quiet: bool = False) -> None:
        raise NotImplementedError

    def environ_value(self, key: str | None) -> Any:
        raise NotImplementedError

    def apply(self, spec: dict[str, Any], name: str, recv: Obj | None, pos: list[Any], kw: dict[str, Any]) -> Any:
        why = spec.get("why") or f"calls `{name}`"

        def arg(index: Any) -> Any:
            return spec_arg(index, recv, pos)

        effects = tuple(spec.get("effects", ()))
        if "file" in spec:
            path = text_of(arg(spec["path"]))
            self.add("file", why, mode=spec["file"], path=path, effects=effects)
            if "also" in spec:
                self.add("file", f"{why} (moves its source away)", mode="write", path=text_of(arg(spec["also"])))
            if "read" in spec:
                self.add("file", why, mode="read", path=text_of(arg(spec["read"])))
        elif effects:
            self.add("effects", why, effects=effects)
        if spec.get("open"):
            return self.open_call(spec["open"], recv, pos, kw)
        if "env" in spec:  # os.getenv(key), os.environ.get(key)
            return self.environ_value(text_of(arg(spec["env"])))
        if "run" in spec:
            self.run(spec, name, pos, kw)
        if "sql" in spec:
            sql = arg(spec["sql"])
            text = text_of(sql)
            data = {
                "dialect": recv.get("dialect", "") if recv else "",
                "db": recv.get("db", "") if recv else "",
            }
            if text is None and not pos and "statement" not in kw:
                return U
            if text is None and "statement" in kw:
                text = text_of(kw["statement"])
            self.add("sql", f"`{name}` runs SQL", text=text, data=data)
        if "send" in spec:
            self.send(spec, name, pos, kw)
        if not _FLOWS.isdisjoint(spec):  # data sent out, or returned (_flows)
            url = arg(spec["url"]) if isinstance(spec.get("url"), int) and spec["url"] < len(pos) else kw.get("url", U)
            value = flows(
                self.add,
                spec,
                name,
                url,
                kw.get("params", U),
                kw.get("headers"),
                arg(spec.get("lookup")),
                arg(spec.get("path")),
            )
            if value is not None:
                return value
        if spec.get("dynamic"):
            return self.dynamic(spec, name, pos)
        if "returns" in spec:
            props: dict[str, Any] = {}
            if "path" in spec and spec["returns"] == "path":
                props["path"] = text_of(arg(spec["path"])) if pos else "."
            if "db" in spec:
                db = arg(spec["db"])
                props["db"] = (
                    text_of(db)
                    or text_of(kw.get("dsn", U))
                    or text_of(kw.get("conninfo", U))
                    or text_of(kw.get("url", U))
                )
                host = text_of(kw.get("host", U))
                if host:
                    props["host"] = host
                props["dialect"] = spec.get("dialect", "")
                if not props["dialect"] and props["db"]:
                    props["dialect"] = props["db"].split(":", 1)[0].split("+", 1)[0]
            if recv is not None and spec["returns"] == recv.kind:
                props = {**recv.props, **{k: v for k, v in props.items() if v}}
            return Obj(spec["returns"], **props)
        if spec.get("join"):
            base = [recv] if spec["join"] == "receiver" else []
            parts = [text_of(p) for p in [*base, *pos]]
            if all(p is not None for p in parts) and parts:
                return Obj("path", path="/".join(p for p in parts if p is not None))
            return U
        if "same" in spec:
            value = arg(spec["same"])
            return value
        return U

    def open_call(self, how: Any, recv: Obj | None, pos: list[Any], kw: dict[str, Any]) -> Any:
        if how == "receiver":
            path = text_of(recv) if recv is not None else None
            mode_v = pos[0] if pos else kw.get("mode", K("r"))
        else:
            path = text_of(pos[0]) if pos else text_of(kw.get("file", U))
            mode_v = pos[1] if len(pos) > 1 else kw.get("mode", K("r"))
        mode = text_of(mode_v)
        if mode is None:
            self.add("file", "opens a file in a mode computed at run time", mode="write", path=path)
            return Obj("file", path=path)
        if any(c in mode for c in "wax+"):
            self.add("file", f"opens a file for writing (mode {mode!r})", mode="write", path=path)
        else:
            self.add("file", "opens a file for reading", mode="read", path=path)
        return Obj("file", path=path, mode=mode)

    def run(self, spec: dict[str, Any], name: str, pos: list[Any], kw: dict[str, Any]) -> None:
        how = spec["run"]
        ctx = self.process_context(kw)
        index = spec.get("arg", 0)
        shell = kw.get("shell")
        shell_on = isinstance(shell, K) and bool(shell.v)
        if shell is not None and not isinstance(shell, K):
            self.unknown(f"`{name}` with `shell=` computed at run time")
        if isinstance(index, str) and index.startswith("rest"):
            skip = int(index[4:])
            # execl(path, arg0, *args): the program is `path`; arg0 is only its displayed name
            items = [pos[skip - 1], *pos[skip + 1 :]] if skip and len(pos) >= skip else list(pos)
            argv = [text_of(x) for x in items]
            self.add("argv", f"`{name}` runs a program", argv=argv, data=ctx)
            return
        value = pos[index] if isinstance(index, int) and index < len(pos) else kw.get("args", U)
        if how == "shell" or shell_on:
            if isinstance(value, K) and isinstance(value.v, list):
                value = value.v[0] if value.v else U
            text = text_of(value)
            self.add("shell", f"`{name}` runs shell text", text=text, data=ctx)
            return
        if isinstance(value, K) and isinstance(value.v, list):
            self.add("argv", f"`{name}` runs a program", argv=[text_of(x) for x in value.v], data=ctx)
            return
        text = text_of(value)
        if text is None:
            self.add("argv", f"`{name}` runs a program named at run time", argv=None, data=ctx)
        else:
            # a lone string without shell=True is the program's name (its words are not split by Python)
            self.add("argv", f"`{name}` runs a program", argv=[text], data=ctx)

    def process_context(self, kw: dict[str, Any]) -> dict[str, Any]:
        """The environment and directory a spawned command gets: the program's own os.environ writes,
        then ``env=`` (which replaces the environment) and ``cwd=``."""
        env: dict[str, str | None] = {k: text_of(v) for k, v in self.environ.items() if k != "*"}
        given = kw.get("env")
        if given is not None:
            if isinstance(given, K) and isinstance(given.v, dict):
                env = {str(k): text_of(v) for k, v in given.v.items()}
            else:
                env = {"*": None}
        elif "*" in self.environ:
            env["*"] = None
        out: dict[str, Any] = {"env": env} if env else {}
        if "cwd" in kw:
            out["cwd"] = text_of(kw["cwd"])
        return out

    def send(self, spec: dict[str, Any], name: str, pos: list[Any], kw: dict[str, Any]) -> None:
        how = spec["send"]
        index = spec.get("url", 0)
        url = text_of(pos[index]) if isinstance(index, int) and index < len(pos) else text_of(kw.get("url", U))
        carries = [k for k in ("data", "json", "files", "content", "body") if k in kw]
        if how == "method":
            method = (text_of(pos[0]) if pos else text_of(kw.get("method", U))) or ""
            if method.upper() in ("GET", "HEAD", "OPTIONS") and not carries:
                self.add("effects", f"`{name}` fetches {url or 'a URL'}", effects=("read",))
                return
            if method.upper() == "DELETE":
                self.add("effects", "sends an HTTP DELETE", effects=("delete", "irreversible"))
                return
        elif how == "data":
            has_data = len(pos) > 1 or "data" in kw
            method = (text_of(kw.get("method", U)) or "").upper()
            if not has_data and method in ("", "GET", "HEAD"):
                self.add("effects", f"`{name}` fetches {url or 'a URL'}", effects=("read",))
                return
        local = [k for k in carries if isinstance(kw[k], Obj) and kw[k].kind == "file"]
        why = f"`{name}` sends data to {url or 'a URL computed at run time'}"
        if local:
            why += " (a local file's content)"
        self.add("send", why, data={"url": url or ""})

    def dynamic(self, spec: dict[str, Any], name: str, pos: list[Any]) -> Any:
        if spec["dynamic"] == "import":
            module = text_of(pos[0]) if pos else None
            if module is None:
                self.unknown(f"`{name}` of a module named at run time")
                return U
            self.imported(module, 0)
            return Obj("ref", name=module)
        text = text_of(pos[0]) if pos else None
        if text is None:
            self.unknown(f"`{name}` of code computed at run time")
            return U
        self.add("code", f"`{name}` of literal code", text=text, data={"lang": "python"})
        return U
