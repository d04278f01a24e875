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
import re
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note
from blastdoor.classify.kbfiles import KBError
from blastdoor.classify.mcp_kb import (
    COMPILED,
    compile_documents,
    compile_kb,
    load_kb,
    main_verb,
    norm_name,
    object_effects,
    split_words,
    write_compiled,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from blastdoor.classify.context import ClassifyContext

# The knowledge base's functions are re-exported: its tests and tools reach them here.
__all__ = [
    "COMPILED",
    "KBError",
    "classify_mcp",
    "compile_documents",
    "compile_kb",
    "load_kb",
    "main_verb",
    "split_words",
    "write_compiled",
]

_MAX_TEXT = 512 * 1024  # an argument longer than this is not sub-classified: `unknown`
_MAX_LIST = 256  # list-valued path/url arguments beyond this many elements are `unknown`


# -- evidence from the name, the server and the hints ----------------------------------------------


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
    return roles.get(norm_name(arg), "")


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
