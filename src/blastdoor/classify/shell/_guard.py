"""blastdoor's own controls inside a command line: its environment variables and ``blastdoor exec``.

An environment variable named ``BLASTDOOR_*`` changes what blastdoor does (which policy, which store,
which server, which agent id), so an agent command that sets, exports or unsets one is a ``privilege``
action in itself, whatever the command it is set for. ``blastdoor exec [OPTIONS] -- CMD`` runs CMD:
it is judged as CMD (under the policy of whoever judges the line), never as blastdoor's own CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.classify.shell._state import Part

if TYPE_CHECKING:
    from collections.abc import Iterable

    from blastdoor.classify.shell._state import State

PREFIX = "BLASTDOOR_"
SOURCE = "kb:guard"
# ``blastdoor exec``'s options that take a value (cli/exec.py).
_EXEC_VALUES = frozenset(("--agent", "--wait"))


def guard_names(names: Iterable[str | None]) -> list[str]:
    """The ``BLASTDOOR_*`` names among ``names`` (variables set, exported or unset)."""
    return sorted({n for n in names if n is not None and n.startswith(PREFIX)})


def why(names: list[str], how: str = "sets") -> str:
    return f"{how} {', '.join(names)}: blastdoor's own settings (policy, store, server, identity) are the operator's"


def mark(parts: Iterable[Part], names: list[str]) -> None:
    """Add ``privilege`` to ``parts`` run with ``names`` in their environment."""
    for part in parts:
        part.add("privilege", why(names), SOURCE)


def changed(st: State, names: list[str], command: str, how: str = "sets") -> None:
    """A part of its own for a bare assignment, ``export``, ``declare`` or ``unset`` of ``names``."""
    part = Part("shell", "shell:export", command, SOURCE, st.cwd)
    part.add("privilege", why(names, how), SOURCE)
    st.parts.append(part)


def exec_inner(words: list[str | None], st: State | None = None) -> list[str | None] | None:
    """The command ``blastdoor [GLOBAL] exec [OPTIONS] -- CMD...`` runs; None when it is not an exec.

    With ``st``: an ``--agent ID`` is noted as a part of its own, ``privilege``: the decision and its
    outcome are recorded under an identity the caller names for itself.
    """
    i, n = 1, len(words)
    while i < n and words[i] is not None and str(words[i]).startswith("-"):
        i += 1  # global options before the subcommand (none take a value)
    if i >= n or words[i] != "exec":
        return None
    i += 1
    while i < n:
        word = words[i]
        if word is None:
            return words[i:]  # a computed word: the wrapped command starts here (and is unknown)
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if st is not None and (word == "--agent" or word.startswith("--agent=")):
            claimed = word.partition("=")[2] if "=" in word else (words[i + 1] if i + 1 < n else None)
            text = f"blastdoor exec --agent {claimed or '?'}"
            part = Part("blastdoor", "blastdoor:exec", text, SOURCE, st.cwd)
            part.add("privilege", f"`{text}` records under an identity it names itself")
            st.parts.append(part)
        i += 2 if word in _EXEC_VALUES else 1
    return words[i:] if i < n else None
