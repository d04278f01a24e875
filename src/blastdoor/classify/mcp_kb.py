"""The MCP knowledge base: tool names split into words, and the YAML under ``kb/mcp`` compiled.

``kb/mcp/verbs.yaml`` says which verbs (and objects) in a tool's name change what; ``args.yaml`` which
argument names hold SQL, commands, paths or URLs; one file per known server says what its tools do.
The compiled form (``kb/mcp/compiled.json``, ``python -m blastdoor.classify.mcp`` regenerates it) is what
``classify.mcp`` loads: a hook never imports YAML.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.classify import kbfiles
from blastdoor.classify.kbfiles import KBError, effects_list, read_documents, strings_list

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ARG_ROLES",
    "COMPILED",
    "KB_DIR",
    "compile_documents",
    "compile_kb",
    "load_kb",
    "main_verb",
    "norm_name",
    "object_effects",
    "split_words",
    "write_compiled",
]

KB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kb", "mcp")
COMPILED = os.path.join(KB_DIR, "compiled.json")

ARG_ROLES = ("sql", "sql_if_sql", "shell", "path", "url")
_PATH_MODES = ("read", "write", "delete")
_SERVER_KEYS = frozenset({"doc", "server", "names", "packages", "exact", "args", "tools"})
_TOOL_KEYS = frozenset({"effects", "args", "target", "why", "exact"})
_GROUP_KEYS = frozenset({"effects", "why", "words", "resolved_by"})


# -- words ------------------------------------------------------------------------------------------

# An upper-case run followed by a capitalised word ("HTTPResponse" -> HTTP, Response), a capitalised
# or lower-case word, or digits.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_words(name: str) -> list[str]:
    """The lower-case words of a tool name: ``deleteRepo``, ``delete_repo``, ``delete-repo`` -> delete, repo."""
    return [w.lower() for w in _WORD.findall(name)]


def _inflections(word: str, *, past: bool = True) -> list[str]:
    """``word`` and its inflected forms (plural/3rd person, -ing, and with ``past`` the -ed form)."""
    forms = [word, word + "s", word + "es", word + "ing"]
    if word.endswith("e"):
        forms += [word[:-1] + "ing"] + ([word + "d"] if past else [])
    elif past:
        forms.append(word + "ed")
    if len(word) >= 3 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        # drop -> dropping, dropped; ship -> shipped
        forms.append(word + word[-1] + "ing")
        if past:
            forms.append(word + word[-1] + "ed")
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")
        if past:
            forms.append(word[:-1] + "ied")
    return forms


# -- the knowledge base -----------------------------------------------------------------------------


_ROLE_KINDS = ("sql", "shell", "path", "url", "owner")


def _role(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise KBError(f"{where}: expected an argument role")
    kind, _, detail = value.partition(":")
    if kind not in _ROLE_KINDS or (kind == "path" and detail and detail not in _PATH_MODES):
        raise KBError(
            f"{where}: unknown argument role `{value}`"
            " (sql[:dialect], shell, path[:read|write|delete], url, owner:HOST)"
        )
    if kind == "owner" and not detail:
        raise KBError(f"{where}: `owner` needs the host its accounts live on (owner:github.com)")
    if kind in ("shell", "url") and detail:
        raise KBError(f"{where}: `{kind}` takes no detail")
    return value


def _roles(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise KBError(f"{where}: expected a mapping of argument name -> role")
    return {str(k): _role(v, f"{where}.{k}") for k, v in value.items()}


def _verbs(doc: dict[str, Any], fname: str) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    forms: dict[str, str] = {}
    bases: dict[str, str] = {}
    for group, spec in (doc.get("verbs") or {}).items():
        where = f"{fname}: verbs.{group}"
        if not isinstance(spec, dict):
            raise KBError(f"{where}: expected a mapping")
        bad = set(spec) - _GROUP_KEYS
        if bad:
            raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
        out: dict[str, Any] = {
            "effects": effects_list(spec.get("effects"), f"{where}.effects"),
            "why": str(spec.get("why", "")),
        }
        if "resolved_by" in spec:
            kinds = strings_list(spec["resolved_by"], f"{where}.resolved_by")
            for k in kinds:
                if k not in ("sql", "shell", "path", "url"):
                    raise KBError(f"{where}.resolved_by: unknown argument kind `{k}`")
            out["resolved_by"] = kinds
        groups[str(group)] = out
        for word in strings_list(spec.get("words"), f"{where}.words"):
            if not word.isalnum() or word != word.lower():
                raise KBError(f"{where}.words: `{word}` is not one lower-case word")
            if word in bases and bases[word] != group:
                raise KBError(f"{where}.words: `{word}` is also in group `{bases[word]}`")
            bases[word] = str(group)
    # Base words first, so an inflected form never shadows another group's base word.
    for word, group in bases.items():
        forms[word] = group
    for word, group in bases.items():
        for form in _inflections(word):
            forms.setdefault(form, group)
    anywhere: dict[str, str] = {}
    for word in strings_list(doc.get("anywhere") or [], f"{fname}: anywhere"):
        if word not in bases:
            raise KBError(f"{fname}: anywhere: `{word}` is in no verb group")
        for form in _inflections(word, past=False):
            anywhere.setdefault(form, bases[word])
    return {
        "groups": groups,
        "forms": forms,
        "anywhere": anywhere,
        "conjunctions": strings_list(doc.get("conjunctions") or [], f"{fname}: conjunctions"),
        "objects": _objects(doc.get("objects") or {}, fname),
    }


def _objects(spec: Any, fname: str) -> dict[str, Any]:
    """``objects``: nouns whose change (or read) says what a tool changes on a remote system."""
    if not isinstance(spec, dict):
        raise KBError(f"{fname}: objects: expected a mapping")
    words: dict[str, str] = {}
    pairs: dict[str, str] = {}
    groups: dict[str, Any] = {}
    for name, group in spec.items():
        where = f"{fname}: objects.{name}"
        if not isinstance(group, dict):
            raise KBError(f"{where}: expected a mapping")
        bad = set(group) - {"why", "change", "read", "words", "pairs"}
        if bad:
            raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
        groups[str(name)] = {
            "why": str(group.get("why", "")),
            "change": effects_list(group.get("change") or [], f"{where}.change"),
            "read": effects_list(group.get("read") or [], f"{where}.read"),
        }
        for word in strings_list(group.get("words") or [], f"{where}.words"):
            if word in words:
                raise KBError(f"{where}.words: `{word}` is also in objects.{words[word]}")
            words[word] = str(name)
        for pair in group.get("pairs") or []:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(w, str) for w in pair)):
                raise KBError(f"{where}.pairs: expected [word, word] pairs")
            pairs[f"{pair[0]} {pair[1]}"] = str(name)
    return {"groups": groups, "words": words, "pairs": pairs}


# Verb groups that only look or run: an object word adds its `read` effects (or none) to them.
_LOOKING = frozenset(("read", "run", "kill"))


def object_effects(words: list[str], verbs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(effect, object word, group) that a name's object nouns add to its main verb's effects."""
    objects = verbs.get("objects") or {}
    if not objects:
        return []
    if not any(word in verbs["forms"] for word in words):
        # A run-together name (`webhookdelete`): its object is found in the words the verbs were cut from,
        # so gluing the words never drops what the object adds.
        words = _unglued(words, verbs)
    found_verbs = main_verb(words, verbs)
    if not found_verbs:
        return []
    looking = all(group in _LOOKING for _, group in found_verbs)
    verb_words = {w for w, _ in found_verbs}
    hits: list[tuple[str, str]] = []
    for i, word in enumerate(words):
        if i + 1 < len(words) and f"{word} {words[i + 1]}" in objects["pairs"]:
            hits.append((f"{word}_{words[i + 1]}", objects["pairs"][f"{word} {words[i + 1]}"]))
        if word in verb_words and word not in objects["words"]:
            continue
        if word in objects["words"] and not (word in verb_words and i == words.index(found_verbs[0][0])):
            hits.append((word, objects["words"][word]))
    out: list[tuple[str, str, str]] = []
    for word, group in hits:
        spec = objects["groups"][group]
        for effect in spec["read"] if looking else spec["change"]:
            out.append((effect, word, group))
    return out


def _args(doc: dict[str, Any], fname: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for role, names in (doc.get("args") or {}).items():
        if role not in ARG_ROLES:
            raise KBError(f"{fname}: args: unknown role `{role}`")
        for name in strings_list(names, f"{fname}: args.{role}"):
            key = norm_name(name)
            if key in out and not {out[key], role} == {"sql_if_sql", "shell"}:
                raise KBError(f"{fname}: args: `{name}` has two roles")
            # `command` is SQL when it reads as SQL, else shell: keep both, SQL first.
            out[key] = f"{out[key]}|{role}" if key in out else role
    return out


def _server(doc: dict[str, Any], fname: str) -> dict[str, Any]:
    bad = set(doc) - _SERVER_KEYS
    if bad:
        raise KBError(f"{fname}: unknown key `{sorted(bad)[0]}`")
    name = doc.get("server")
    if not isinstance(name, str) or not name:
        raise KBError(f"{fname}: `server` (the known server's id) is required")
    tools: dict[str, Any] = {}
    for tool, spec in (doc.get("tools") or {}).items():
        where = f"{fname}: tools.{tool}"
        spec = spec or {}
        if not isinstance(spec, dict):
            raise KBError(f"{where}: expected a mapping")
        bad = set(spec) - _TOOL_KEYS
        if bad:
            raise KBError(f"{where}: unknown key `{sorted(bad)[0]}`")
        entry: dict[str, Any] = {}
        if "effects" in spec:
            entry["effects"] = effects_list(spec["effects"], f"{where}.effects")
        if "args" in spec:
            entry["args"] = _roles(spec["args"], f"{where}.args")
        for key in ("target", "why"):
            if key in spec:
                entry[key] = str(spec[key])
        if "exact" in spec:
            entry["exact"] = bool(spec["exact"])
        if not entry.get("effects") and not entry.get("args"):
            raise KBError(f"{where}: needs `effects` or `args` (or both)")
        tools[str(tool)] = entry
    return {
        "server": name,
        "doc": str(doc.get("doc", "")),
        "names": strings_list(doc.get("names") or [], f"{fname}: names"),
        "packages": strings_list(doc.get("packages") or [], f"{fname}: packages"),
        "exact": bool(doc.get("exact", False)),
        "args": _roles(doc.get("args") or {}, f"{fname}: args"),
        "tools": tools,
    }


def compile_documents(docs: dict[str, Any]) -> dict[str, Any]:
    """Validate and merge parsed KB documents (file name -> data) into the compiled form."""
    verbs: dict[str, Any] | None = None
    args: dict[str, str] | None = None
    servers: list[dict[str, Any]] = []
    for fname in sorted(docs):
        doc = docs[fname]
        if not isinstance(doc, dict):
            raise KBError(f"{fname}: expected a mapping")
        if "verbs" in doc:
            bad = set(doc) - {"doc", "verbs", "anywhere", "conjunctions", "objects"}
            if bad:
                raise KBError(f"{fname}: unknown key `{sorted(bad)[0]}`")
            verbs = _verbs(doc, fname)
        elif "server" not in doc and "args" in doc:
            bad = set(doc) - {"doc", "args"}
            if bad:
                raise KBError(f"{fname}: unknown key `{sorted(bad)[0]}`")
            args = _args(doc, fname)
        else:
            servers.append(_server(doc, fname))
    if verbs is None or args is None:
        raise KBError("the MCP knowledge base needs a verbs file and an args file")
    ids = [s["server"] for s in servers]
    for sid in ids:
        if ids.count(sid) > 1:
            raise KBError(f"known server `{sid}` is defined twice")
    return {"version": 1, "verbs": verbs, "args": args, "servers": servers}


def compile_kb(kb_dir: str = KB_DIR) -> dict[str, Any]:
    """Read every ``kb/mcp/*.yaml`` and return the compiled knowledge base (validated)."""
    return compile_documents(read_documents(kb_dir))


def write_compiled(kb_dir: str = KB_DIR) -> str:
    return kbfiles.write_compiled(kb_dir, compile_kb(kb_dir))


_kb_cache: dict[str, Any] = {}


def load_kb(path: str = COMPILED) -> dict[str, Any]:
    """The compiled knowledge base (read once per process)."""
    kb: dict[str, Any] | None = _kb_cache.get(path)
    if kb is None:
        with open(path, encoding="utf-8") as fh:
            kb = json.load(fh)
        assert isinstance(kb, dict)  # INVARIANT: compiled.json is what compile_kb rendered
        kb["verbs"]["conjunctions"] = frozenset(kb["verbs"]["conjunctions"])
        _kb_cache[path] = kb
    return kb


def norm_name(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(".", "")


def main_verb(words: list[str], verbs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The verb groups a name's words select, as (word, group): the main verb, then any verb of its
    object that is in ``anywhere`` or follows a conjunction."""
    forms: Mapping[str, str] = verbs["forms"]
    anywhere: Mapping[str, str] = verbs["anywhere"]
    conjunctions = verbs["conjunctions"]
    found: list[tuple[str, str]] = []
    main = -1
    for i, word in enumerate(words):
        if word in forms:
            found.append((word, forms[word]))
            main = i
            break
    if main < 0:
        glued = _unglued(words, verbs)
        if glued == words:
            return found
        # Every verb cut out of a run-together name counts (no verb may hide behind a first, milder one),
        # and so does every changing verb spelled anywhere inside it, overlapping or not: `recorderase`
        # cuts `order` first, yet `erase` is in it too.
        cut = [(w, forms[w]) for w in glued if w in forms and w not in words]
        seen = {w for w, _ in cut}
        inside = [(v, forms[v]) for v in _changing_verbs_inside(words, verbs) if v not in seen and v not in words]
        return cut + inside
    for i in range(main + 1, len(words)):
        word = words[i]
        if word in anywhere:
            found.append((word, anywhere[word]))
        elif word in forms and words[i - 1] in conjunctions:
            found.append((word, forms[word]))
    return found


_MIN_GLUED = 3  # a verb read out of a run-together word has at least this many letters


def _changing_verbs_inside(words: list[str], verbs: Mapping[str, Any]) -> list[str]:
    """Every form of a changing verb (at least ``_MIN_GLUED`` letters) found anywhere inside the words."""
    forms: Mapping[str, str] = verbs["forms"]
    groups: Mapping[str, Any] = verbs["groups"]
    found: list[str] = []
    for word in words:
        for i in range(len(word)):
            for j in range(i + _MIN_GLUED, len(word) + 1):
                form = word[i:j]
                group = forms.get(form)
                if group is not None and set(groups[group]["effects"]) != {"read"} and form not in found:
                    found.append(form)
    return found


def _unglued(words: list[str], verbs: Mapping[str, Any]) -> list[str]:
    """Words split where verbs are glued to other words (``deleterepository`` -> delete, repository;
    ``getanddeleteall`` -> getand, delete, all). Only verbs that change something are cut out (the
    longest form first, wherever it starts): a run-together name can gain effects from its verbs but
    never read as a mere read, so gluing words cannot hide a tool behind ``get``. Tried only when no
    word is a verb, so a name with separators reads as before."""
    forms: Mapping[str, str] = verbs["forms"]
    groups: Mapping[str, Any] = verbs["groups"]

    def cuts(form: str) -> bool:
        group = forms.get(form)
        return group is not None and set(groups[group]["effects"]) != {"read"}

    out: list[str] = []
    for word in words:
        start = i = 0
        while i < len(word):
            verb = next(
                (word[i : i + n] for n in range(len(word) - i, _MIN_GLUED - 1, -1) if cuts(word[i : i + n])), ""
            )
            if verb and verb != word:
                if i > start:
                    out.append(word[start:i])
                out.append(verb)
                i += len(verb)
                start = i
            else:
                i += 1
        if word[start:]:
            out.append(word[start:])
    return out
