"""package.json scripts (npm, pnpm, yarn, bun) and Procfile runners (honcho, foreman, forego).

npm (docs.npmjs.com, ``npm run-script``): ``npm run NAME [-- ARGS]`` runs ``preNAME``, ``NAME`` and
``postNAME`` from ``scripts``; ``npm test``/``start``/``stop``/``restart`` run theirs (``start``
defaults to ``node server.js``); ``--prefix DIR`` picks the package; ``--ignore-scripts`` skips the
pre/post scripts; ``npm run`` alone lists the scripts. pnpm and yarn also run a script named as
their first word (``pnpm lint``); pnpm's ``-C/--dir``, yarn's ``--cwd``. ``bun run FILE`` runs a file.
Workspaces and filters select packages blastdoor does not enumerate: unknown.
"""

from __future__ import annotations

import json
import os
import shlex

from blastdoor.classify.runners import Plan, Step, find, read_text

__all__ = ["plan_npm", "plan_procfile"]

_RUN = frozenset(("run", "run-script", "rum", "urn"))
_LIFECYCLE = {"test": "test", "t": "test", "tst": "test", "start": "start", "stop": "stop", "restart": "restart"}
_VALUE = frozenset(
    (
        "--prefix",
        "-C",
        "--dir",
        "--cwd",
        "-w",
        "--workspace",
        "--filter",
        "-F",
        "--registry",
        "--loglevel",
        "--script-shell",
    )
)
_SELECT = frozenset(("-w", "--workspace", "--workspaces", "-ws", "--filter", "-F", "-r", "--recursive", "-A"))
_CODE_EXT = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx")


def plan_npm(tool: str, args: list[str | None], cwd: str | None) -> Plan:
    plan = Plan()
    directory = cwd
    words: list[str | None] = []
    passthrough: list[str | None] = []
    ignore_scripts = False
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            words.append(None)
            continue
        if a == "--":
            passthrough = list(args[i:])
            break
        if a.startswith("-") and len(a) > 1 and (tool == "npm" or not words[1:]):
            opt, eq, raw_value = a.partition("=")
            value: str | None = raw_value
            if opt in _SELECT:
                plan.unknown.append(f"`{tool} {opt}` runs scripts in packages blastdoor does not enumerate")
                if not eq and opt not in ("--workspaces", "-ws", "-r", "--recursive", "-A"):
                    i += 1
                continue
            if opt in _VALUE:
                if not eq:
                    value = args[i] if i < n else None
                    i += 1
                if opt in ("--prefix", "-C", "--dir", "--cwd"):
                    if value is None or (directory is None and not value.startswith("/")):
                        directory = None
                    else:
                        directory = os.path.normpath(os.path.join(directory or "/", value))
                if opt == "--script-shell":
                    plan.unknown.append(f"`{tool}` runs scripts with another shell")
                continue
            if opt == "--ignore-scripts":
                ignore_scripts = True
            continue
        words.append(a)
    if words and words[0] is None:
        plan.unknown.append(f"a `{tool}` subcommand computed at run time")
        return plan
    sub = words[0] if words else None
    rest = words[1:]
    name: str | None
    if (sub in _INSTALL and not [w for w in rest if w is None or not w.startswith("-")]) or (
        sub is None and tool == "yarn"
    ):
        return _install(plan, tool, sub or "install", directory, ignore_scripts)
    if tool == "npm" and sub not in _RUN and sub not in _LIFECYCLE:
        return plan  # npm runs scripts only through run/test/start/stop/restart: the KB judges the rest
    if sub in _OWN:
        return plan  # the package manager's own command: the KB judges it
    if sub in _RUN:
        if not rest:
            plan.read_only = f"`{tool} {sub}` without a name lists the scripts"
            return plan
        name = rest[0]
        extra = [*rest[1:], *passthrough]
    elif sub in _LIFECYCLE:
        name = _LIFECYCLE[sub] if tool == "npm" or sub in ("test", "start", "stop", "restart") else sub
        extra = [*rest, *passthrough]
    else:
        name = sub
        extra = [*rest, *passthrough]
    if name is None:
        plan.unknown.append(f"a `{tool}` script named at run time")
        return plan
    if directory is None:
        plan.unknown.append(f"`{tool}` runs in a directory blastdoor does not know")
        return plan
    if tool == "bun" and name.endswith(_CODE_EXT):
        path = os.path.join(directory, name)
        text = read_text(path)
        if text is None:
            plan.cannot_read(path)
            return plan
        lang = (
            "typescript" if name.endswith((".ts", ".mts", ".cts")) else "tsx" if name.endswith(".tsx") else "javascript"
        )
        plan.add(Step(lang, f"bun run {name}", directory, text=text))
        return plan
    found = find(directory, ("package.json",))
    if found is None:
        plan.missing = (f"no package.json in {directory}", directory)
        return plan
    path = found
    plan.source = path
    text = read_text(path)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        plan.unknown.append(f"cannot read {path} as JSON")
        return plan
    scripts = data.get("scripts") or {}
    if not isinstance(scripts, dict):
        plan.unknown.append(f"`scripts` in {path} is not a mapping")
        return plan
    body = scripts.get(name)
    if body is None:
        if name == "start" and os.path.isfile(os.path.join(directory, "server.js")):
            body = "node server.js"
        elif name == "restart" and ("stop" in scripts or "start" in scripts):
            for part in ("stop", "start"):
                _script(plan, scripts, part, [], directory, tool, ignore_scripts)
            return plan
        else:
            if sub in _RUN or sub in _LIFECYCLE:
                plan.read_only = f"`{name}` is not a script of {path}: {tool} runs nothing"
            return plan  # `pnpm NAME` that is not a script: one of pnpm's own commands, judged by the KB
        scripts = {**scripts, name: body}
    _script(plan, scripts, name, extra, directory, tool, ignore_scripts)
    return plan


_INSTALL = frozenset(("install", "i", "in", "isntall", "ci", "clean-install", "install-clean", "rebuild"))
# Commands of pnpm/yarn/bun themselves (not scripts run by name).
_OWN = frozenset(
    (
        "add",
        "remove",
        "rm",
        "uninstall",
        "update",
        "up",
        "upgrade",
        "publish",
        "pack",
        "link",
        "unlink",
        "dlx",
        "exec",
        "x",
        "create",
        "init",
        "why",
        "outdated",
        "audit",
        "info",
        "view",
        "list",
        "ls",
        "config",
        "cache",
        "store",
        "import",
        "patch",
        "dedupe",
        "prune",
        "login",
        "logout",
        "whoami",
        "version",
        "help",
    )
)
# What npm runs in the project itself on `npm install` without arguments (docs.npmjs.com, scripts).
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")


def _install(plan: Plan, tool: str, sub: str, directory: str | None, ignore_scripts: bool) -> Plan:
    """``npm install`` (``ci``, ``yarn``) in a project: its own install and prepare scripts run."""
    plan.extra.append(("write", f"`{tool} {sub}` installs dependencies (their own install scripts run too)"))
    if ignore_scripts:
        return plan
    if directory is None:
        plan.unknown.append(f"`{tool}` runs in a directory blastdoor does not know")
        return plan
    found = find(directory, ("package.json",))
    if found is None:
        return plan
    text = read_text(found)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        data = None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        if data is None:
            plan.unknown.append(f"cannot read {found} as JSON")
        return plan
    plan.source = found
    for key in _INSTALL_SCRIPTS:
        body = scripts.get(key)
        if isinstance(body, str):
            plan.add(Step("shell", f"{tool} {sub} ({key})", directory, text=body))
    return plan


def _script(
    plan: Plan,
    scripts: dict[str, object],
    name: str,
    extra: list[str | None],
    directory: str,
    tool: str,
    ignore_scripts: bool,
) -> None:
    names = [name] if ignore_scripts else [f"pre{name}", name, f"post{name}"]
    for key in names:
        body = scripts.get(key)
        if body is None:
            continue
        if not isinstance(body, str):
            plan.unknown.append(f"script `{key}` is not a string")
            continue
        text = body
        if key == name and extra:
            if None in extra:
                plan.unknown.append(f"arguments to `{name}` computed at run time")
            text += " " + " ".join(shlex.quote(x) for x in extra if x is not None)
        plan.add(Step("shell", f"{tool} run {key}", directory, text=text))


# -- Procfile ----------------------------------------------------------------------------------------


def plan_procfile(tool: str, args: list[str | None], cwd: str | None) -> Plan:
    """``honcho start [names]``, ``foreman start [name]``, ``honcho run CMD``: the Procfile's commands."""
    plan = Plan()
    directory = cwd
    procfile = "Procfile"
    words: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            words.append(None)
            continue
        if words and words[0] == "run":
            words.append(a)
            continue
        if a in (
            "-f",
            "--procfile",
            "-d",
            "--app-root",
            "--root",
            "-e",
            "--env",
            "-c",
            "--concurrency",
            "-p",
            "--port",
            "-m",
            "--formation",
        ):
            value = args[i] if i < n else None
            i += 1
            if a in ("-f", "--procfile"):
                if value is None:
                    plan.unknown.append("a Procfile named at run time")
                    return plan
                procfile = value
            elif a in ("-d", "--app-root", "--root"):
                directory = None if value is None or directory is None else os.path.join(directory, value)
            continue
        if a.startswith("-"):
            continue
        words.append(a)
    sub = words[0] if words else "start"
    if sub is None:
        plan.unknown.append(f"a `{tool}` subcommand computed at run time")
        return plan
    if sub == "run":
        if not words[1:]:
            plan.read_only = f"`{tool} run` without a command runs nothing"
        else:
            plan.add(Step("argv", f"{tool} run", directory, argv=list(words[1:])))
        return plan
    if sub in ("check", "help", "version"):
        plan.read_only = f"`{tool} {sub}` only reports"
        return plan
    if sub != "start":
        plan.unknown.append(f"`{tool} {sub}` is not read by blastdoor")
        return plan
    if directory is None:
        plan.unknown.append(f"`{tool}` runs in a directory blastdoor does not know")
        return plan
    path = procfile if procfile.startswith("/") else os.path.join(directory, procfile)
    text = read_text(path)
    if text is None:
        plan.cannot_read(path)
        return plan
    plan.source = path
    wanted = {w for w in words[1:] if w is not None}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, _, command = line.partition(":")
        if wanted and name.strip() not in wanted:
            continue
        plan.add(Step("shell", f"{tool} start {name.strip()}", directory, text=command.strip()))
    return plan
