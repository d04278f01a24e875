"""The guard sweep: a command that acts and names a guard place writes the guard, whatever the means.

Run once over the parts of an input after the walk. The knowledge base says precisely which operands
a program reads and which it writes for the programs it describes (``cp``'s sources are reads); for
everything else (an in-place editor, an interpreter's code, a database CLI on the store file, a
program the base does not know) a part that does more than read and names a guard place, as an
operand, an option's value or a string inside inline code, is taken to write it. The guard places are
``classify.files.guard_of``'s; the store's own tables and triggers count too (``sql:table/audit_event``),
and stopping blastdoor's server or uninstalling its package is a write to the guard as well.
"""

from __future__ import annotations

import posixpath
import re
from functools import cache
from typing import TYPE_CHECKING

from blastdoor.classify.guard import GUARD, LOCATION_VARS, STORE_NAMES
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.classify.context import ClassifyContext
    from blastdoor.classify.shell._state import Part, State

_LITERAL = re.compile(r"""['"`]([^'"`\s]{1,1024})['"`]""")
_SQL_TARGET = re.compile(r"^sql:(?:table|trigger|function|view|index)/(?:[^./]+\.)?([A-Za-z_][A-Za-z0-9_]*)$")
_UNINSTALL = re.compile(r"(?:^|:)(?:uninstall|remove|rm|purge|erase)$")
_MEMO: dict[tuple[str | None, ...], str] = {}
_MEMO_LIMIT = 4096
# Per environment key: (word, cwd) -> the guard places the word names, as (path, why) in candidate order.
# Most words name none, and a warm process (the server) meets the same words again and again: one
# lookup instead of splitting the word, normalising its paths and building a memo key per candidate.
_WordMemo = dict[tuple[str, str | None], tuple[tuple[str, str], ...]]
_WORD_MEMO: dict[tuple[str | None, ...], _WordMemo] = {}
# The same for the tokens of a whole input that runs code from stdin or computes its targets.
_TOKEN_MEMO: dict[tuple[str | None, ...], _WordMemo] = {}
_MAX_WORDS = 64  # words looked at per part: a guard path is named near the program, not after 10k args


def sweep(st: State, text: str) -> None:
    """Mark every part of ``st`` that writes a guard place with ``privilege`` and ``guard``."""
    # blastdoor named as something acted on (`pgrep -f blastdoor`, `systemctl stop blastdoor`), not as
    # the program run (`blastdoor exec -- CMD` is judged as CMD).
    names_blastdoor = "blastdoor" in text and any(
        "blastdoor" in p.command and not p.op.startswith("blastdoor") for p in st.parts
    )
    named: list[tuple[str, str]] | None = None  # the guard places the whole input names, when needed
    env = st.ctx.environ
    key = (st.ctx.home, st.ctx.cwd, *map(env.get, LOCATION_VARS))
    # A word with neither `/` nor `.` names a guard place only when it is relative to one.
    loose = bool(st.cwd) and bool(_guard_of(st.cwd or "", st, key))
    for part in st.parts:
        if "delete" in part.effects:
            _mark_projects(part, st)
        if GUARD in part.effects:
            continue
        effects = part.effects
        if len(effects) == 1 and "read" in effects:
            continue  # a plain read writes nothing
        why, where = _guarded(part, st, key, loose)
        if not why and (DYNAMIC in part.targets or part.op in _CODE_OPS):
            # What it acts on is computed at run time (`... | xargs rm`) or is code read from stdin (a
            # heredoc into python): any guard place the input names may be it.
            if named is None:
                named = _named_in(text, st, part.cwd, key)
            if named:
                path, why_named = named[0]
                why, where = f"acts on a path computed from an input that names {path}: {why_named}", path
        if not why and names_blastdoor:
            why, where = _stops_or_removes(part)
        if why:
            part.add("privilege", why, "classify.guard")
            part.add(GUARD, why, "classify.guard")
            if where:
                part.target(where)


def _guarded(part: Part, st: State, key: tuple[str | None, ...], loose: bool) -> tuple[str, str]:
    for target in part.targets:
        if target.startswith("sql:"):
            hit = _SQL_TARGET.match(target)
            if hit and hit.group(1).lower() in STORE_NAMES:
                return f"changes blastdoor's audit store (`{hit.group(1)}`)", target
        elif target.startswith("/") and target not in part.paths:
            why = _guard_of(target, st, key)
            if why:
                return f"writes {target}: {why}", target
    words = _words(part.command)
    memo = _memo(_WORD_MEMO, key)
    cwd = part.cwd
    for word in words[1:_MAX_WORDS]:
        if not loose and "/" not in word and "." not in word:
            continue
        hits = memo.get((word, cwd))
        if hits is None:
            hits = _named_by(word, cwd, st, key)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[(word, cwd)] = hits
        for path, why in hits:
            if part.paths.get(path) != "read":
                return f"`{words[0]}` acts on {path}: {why}", path
    return "", ""


def _named_by(word: str, cwd: str | None, st: State, key: tuple[str | None, ...]) -> tuple[tuple[str, str], ...]:
    """The guard places ``word`` names (as an operand, an option's value or a quoted literal), in order."""
    hits = []
    for candidate in _candidates(word):
        path = _path(candidate, cwd)
        if path != DYNAMIC:
            why = _guard_of(path, st, key)
            if why:
                hits.append((path, why))
    return tuple(hits)


def _mark_projects(part: Part, st: State) -> None:
    """Deleted paths under a temp directory that belong to a project keep the project's protection."""
    for target in list(part.targets):
        if target.startswith("/"):
            marker = _project_marker()(target, st.ctx)
            if marker:
                part.target(marker)


@cache
def _project_marker() -> Callable[[str, ClassifyContext], str]:
    # Imported once (classify.files is heavy, and an import statement per deleted path costs ~1 us).
    from blastdoor.classify.files import project_marker

    return project_marker


def _stops_or_removes(part: Part) -> tuple[str, str]:
    """Stopping blastdoor's server or uninstalling its package, in an input that names blastdoor."""
    if "kill" in part.effects:
        return "stops processes in an input that names blastdoor: its server would decide nothing", ""
    words = _words(part.command)
    named = any("blastdoor" in w for w in words[1:_MAX_WORDS])
    if named and _UNINSTALL.search(part.op):
        return "uninstalls blastdoor: the hook would then fail", ""
    if named and words and words[0].rsplit("/", 1)[-1] in _SERVICE_MANAGERS:
        return "changes blastdoor's service: its server would decide nothing", ""
    return "", ""


# Programs that start, stop, disable or remove services and containers.
_SERVICE_MANAGERS = frozenset(
    ("systemctl", "service", "launchctl", "supervisorctl", "rc-service", "rc-update", "sv", "initctl", "docker",
     "podman", "nerdctl", "kubectl", "pm2", "update-rc.d", "chkconfig")
)  # fmt: skip
# Interpreters and shells whose code may come from stdin or a heredoc.
_CODE_OPS = frozenset(
    f"shell:{n}" for n in ("python", "python3", "node", "perl", "ruby", "php", "bash", "sh", "zsh", "dash", "ksh",
                           "fish", "deno", "bun", "lua", "Rscript", "osascript", "pwsh", "tclsh", "awk")
)  # fmt: skip
_TOKEN = re.compile(r"""[^\s'"`;|&<>()=,]+""")


def _named_in(text: str, st: State, cwd: str | None, key: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """The guard places ``text`` names anywhere (its words and the strings inside them)."""
    seen: set[str] = set()
    memo = _memo(_TOKEN_MEMO, key)
    for token in _TOKEN.findall(text):
        if ("/" not in token and "." not in token) or token in seen or len(token) > 4096:
            continue
        seen.add(token)
        hits = memo.get((token, cwd))
        if hits is None:
            path = _path(token, cwd)
            why = _guard_of(path, st, key) if path != DYNAMIC else ""
            hits = ((path, why),) if why else ()
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[(token, cwd)] = hits
        if hits:
            return list(hits)
    return []


def _memo(store: dict[tuple[str | None, ...], _WordMemo], key: tuple[str | None, ...]) -> _WordMemo:
    """``store``'s memo for the environment ``key`` (a few environments per process: bounded all the same)."""
    memo = store.get(key)
    if memo is None:
        if len(store) >= 64:
            store.clear()
        memo = store[key] = {}
    return memo


def _words(command: str) -> list[str]:
    """The command's words, split on blanks (quotes stay: the literal scan reads inside them)."""
    return [w.strip("'\"") for w in command.split(None, _MAX_WORDS)[:_MAX_WORDS]]


def _candidates(word: str) -> list[str]:
    out = []
    if word.startswith("-"):
        _, eq, value = word.partition("=")
        if eq and value:
            out.append(value)
    else:
        out.append(word)
    if len(word) > 2 and any(q in word for q in "'\"`"):
        out.extend(m.strip("<>+|& ") for m in _LITERAL.findall(word))
    return [c for c in out if c and len(c) < 4096]


def _path(value: str, cwd: str | None) -> str:
    if value.startswith("/"):
        return posixpath.normpath(value)
    if cwd is None:
        return DYNAMIC
    return posixpath.normpath(posixpath.join(cwd, value))


def _guard_of(path: str, st: State, key: tuple[str | None, ...]) -> str:
    memo_key = (path, *key)
    found = _MEMO.get(memo_key)
    if found is None:
        from blastdoor.classify.files import guard_of  # only when not remembered: an import costs ~1 us

        found = guard_of(path, st.ctx)
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[memo_key] = found
    return found
