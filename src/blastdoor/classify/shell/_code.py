"""Inline code given to interpreters (``python -c``, ``node -e``, ``perl -e``, ``ruby -e``, heredocs, scripts).

Python is parsed with ``ast``; JavaScript, Ruby and Perl are scanned token by token for the calls listed
under ``apis:`` in the knowledge base (file deletion, process spawning, network sends). A spawned
command given as a literal is classified like any shell command; one computed at run time, or ``eval``
of computed code, is ``unknown``. Code that does none of the listed things only computes and prints: ``read``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from blastdoor.classify.shell._state import DYNAMIC, Part, State

if TYPE_CHECKING:
    import ast

_DYNAMIC_PY = frozenset(("eval", "exec", "compile", "__import__", "importlib.import_module", "getattr", "setattr"))


def analyse(lang: str, code: str, st: State, part: Part) -> None:
    """Add the effects of ``code`` to ``part``; spawned commands become parts of their own."""
    from blastdoor.classify.shell._argv import KB

    table: dict[str, Any] = KB["apis"].get(lang, {})
    if lang == "python":
        _python(code, st, part, table)
    else:
        _scan(lang, code, st, part, table)
    if not part.effects:
        part.add("read", f"the {lang} code only computes and prints (no listed file, process or network call)")


def _apply(api: str, spec: dict[str, Any], literal: list[str] | None, st: State, part: Part) -> None:
    """``literal``: the call's literal string arguments, or None when they are computed at run time."""
    why = spec.get("why") or f"calls `{api}`"
    for effect in spec["effects"]:
        part.add(effect, why)
    if "path" in spec:
        part.target(st.path(literal[0]) if literal else DYNAMIC)
    run = spec.get("run")
    if run is None:
        return
    if literal is None or not literal:
        part.add("unknown", f"`{api}` runs a command computed at run time")
        return
    from blastdoor.classify.shell._argv import run_argv
    from blastdoor.classify.shell._walk import walk_text

    child = st.child()
    if run == "shell" or (run == "argv" and len(literal) == 1 and " " in literal[0]):
        walk_text(literal[0], child)
    else:
        run_argv(list(literal), child, None, {})


# -- python --------------------------------------------------------------------------------------


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    import ast

    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(aliases.get(node.id, node.id))
        return ".".join(reversed(names))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "__import__"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        names.append(node.args[0].value)
        return ".".join(reversed(names))
    if names:
        return "." + ".".join(reversed(names))  # a method on some object: `.unlink`
    return None


def _literals(call: ast.Call) -> list[str] | None:
    import ast

    if not call.args:
        return []
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return [first.value]
    if isinstance(first, ast.List | ast.Tuple):
        out: list[str] = []
        for elt in first.elts:
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            out.append(elt.value)
        return out
    return None


def _receiver_literals(call: ast.Call) -> list[str] | None:
    """``Path('/x').unlink()``: the literal the receiver was built from."""
    import ast

    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        return _literals(func.value)
    return None


def _python(code: str, st: State, part: Part, table: dict[str, Any]) -> None:
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        part.add("unknown", "the python code does not parse")
        return
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func, aliases)
        if name is None:
            part.add("unknown", "the python code calls something computed at run time")
            continue
        if name in _DYNAMIC_PY or name.endswith(".__import__"):
            args = node.args
            if name in ("eval", "exec") and args and isinstance(args[0], ast.Constant):
                value = args[0].value
                if isinstance(value, str):
                    _python(value, st, part, table)
                    continue
            if name == "getattr" and len(args) > 1 and isinstance(args[1], ast.Constant):
                continue
            part.add("unknown", f"the python code uses `{name}` on computed input")
            continue
        if name in ("open", "io.open", "builtins.open") and node.args:
            lit = _literals(node)
            mode = "r"
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                mode = str(node.args[1].value)
            for kw in node.keywords:
                if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
                    mode = str(kw.value.value)
            path = st.path(lit[0]) if lit else DYNAMIC
            from blastdoor.classify.shell._walk import path_effects

            if any(c in mode for c in "wax+"):
                part.add("write", "the python code opens a file for writing")
                part.target(path)
                path_effects(part, path, "write", st)
            else:
                part.target(path)
                path_effects(part, path, "read", st)
            continue
        spec = table.get(name)
        if spec is None and "." in name:
            spec = table.get("." + name.rsplit(".", 1)[1]) if not name.startswith(".") else table.get(name)
        if spec is None:
            continue
        literal = _literals(node)
        if name.startswith(".") and not node.args:
            literal = _receiver_literals(node)
        if spec.get("run") == "argv" and literal is not None and len(literal) == 1:
            shell = any(kw.arg == "shell" for kw in node.keywords)
            if not shell and " " in literal[0]:
                literal = literal[0].split()
        _apply(name, spec, literal, st, part)


# -- token scanning (node, ruby, perl) -----------------------------------------------------------

_regex_cache: dict[str, re.Pattern[str]] = {}
_STRING = re.compile(r"""(['"`])((?:\\.|(?!\1).)*)\1""", re.S)
_SHELL_LITERALS = {
    "ruby": re.compile(r"`([^`]*)`|%x\{([^}]*)\}|%x\(([^)]*)\)"),
    "perl": re.compile(r"`([^`]*)`|qx\{([^}]*)\}|qx\(([^)]*)\)|qx/([^/]*)/"),
}


def _pattern(lang: str, table: dict[str, Any]) -> re.Pattern[str]:
    rx = _regex_cache.get(lang)
    if rx is None:
        keys = sorted(table, key=len, reverse=True)
        alts = "|".join(re.escape(k.lstrip(".")) for k in keys)
        rx = _regex_cache[lang] = re.compile(r"(?<![\w$])(?:[\w$]+\s*(?:\.|::|->)\s*)*(" + alts + r")(?![\w$])")
    return rx


def _call_region(code: str, start: int) -> str:
    """The text of the call's arguments after ``start``: a balanced (...) or the rest of the statement."""
    i, n = start, len(code)
    while i < n and code[i] in " \t":
        i += 1
    if i < n and code[i] == "(":
        depth = 0
        j = i
        quote = ""
        while j < n:
            ch = code[j]
            if quote:
                if ch == "\\":
                    j += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "'\"`":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return code[i + 1 : j]
            j += 1
        return code[i + 1 :]
    end = len(code)
    for stop in (";", "\n"):
        k = code.find(stop, i)
        if k >= 0:
            end = min(end, k)
    return code[i:end]


def _unquote(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


def _region_literals(region: str) -> list[str] | None:
    stripped = region.strip()
    if not stripped:
        return []
    literals = [_unquote(m.group(2)) for m in _STRING.finditer(stripped)]
    rest = _STRING.sub("", stripped)
    # Concatenation or interpolation makes the value a run-time one.
    if "+" in rest or "${" in stripped or "#{" in stripped or "$" in rest:
        return None
    if not literals:
        return None
    head = stripped[0]
    if head not in "'\"`[":
        return None
    return literals


def _scan(lang: str, code: str, st: State, part: Part, table: dict[str, Any]) -> None:
    shell_rx = _SHELL_LITERALS.get(lang)
    if shell_rx is not None:
        for m in shell_rx.finditer(code):
            body = next(g for g in m.groups() if g is not None)
            backtick: dict[str, Any] = {"effects": [], "run": "shell", "why": "runs a shell command"}
            _apply("`...`", backtick, None if ("#{" in body or "$" in body) else [body], st, part)
    if not table:
        return
    rx = _pattern(lang, table)
    spans = [(m.start(), m.end()) for m in _STRING.finditer(code)]
    if shell_rx is not None:
        spans.extend((m.start(), m.end()) for m in shell_rx.finditer(code))
    for m in rx.finditer(code):
        at = m.start(1)
        if any(a < at < b for a, b in spans):
            continue  # inside a string literal: data, not a call
        key = m.group(1)
        spec = table.get(key) or table.get("." + key)
        if spec is None:
            continue
        region = _call_region(code, m.end())
        literal = _region_literals(region)
        if spec.get("run") == "argv" and literal and len(literal) > 1:
            literal = [literal[0], *literal[1:]]
        _apply(key, spec, literal, st, part)
