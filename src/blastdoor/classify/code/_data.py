"""The code classifier's call table: ``kb/code/calls.yaml`` checked and compiled to ``compiled.json``.

``python -m blastdoor.classify.code._data`` rewrites the compiled file (a test fails when it is out of
date). The hook reads only the JSON, and only when it meets code.
"""

from __future__ import annotations

import json
import os
from typing import Any

from blastdoor.classify.kbfiles import KBError, effects_list, render

KB_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "kb", "code")
SOURCE = os.path.join(KB_DIR, "calls.yaml")
COMPILED = os.path.join(KB_DIR, "compiled.json")
LANGS = ("python", "javascript")
_KEYS = frozenset(
    (
        "effects",
        "file",
        "path",
        "also",
        "read",
        "run",
        "arg",
        "sql",
        "url",
        "send",
        "returns",
        "db",
        "dialect",
        "dynamic",
        "why",
        "open",
        "join",
        "same",
        "env",
        "data",
        "lookup",
    )
)
_DATA_KINDS = frozenset(("content", "output", "identity"))
_FILE_MODES = frozenset(("read", "write", "delete"))

_loaded: dict[str, Any] | None = None


def _spec(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KBError(f"{where}: expected a mapping")
    bad = set(value) - _KEYS
    if bad:
        raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
    out = dict(value)
    if "effects" in out:
        out["effects"] = effects_list(out["effects"], f"{where}.effects")
    if "file" in out and out["file"] not in _FILE_MODES:
        raise KBError(f"{where}.file: expected one of read, write, delete")
    if "file" in out and "path" not in out:
        raise KBError(f"{where}: `file` needs `path`")
    if "run" in out and out["run"] not in ("shell", "argv", "node"):
        raise KBError(f"{where}.run: expected shell, argv or node")
    if "data" in out and out["data"] not in _DATA_KINDS:
        raise KBError(f"{where}.data: expected one of content, output, identity")
    if "returns" in out and not isinstance(out["returns"], str):
        raise KBError(f"{where}.returns: expected a type name")
    return out


def compile_document(doc: Any) -> dict[str, Any]:
    """The checked table: ``{lang: {calls: {...}, methods: {type: {...}}, any: {...}}}``."""
    if not isinstance(doc, dict):
        raise KBError("calls.yaml: expected a mapping")
    bad = set(doc) - {"doc", *LANGS}
    if bad:
        raise KBError(f"calls.yaml: unknown section `{sorted(bad)[0]}`")
    out: dict[str, Any] = {"version": 1}
    for lang in LANGS:
        table = doc.get(lang) or {}
        calls = {str(k): _spec(v, f"calls.yaml: {lang}.calls.{k}") for k, v in (table.get("calls") or {}).items()}
        methods: dict[str, dict[str, Any]] = {}
        for typ, entries in (table.get("methods") or {}).items():
            methods[str(typ)] = {
                str(k): _spec(v, f"calls.yaml: {lang}.methods.{typ}.{k}") for k, v in (entries or {}).items()
            }
        anys = {str(k): _spec(v, f"calls.yaml: {lang}.any.{k}") for k, v in (table.get("any") or {}).items()}
        for where, spec in [*calls.items(), *anys.items()]:
            typ = spec.get("returns")
            if typ is not None and typ not in methods and typ not in ("path", "http", "db"):
                raise KBError(f"calls.yaml: {lang}.{where}.returns: no methods for type `{typ}`")
        out[lang] = {"calls": calls, "methods": methods, "any": anys}
    return out


def compile_source(path: str = SOURCE) -> dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as fh:
        return compile_document(yaml.safe_load(fh))


def write_compiled() -> str:
    text = render(compile_source())
    with open(COMPILED, "w", encoding="utf-8") as fh:
        fh.write(text)
    return COMPILED


def table(lang: str) -> dict[str, Any]:
    """The compiled table of ``lang`` (``python`` or ``javascript``), read once per process."""
    global _loaded
    if _loaded is None:
        with open(COMPILED, encoding="utf-8") as fh:
            _loaded = json.load(fh)
    result: dict[str, Any] = _loaded[lang]
    return result


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    print(write_compiled())
