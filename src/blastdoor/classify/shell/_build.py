"""Build and task runners in a command line: the steps ``classify.runners`` reads become parts.

``make deploy`` is judged by the recipes it would run (each a shell command classified like any
other, in the directory make runs it in), ``npm run X`` by its scripts, and so on. The runner's own
part says what it runs; what cannot be read is ``unknown``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.action import Note
from blastdoor.classify.shell._state import Part

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

_MAX_DEPTH = 8


def run_build(cmd: Cmd) -> None:
    """The ``build`` handler: replace the KB's guess with what the runner's file says it runs."""
    from blastdoor.classify.runners import plan

    st = cmd.st
    part = cmd.part
    try:
        p = plan(cmd.name, list(cmd.args), st.cwd, cmd.env)
    except RecursionError:
        part.add("unknown", f"`{cmd.name}`: its file nests too deeply to read")
        return
    if p.source and p.source in st.written:
        p.unknown.append(f"reads {p.source}, which this same command writes first")
    if p.missing is not None and not (p.steps or p.unknown):
        why, where = p.missing
        written = [w for w in st.written if w == where or w.startswith(where.rstrip("/") + "/")]
        if written:
            part.add("unknown", f"`{cmd.name}` reads {written[0]}, which this same command writes first")
        else:
            part.notes.append(Note("info", cmd.name, f"{why}: `{cmd.name}` would fail", "kb:package"))
        return  # the KB entry's effects stand
    if not (p.steps or p.unknown or p.read_only or p.extra):
        return  # not a runner invocation blastdoor reads (`pnpm add`): the KB entry stands
    part.effects.clear()
    part.notes.clear()
    where = f" ({p.source})" if p.source else ""
    if p.read_only and not p.steps:
        part.add("read", p.read_only)
    for why in p.unknown:
        part.add("unknown", f"`{cmd.name}`: {why}")
    for effect, why in p.extra:
        part.add(effect, why)
    if p.source:
        part.target(p.source)
    if not p.steps:
        if not part.effects:
            part.add("read", f"`{cmd.name}` runs no command{where}")
        return
    part.add("read", f"`{cmd.name}` runs {len(p.steps)} command(s){where}, classified next to it")
    if st.depth + 1 > _MAX_DEPTH:
        part.add("unknown", f"`{cmd.name}` nested too deep")
        return
    st.parts.append(part)
    for step in p.steps:
        child = st.child()
        child.cwd = step.cwd
        if step.kind == "shell":
            from blastdoor.classify.shell._walk import walk_text

            walk_text(step.text, child)
        elif step.kind == "argv":
            from blastdoor.classify.shell._argv import run_argv

            if not step.argv or step.argv[0] is None:
                part.add("unknown", f"{step.origin}: a program named at run time")
                continue
            run_argv(list(step.argv), child, None, {})
        else:
            from blastdoor.classify.shell._code import analyse

            code = Part("shell", f"shell:{step.kind}", step.origin, "kb:shell", step.cwd)
            st.parts.append(code)
            analyse(step.kind, step.text, child, code, base_dir=step.cwd)
