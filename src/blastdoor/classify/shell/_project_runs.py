"""Commands that run a project's own code or a package's: ``uv run``/``poetry run``/... (the command in
the project's environment), ``npx``/``pnpm dlx`` (a package's program), ``pip install`` of a local
project (its ``setup.py`` runs)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.classify.shell._argv import COMMANDS, run_argv
from blastdoor.classify.shell._state import Part
from blastdoor.classify.shell._wrappers import options, shell_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.classify.shell._argv import Cmd

__all__ = ["HANDLERS"]


_RUN_VALUE = frozenset(
    (
        "--with",
        "--with-requirements",
        "--with-editable",
        "--python",
        "-p",
        "--project",
        "--directory",
        "-C",
        "--package",
        "--env-file",
        "--index",
        "--extra-index-url",
        "--index-url",
        "--group",
        "--extra",
        "-n",
        "--name",
        "-P",
        "--prefix",
        "--from",
        "-e",
        "--env",
        "--cwd",
    )
)


def run_in_env(cmd: Cmd) -> None:
    """``uv run``, ``poetry run``, ``pipenv run``, ``pdm run``, ``hatch run``, ``conda run``: the command
    runs in the project's environment; ``uv run x.py`` is ``python x.py``, ``-m mod`` is ``python -m``."""
    args = list(cmd.args)
    sub = cmd.subs[-1] if cmd.subs else "run"  # `bundle exec`: the subcommand that runs the rest
    at = args.index(sub) + 1 if sub in args else 0
    i, opts = options(args, at, _RUN_VALUE)
    st = cmd.st
    for opt, val in opts:
        if opt in ("--directory", "-C", "--cwd") and val is not None:
            st = st.child(depth=0)
            st.cwd = st.path(val)
    inner = args[i:]
    first = inner[0] if inner else None
    if any(o == "--script" for o, _ in opts) or (
        first is not None and (first.endswith((".py", ".pyw")) or first == "-m")
    ):
        inner = ["python", *inner]
    if not inner:
        return
    part = cmd.part
    part.only("read", f"`{cmd.name} {sub}` runs the command classified next to it")
    st.parts.append(part)
    run_argv(inner, st.child(), cmd.stdin, {})


_NPX_VALUE = frozenset(
    ("-p", "--package", "-c", "--call", "--registry", "--cache", "--userconfig", "-w", "--workspace")
)
_NODE_RUNNERS = frozenset(("tsx", "ts-node", "node", "esno", "esr", "vite-node", "nodejs"))


def npx(cmd: Cmd) -> None:
    """``npx``/``pnpm dlx``-style runners: ``-c TEXT`` and local interpreters (tsx/ts-node) of local files are
    classified; other packages come from the registry (the KB's judgment stands)."""
    args = list(cmd.args)
    if cmd.subs and cmd.subs[-1] in args:  # `npm exec`, `pnpm dlx`, `yarn dlx`: after the subcommand
        args = args[args.index(cmd.subs[-1]) + 1 :]
    i, opts = options(args, 0, _NPX_VALUE)
    for opt, val in opts:
        if opt in ("-c", "--call"):
            cmd.part.only("read", f"`{cmd.name} -c` runs shell text (classified next to it)")
            cmd.st.parts.append(cmd.part)
            shell_text(val, f"{cmd.name} -c", cmd.st)
            return
    inner = args[i:]
    if not inner or inner[0] is None:
        return
    head = inner[0]
    local = cmd.st.cwd is not None and os.path.isfile(os.path.join(cmd.st.cwd, "node_modules", ".bin", head))
    # a package whose program the KB knows (`npx rimraf dist`, `pnpm dlx prisma migrate reset`) does
    # what that program does, wherever it was fetched from
    known = head in COMMANDS and head not in ("npm", "npx", "pnpm", "yarn", "bun", "bunx", "pnpx")
    if head in _NODE_RUNNERS or local or known or "/" in head:
        cmd.part.only("read", f"`{cmd.name} {head}` runs a local program (classified next to it)")
        cmd.st.parts.append(cmd.part)
        run_argv(inner, cmd.st.child(), cmd.stdin, {})


def pip_install(cmd: Cmd) -> None:
    """``pip install .`` / ``-e DIR`` / ``./pkg``: a local project's setup.py runs (it is read as Python);
    installs from URLs run fetched code (the ``package`` handler)."""
    from blastdoor.classify.shell._handlers import package
    from blastdoor.classify.shell._interpreters import read_script

    package(cmd)
    st = cmd.st
    local = [v for o, v in cmd.opts if o in ("-e", "--editable")] + [
        p for p in cmd.pos if p is not None and (p in (".", "..") or p.startswith(("./", "../", "/")))
    ]
    for where in local:
        if where is None or "://" in where or where.startswith("git+"):
            continue
        base = st.path(where.split("[", 1)[0])
        setup = os.path.join(base, "setup.py") if base != "?" else "?"
        text = read_script(setup, st)
        if text is None:
            continue  # no setup.py: a build backend from the index builds it (the KB's judgment)
        part = Part("shell", "shell:python", f"setup.py of {where}", "kb:package", st.cwd)
        part.target(setup)
        st.parts.append(part)
        if text == "\0":
            part.add("unknown", f"{setup} cannot be read")
            continue
        from blastdoor.classify.shell._code import analyse

        analyse("python", text, st.child(), part, base_dir=base)


HANDLERS: dict[str, Callable[[Cmd], None]] = {
    "pip_install": pip_install,
    "run_in_env": run_in_env,
    "npx": npx,
}
