"""The command knowledge base: YAML data in ``classify/kb/``, compiled to ``kb/compiled.json``.

The hook path only ever loads the compiled JSON; the YAML is read by :func:`compile_kb`
(``python -m blastdoor.classify.shell._kb`` regenerates the JSON, a test checks it is up to date). The
schema is documented in ``classify/kb/README.md``.

Parsing the JSON costs a fresh process 5-12 ms, so :func:`load` keeps the parsed data in blastdoor's
cache directory as ``marshal`` (plain data: loading it never runs code), keyed by the JSON's sha256 and
written atomically. A missing, foreign or damaged cache file only costs the JSON parse.
"""

from __future__ import annotations

import fnmatch
import json
import os
from typing import Any

from blastdoor.classify import kbfiles
from blastdoor.classify.kbfiles import KBError, effects_list, read_documents, strings_list

KB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kb")
COMPILED = os.path.join(KB_DIR, "compiled.json")

Entry = dict[str, Any]

_ENTRY_KEYS = frozenset(
    (
        "names",
        "tool",
        "op",
        "effects",
        "why",
        "alias",
        "value",
        "flags",
        "targets",
        "subs",
        "default",
        "handler",
        "evidence",
        "long1",
        "positional_subs",
        "switches",
        "lead",
        "optional",
        "abbrev",
    )
)
_WRAPPER_KEYS = frozenset(("value", "adds", "read", "skip", "why", "handler", "names", "long1"))
_CHANGE_KEYS = frozenset(("add", "drop", "set", "why"))
_TARGET_KINDS = ("path", "url", "tpl")
_GLOB = frozenset("*?[")
EVIDENCE_KEYS = frozenset(
    (
        "aws_profile",
        "aws_account",
        "aws_region",
        "kube_context",
        "kube_namespace",
        "terraform_workspace",
        "db_url",
        "host",
        "git_branch",
        "git_remote",
        "gcp_project",
        "azure_subscription",
        "path",
    )
)


def _change(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, list):
        return {"add": effects_list(value, where)}
    if not isinstance(value, dict):
        raise KBError(f"{where}: expected a list of effects or a mapping with add/drop/set")
    bad = set(value) - _CHANGE_KEYS
    if bad:
        raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
    out: dict[str, Any] = {}
    for key in ("add", "drop", "set"):
        if key in value:
            out[key] = effects_list(value[key], f"{where}.{key}")
    if "why" in value:
        out["why"] = str(value["why"])
    return out


def _targets(value: Any, where: str) -> list[str]:
    specs = [value] if isinstance(value, str) else value
    if not isinstance(specs, list):
        raise KBError(f"{where}: expected a target spec or a list of them")
    for spec in specs:
        if not isinstance(spec, str) or not spec.startswith(_TARGET_KINDS):
            raise KBError(f"{where}: target spec `{spec}` must start with one of {', '.join(_TARGET_KINDS)}")
    return list(specs)


def _entry(value: Any, where: str) -> Entry:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise KBError(f"{where}: expected a mapping")
    bad = set(value) - _ENTRY_KEYS
    if bad:
        raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
    out: Entry = {}
    for key, item in value.items():
        if key == "effects":
            out[key] = effects_list(item, f"{where}.effects")
        elif key in ("names", "value", "switches", "optional"):
            out[key] = strings_list(item, f"{where}.{key}")
        elif key == "alias":
            if not isinstance(item, dict):
                raise KBError(f"{where}.alias: expected a mapping")
            out[key] = {str(k): str(v) for k, v in item.items()}
        elif key == "evidence":
            if not isinstance(item, dict):
                raise KBError(f"{where}.evidence: expected a mapping option -> evidence key")
            for k, v in item.items():
                if v not in EVIDENCE_KEYS:
                    raise KBError(f"{where}.evidence.{k}: unknown evidence key `{v}`")
            out[key] = {str(k): str(v) for k, v in item.items()}
        elif key == "flags":
            if not isinstance(item, dict):
                raise KBError(f"{where}.flags: expected a mapping")
            exact: dict[str, Any] = {}
            globs: list[list[Any]] = []
            for spec, change in item.items():
                ch = _change(change, f"{where}.flags.{spec}")
                for opt in str(spec).split("|"):
                    if _GLOB & set(opt):
                        globs.append([opt, ch])
                    else:
                        exact[opt] = ch
            out["flags"] = exact
            if globs:
                out["flag_globs"] = globs
        elif key == "targets":
            out[key] = _targets(item, f"{where}.targets")
        elif key == "subs":
            if not isinstance(item, dict):
                raise KBError(f"{where}.subs: expected a mapping")
            subs: dict[str, Entry] = {}
            for name, sub in item.items():
                compiled = _entry(sub, f"{where}.subs.{name}")
                for alias in [str(name), *compiled.pop("names", [])]:
                    subs[alias] = compiled
            out[key] = subs
        elif key == "default":
            out[key] = _entry(item, f"{where}.default")
        elif key in ("long1", "positional_subs", "abbrev"):
            out[key] = bool(item)
        elif key == "lead":
            out[key] = int(item)
        else:
            out[key] = str(item)
    return out


def _wrapper(value: Any, where: str) -> Entry:
    if not isinstance(value, dict):
        raise KBError(f"{where}: expected a mapping")
    bad = set(value) - _WRAPPER_KEYS
    if bad:
        raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
    out: Entry = {}
    for key, item in value.items():
        if key in ("value", "read", "names"):
            out[key] = strings_list(item, f"{where}.{key}")
        elif key == "adds":
            out[key] = effects_list(item, f"{where}.adds")
        elif key == "skip":
            out[key] = int(item)
        elif key == "long1":
            out[key] = bool(item)
        else:
            out[key] = str(item)
    return out


def compile_documents(docs: dict[str, Any]) -> dict[str, Any]:
    """Validate and merge parsed KB documents (file name -> data) into the compiled form."""
    commands: dict[str, Entry] = {}
    wrappers: dict[str, Entry] = {}
    apis: dict[str, Any] = {}
    for fname in sorted(docs):
        doc = docs[fname]
        if not isinstance(doc, dict):
            raise KBError(f"{fname}: expected a mapping")
        bad = set(doc) - {"family", "commands", "wrappers", "apis", "doc"}
        if bad:
            raise KBError(f"{fname}: unknown key `{sorted(bad)[0]}`")
        family = str(doc.get("family", "shell"))
        for name, raw in (doc.get("commands") or {}).items():
            entry = _entry(raw, f"{fname}: {name}")
            entry.setdefault("tool", family)
            entry.setdefault("op", f"shell:{name}" if entry["tool"] == "shell" else str(name))
            entry["source"] = f"kb:{family}"
            for alias in [str(name), *entry.pop("names", [])]:
                if alias in commands:
                    raise KBError(f"{fname}: command `{alias}` is defined twice")
                commands[alias] = entry
        for name, raw in (doc.get("wrappers") or {}).items():
            w = _wrapper(raw, f"{fname}: wrappers.{name}")
            w["source"] = f"kb:{family}"
            for alias in [str(name), *w.pop("names", [])]:
                if alias in wrappers or alias in commands:
                    raise KBError(f"{fname}: wrapper `{alias}` is defined twice")
                wrappers[alias] = w
        for lang, table in (doc.get("apis") or {}).items():
            if not isinstance(table, dict):
                raise KBError(f"{fname}: apis.{lang}: expected a mapping")
            merged = apis.setdefault(str(lang), {})
            for api, spec in table.items():
                if not isinstance(spec, dict) or "effects" not in spec:
                    raise KBError(f"{fname}: apis.{lang}.{api}: expected a mapping with effects")
                item: dict[str, Any] = {"effects": effects_list(spec["effects"], f"{fname}: apis.{lang}.{api}")}
                for k in ("run", "path", "why"):
                    if k in spec:
                        item[k] = spec[k]
                merged[str(api)] = item
    return {"version": 1, "commands": commands, "wrappers": wrappers, "apis": apis}


def compile_kb(kb_dir: str = KB_DIR) -> dict[str, Any]:
    """Read every ``kb/*.yaml`` and return the compiled knowledge base (validated)."""
    return compile_documents(read_documents(kb_dir))


def write_compiled(kb_dir: str = KB_DIR) -> str:
    return kbfiles.write_compiled(kb_dir, compile_kb(kb_dir))


def _prepare(entry: Entry) -> None:
    """Turn lists used for membership tests into frozensets, once, at load."""
    if "value" in entry:
        entry["value"] = frozenset(entry["value"])
    if "optional" in entry:
        entry["optional"] = frozenset(entry["optional"])
    for sub in (entry.get("subs") or {}).values():
        if "_prepared" not in sub:
            sub["_prepared"] = True
            _prepare(sub)
    if "default" in entry:
        _prepare(entry["default"])


_CACHE_FORMAT = b"blastdoor-kb-cache-1\n"


def cache_path(raw: bytes) -> str:
    """Where the parsed form of the compiled KB ``raw`` is cached (blastdoor's cache directory, decided by
    the process's own environment, as for the policy cache)."""
    import hashlib

    from blastdoor.paths import cache_dir

    return os.path.join(cache_dir(), f"kb-{hashlib.sha256(raw).hexdigest()[:40]}.bin")


def _read_cache(path: str) -> dict[str, Any] | None:
    from blastdoor.paths import read_cache

    data = read_cache(path, _CACHE_FORMAT)
    if not isinstance(data, dict) or not isinstance(data.get("commands"), dict):
        return None
    if not isinstance(data.get("wrappers"), dict):
        return None
    return data


def _write_cache(path: str, data: dict[str, Any]) -> None:
    from blastdoor.paths import write_cache

    write_cache(path, _CACHE_FORMAT, data)


def load(path: str = COMPILED, *, use_cache: bool = True) -> dict[str, Any]:
    with open(path, "rb") as fh:
        raw = fh.read()
    kb: dict[str, Any] | None = None
    cached = cache_path(raw) if use_cache else ""
    if cached:
        kb = _read_cache(cached)
    if kb is None:
        kb = json.loads(raw.decode("utf-8"))
        if cached:
            _write_cache(cached, kb)
    seen: set[int] = set()
    for entry in kb["commands"].values():
        if id(entry) not in seen:
            seen.add(id(entry))
            _prepare(entry)
    for w in kb["wrappers"].values():
        if "value" in w:
            w["value"] = frozenset(w["value"])
        if "read" in w:
            w["read"] = frozenset(w["read"])
    return kb


def flag_change(entry: Entry, opt: str) -> dict[str, Any] | None:
    flags = entry.get("flags")
    if flags:
        change = flags.get(opt)
        if change is not None:
            return change  # type: ignore[no-any-return]
    globs = entry.get("flag_globs")
    if globs:
        for pattern, change in globs:
            if fnmatch.fnmatchcase(opt, pattern):
                return change  # type: ignore[no-any-return]
    return None


if __name__ == "__main__":
    print(write_compiled())
