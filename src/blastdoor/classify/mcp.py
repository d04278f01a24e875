"""MCP tool calls: what ``mcp:<server>/<tool>`` does, from its name, its server, its hints and its arguments.

Five kinds of evidence, weakest first:

- **hints**: the tool's annotations (``readOnlyHint``, ``destructiveHint``, ``idempotentHint``,
  ``openWorldHint``) as its server listed them. They are the server's own claims: a hint that admits
  risk (``readOnlyHint: false``, ``destructiveHint: true``) is believed, a hint that claims safety
  (``readOnlyHint: true``) is only a default when nothing else says what the tool does. A read-only
  hint never makes ``delete_repository`` a read.
- **the name**: split into words (snake, camel, kebab case); the main verb and its object say what
  it does (``kb/mcp/verbs.yaml``).
- **known servers**: data files (``kb/mcp/<server>.yaml``) for servers whose tools we know, recognised
  by the kind the operator declared, by the package in the server's command line, or by the name it
  was given in the harness or gateway config. Never by the name a server reports about itself.
- **arguments**: a SQL argument goes through the SQL classifier, a command through the shell
  classifier, a local path through the file classifier, a URL becomes a target and ``host`` evidence.
  Their effects, targets and evidence become the call's. Which argument is which comes from the
  server file, else from its name (``kb/mcp/args.yaml``).
- nothing at all: ``unknown``.

What the gateway knows about a tool travels in ``action.context["mcp"]`` (documented in docs/MCP.md):
``annotations`` (wire names, as listed), ``kind`` (the known server the operator declared) and
``launch`` (the server's command line or URL). Hook adapters leave it out; the name and the arguments
still work there.

The data is YAML compiled to ``kb/mcp/compiled.json`` (``python -m blastdoor.classify.mcp``
regenerates it; a test checks it is current), so a hook never imports YAML.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note
from blastdoor.classify import kbfiles
from blastdoor.classify.kbfiles import KBError, effects_list, read_documents, strings_list

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_mcp", "compile_kb", "load_kb", "main_verb", "split_words"]

KB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kb", "mcp")
COMPILED = os.path.join(KB_DIR, "compiled.json")

ARG_ROLES = ("sql", "sql_if_sql", "shell", "path", "url")
_PATH_MODES = ("read", "write", "delete")
_SERVER_KEYS = frozenset({"doc", "server", "names", "packages", "exact", "args", "tools"})
_TOOL_KEYS = frozenset({"effects", "args", "target", "why", "exact"})
_GROUP_KEYS = frozenset({"effects", "why", "words", "resolved_by"})
_MAX_TEXT = 512 * 1024  # an argument longer than this is not sub-classified: `unknown`
_MAX_LIST = 256  # list-valued path/url arguments beyond this many elements are `unknown`


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
            key = _norm(name)
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


# -- evidence from the name, the server and the hints ----------------------------------------------


def _norm(name: str) -> str:
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


def _known_server(kb: Mapping[str, Any], server: str, kind: str, launch: str) -> dict[str, Any] | None:
    """The known server an MCP server is: declared ``kind``, else a package in its ``launch`` command
    line, else its configured ``server`` name (an exact name beats the most specific glob)."""
    servers: list[dict[str, Any]] = kb["servers"]
    if kind:
        for entry in servers:
            if entry["server"] == kind:
                return entry
        return None
    if launch:
        for entry in servers:
            if any(pkg in launch for pkg in entry["packages"]):
                return entry
    best: dict[str, Any] | None = None
    score = -1
    lowered = server.lower()
    for entry in servers:
        for pattern in entry["names"]:
            if pattern == lowered:
                s = 10_000
            elif any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(lowered, pattern):
                s = len(pattern.replace("*", ""))
            else:
                continue
            if s > score:
                best, score = entry, s
    return best


def _hint(annotations: Mapping[str, Any], name: str) -> bool | None:
    value = annotations.get(name)
    return value if isinstance(value, bool) else None


def hinteffects_list(annotations: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(effects the hints admit, effects the hints claim): the first are believed, the second are a default.

    Per the MCP spec, ``destructiveHint`` defaults to true for a tool that is not read-only, and means
    something only then.
    """
    read_only = _hint(annotations, "readOnlyHint")
    destructive = _hint(annotations, "destructiveHint")
    admitted: list[tuple[str, str]] = []
    claimed: list[tuple[str, str]] = []
    if read_only is True:
        claimed.append(("read", "its server hints that it only reads (readOnlyHint), a claim taken only as a default"))
        return admitted, claimed
    if read_only is False or destructive is not None:
        admitted.append(("write", "its server hints that it changes things (readOnlyHint: false)"))
        if destructive is True or (read_only is False and destructive is None):
            admitted.append(("delete", "its server hints that it may destroy data (destructiveHint)"))
    return admitted, claimed


class _Static:
    """What a tool does before looking at its arguments (cached per tool and hints)."""

    __slots__ = ("effects", "exact", "facts", "kind", "notes", "resolved_by", "roles", "target")

    def __init__(self) -> None:
        self.effects: dict[str, str] = {}
        self.notes: list[Note] = []
        self.resolved_by: dict[str, set[str]] = {}  # effect -> argument kinds that explain it away
        self.roles: dict[str, str] = {}  # argument name -> role, when a server file says so
        self.exact = False
        self.kind = ""
        self.target = ""
        self.facts: dict[str, Any] = {}

    def add(self, effect: str, why: str, source: str) -> None:
        if effect not in self.effects:
            self.effects[effect] = why
            self.notes.append(Note("effect", effect, why, source))


_static_cache: dict[tuple[Any, ...], _Static] = {}
_STATIC_LIMIT = 4096


def _static(server: str, tool: str, info: Mapping[str, Any]) -> _Static:
    annotations = info.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    kind = info.get("kind")
    launch = info.get("launch")
    kind = kind if isinstance(kind, str) else ""
    launch = launch if isinstance(launch, str) else ""
    key = (server, tool, kind, launch, tuple(sorted((k, v) for k, v in annotations.items() if isinstance(v, bool))))
    hit = _static_cache.get(key)
    if hit is not None:
        return hit
    kb = load_kb()
    st = _Static()
    known = _known_server(kb, server, kind, launch)
    entry: dict[str, Any] | None = None
    if known is not None:
        st.kind = known["server"]
        st.roles = dict(known["args"])
        entry = known["tools"].get(tool)
        source = f"kb:mcp:{st.kind}"
        if entry is not None:
            st.exact = entry.get("exact", known["exact"])
            st.roles.update(entry.get("args") or {})
            st.target = entry.get("target", "")
            why = entry.get("why") or f"{st.kind} tool `{tool}`"
            for effect in entry.get("effects") or ():
                st.add(effect, why, source)
    if not st.exact:
        words = split_words(tool)
        groups = kb["verbs"]["groups"]
        found = main_verb(words, kb["verbs"])
        for word, group in found:
            spec = groups[group]
            for effect in spec["effects"]:
                st.add(effect, f"{spec['why']} (`{word}` in `{tool}`)", "mcp:name")
                for kind_ in spec.get("resolved_by") or ():
                    st.resolved_by.setdefault(effect, set()).add(kind_)
        if found:
            st.facts["verbs"] = [w for w, _ in found]
        objects = kb["verbs"].get("objects") or {}
        for effect, word, group in object_effects(words, kb["verbs"]):
            spec = objects["groups"][group]
            where = f" on the system behind MCP server `{server}`" if server else ""
            st.add(effect, f"{spec['why']} (`{word}` in `{tool}`){where}", "mcp:name")
        admitted, claimed = hinteffects_list(annotations)
        for effect, why in admitted:
            st.add(effect, why, "mcp:hints")
        if not st.effects:
            for effect, why in claimed:
                st.add(effect, why, "mcp:hints")
        elif claimed and "read" not in st.effects:
            why = "readOnlyHint ignored: the name or the server file says otherwise"
            st.notes.append(Note("info", "readOnlyHint", why, "mcp:hints"))
    hints = {k: v for k, v in annotations.items() if k.endswith("Hint") and isinstance(v, bool)}
    if hints:
        st.facts["hints"] = hints
    if len(_static_cache) >= _STATIC_LIMIT:
        _static_cache.clear()
    _static_cache[key] = st
    return st


# -- evidence from the arguments --------------------------------------------------------------------

_SQL_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|CREATE|DROP|ALTER|TRUNCATE|"
    r"GRANT|REVOKE|REPLACE|UPSERT|COPY|VACUUM|PRAGMA|ATTACH|DETACH|EXPLAIN|SHOW|DESCRIBE|BEGIN|COMMIT|CALL|EXEC|SET)\b",
    re.I | re.S,
)


class _Found:
    """What the arguments add: effects, targets, evidence, notes, and which argument kinds were read."""

    __slots__ = ("effects", "evidence", "kinds", "notes", "targets")

    def __init__(self) -> None:
        self.effects: dict[str, str] = {}
        self.targets: list[str] = []
        self.evidence: dict[str, list[str]] = {}
        self.notes: list[Note] = []
        self.kinds: set[str] = set()

    def add(self, effect: str, why: str, source: str) -> None:
        if effect not in self.effects:
            self.effects[effect] = why
            self.notes.append(Note("effect", effect, why, source))

    def target(self, value: str) -> None:
        if value not in self.targets:
            self.targets.append(value)

    def evidence_from(self, facts: Mapping[str, Any]) -> None:
        evidence = facts.get("evidence")
        if isinstance(evidence, dict):
            for key, value in evidence.items():
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str) and v and v not in self.evidence.setdefault(str(key), []):
                        self.evidence[str(key)].append(v)


def _sub_parts(found: _Found, arg: str, parts: Iterable[Action], kind: str) -> None:
    found.kinds.add(kind)
    for part in parts:
        why = {n.value: n for n in reversed(part.notes) if n.kind == "effect"}
        for effect in sorted(part.effects):
            note = why.get(effect)
            text = f"argument `{arg}`: {note.text if note else f'{kind} `{part.operation}`'}"
            found.add(effect, text, (note.source if note else "") or kind)
        for note in part.notes:
            if note.kind != "effect":
                found.notes.append(Note(note.kind, note.value, f"argument `{arg}`: {note.text}", note.source or kind))
        for t in part.targets:
            found.target(t)
        found.evidence_from(part.facts)


def _strings_of(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) <= _MAX_LIST:
        return list(value)
    return None


def _is_local_path(value: str) -> bool:
    return value.startswith(("/", "~/", "./", "../")) or value in ("~", ".", "..")


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def _url_host(url: str) -> str:
    authority = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.split(":", 1)[0].lower()


def _classify_arg(
    found: _Found, arg: str, role: str, value: Any, mode: str, ctx: ClassifyContext, declared: bool
) -> None:
    """Sub-classify one argument by its role; ``declared`` roles come from a server file."""
    kind, _, detail = role.partition(":")
    values = _strings_of(value)
    if values is None:
        if value is not None and kind in ("sql", "shell"):
            found.add("unknown", f"argument `{arg}` should be {kind} text but is not a string", "mcp:args")
        return
    for text in values:
        if len(text) > _MAX_TEXT:
            found.add("unknown", f"argument `{arg}` is longer than {_MAX_TEXT} characters", "mcp:args")
            continue
        if kind == "sql" or (kind == "sql_if_sql" and _SQL_START.match(text)):
            from blastdoor.classify.sql import classify_sql_text

            _sub_parts(found, arg, classify_sql_text(text, dialect=detail or None, source=f"mcp:{arg}"), "sql")
        elif kind == "shell":
            from blastdoor.classify.shell import classify_shell_text

            _sub_parts(found, arg, classify_shell_text(text, ctx), "shell")
        elif kind == "path":
            if not text or (not declared and not _is_local_path(text)):
                continue
            from blastdoor.classify.files import classify_path_access, normalize_path

            access = detail or mode
            effects, notes = classify_path_access(text, access, ctx)
            found.kinds.add("path")
            absolute = normalize_path(text, ctx)
            found.target(absolute)
            found.evidence.setdefault("path", [])
            if absolute not in found.evidence["path"]:
                found.evidence["path"].append(absolute)
            why = {n.value: n.text for n in reversed(notes) if n.kind == "effect"}
            for effect in sorted(effects):
                found.add(effect, f"argument `{arg}`: {why.get(effect, f'{access} of {absolute}')}", "files")
            for note in notes:
                if note.kind == "target":
                    found.target(note.value)  # a marker target (classify.files.PROJECT_PREFIX)
                if note.kind != "effect":
                    found.notes.append(Note(note.kind, note.value, f"argument `{arg}`: {note.text}", note.source))
        elif kind == "owner":
            _owner_arg(found, arg, text, detail, mode, ctx)
        elif kind == "url":
            if "://" not in text:
                continue
            found.kinds.add("url")
            found.target(_redact_url(text))
            host = _url_host(text)
            if host and host not in found.evidence.setdefault("host", []):
                found.evidence["host"].append(host)


def _owner_arg(found: _Found, arg: str, owner: str, host: str, mode: str, ctx: ClassifyContext) -> None:
    """The account a tool writes to (``owner:github.com``): another account than where the working
    directory's repository lives is the repository's content sent out, as ``git push`` elsewhere is."""
    if mode == "read" or not owner:
        return
    from blastdoor.classify.environment import git_remotes, home_owners, lives_at

    remotes = git_remotes(ctx)
    home = home_owners(remotes) if remotes else set()
    found.evidence.setdefault("owner", [])
    if owner not in found.evidence["owner"]:
        found.evidence["owner"].append(owner)
    if home and not lives_at(home, host, owner.lower()):
        where = ", ".join(sorted(f"{h}/{o}" if o else h for h, o in home))
        found.add(
            "exfiltrate",
            f"argument `{arg}`: writes to {host}/{owner}, not where this repository lives ({where})",
            "mcp:args",
        )


def _generic_role(arg: str, roles: Mapping[str, str]) -> str:
    return roles.get(_norm(arg), "")


def _fill_target(template: str, args: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = args.get(m.group(1))
        return value if isinstance(value, str) and value else "?"

    return re.sub(r"\{([A-Za-z0-9_]+)\}", sub, template)


def _split_operation(operation: str) -> tuple[str, str]:
    if not operation.startswith("mcp:"):
        return "", ""
    server, _, tool = operation[4:].partition("/")
    return server, tool


# -- the classifier ---------------------------------------------------------------------------------


def classify_mcp(action: Action, ctx: ClassifyContext) -> Action:
    """Classify an ``mcp`` action (operation ``mcp:<server>/<tool>``, ``args`` = the tool's arguments)."""
    server, tool = _split_operation(action.operation)
    if not tool:
        note = Note("effect", "unknown", f"an MCP call without a tool name ({action.operation!r})", "mcp")
        return action.replace(effects={"unknown"}, notes=(*action.notes, note))
    info = action.context.get("mcp")
    st = _static(server, tool, info if isinstance(info, dict) else {})
    args = action.args if isinstance(action.args, dict) else {}
    found = _Found()
    # How a path of unknown access mode is read: what the tool does to things, the worst first.
    mode = "delete" if "delete" in st.effects else "write" if st.effects.keys() & {"write", "create"} else "read"
    generic: Mapping[str, str] = load_kb()["args"] if not st.exact else {}
    for arg, value in args.items():
        role = st.roles.get(arg)
        declared = role is not None
        if role is None:
            role = _generic_role(arg, generic)
        if not role:
            continue
        for one in role.split("|"):
            before = len(found.kinds)
            _classify_arg(found, arg, one, value, mode, ctx, declared)
            if len(found.kinds) > before:
                break
    effects: dict[str, str] = {}
    notes: list[Note] = list(action.notes)
    for effect, why in st.effects.items():
        if effect in st.resolved_by and st.resolved_by[effect] & found.kinds:
            notes.append(Note("info", effect, f"{why}: explained by its arguments", "mcp:name"))
            continue
        effects[effect] = why
    notes.extend(n for n in st.notes if n.kind != "effect" or n.value in effects)
    for effect, why in found.effects.items():
        effects.setdefault(effect, why)
    notes.extend(found.notes)
    if not st.effects and not st.exact and "unknown" not in effects:
        # Neither a server file, the name nor the hints say what the tool itself does: its arguments
        # alone do not explain it.
        why = f"nothing says what `{tool}` does (no known server, no verb in its name, no hints)"
        effects["unknown"] = why
        notes.append(Note("effect", "unknown", why, "mcp"))
    if not effects:
        why = f"no argument of `{tool}` says what it does"
        effects["unknown"] = why
        notes.append(Note("effect", "unknown", why, "mcp"))
    targets = list(found.targets)
    if st.target:
        filled = _fill_target(st.target, args)
        if filled not in targets:
            targets.insert(0, filled)
            notes.append(Note("target", filled, f"the {st.kind} object this tool acts on", f"kb:mcp:{st.kind}"))
    facts: dict[str, Any] = dict(action.facts)
    mcp_facts: dict[str, Any] = {"server": server, "tool": tool}
    if st.kind:
        mcp_facts["known"] = st.kind
    mcp_facts.update(st.facts)
    facts["mcp"] = mcp_facts
    if found.evidence:
        evidence = dict(facts.get("evidence") or {})
        for key, values in found.evidence.items():
            evidence[key] = values[0] if len(values) == 1 else list(values)
        facts["evidence"] = evidence
    return action.replace(effects=effects, targets=targets, notes=notes, facts=facts)


if __name__ == "__main__":
    print(write_compiled())
