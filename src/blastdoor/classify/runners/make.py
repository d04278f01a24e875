"""GNU make read the way make reads it: the recipes ``make [TARGET...]`` would run.

Options follow GNU make's manual: ``-C dir`` (cumulative), ``-f file``, ``VAR=value`` overrides,
``-n``/``--dry-run`` (only lines with ``$(MAKE)`` or a ``+`` prefix still run), ``-q``, ``-j [N]`` and
``-l [N]`` (optional values), ``--eval`` (unknown). The Makefile (``GNUmakefile``, ``makefile``,
``Makefile``; ``include``\\ d files too) is parsed into variables and rules; the goal (the default goal
when none is named) and every prerequisite, depth first, give their recipes, with variables expanded:
recursive (``=``), simple (``:=``), conditional (``?=``), appended (``+=``), target-specific, automatic
(``$@ $< $^ $* $?``) and a few functions. A variable the Makefile does not set takes the environment's
value, or is empty, as in make. A value blastdoor cannot know (``$(shell ...)``, a variable set
differently on two branches of a conditional, an unknown function) becomes a shell word computed at run
time, so the command it is in is judged as such. ``$(shell ...)`` commands are steps of their own (make
runs them while reading). Recipe lines lose their ``@``/``-``/``+`` prefixes; ``$(MAKE)`` recursion is
``make`` again, bounded by the shell classifier's depth.
"""

from __future__ import annotations

import builtins
import os
import re
from typing import TYPE_CHECKING

from blastdoor.classify.runners import Plan, Step, find, read_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["plan_make"]

UNKNOWN = "${__blastdoor_computed_by_make}"  # a word the shell classifier sees as computed at run time
_FILES = ("GNUmakefile", "makefile", "Makefile")
_VALUE_SHORT = frozenset("CfIoW")  # take a value (attached or next word)
_OPTIONAL_SHORT = frozenset("jl")  # take an optional attached or numeric next value
_READ_ONLY = frozenset(("-q", "--question", "-v", "--version", "-h", "--help"))
_DRY = frozenset(("-n", "--just-print", "--dry-run", "--recon"))
_LONG_VALUE = frozenset(
    ("--directory", "--file", "--makefile", "--include-dir", "--old-file", "--assume-old", "--what-if", "--new-file")
)
_ASSIGN = re.compile(r"^(?P<name>[^\s:#=]+)\s*(?P<op>\?=|::?:?=|\+=|!=|=)\s*(?P<value>.*)$")
_COND = re.compile(r"^(ifeq|ifneq|ifdef|ifndef)\b")
_MAX_TARGETS = 500
_MAX_INCLUDE = 8


class _Var:
    __slots__ = ("flavor", "value")

    def __init__(self, value: str, flavor: str) -> None:
        self.value = value
        self.flavor = flavor  # recursive | simple | unknown


class _Rule:
    __slots__ = ("double", "prereqs", "recipe", "vars")

    def __init__(self) -> None:
        self.prereqs: list[str] = []
        self.recipe: list[str] = []
        self.double = False
        self.vars: dict[str, _Var] = {}


class _Makefile:
    def __init__(self, lookup: Callable[[str], str | None], overrides: dict[str, str | None]) -> None:
        self.vars: dict[str, _Var] = {}
        self.cond_vars: dict[str, str] = {}  # name -> the first value assigned under a conditional
        self.rules: dict[str, list[_Rule]] = {}
        self.patterns: list[tuple[str, _Rule]] = []
        self.default_goal = ""
        self.oneshell = False
        self.lookup = lookup
        self.overrides = overrides
        self.shell_steps: list[str] = []
        self.problems: list[str] = []
        self.includes = 0

    # -- reading -------------------------------------------------------------------------------------

    def parse(self, text: str, directory: str) -> None:
        lines = text.replace("\r\n", "\n").split("\n")
        i = 0
        current: list[_Rule] = []
        depth = 0
        while i < len(lines):
            raw = lines[i]
            i += 1
            while raw.endswith("\\") and i < len(lines):
                raw = raw[:-1] + " " + lines[i].lstrip()
                i += 1
            if raw.startswith("\t") and current:
                for rule in current:
                    rule.recipe.append(raw[1:])
                continue
            line = _strip_comment(raw).strip()
            if not line:
                continue
            word = line.split(None, 1)[0]
            if _COND.match(word):
                depth += 1
                continue
            if word == "else":
                continue
            if word == "endif":
                depth = max(0, depth - 1)
                continue
            if word == "define":
                name = line.split(None, 1)[1].split()[0] if len(line.split()) > 1 else ""
                body: list[str] = []
                while i < len(lines) and lines[i].strip() != "endef":
                    body.append(lines[i])
                    i += 1
                i += 1
                self.set(name, "\n".join(body), "=", depth > 0)
                current = []
                continue
            if word in ("include", "-include", "sinclude"):
                for name in self.expand(line.split(None, 1)[1] if " " in line else "", {}).split():
                    self.include(name, directory, optional=word != "include")
                current = []
                continue
            for prefix in ("export ", "override ", "private ", "unexport "):
                if line.startswith(prefix):
                    line = line[len(prefix) :].strip()
            if line in ("export", "unexport") or word == "vpath":
                continue
            m = _ASSIGN.match(line)
            if m is not None:
                self.set(m.group("name"), m.group("value"), m.group("op"), depth > 0)
                current = []
                continue
            colon = _rule_colon(line)
            if colon < 0:
                if line.startswith("$("):
                    self.expand(line, {})  # $(eval ...), $(info ...) at top level: read for $(shell)
                    continue
                self.problems.append(f"cannot read the Makefile line `{line[:80]}`")
                current = []
                continue
            double = line[colon : colon + 2] == "::"
            head = self.expand(line[:colon], {})
            rest = line[colon + (2 if double else 1) :]
            inline = ""
            if ";" in rest:
                rest, _, inline = rest.partition(";")
            targets = head.split()
            tv = _ASSIGN.match(rest.strip())
            if tv is not None:  # target-specific variable: `deploy: PROFILE = prod`
                for t in targets:
                    rule = self.rule(t, double)
                    rule.vars[tv.group("name")] = _Var(tv.group("value"), "recursive")
                current = []
                continue
            prereqs = [p for p in self.expand(rest, {}).split() if p != "|"]
            current = []
            for t in targets:
                if t == ".ONESHELL":
                    self.oneshell = True
                if t.startswith(".") and "/" not in t and t != ".DEFAULT":
                    continue
                rule = self.rule(t, double, new=True)
                rule.prereqs.extend(prereqs)
                if inline.strip():
                    rule.recipe.append(inline.strip())
                current.append(rule)
                if not self.default_goal and "%" not in t:
                    self.default_goal = t

    def rule(self, target: str, double: bool, *, new: bool = False) -> _Rule:
        if "%" in target:
            for pattern, existing in self.patterns:
                if pattern == target and not (double and new):
                    return existing
            rule = _Rule()
            self.patterns.append((target, rule))
            return rule
        rules = self.rules.setdefault(target, [])
        if not rules or (double and new):
            rules.append(_Rule())
        rules[-1].double = double
        return rules[-1]

    def include(self, name: str, directory: str, *, optional: bool) -> None:
        path = name if name.startswith("/") else os.path.join(directory, name)
        self.includes += 1
        if self.includes > _MAX_INCLUDE:
            self.problems.append("includes nested too deep")
            return
        text = read_text(path)
        if text is None:
            if not optional:
                self.problems.append(f"cannot read the included makefile {path}")
            return
        self.parse(text, directory)

    def set(self, name: str, value: str, op: str, conditional: bool) -> None:
        name = self.expand(name, {}).strip()
        if name in self.overrides:
            return
        if name == ".DEFAULT_GOAL":
            self.default_goal = self.expand(value, {}).strip()
            return
        old = self.vars.get(name)
        if op == "?=":
            if old is not None or self.lookup(name) is not None:
                return
            var = _Var(value, "recursive")
        elif op in (":=", "::=", ":::="):
            var = _Var(self.expand(value, {}), "simple")
        elif op == "+=":
            if old is None:
                env = self.lookup(name)
                var = _Var(((env + " ") if env else "") + value, "recursive")
            else:
                var = _Var((old.value + " " + value).strip(), old.flavor)
        elif op == "!=":
            self.shell_steps.append(self.expand(value, {}))
            var = _Var(UNKNOWN, "simple")
        else:
            var = _Var(value, "recursive")
        if conditional:
            first = self.cond_vars.setdefault(name, var.value)
            if first != var.value or (old is not None and old.value != var.value):
                var = _Var(UNKNOWN, "unknown")
        elif name in self.cond_vars and self.cond_vars[name] != var.value:
            var = _Var(UNKNOWN, "unknown")
        self.vars[name] = var

    # -- expanding -----------------------------------------------------------------------------------

    def value(self, name: str, auto: dict[str, str], local: dict[str, _Var], depth: int) -> str:
        if name in auto:
            return auto[name]
        if len(name) == 2 and name[0] in auto and name[1] in "DF":
            base = auto[name[0]]
            return os.path.dirname(base) or "." if name[1] == "D" else os.path.basename(base)
        if name in self.overrides:
            v = self.overrides[name]
            return v if v is not None else UNKNOWN
        var = local.get(name) or self.vars.get(name)
        if var is not None:
            if var.flavor == "recursive":
                return self.expand(var.value, auto, local, depth + 1)
            return var.value
        if name in ("MAKE", "MAKE_COMMAND"):
            return "make"
        if name == "SHELL":
            return "/bin/sh"
        if name == "CURDIR":
            return auto.get("CURDIR", UNKNOWN)
        env = self.lookup(name)
        return env if env is not None else ""

    def expand(self, text: str, auto: dict[str, str], local: dict[str, _Var] | None = None, depth: int = 0) -> str:
        if "$" not in text:
            return text
        if depth > 30:
            return UNKNOWN
        local = local or {}
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch != "$" or i + 1 >= n:
                out.append(ch)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt in "({":
                close = ")" if nxt == "(" else "}"
                j = _matching(text, i + 1, nxt, close)
                inner = text[i + 2 : j]
                i = j + 1
                out.append(self.call(inner, auto, local, depth))
                continue
            out.append(self.value(nxt, auto, local, depth))
            i += 2
        return "".join(out)

    def call(self, inner: str, auto: dict[str, str], local: dict[str, _Var], depth: int) -> str:
        m = re.match(r"^([a-z-]+)[ \t]+(.*)$", inner, re.S)
        if m is None or m.group(1) not in _FUNCTIONS:
            name = self.expand(inner, auto, local, depth + 1)
            if ":" in name and "=" in name:  # substitution reference $(VAR:.c=.o)
                return UNKNOWN
            return self.value(name.strip(), auto, local, depth)
        fn, body = m.group(1), m.group(2)
        if fn == "shell":
            self.shell_steps.append(self.expand(body, auto, local, depth + 1))
            return UNKNOWN
        if fn in ("info", "warning"):
            return ""
        if fn == "error":
            self.problems.append("the Makefile stops with $(error ...)")
            return ""
        args = _split_args(body)
        ex = [self.expand(a, auto, local, depth + 1) for a in args]
        if fn == "strip":
            return " ".join(ex[0].split())
        if fn == "subst" and len(ex) == 3:
            return ex[2].replace(ex[0], ex[1])
        if fn in ("addprefix", "addsuffix") and len(ex) == 2:
            return " ".join((ex[0] + w) if fn == "addprefix" else (w + ex[0]) for w in ex[1].split())
        if fn == "notdir":
            return " ".join(os.path.basename(w) for w in ex[0].split())
        if fn == "dir":
            return " ".join((os.path.dirname(w) or ".") + "/" for w in ex[0].split())
        if fn == "firstword":
            words = ex[0].split()
            return words[0] if words else ""
        if fn == "lastword":
            words = ex[0].split()
            return words[-1] if words else ""
        if fn == "call" and ex:
            params = {str(k): v for k, v in enumerate(ex[1:], 1)}
            return self.value(ex[0].strip(), {**auto, **params}, local, depth + 1)
        if fn == "or":
            return next((e for e in ex if e.strip()), "")
        if fn == "patsubst" and len(ex) == 3 and ex[0].count("%") == 1:
            pre, post = ex[0].split("%")
            words = []
            for w in ex[2].split():
                if w.startswith(pre) and w.endswith(post) and len(w) >= len(pre) + len(post):
                    stem = w[len(pre) : len(w) - len(post)]
                    words.append(ex[1].replace("%", stem, 1))
                else:
                    words.append(w)
            return " ".join(words)
        return UNKNOWN

    # -- goals ---------------------------------------------------------------------------------------

    def recipes(self, goal: str, plan: Plan, directory: str, dry: bool, seen: builtins.set[str]) -> None:
        if goal in seen or len(seen) > _MAX_TARGETS:
            return
        seen.add(goal)
        rules = self.rules.get(goal)
        stem = ""
        if not rules:
            for pattern, rule in self.patterns:
                s = _stem(pattern, goal)
                if s is not None:
                    rules, stem = [rule], s
                    break
        if not rules:
            return  # no rule: a file that exists, or make's implicit rules (compiling)
        for rule in rules:
            prereqs = [p.replace("%", stem) if stem else p for p in rule.prereqs]
            for p in prereqs:
                self.recipes(p, plan, directory, dry, seen)
            auto = {
                "@": goal,
                "<": prereqs[0] if prereqs else "",
                "^": " ".join(dict.fromkeys(prereqs)),
                "+": " ".join(prereqs),
                "?": " ".join(prereqs),
                "*": stem,
                "|": "",
                "CURDIR": directory,
            }
            lines: list[str] = []
            for raw in rule.recipe:
                forced = "$(MAKE)" in raw or "${MAKE}" in raw
                text = self.expand(raw, auto, rule.vars).strip()
                prefix_plus = False
                while text[:1] in ("@", "-", "+"):
                    prefix_plus = prefix_plus or text[0] == "+"
                    text = text[1:].lstrip()
                if dry and not (forced or prefix_plus):
                    continue
                if text:
                    lines.append(text)
            if self.oneshell and lines:
                plan.add(Step("shell", f"make {goal}", directory, text="\n".join(lines)))
            else:
                for text in lines:
                    plan.add(Step("shell", f"make {goal}", directory, text=text))


_FUNCTIONS = frozenset(
    (
        "shell",
        "info",
        "warning",
        "error",
        "strip",
        "subst",
        "patsubst",
        "addprefix",
        "addsuffix",
        "notdir",
        "dir",
        "firstword",
        "lastword",
        "call",
        "or",
        "and",
        "if",
        "foreach",
        "wildcard",
        "filter",
        "filter-out",
        "sort",
        "word",
        "words",
        "wordlist",
        "findstring",
        "join",
        "suffix",
        "basename",
        "abspath",
        "realpath",
        "value",
        "eval",
        "origin",
        "flavor",
        "file",
        "let",
        "intcmp",
        "guile",
    )
)


def _strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            out.append(line[i : i + 2])
            i += 2
            continue
        if ch == "#":
            break
        out.append(ch)
        i += 1
    return "".join(out)


def _matching(text: str, start: int, open_: str, close: str) -> int:
    depth = 0
    for j in range(start, len(text)):
        if text[j] == open_:
            depth += 1
        elif text[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def _split_args(body: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in body:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _rule_colon(line: str) -> int:
    """The index of the rule's colon (not inside ``$(...)``, not part of ``:=``), or -1."""
    depth = 0
    for j, ch in enumerate(line):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == ":" and depth == 0:
            if line[j + 1 : j + 2] == "=":
                return -1
            return j
    return -1


def _stem(pattern: str, target: str) -> str | None:
    pre, _, post = pattern.partition("%")
    if target.startswith(pre) and target.endswith(post) and len(target) >= len(pre) + len(post):
        return target[len(pre) : len(target) - len(post)]
    return None


def plan_make(args: list[str | None], cwd: str | None, lookup: Callable[[str], str | None] | None = None) -> Plan:
    """The recipes ``make args`` would run in ``cwd``; ``lookup`` gives environment variables."""
    env = lookup or (lambda _name: None)
    plan = Plan()
    directory = cwd
    files: list[str | None] = []
    goals: list[str] = []
    overrides: dict[str, str | None] = {}
    dry = False
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            plan.unknown.append("a make argument computed at run time")
            continue
        if a == "--":
            goals.extend(x for x in args[i:] if x is not None)
            break
        if a.startswith("--"):
            name, eq, raw_value = a.partition("=")
            value: str | None = raw_value
            if name in _READ_ONLY:
                plan.read_only = f"`make {name}` only reports"
                return plan
            if name in _DRY:
                dry = True
            elif name in ("--eval",):
                plan.unknown.append("`make --eval` adds Makefile text given on the command line")
                i += 0 if eq else 1
            elif name in _LONG_VALUE:
                if not eq:
                    value = args[i] if i < n else None
                    i += 1
                if name == "--directory":
                    directory = _chdir(directory, value)
                elif name in ("--file", "--makefile"):
                    files.append(value)
            elif (
                name in ("--jobs", "--load-average", "--max-load")
                and not eq
                and i < n
                and args[i] is not None
                and str(args[i]).replace(".", "").isdigit()
            ):
                i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in _VALUE_SHORT:
                    value = a[j + 1 :] or (args[i] if i < n else None)
                    if not a[j + 1 :]:
                        i += 1
                    if ch == "C":
                        directory = _chdir(directory, value)
                    elif ch == "f":
                        files.append(value)
                    break
                if ch in _OPTIONAL_SHORT:
                    if not a[j + 1 :] and i < n and args[i] is not None and str(args[i]).replace(".", "").isdigit():
                        i += 1
                    break
                if ch == "E":
                    plan.unknown.append("`make -E` adds Makefile text given on the command line")
                    break
                if "-" + ch in _DRY:
                    dry = True
                if "-" + ch in _READ_ONLY:
                    plan.read_only = f"`make -{ch}` only reports"
                    return plan
                j += 1
            continue
        if "=" in a and not a.startswith("="):
            key, _, value = a.partition("=")
            overrides[key.rstrip(":").strip()] = value
            continue
        goals.append(a)
    if directory is None:
        plan.unknown.append("make runs in a directory blastdoor does not know")
        return plan
    if None in files:
        plan.unknown.append("a makefile named at run time")
        return plan
    paths = [f if f.startswith("/") else os.path.join(directory, f) for f in files if f is not None]
    if "-" in files:
        plan.unknown.append("a makefile read from standard input")
        return plan
    if not paths:
        found = find(directory, _FILES)
        if found is None:
            plan.missing = (f"no Makefile in {directory}", directory)
            return plan
        paths = [found]
    mk = _Makefile(lambda name: env(name), overrides)
    for path in paths:
        text = read_text(path)
        if text is None:
            plan.cannot_read(path)
            return plan
        plan.source = path
        mk.parse(text, directory)
    plan.unknown.extend(mk.problems)
    shell = mk.value("SHELL", {}, {}, 0).strip()
    if os.path.basename(shell.split()[0] if shell else "sh") not in ("sh", "bash", "dash", "zsh", "ksh", "ash"):
        plan.unknown.append(f"recipes run by SHELL={shell}, not a shell blastdoor reads")
    if not goals:
        if not mk.default_goal:
            plan.read_only = "the Makefile has no target: nothing runs"
            return plan
        goals = [mk.default_goal]
    seen: set[str] = set()
    for goal in goals:
        mk.recipes(goal, plan, directory, dry, seen)
    for text in mk.shell_steps:
        plan.steps.insert(0, Step("shell", "make $(shell ...)", directory, text=text))
    if dry and not plan.steps and not plan.unknown:
        plan.read_only = "`make -n` prints the recipes without running them"
    return plan


def _chdir(directory: str | None, value: str | None) -> str | None:
    if value is None or (directory is None and not (value or "").startswith("/")):
        return None
    return os.path.normpath(value if value.startswith("/") else os.path.join(directory or "/", value))
