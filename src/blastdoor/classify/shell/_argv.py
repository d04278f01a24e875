"""One simple command (an argv) -> parts: unwrap wrappers, look the program up, apply the KB entry.

The normalised ``command`` of a part (what ``command:`` globs in a policy see) is:
``<program> <subcommands...> <options, sorted> <positionals, in order>`` where the program is the
basename (``/bin/rm`` -> ``rm``), wrappers are stripped (``sudo env rm`` -> ``rm``), short option
clusters are split (``-rf`` -> ``-f -r``), long aliases are mapped to the KB's canonical spelling
(``--recursive`` -> ``-r``), an option's value follows it (``-n 19``, ``--context=prod``), ``--`` is
dropped, and words with spaces or shell metacharacters are single-quoted. ``rm -rf ./build`` and
``/bin/rm --force --recursive ./build`` are both ``rm -f -r ./build``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from blastdoor.classify.context import MAX_DEPTH
from blastdoor.classify.shell import _envchain, _guard, _kb
from blastdoor.classify.shell._state import DYNAMIC, Part, State, Stdin, effect_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    Handler = Callable[["Cmd"], None]

KB: dict[str, Any] = _kb.load()
COMMANDS: dict[str, Any] = KB["commands"]
WRAPPERS: dict[str, Any] = KB["wrappers"]

# Lookalike dashes people (and attackers) paste: treated as the ASCII option they imitate.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_UNSAFE = re.compile(r"[^A-Za-z0-9_./=:@%+,~^-]")
_ENV_EVIDENCE = {
    "AWS_PROFILE": "aws_profile",
    "AWS_DEFAULT_PROFILE": "aws_profile",
    "AWS_REGION": "aws_region",
    "AWS_DEFAULT_REGION": "aws_region",
    "TF_WORKSPACE": "terraform_workspace",
    "DATABASE_URL": "db_url",
    "PGHOST": "host",
    "MYSQL_HOST": "host",
    "CLOUDSDK_CORE_PROJECT": "gcp_project",
    "GOOGLE_CLOUD_PROJECT": "gcp_project",
    "AZURE_SUBSCRIPTION_ID": "azure_subscription",
    "KUBE_CONTEXT": "kube_context",
    "DOCKER_HOST": "host",
}
_HELP = frozenset(("--help", "--version"))


def quote(word: str | None) -> str:
    if word is None:
        return "?"
    if word and _UNSAFE.search(word) is None:
        return word
    return "'" + word.replace("'", "'\\''") + "'"


class Cmd:
    """A parsed command line against its KB entry: what handlers see."""

    __slots__ = (
        "args",
        "assigns",
        "chain",
        "ddash",
        "entry",
        "name",
        "opts",
        "part",
        "pos",
        "st",
        "stdin",
        "subs",
    )

    def __init__(
        self, name: str, args: list[str | None], st: State, stdin: Stdin | None, assigns: dict[str, str | None]
    ) -> None:
        self.name = name
        self.args = args
        self.st = st
        self.stdin = stdin
        self.assigns = assigns
        self.entry: dict[str, Any] = {}
        self.chain: list[dict[str, Any]] = []
        self.subs: list[str] = []
        self.opts: list[tuple[str, str | None]] = []
        self.pos: list[str | None] = []
        self.ddash = -1  # index into pos where `--` was seen, or -1
        self.part: Part = Part("shell", "", "", "", st.cwd)

    def has(self, *names: str) -> bool:
        return any(o == n for o, _ in self.opts for n in names)

    def value(self, *names: str) -> str | None:
        for o, v in self.opts:
            if o in names:
                return v
        return None

    def env(self, name: str) -> str | None:
        if name in self.assigns:
            return self.assigns[name]
        return self.st.lookup(name)


# -- entry point -------------------------------------------------------------------------------


def assign(word: str, st: State, assigns: dict[str, str | None]) -> None:
    """``NAME=value`` in a command's environment (``sudo A=1 cmd``, ``env A=1 cmd``): set for the command,
    and judged when the shell runs it later (``BASH_ENV``, ``PROMPT_COMMAND``)."""
    key, _, value = word.partition("=")
    assigns[key] = value
    from blastdoor.classify.shell._envcode import RUNS_LATER, runs_later  # (it imports _walk, which imports this)

    if key in RUNS_LATER:
        runs_later(key, value, word, st)


def run_argv(words: list[str | None], st: State, stdin: Stdin | None, assigns: dict[str, str | None]) -> None:
    """Classify one simple command into ``st.parts`` (several parts when it runs others)."""
    start = len(st.parts)
    adds: dict[str, str] = {}
    hops = 0
    while True:
        if not words:
            return
        head = words[0]
        if head is not None and _ASSIGN.match(head):
            # `sudo A=1 cmd`, `nohup A=1 cmd` after env: leading assignments are environment, not a program
            assign(head, st, assigns)
            words = words[1:]
            continue
        if head is None:
            st.unknown(" ".join(quote(w) for w in words), "the command name is computed at run time")
            break
        name = _program(head)
        if st.depth + hops > MAX_DEPTH:
            st.unknown(head, f"wrappers nested deeper than {MAX_DEPTH}")
            break
        if name == "blastdoor" and (run := _guard.exec_inner(words, st)) is not None:
            words = run  # `blastdoor exec -- CMD` is judged as CMD
            hops += 1
            continue
        w = WRAPPERS.get(name)
        if w is not None:
            inner = _unwrap(w, name, words, st, stdin, assigns, adds)
            if inner is None:
                break
            words = inner
            hops += 1
            continue
        if name in ("cd", "pushd") and not adds:
            _cd(words, st)
        if name == "" and head == "":
            # `ls |` (an incomplete pipeline) or `"" args`: bash finds no command of that name
            part = Part("shell", "shell:", "''", "kb:shell", st.cwd)
            part.add("read", "an empty command name runs nothing (bash: command not found)")
            st.parts.append(part)
            break
        if "/" not in head and (found := _on_added_path(head, st, assigns)) is not None:
            # `PATH=/tmp:$PATH git status` with /tmp/git there (or written by this input): that file runs
            _generic(name, found, words[1:], st, stdin, assigns)
            break
        entry = COMMANDS.get(name)
        if entry is None and name.lower() != name:
            entry = COMMANDS.get(name.lower())
        if entry is None:
            _generic(name, head, words[1:], st, stdin, assigns)
        else:
            apply_entry(entry, name, words[1:], st, stdin, assigns)
        if st.fetched:
            from blastdoor.classify.shell._fetch import fetched_run

            ran = fetched_run(name, head, words[1:], st)
            if ran is not None:
                adds.setdefault("remote_exec", f"runs {ran}, which this same command downloads first")
        break
    guarded = _guard.guard_names(assigns) if assigns else None
    if guarded:
        _guard.mark(st.parts[start:], guarded)
    if adds:
        for part in st.parts[start:]:
            for effect, why in adds.items():
                part.add(effect, why)


def _on_added_path(name: str, st: State, assigns: dict[str, str | None]) -> str | None:
    """The file a command name runs from a directory this input put on ``PATH`` ahead of the agent's own
    (``export PATH=/tmp/evil:$PATH``), when one is there or this input wrote it; None otherwise (the name
    is then the program the knowledge base knows). A directory the agent's ``PATH`` already had is trusted
    as it was."""
    path = assigns.get("PATH") if "PATH" in assigns else st.env.get("PATH") if "PATH" in st.env else ""
    if path == "" or path is None:
        return None  # unchanged here, or computed (then which file runs is not known either way)
    trusted = set((st.ctx.environ.get("PATH") or "").split(":"))
    for directory in path.split(":"):
        if directory in trusted:
            return None  # the agent's own PATH comes first from here on: the usual program
        if not directory:
            continue
        candidate = st.path(f"{directory}/{name}")
        if candidate in st.written or candidate in st.fetched or _script_file(candidate):
            return candidate
    return None


def _script_file(path: str) -> bool:
    """A text file (a script to read and judge), not a compiled program: a tool installed in a user's
    directory (``~/.cargo/bin/cargo``) is still the program its name says."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except (OSError, ValueError):
        return False
    return bool(head) and b"\0" not in head


def _cd(words: list[str | None], st: State) -> None:
    """``cd`` changes where later relative paths of this input point (unknown when computed)."""
    args = [w for w in words[1:] if w is None or not w.startswith("-") or w == "-"]
    if not args:
        st.cwd = st.ctx.home
    elif args[0] is None or args[0] == "-":
        st.cwd = None
    else:
        st.cwd = st.path(args[0]) if (args[0].startswith("/") or st.cwd is not None) else None
        if st.cwd == DYNAMIC:
            st.cwd = None


def _program(word: str) -> str:
    name = word.rsplit("/", 1)[-1] if "/" in word else word
    return name.translate(_DASHES) if not name.isascii() else name


# -- wrappers ----------------------------------------------------------------------------------


def _unwrap(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """The argv a wrapper runs, or None when it was fully handled here."""
    handler = w.get("handler")
    if handler is not None:
        wrapper = _handlers().WRAPPER_HANDLERS[handler]
        result: list[str | None] | None = wrapper(w, name, words, st, stdin, assigns, adds)
        return result
    value_opts = w.get("value", frozenset())
    read_opts = w.get("read", frozenset())
    i, n = 1, len(words)
    while i < n:
        word = words[i]
        if word is None:
            break
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        opt = word.split("=", 1)[0]
        if opt in read_opts:
            part = Part("shell", f"shell:{name}", " ".join(quote(x) for x in words), w["source"], st.cwd)
            part.add("read", f"`{name} {opt}` only reports, it runs nothing")
            st.parts.append(part)
            return None
        if opt in value_opts and "=" not in word:
            i += 2
            continue
        if not opt.startswith("--") and len(opt) > 2 and not w.get("long1"):
            # a cluster like -iu root: the first value-taking letter takes the rest or the next word
            taken = False
            for j, ch in enumerate(opt[1:], 1):
                if "-" + ch in read_opts:
                    part = Part("shell", f"shell:{name}", " ".join(quote(x) for x in words), w["source"], st.cwd)
                    part.add("read", f"`{name} -{ch}` only reports, it runs nothing")
                    st.parts.append(part)
                    return None
                if "-" + ch in value_opts:
                    taken = j == len(opt) - 1
                    break
            i += 2 if taken else 1
            continue
        i += 1
    i += int(w.get("skip", 0))
    for effect in w.get("adds", ()):
        adds.setdefault(effect, w.get("why") or f"`{name}` {effect_text(effect)}")
    inner = words[i:]
    if not inner:
        part = Part("shell", f"shell:{name}", " ".join(quote(x) for x in words), w["source"], st.cwd)
        if adds:
            for effect, why in adds.items():
                part.add(effect, why)
        else:
            part.add("read", f"`{name}` without a command runs nothing")
        st.parts.append(part)
        return None
    return inner


# -- KB entries --------------------------------------------------------------------------------


def _parse(cmd: Cmd, entry: dict[str, Any]) -> bool:
    """Split args into subcommands, options and positionals; False for an unknown subcommand."""
    chain = [entry]
    plan = entry.get("_plan")
    if plan is None:
        plan = entry["_plan"] = _plan(entry)
    value_opts, optional, alias, long1, abbrev, switches, looking = plan
    current = entry
    args = cmd.args
    i, n = 0, len(args)
    ended = False
    while i < n:
        word = args[i]
        i += 1
        if word is None:
            if looking:
                cmd.pos.append(None)
                return _unknown_sub(cmd, current, None)
            cmd.pos.append(None)
            continue
        if not word.isascii():
            word = word.translate(_DASHES)
        if not ended and len(word) > 1 and word[0] == "-":
            if word == "--":
                ended = True
                cmd.ddash = len(cmd.pos)
                continue
            if word.startswith("--") or long1:
                opt, eq, val = word.partition("=")
                if abbrev and opt.startswith("--") and len(opt) > 3:
                    expanded = _unabbreviate(opt, chain, alias)
                    for other in expanded[1:]:
                        cmd.opts.append((other, val if eq else None))
                    opt = expanded[0]
                opt = alias.get(opt, opt)
                if eq:
                    cmd.opts.append((opt, val))
                elif i < n and (
                    opt in value_opts
                    or (switches is not None and opt not in switches and not (args[i] or "x").startswith("-"))
                    # `--body-file F` takes a value in every CLI that has it, known to the KB or not
                    or (SENT_FILE.match(opt) is not None and not (args[i] or "x").startswith("-"))
                ):
                    cmd.opts.append((opt, args[i]))
                    i += 1
                else:
                    cmd.opts.append((opt, None))
                continue
            body = word[1:]
            for j, ch in enumerate(body):
                opt = alias.get("-" + ch, "-" + ch)
                if opt in optional:
                    rest = body[j + 1 :]
                    cmd.opts.append((opt, rest or None))
                    break
                if opt in value_opts:
                    rest = body[j + 1 :]
                    if rest:
                        cmd.opts.append((opt, rest[1:] if rest.startswith("=") else rest))
                    elif i < n:
                        cmd.opts.append((opt, args[i]))
                        i += 1
                    else:
                        cmd.opts.append((opt, None))
                    break
                cmd.opts.append((opt, None))
            continue
        if looking:
            subs = current["subs"]
            sub = subs.get(word)
            if sub is None and not word.islower():
                # case-insensitive file systems run `git RESET` as git-reset: match conservatively
                sub = subs.get(word.lower())
            if sub is not None:
                cmd.subs.append(word)
                current = sub
                chain.append(sub)
                if "value" in sub:
                    value_opts = value_opts | sub["value"]
                if "optional" in sub:
                    optional = optional | sub["optional"]
                if "alias" in sub:
                    alias = {**alias, **sub["alias"]}  # the plan's mapping is shared: never changed
                long1 = long1 or bool(sub.get("long1"))
                looking = bool(sub.get("subs"))
                continue
            if "default" in current:
                current = current["default"]
                chain.append(current)
                looking = False
                cmd.pos.append(word)
                continue
            cmd.pos.append(word)
            return _unknown_sub(cmd, current, word)
        cmd.pos.append(word)
    cmd.entry = current
    cmd.chain = chain
    return True


_Plan = tuple[frozenset[str], frozenset[str], dict[str, str], bool, bool, list[str] | None, bool]


def _plan(entry: dict[str, Any]) -> _Plan:
    """How ``_parse`` reads an entry's options, looked up once per entry (cached on it as ``_plan``)."""
    return (
        entry.get("value", frozenset()),
        # getopt's optional arguments (`sed -i[SUFFIX]`): only an attached value is theirs, never the next word
        entry.get("optional", frozenset()),
        entry.get("alias") or {},
        bool(entry.get("long1")),
        # `abbrev`: getopt_long and git's parse-options accept any unambiguous prefix of a long option
        bool(entry.get("abbrev")),
        # `switches`: a CLI whose long options all take a value except these (aws, gcloud style).
        entry.get("switches"),
        bool(entry.get("subs")),
    )


def _longs(entry: dict[str, Any]) -> frozenset[str]:
    """The long options an entry knows (values, aliases, flags, optional arguments), cached on it."""
    known = entry.get("_longs")
    if known is None:
        names: set[str] = set()
        for key in ("value", "optional", "switches"):
            names.update(entry.get(key) or ())
        for k, v in (entry.get("alias") or {}).items():
            names.update((k, v))
        for k in entry.get("flags") or {}:
            names.add(k.split("=", 1)[0])
        known = frozenset(n for n in names if n.startswith("--") and not any(c in n for c in "*?["))
        entry["_longs"] = known
    return known


def _unabbreviate(opt: str, chain: list[dict[str, Any]], alias: dict[str, str]) -> list[str]:
    """``--recur`` -> ``[--recursive]`` when exactly one long option the KB knows starts with it.

    An exact name wins. A prefix of several options is rejected as ambiguous by the program, but
    which options exist differs between versions (`git push --forc`): it counts as every candidate
    that does not make the command harmless (never as `--dry-run` or `--help`), or stays as written.
    """
    if opt in _HELP or any(opt in _longs(entry) for entry in chain):
        return [opt]
    known: set[str] = set()
    for entry in chain:
        known |= _longs(entry)
    found = sorted({alias.get(k, k) for k in known if k.startswith(opt)} | {h for h in _HELP if h.startswith(opt)})
    if len(found) == 1:
        return found
    risky = [f for f in found if f not in _HELP and not _sets_effects(f, chain)]
    return risky or [opt]


def _sets_effects(opt: str, chain: list[dict[str, Any]]) -> bool:
    for entry in reversed(chain):
        change = _kb.flag_change(entry, opt)
        if change is not None:
            return "set" in change
    return False


def _unknown_sub(cmd: Cmd, entry: dict[str, Any], word: str | None) -> bool:
    cmd.entry = entry
    return False


def apply_entry(
    entry: dict[str, Any],
    name: str,
    args: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
) -> None:
    cmd = Cmd(name, args, st, stdin, assigns)
    start = len(st.parts)  # this part can only have been added after here: look no further back (linear)
    ok = _parse(cmd, entry)
    e = cmd.entry
    op = entry["op"]
    for s in cmd.subs:
        op = f"{op}:{s}"
    part = Part(entry["tool"], e.get("op", op) if e is not entry else op, "", entry["source"], st.cwd)
    cmd.part = part
    part.command = normalised(cmd)
    if not ok:
        if cmd.opts and any(o in _HELP for o, _ in cmd.opts):
            part.add("read", "help and version output only")
        elif entry.get("positional_subs") or e.get("positional_subs"):
            from blastdoor.classify.shell._verbs import verbs

            verbs(cmd)
        else:
            sub = cmd.pos[-1] if cmd.pos else None
            part.add(
                "unknown",
                f"`{name}` subcommand `{sub}` is not in the knowledge base"
                if sub is not None
                else f"`{name}` subcommand computed at run time",
            )
        st.parts.append(part)
        return
    if not cmd.subs and entry.get("subs") and not cmd.pos and "effects" not in entry:
        part.add("read", f"`{name}` without a subcommand prints its usage")
        st.parts.append(part)
        return
    _effects(cmd, part)
    _targets(cmd, part)
    sent_files(cmd, part)
    _evidence(cmd, part)
    _envchain.apply(cmd, part)  # an environment chosen earlier in this input (export, cd, use-context)
    handlers = [h for h in (entry.get("handler"), e.get("handler") if e is not entry else None) if h]
    help_only = any(o in _HELP for o, _ in cmd.opts)
    if help_only:
        part.only("read", "help and version output only")
        st.parts.append(part)
        return
    if handlers:
        table = _handlers().HANDLERS
        for handler in handlers:
            table[handler](cmd)
        if not part.effects and not _added(part, st, start):
            return  # the handler replaced this part with others
    if not part.effects:
        part.add("unknown", f"the knowledge base gives `{part.command}` no effect")
    if not _added(part, st, start):
        st.parts.append(part)


def _added(part: Part, st: State, start: int) -> bool:
    return any(p is part for p in st.parts[start:])


def _effects(cmd: Cmd, part: Part) -> None:
    e = cmd.entry
    why = e.get("why")
    for effect in e.get("effects", ()):
        part.add(effect, why or f"`{part.op}` {effect_text(effect)}")
    chain = cmd.chain
    sets: list[tuple[str, dict[str, Any]]] = []
    for opt, val in cmd.opts:
        change = None
        for entry in reversed(chain):
            if val is not None:
                change = _kb.flag_change(entry, f"{opt}={val}")
                if change is not None:
                    break
            change = _kb.flag_change(entry, opt)
            if change is None and not opt.islower() and opt.startswith("--"):
                change = _kb.flag_change(entry, opt.lower())
            if change is not None:
                break
        if change is None:
            continue
        label = opt if val is None else f"{opt}={val}"
        if "set" in change:
            sets.append((label, change))
            continue
        for effect in change.get("drop", ()):
            part.drop(effect)
        for effect in change.get("add", ()):
            part.add(effect, change.get("why") or f"option `{label}`: {effect_text(effect)}")
    for label, change in sets:
        part.effects.clear()
        part.notes.clear()
        for effect in change["set"]:
            part.add(effect, change.get("why") or f"option `{label}`: {effect_text(effect)}")


def _slice(values: list[str | None], spec: str) -> list[str | None]:
    if not spec:
        return values
    if ":" in spec:
        a, b = spec.split(":", 1)
        return values[int(a) if a else None : int(b) if b else None]
    idx = int(spec)
    try:
        return [values[idx]]
    except IndexError:
        return []


# Options whose value is a file the program reads to send its content somewhere (an issue's body, a
# release's notes, a request's payload): `gh issue create --body-file .env` reads `.env` as `cat` would.
SENT_FILE = re.compile(
    r"^--(?:(?:body|notes|message|data|post|upload|payload|content|input|attachment)-file|input|from-file)$"
)


def sent_files(cmd: Cmd, part: Part) -> None:
    """Judge the files options like ``--body-file`` send as reads of them (protected places count)."""
    for opt, value in cmd.opts:
        if value and value != "-" and SENT_FILE.match(opt):
            path = cmd.st.path(value.split("=", 1)[1] if opt == "--from-file" and "=" in value else value)
            part.target(path)
            _path_effects()(part, path, "read", cmd.st)


def _targets(cmd: Cmd, part: Part) -> None:
    specs = cmd.entry.get("targets")
    if not specs:
        return
    st = cmd.st
    for spec in specs:
        body, _, sl = spec.partition("@")
        values = _slice(cmd.pos, sl)
        if body.startswith("path"):
            mode = body[5:] if len(body) > 4 else ""
            path_effects = _path_effects()
            seen: set[str | None] = set()
            for v in values:
                if v in seen:
                    continue  # the same operand again (`rm a a`): its target and effects are in already
                seen.add(v)
                path = st.path(v)
                part.target(path)
                if mode:
                    path_effects(part, path, mode, st)
        elif body.startswith("url"):
            for v in values:
                if v is not None and "://" in v:
                    part.target(v)
                    host = v.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
                    if host:
                        part.evidence.setdefault("host", host.split(":", 1)[0])
        elif body.startswith("tpl:"):
            template = body[4:]
            for v in values:
                part.target(template.replace("{}", v if v is not None else DYNAMIC))


def _evidence(cmd: Cmd, part: Part) -> None:
    wanted: dict[str, str] = {}
    for entry in cmd.chain:
        ev = entry.get("evidence")
        if ev:
            wanted.update(ev)
    if not wanted:
        return
    keys = set(wanted.values())
    for opt, val in cmd.opts:
        key = wanted.get(opt)
        if key is not None and val is not None:
            part.evidence[key] = _host_of(val) if key == "host" else val
    for var, key in _ENV_EVIDENCE.items():
        if key in keys and key not in part.evidence:
            value = cmd.env(var)
            if value:
                part.evidence[key] = _host_of(value) if key == "host" else value


def _host_of(value: str) -> str:
    """``tcp://prod-1:2376``, ``ssh://deploy@db.prod``: the host name a host option or variable names."""
    if "://" not in value:
        return value
    authority = value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def normalised(cmd: Cmd) -> str:
    """Program, subcommands, sorted options (values attached), positionals: `rm -f -r ./build`.

    ``lead: N`` in a KB entry marks the first N positionals as subcommand words for CLIs whose
    subcommands a handler resolves (``aws <service> <operation>``).
    """
    opts = sorted(o if v is None else (f"{o}={v}" if o.startswith("--") else f"{o} {quote(v)}") for o, v in cmd.opts)
    lead = cmd.chain[0].get("lead", 0) if cmd.chain else 0
    words = [quote(p) for p in cmd.pos]
    return " ".join([cmd.name, *cmd.subs, *words[:lead], *opts, *words[lead:]])


# -- commands the KB does not know ---------------------------------------------------------------


def _generic(
    name: str, head: str, args: list[str | None], st: State, stdin: Stdin | None, assigns: dict[str, str | None]
) -> None:
    _handlers().generic(name, head, args, st, stdin, assigns)


# _handlers and _walk import this module: they are imported on first use, then kept (an import
# statement per command costs about a microsecond). A failed import raises again on every call.
@cache
def _handlers() -> ModuleType:
    from blastdoor.classify.shell import _handlers

    return _handlers


@cache
def _path_effects() -> Callable[[Part, str, str, State], None]:
    from blastdoor.classify.shell._paths import path_effects

    return path_effects
