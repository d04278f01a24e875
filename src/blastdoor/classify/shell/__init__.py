"""The shell classifier: a command line -> one part per simple command that runs, with effects.

Parsing is tree-sitter-bash (``_walk``); each simple command is unwrapped and looked up in the
knowledge base (``_argv``, data in ``classify/kb/``); what data cannot say lives in named handlers
(``_handlers``) and the inline-code analysers (``_code``). Nothing here raises for bad input: what
cannot be understood is ``unknown``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.action import Action, Note
from blastdoor.classify.shell._guard_sweep import sweep
from blastdoor.classify.shell._state import State
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_shell", "classify_shell_text"]

MAX_INPUT = 256 * 1024  # longer command lines are not parsed: `unknown`


def classify_shell_text(text: str, ctx: ClassifyContext) -> list[Action]:
    """The parts of a shell text: one classified Action per simple command that runs."""
    st = State(ctx, ctx.cwd or None, {}, ctx.depth)
    if len(text) > MAX_INPUT:
        # What was read keeps its verdict: the first MAX_INPUT characters are classified (`rm -rf /`
        # padded with half a million arguments stays a wipe), and the rest, unread, is `unknown`.
        head = text[:MAX_INPUT]
        try:
            walk_text(head, st)
        except RecursionError:
            st.unknown(text[:200], "the command nests too deeply to analyse")
        st.unknown(text[:200], f"the command is longer than {MAX_INPUT} characters: the rest is not read")
        sweep(st, head)
    elif text.strip():
        try:
            walk_text(text, st)
        except RecursionError:
            # Parts found before the nesting ran out keep their effects; the rest is `unknown`.
            st.unknown(text[:200], "the command nests too deeply to analyse")
        sweep(st, text)
    cwd = ctx.cwd
    return [p.to_action(cwd) for p in st.parts]


def classify_shell(action: Action, ctx: ClassifyContext) -> Action:
    """Classify ``action.raw`` (a command line); the result keeps tool ``shell`` and gets parts."""
    parts = classify_shell_text(action.raw, ctx)
    if not parts:
        # Empty input or only assignments/comments: nothing runs.
        note = Note("effect", "read", "nothing runs (empty command or only assignments)", "kb:shell")
        return action.replace(effects={"read"}, notes=(*action.notes, note), parts=())
    effects: set[str] = set()
    targets: list[str] = []
    notes: list[Note] = list(action.notes)
    seen_targets: set[str] = set()
    for part in parts:
        effects.update(part.effects)
        for t in part.targets:
            if t not in seen_targets:
                seen_targets.add(t)
                targets.append(t)
        notes.extend(part.notes)
    # The whole input touches its parts' distinct targets: known only when every part's count is.
    known = all(p.blast_radius is not None for p in parts)
    radius = len(targets) if known else None
    return action.replace(effects=effects, targets=targets, notes=notes, parts=parts, blast_radius=radius)
