"""``task`` (Taskfile, taskfile.dev): the commands ``task [TASK...]`` would run.

Options: ``-t/--taskfile``, ``-d/--dir``; ``-n/--dry``, ``-l/--list``, ``-a/--list-all``,
``--summary``, ``--status``, ``--help``, ``--version`` only report. ``VAR=value`` arguments set
variables and ``-- ARGS`` is ``.CLI_ARGS``. A task's ``deps`` (run first), ``cmds`` (strings, ``cmd:``,
``task:`` calls of other tasks, ``defer:``), ``preconditions``/``status`` shell checks, ``dir`` and
``vars`` are followed; ``{{.VAR}}`` templates take the variables, other templates are computed;
dynamic variables (``sh:``) are commands of their own whose values are computed. ``includes`` are read
with their namespace (``ns:task``).
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Any

from blastdoor.classify.runners import Plan, Step, find, read_text

__all__ = ["plan_task"]

UNKNOWN = "${__blastdoor_computed_by_task}"
_FILES = (
    "Taskfile.yml",
    "taskfile.yml",
    "Taskfile.yaml",
    "taskfile.yaml",
    "Taskfile.dist.yml",
    "taskfile.dist.yml",
    "Taskfile.dist.yaml",
    "taskfile.dist.yaml",
)
_REPORT = frozenset(
    (
        "-n",
        "--dry",
        "-l",
        "--list",
        "-a",
        "--list-all",
        "--summary",
        "--status",
        "-h",
        "--help",
        "--version",
        "-i",
        "--init",
        "--json",
    )
)
_VALUE = frozenset(
    (
        "-t",
        "--taskfile",
        "-d",
        "--dir",
        "-o",
        "--output",
        "-C",
        "--concurrency",
        "--interval",
        "-I",
        "--sort",
        "--output-group-begin",
        "--output-group-end",
    )
)
_TEMPLATE = re.compile(r"\{\{\s*\.?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\{\{.*?\}\}")
_MAX_CALLS = 300


class _Tasks:
    def __init__(self, plan: Plan) -> None:
        self.tasks: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {}  # name -> (spec, dir, vars)
        self.plan = plan
        self.calls = 0

    def load(self, path: str, directory: str, prefix: str, depth: int, cli_vars: dict[str, str]) -> bool:
        import yaml

        text = read_text(path)
        if text is None:
            self.plan.cannot_read(path)
            return False
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            self.plan.unknown.append(f"cannot parse {path} as YAML")
            return False
        if not isinstance(doc, dict):
            self.plan.unknown.append(f"{path} is not a Taskfile")
            return False
        variables = self.vars(doc.get("vars"), dict(cli_vars), directory)
        tasks = doc.get("tasks") or {}
        if not isinstance(tasks, dict):
            self.plan.unknown.append(f"`tasks` in {path} is not a mapping")
            return False
        for name, spec in tasks.items():
            if isinstance(spec, str):
                spec = {"cmds": [spec]}
            elif isinstance(spec, list):
                spec = {"cmds": spec}
            if not isinstance(spec, dict):
                self.plan.unknown.append(f"task `{name}` in {path} is not understood")
                continue
            task_dir = directory
            if isinstance(spec.get("dir"), str):
                task_dir = os.path.normpath(os.path.join(directory, self.expand(spec["dir"], variables)))
            self.tasks[f"{prefix}{name}"] = (spec, task_dir, variables)
        for ns, inc in (doc.get("includes") or {}).items():
            target = inc.get("taskfile") if isinstance(inc, dict) else inc
            if not isinstance(target, str) or depth > 4:
                self.plan.unknown.append(f"include `{ns}` is not understood")
                continue
            inc_path = os.path.join(directory, self.expand(target, variables))
            if os.path.isdir(inc_path):
                found = find(inc_path, _FILES)
                inc_path = found or inc_path
            inc_dir = directory
            if isinstance(inc, dict) and isinstance(inc.get("dir"), str):
                inc_dir = os.path.join(directory, inc["dir"])
            optional = isinstance(inc, dict) and inc.get("optional") is True
            if optional and not os.path.isfile(inc_path):
                continue
            self.load(inc_path, inc_dir, f"{prefix}{ns}:", depth + 1, cli_vars)
        return True

    def vars(self, spec: Any, base: dict[str, str], directory: str) -> dict[str, str]:
        out = dict(base)
        if not isinstance(spec, dict):
            return out
        for key, value in spec.items():
            if key in base:
                continue  # CLI variables win
            if isinstance(value, dict) and "sh" in value:
                self.plan.add(Step("shell", f"task var {key}", directory, text=str(value["sh"])))
                out[key] = UNKNOWN
            elif isinstance(value, str | int | float | bool):
                out[key] = self.expand(str(value), out)
            else:
                out[key] = UNKNOWN
        return out

    def expand(self, text: str, variables: dict[str, str]) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name is not None and name in variables:
                return variables[name]
            if name is not None and name in ("TASK", "ROOT_DIR", "TASKFILE_DIR", "USER_WORKING_DIR"):
                return UNKNOWN
            return UNKNOWN

        return _TEMPLATE.sub(sub, text)

    def run(self, name: str, extra: dict[str, str], seen: list[str]) -> None:
        self.calls += 1
        if self.calls > _MAX_CALLS or seen.count(name) > 1:
            return
        entry = self.tasks.get(name)
        if entry is None:
            self.plan.unknown.append(f"no task `{name}` in the Taskfile")
            return
        spec, directory, base = entry
        variables = self.vars(spec.get("vars"), {**base, **extra}, directory)
        origin = f"task {name}"
        for key in ("preconditions", "status"):
            for item in spec.get(key) or []:
                sh = item.get("sh") if isinstance(item, dict) else item
                if isinstance(sh, str):
                    self.plan.add(Step("shell", f"{origin} ({key})", directory, text=self.expand(sh, variables)))
        for dep in spec.get("deps") or []:
            self.call(dep, variables, [*seen, name])
        for cmd in spec.get("cmds") or []:
            if isinstance(cmd, str):
                self.plan.add(Step("shell", origin, directory, text=self.expand(cmd, variables)))
            elif isinstance(cmd, dict) and "task" in cmd:
                self.call(cmd, variables, [*seen, name])
            elif isinstance(cmd, dict) and isinstance(cmd.get("cmd"), str):
                self.plan.add(Step("shell", origin, directory, text=self.expand(cmd["cmd"], variables)))
            elif isinstance(cmd, dict) and "defer" in cmd:
                inner = cmd["defer"]
                text = inner if isinstance(inner, str) else inner.get("cmd") if isinstance(inner, dict) else None
                if isinstance(text, str):
                    self.plan.add(Step("shell", f"{origin} (defer)", directory, text=self.expand(text, variables)))
                elif isinstance(inner, dict) and "task" in inner:
                    self.call(inner, variables, [*seen, name])
            else:
                self.plan.unknown.append(f"a command of task `{name}` is not understood")

    def call(self, dep: Any, variables: dict[str, str], seen: list[str]) -> None:
        if isinstance(dep, str):
            self.run(self.expand(dep, variables), {}, seen)
        elif isinstance(dep, dict) and isinstance(dep.get("task"), str):
            given_vars = dep.get("vars")
            given: dict[str, Any] = given_vars if isinstance(given_vars, dict) else {}
            extra = {
                k: self.expand(str(v), variables) if isinstance(v, str | int | float | bool) else UNKNOWN
                for k, v in given.items()
            }
            self.run(self.expand(dep["task"], variables), extra, seen)
        else:
            self.plan.unknown.append("a task call is not understood")


def plan_task(args: list[str | None], cwd: str | None) -> Plan:
    plan = Plan()
    taskfile: str | None = ""
    directory = cwd
    names: list[str | None] = []
    cli_vars: dict[str, str] = {}
    cli_args: list[str | None] = []
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        i += 1
        if a is None:
            names.append(None)
            continue
        if a == "--":
            cli_args = list(args[i:])
            break
        opt, eq, raw_value = a.partition("=")
        value: str | None = raw_value
        if a.startswith("-"):
            if opt in _REPORT:
                plan.read_only = f"`task {opt}` only reports"
                return plan
            if opt in _VALUE:
                if not eq:
                    value = args[i] if i < n else None
                    i += 1
                if opt in ("-t", "--taskfile"):
                    taskfile = value
                elif opt in ("-d", "--dir"):
                    directory = None if value is None else os.path.join(directory or "/", value)
            continue
        if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", opt):
            cli_vars[opt] = raw_value
            continue
        names.append(a)
    if taskfile is None or directory is None:
        plan.unknown.append("a Taskfile or directory named at run time")
        return plan
    path = (taskfile if taskfile.startswith("/") else os.path.join(directory, taskfile)) if taskfile else None
    if path is not None and os.path.isdir(path):
        directory, path = path, find(path, _FILES)
    elif path is None:
        path = find(directory, _FILES)
    if path is None:
        plan.missing = (f"no Taskfile in {directory}", directory)
        return plan
    plan.source = path
    cli_vars["CLI_ARGS"] = UNKNOWN if None in cli_args else " ".join(shlex.quote(x) for x in cli_args if x is not None)
    tasks = _Tasks(plan)
    if not tasks.load(path, os.path.dirname(path), "", 0, cli_vars):
        return plan
    for name in names or ["default"]:
        if name is None:
            plan.unknown.append("a task named at run time")
            continue
        tasks.run(name, {}, [])
    return plan
