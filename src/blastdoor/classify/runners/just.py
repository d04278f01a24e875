"""``just`` read the way just reads a justfile (just.systems/man): the recipes a call would run.

``just [OPTIONS] [NAME=VALUE...] [RECIPE [ARGS...]]...``: ``-f/--justfile``, ``-d/--working-directory``,
``--set NAME VALUE``; ``-n/--dry-run``, ``-l/--list``, ``--summary``, ``--show``, ``--dump``,
``--evaluate``, ``--help``, ``--version`` only report. The default recipe is the first one. Assignments
(``name := 'value'``, ``+`` concatenation, ``env('X', 'default')``), ``{{...}}`` interpolation with
parameters and variables, dependencies (before, and ``&&`` after), the ``@``/``-`` line prefixes, and
shebang recipes (their body is a program in that language) are followed. Backticks run commands while
the justfile is read: they are steps, and their values are computed.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from blastdoor.classify.runners import Plan, Step, find, read_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["plan_just"]

UNKNOWN = "${__blastdoor_computed_by_just}"
_FILES = ("justfile", "Justfile", ".justfile", "JUSTFILE")
_REPORT = frozenset(
    (
        "-n",
        "--dry-run",
        "-l",
        "--list",
        "--summary",
        "--show",
        "-s",
        "--dump",
        "--evaluate",
        "--help",
        "-h",
        "--version",
        "-V",
        "--variables",
        "--groups",
        "--fmt",
        "--check",
        "--init",
        "--completions",
        "--man",
    )
)
_VALUE = frozenset(
    (
        "-f",
        "--justfile",
        "-d",
        "--working-directory",
        "--shell",
        "--shell-arg",
        "--color",
        "--dump-format",
        "--list-heading",
        "--list-prefix",
        "--chooser",
        "--dotenv-filename",
        "--dotenv-path",
        "-E",
        "--command",
        "-c",
    )
)
_HEADER = re.compile(r"^(?P<quiet>@)?(?P<name>[A-Za-z_][A-Za-z0-9_-]*)(?P<params>[^:]*?)\s*:(?!=)(?P<deps>.*)$")
_ASSIGN = re.compile(r"^(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(?P<value>.*)$")


class _Recipe:
    __slots__ = ("after", "body", "deps", "name", "params")

    def __init__(
        self, name: str, params: list[tuple[str, str | None, bool]], deps: list[str], after: list[str]
    ) -> None:
        self.name = name
        self.params = params  # (name, default or None, variadic)
        self.deps = deps
        self.after = after
        self.body: list[str] = []


class _Justfile:
    def __init__(self, lookup: Callable[[str], str | None], overrides: dict[str, str | None]) -> None:
        self.vars: dict[str, str] = {}
        self.recipes: dict[str, _Recipe] = {}
        self.order: list[str] = []
        self.aliases: dict[str, str] = {}
        self.lookup = lookup
        self.overrides = overrides
        self.backticks: list[str] = []
        self.problems: list[str] = []

    def parse(self, text: str) -> None:
        current: _Recipe | None = None
        for raw in text.replace("\r\n", "\n").split("\n"):
            if raw[:1] in (" ", "\t") and current is not None:
                current.body.append(raw.rstrip())
                continue
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#") or (line.startswith("[") and line.endswith("]")):
                continue
            current = None
            if line.startswith(("set ", "import ", "mod ")):
                if line.startswith(("import ", "mod ")):
                    self.problems.append(f"the justfile loads another file: `{line[:60]}`")
                continue
            if line.startswith("alias "):
                m = re.match(r"^alias\s+(\S+)\s*:=\s*(\S+)", line)
                if m:
                    self.aliases[m.group(1)] = m.group(2)
                continue
            m = _ASSIGN.match(line)
            if m is not None:
                name = m.group("name")
                if name in self.overrides:
                    v = self.overrides[name]
                    self.vars[name] = v if v is not None else UNKNOWN
                else:
                    self.vars[name] = self.value(m.group("value"), {})
                continue
            h = _HEADER.match(line)
            if h is None:
                self.problems.append(f"cannot read the justfile line `{line[:80]}`")
                continue
            params = []
            for p in h.group("params").split():
                variadic = p[:1] in "+*"
                p = p.lstrip("+*$")
                name, eq, default = p.partition("=")
                params.append((name, self.value(default, {}) if eq else ("" if variadic else None), variadic))
            deps_text = h.group("deps")
            before, _, after_text = deps_text.partition("&&")
            recipe = _Recipe(h.group("name"), params, _deps(before), _deps(after_text))
            self.recipes[recipe.name] = recipe
            self.order.append(recipe.name)
            current = recipe

    def value(self, expr: str, scope: dict[str, str]) -> str:
        """A just expression: strings, variables, ``+``, ``env()``/``env_var()``; else computed."""
        out = []
        for term in _split_plus(expr.strip()):
            term = term.strip()
            if not term:
                continue
            if term[:1] in ("'", '"') and term[-1:] == term[:1]:
                out.append(term[1:-1] if term[0] == "'" else _unescape(term[1:-1]))
            elif term[:1] == "`" and term[-1:] == "`":
                self.backticks.append(term[1:-1])
                out.append(UNKNOWN)
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", term):
                if term in scope:
                    out.append(scope[term])
                elif term in self.vars:
                    out.append(self.vars[term])
                else:
                    out.append(UNKNOWN)
            else:
                m = re.fullmatch(
                    r"(env_var_or_default|env_var|env)\(\s*(['\"])([^'\"]*)\2\s*(?:,\s*(['\"])([^'\"]*)\4)?\s*\)", term
                )
                if m is not None:
                    found = self.lookup(m.group(3))
                    out.append(found if found is not None else (m.group(5) if m.group(5) is not None else UNKNOWN))
                else:
                    out.append(UNKNOWN)
        return "".join(out)

    def interpolate(self, line: str, scope: dict[str, str]) -> str:
        line = line.replace("{{{{", "\0")
        out = re.sub(r"\{\{(.*?)\}\}", lambda m: self.value(m.group(1), scope), line)
        return out.replace("\0", "{{")

    def run(self, name: str, args: list[str | None], plan: Plan, directory: str, seen: set[str]) -> None:
        name = self.aliases.get(name, name)
        recipe = self.recipes.get(name)
        if recipe is None:
            plan.unknown.append(f"no recipe `{name}` in the justfile")
            return
        if name in seen:
            return
        seen.add(name)
        scope: dict[str, str] = {}
        i = 0
        for pname, default, variadic in recipe.params:
            if variadic:
                given = args[i:]
                i = len(args)
                scope[pname] = UNKNOWN if None in given else " ".join(a for a in given if a is not None)
                if not given and default is not None:
                    scope[pname] = default
            elif i < len(args):
                given_arg = args[i]
                scope[pname] = given_arg if given_arg is not None else UNKNOWN
                i += 1
            else:
                scope[pname] = default if default is not None else UNKNOWN
        for dep in recipe.deps:
            words = dep.split()
            if words:
                self.run(words[0], [self.value(w, scope) for w in words[1:]], plan, directory, seen)
        import textwrap

        body = [self.interpolate(line, scope) for line in textwrap.dedent("\n".join(recipe.body)).split("\n")]
        while body and not body[-1].strip():
            body.pop()
        if body and body[0].startswith("#!"):
            lang = _shebang(body[0])
            if lang == "":
                plan.unknown.append(f"recipe `{name}` runs under an interpreter blastdoor does not read")
            else:
                plan.add(Step(lang, f"just {name}", directory, text="\n".join(body)))
        else:
            for line in body:
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                while text[:1] in ("@", "-"):
                    text = text[1:].lstrip()
                plan.add(Step("shell", f"just {name}", directory, text=text))
        for dep in recipe.after:
            words = dep.split()
            if words:
                self.run(words[0], [self.value(w, scope) for w in words[1:]], plan, directory, seen)


def _deps(text: str) -> list[str]:
    out = []
    for m in re.finditer(r"\(([^)]*)\)|(\S+)", text):
        out.append(m.group(1) if m.group(1) is not None else m.group(2))
    return out


def _split_plus(expr: str) -> list[str]:
    out, cur, quote = [], [], ""
    for ch in expr:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            cur.append(ch)
        elif ch == "+":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _unescape(s: str) -> str:
    return s.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")


def _shebang(line: str) -> str:
    if "python" in line:
        return "python"
    if any(k in line for k in ("node", "deno", "bun")):
        return "javascript"
    if any(k in line for k in ("bash", "sh", "zsh", "dash")):
        return "shell"
    return ""


def plan_just(args: list[str | None], cwd: str | None, lookup: Callable[[str], str | None]) -> Plan:
    plan = Plan()
    justfile: str | None = ""
    directory = cwd
    overrides: dict[str, str | None] = {}
    words: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            words.append(None)
            continue
        if words:
            words.append(a)
            continue
        name, eq, raw_value = a.partition("=")
        value: str | None = raw_value
        if a.startswith("-"):
            if name in _REPORT:
                plan.read_only = f"`just {name}` only reports"
                return plan
            if name == "--set":
                key = args[i] if i < n else None
                val = args[i + 1] if i + 1 < n else None
                i += 2
                if key is not None:
                    overrides[key] = val
                continue
            if name in ("--choose",):
                plan.unknown.append("`just --choose` runs a recipe picked interactively")
                return plan
            if name in _VALUE:
                if not eq:
                    value = args[i] if i < n else None
                    i += 1
                if name in ("-f", "--justfile"):
                    justfile = value
                elif name in ("-d", "--working-directory"):
                    directory = None if value is None else os.path.join(directory or "/", value)
                elif name in ("-c", "--command", "--shell", "--shell-arg"):
                    plan.unknown.append(f"`just {name}` changes what runs")
            continue
        if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            overrides[name] = value
            continue
        words.append(a)
    if justfile is None or directory is None:
        plan.unknown.append("a justfile or directory named at run time")
        return plan
    path = (justfile if justfile.startswith("/") else os.path.join(directory, justfile)) if justfile else None
    if path is None:
        path = find(directory, _FILES)
    if path is None:
        plan.missing = (f"no justfile in {directory}", directory)
        return plan
    text = read_text(path)
    if text is None:
        plan.cannot_read(path)
        return plan
    plan.source = path
    jf = _Justfile(lookup, overrides)
    jf.parse(text)
    plan.unknown.extend(jf.problems)
    for cmd in jf.backticks:
        plan.add(Step("shell", "just `backtick`", directory, text=cmd))
    if not words:
        if not jf.order:
            plan.read_only = "the justfile has no recipe"
            return plan
        words = [jf.order[0]]
    seen: set[str] = set()
    i = 0
    while i < len(words):
        word = words[i]
        if word is None:
            plan.unknown.append("a recipe named at run time")
            return plan
        name = word
        recipe = jf.recipes.get(jf.aliases.get(name, name))
        nparams = len(recipe.params) if recipe is not None else 0
        variadic = recipe is not None and any(v for _, _, v in recipe.params)
        take = len(words) - i - 1 if variadic else nparams
        before = len(jf.backticks)
        jf.run(name, list(words[i + 1 : i + 1 + take]), plan, directory, seen)
        i += 1 + take
        for cmd in jf.backticks[before:]:
            plan.add(Step("shell", "just `backtick`", directory, text=cmd))
    return plan
