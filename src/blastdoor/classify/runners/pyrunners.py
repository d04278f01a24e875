"""tox, nox and pre-commit: the commands their sessions and hooks would run.

- tox (tox.wiki): ``tox [run|r|p|run-parallel] [-e ENVS] [-- POSARGS]`` runs ``commands_pre``,
  ``commands`` and ``commands_post`` of each environment (``[testenv:NAME]``, else ``[testenv]``;
  the default ``envlist``/``env_list``, brace factors expanded), ``{posargs}`` substituted;
  ``tox list``/``-l``/``-a``/``config``/``--version`` only report. It also builds virtualenvs: write.
- nox (nox.thea.codes): the ``noxfile.py`` is a Python program (read whole by the code classifier);
  ``session.run(...)``/``run_always``/``run_install`` arguments in ``@nox.session`` functions are
  commands; ``session.install(...)`` is ``pip install``; ``-s/--sessions`` select; ``-l`` lists.
- pre-commit (pre-commit.com): ``pre-commit [run] [HOOK] [--all-files]`` runs the hooks of
  ``.pre-commit-config.yaml`` (``-c`` another): ``repo: local`` hooks' ``entry`` + ``args`` are
  commands; hooks of other repositories run code fetched from them (write, named); ``install``
  changes what git runs later (persist).
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from typing import TYPE_CHECKING, Any

from blastdoor.classify.runners import Plan, Step, find, read_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PLANNERS", "plan_nox", "plan_pre_commit", "plan_tox"]

UNKNOWN = "${__blastdoor_computed_by_runner}"


# -- tox ---------------------------------------------------------------------------------------------


def _braces(item: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", item)
    if m is None:
        return [item]
    out = []
    for choice in m.group(1).split(","):
        out.extend(_braces(item[: m.start()] + choice.strip() + item[m.end() :]))
    return out


def _envlist(value: str) -> list[str]:
    out: list[str] = []
    for item in re.split(r"[,\n]", value):
        item = item.strip()
        if item:
            out.extend(_braces(item))
    return out


def plan_tox(args: list[str | None], cwd: str | None) -> Plan:
    import configparser

    plan = Plan()
    envs: list[str] = []
    posargs: list[str | None] = []
    config: str | None = ""
    words: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            plan.unknown.append("a tox argument computed at run time")
            continue
        if a == "--":
            posargs = list(args[i:])
            break
        opt, eq, raw_value = a.partition("=")
        value: str | None = raw_value
        if opt in ("-e", "--env"):
            if not eq:
                value = args[i] if i < n else None
                i += 1
            if value is None:
                plan.unknown.append("tox environments named at run time")
                return plan
            envs.extend(v.strip() for v in value.split(",") if v.strip())
        elif opt in ("-c", "--conf", "--configfile", "--root", "--workdir"):
            if not eq:
                value = args[i] if i < n else None
                i += 1
            if opt in ("-c", "--conf", "--configfile"):
                config = value
        elif opt in ("-l", "--listenvs", "-a", "--listenvs-all", "--version", "-h", "--help", "--showconfig"):
            plan.read_only = f"`tox {opt}` only reports"
            return plan
        elif a.startswith("-"):
            continue
        else:
            words.append(a)
    if words and words[0] in ("list", "l", "config", "c", "quickstart", "q", "schema"):
        plan.read_only = f"`tox {words[0]}` only reports"
        return plan
    if config is None or cwd is None:
        plan.unknown.append("tox's configuration is in a place blastdoor does not know")
        return plan
    path = (config if config.startswith("/") else os.path.join(cwd, config)) if config else find(cwd, ("tox.ini",))
    if path is None:
        path = find(cwd, ("setup.cfg",))
    if path is None:
        plan.missing = (f"no tox.ini in {cwd}", cwd)
        return plan
    text = read_text(path)
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text or "")
    except configparser.Error:
        text = None
    if text is None:
        plan.cannot_read(path)
        return plan
    plan.source = path
    plan.extra.append(("write", "tox builds virtual environments and installs packages into them"))
    directory = os.path.dirname(path)
    main = "tox" if parser.has_section("tox") else "tox:tox"
    if not envs or envs == ["ALL"]:
        raw = parser.get(main, "envlist", fallback="") or parser.get(main, "env_list", fallback="")
        envs = _envlist(raw) or ["py"]
    for env in envs:
        section = f"testenv:{env}" if parser.has_section(f"testenv:{env}") else "testenv"
        if not parser.has_section(section):
            continue
        factors = set(env.split("-"))
        for key in ("commands_pre", "commands", "commands_post"):
            body = parser.get(section, key, fallback="")
            if not body and section != "testenv" and parser.has_section("testenv"):
                body = parser.get("testenv", key, fallback="")
            for line in body.splitlines():
                line = line.strip()
                m = re.match(r"^([\w.,!{}-]+):\s+(.*)$", line)
                if m is not None:  # a factor-conditional line: `py311: pytest`
                    wanted = {f.lstrip("!") for f in re.split(r"[,-]", m.group(1))}
                    if not wanted & factors and not any(f.startswith("!") for f in m.group(1).split(",")):
                        continue
                    line = m.group(2)
                line = line.lstrip("-").strip()
                if not line or line.startswith("#"):
                    continue
                plan.add(Step("shell", f"tox -e {env}", directory, text=_tox_subst(line, posargs, directory, parser)))
    return plan


def _tox_subst(line: str, posargs: list[str | None], directory: str, parser: Any) -> str:
    def sub(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith("posargs"):
            if posargs:
                return UNKNOWN if None in posargs else " ".join(shlex.quote(p) for p in posargs if p is not None)
            return body.split(":", 1)[1] if ":" in body else ""
        if body in ("envpython",):
            return "python"
        if body in ("toxinidir", "tox_root"):
            return directory
        ref = re.match(r"^\[([^\]]+)\]([\w-]+)$", body)
        if ref is not None and parser.has_option(ref.group(1), ref.group(2)):
            return str(parser.get(ref.group(1), ref.group(2))).strip()
        if body.startswith("env:"):
            return UNKNOWN
        return UNKNOWN

    return re.sub(r"\{([^{}]*)\}", sub, line)


# -- nox ---------------------------------------------------------------------------------------------


def plan_nox(args: list[str | None], cwd: str | None) -> Plan:
    plan = Plan()
    wanted: list[str] = []
    noxfile: str | None = "noxfile.py"
    posargs: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            plan.unknown.append("a nox argument computed at run time")
            continue
        if a == "--":
            posargs = list(args[i:])
            break
        if a in ("-l", "--list", "--list-sessions", "--version", "-h", "--help", "--json"):
            plan.read_only = f"`nox {a}` only reports"
            return plan
        if a in ("-s", "-e", "--session", "--sessions"):
            while i < n and args[i] is not None and not str(args[i]).startswith("-"):
                wanted.append(str(args[i]))
                i += 1
            continue
        if a in ("-f", "--noxfile"):
            noxfile = args[i] if i < n else None
            i += 1
            continue
    if noxfile is None or cwd is None:
        plan.unknown.append("the noxfile is in a place blastdoor does not know")
        return plan
    path = noxfile if noxfile.startswith("/") else os.path.join(cwd, noxfile)
    text = read_text(path)
    if text is None:
        plan.cannot_read(path)
        return plan
    plan.source = path
    plan.extra.append(("write", "nox builds virtual environments and installs packages into them"))
    directory = os.path.dirname(path)
    plan.add(Step("python", "noxfile.py", directory, text=text))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        plan.unknown.append(f"{path} does not parse")
        return plan
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not _nox_session(node):
            continue
        name = _nox_name(node)
        if wanted and name not in wanted and node.name not in wanted:
            continue
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            attr = call.func.attr
            if attr not in ("run", "run_always", "run_install", "install", "conda_install"):
                continue
            argv: list[str | None] = ["pip", "install"] if attr == "install" else []
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    argv.append(arg.value)
                elif isinstance(arg, ast.Starred) and "posargs" in ast.unparse(arg.value):
                    argv.extend(posargs)
                else:
                    argv.append(None)
            if argv:
                plan.add(Step("argv", f"nox -s {name}", directory, argv=argv))
    return plan


def _nox_session(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr == "session":
            return True
        if isinstance(target, ast.Name) and target.id == "session":
            return True
    return False


def _nox_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    for d in node.decorator_list:
        if isinstance(d, ast.Call):
            for kw in d.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return node.name


# -- pre-commit --------------------------------------------------------------------------------------


def plan_pre_commit(args: list[str | None], cwd: str | None) -> Plan:
    plan = Plan()
    config: str | None = ".pre-commit-config.yaml"
    words: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            words.append(None)
            continue
        if a in ("-c", "--config"):
            config = args[i] if i < n else None
            i += 1
            continue
        if a.startswith("--config="):
            config = a.split("=", 1)[1]
            continue
        if a in (
            "--files",
            "--from-ref",
            "--to-ref",
            "--source",
            "--origin",
            "-s",
            "-o",
            "--hook-stage",
            "--hook-type",
            "-t",
            "--color",
        ):
            i += 1
            continue
        if a.startswith("-"):
            if a in ("--help", "-h", "--version", "-V"):
                plan.read_only = f"`pre-commit {a}` only reports"
                return plan
            continue
        words.append(a)
    sub = words[0] if words else "run"
    if sub is None:
        plan.unknown.append("a pre-commit subcommand computed at run time")
        return plan
    if sub in ("install", "install-hooks", "init-templatedir"):
        plan.extra.append(("persist", f"`pre-commit {sub}` installs git hooks: what runs on every commit changes"))
        return plan
    if sub in (
        "uninstall",
        "clean",
        "gc",
        "autoupdate",
        "migrate-config",
        "sample-config",
        "validate-config",
        "validate-manifest",
    ):
        plan.extra.append(("write", f"`pre-commit {sub}` changes local files"))
        return plan
    if sub == "try-repo":
        plan.unknown.append("`pre-commit try-repo` runs hooks of a repository blastdoor does not read")
        return plan
    if sub not in ("run", "hook-impl"):
        plan.unknown.append(f"`pre-commit {sub}` is not read by blastdoor")
        return plan
    hook_id = words[1] if sub == "run" and len(words) > 1 else None
    if config is None or cwd is None:
        plan.unknown.append("the pre-commit config is in a place blastdoor does not know")
        return plan
    path = config if config.startswith("/") else os.path.join(cwd, config)
    text = read_text(path)
    if text is None:
        plan.cannot_read(path)
        return plan
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        plan.unknown.append(f"cannot parse {path} as YAML")
        return plan
    repos = doc.get("repos") if isinstance(doc, dict) else None
    if not isinstance(repos, list):
        plan.unknown.append(f"{path} has no list of repos")
        return plan
    plan.source = path
    directory = os.path.dirname(path)
    for repo in repos:
        if not isinstance(repo, dict):
            continue
        url = str(repo.get("repo", ""))
        for hook in repo.get("hooks") or []:
            if not isinstance(hook, dict):
                continue
            hid = str(hook.get("id", ""))
            if hook_id is not None and hid != hook_id and hook.get("alias") != hook_id:
                continue
            if url == "meta":
                continue
            if url != "local":
                plan.extra.append(("write", f"hook `{hid}` runs code from {url} (fetched and installed by pre-commit)"))
                continue
            entry = hook.get("entry")
            if not isinstance(entry, str):
                plan.unknown.append(f"local hook `{hid}` has no entry")
                continue
            extra = hook.get("args") or []
            text = " ".join([entry, *(shlex.quote(str(x)) for x in extra)])
            if hook.get("language") == "pygrep":
                continue  # a regular expression, not a command
            plan.add(Step("shell", f"pre-commit hook {hid}", directory, text=text))
    return plan


PLANNERS: dict[str, Callable[[list[str | None], str | None], Plan]] = {
    "tox": plan_tox,
    "nox": plan_nox,
    "pre-commit": plan_pre_commit,
}
