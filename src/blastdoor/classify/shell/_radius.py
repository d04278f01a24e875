"""Blast radius of one shell part: how many things it touches, or ``None`` when that is not known.

Counted, not guessed:

- the part's distinct concrete targets: path operands (``rm a b c`` is 3, ``mv a b dir/`` is 3), named
  kube objects (``kubectl delete pod a b`` is 2), AWS resources (the AWS classifier's own count), git
  branches and tags, SQL tables dropped or truncated;
- a read with no target (``echo``, ``ls`` of the cwd) touches nothing: 0.

Unknown (``None``) whenever the count could be larger than what is written:

- a target computed at run time (``?``) or a glob (``*.log``, ``pod/*`` from ``-l``/``--all``);
- recursion (``-r``, ``-R``, ``--recursive``) or a selector for everything (``--all``, ``-A``,
  ``--all-namespaces``): ``rm -r dir`` touches every file below ``dir``;
- a ``wipe`` (a whole tree, database, stack);
- row-level SQL (``DELETE``, ``UPDATE``, ``INSERT``, ``MERGE``): the rows are not known;
- anything that changes something without naming a target (``terraform apply``, ``git push``).

The policy engine reads an unknown radius in the safe direction (docs/POLICY.md): it never satisfies an
``allow`` rule's ``blast_radius`` (``lt: 5`` does not hold for "unknown") and always satisfies a
restrictive one's (``gt: 10`` holds), so an unknown count can only make a verdict stricter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.classify.shell._state import Part

__all__ = ["radius"]

_SPREADING = frozenset({"-r", "-R", "--recursive", "--all", "-A", "--all-namespaces"})
_ROW_LEVEL = frozenset({"sql:delete", "sql:update", "sql:insert", "sql:merge", "sql:upsert"})
_GLOB = frozenset("*?[")
_READ = frozenset({"read"})


def _concrete(target: str) -> bool:
    """A target that names exactly one thing: not computed at run time, not a pattern."""
    if target == "?" or target.endswith(("/?", "/*")):
        return False
    if target.startswith("/"):
        return _GLOB.isdisjoint(target)
    last = target.rsplit("/", 1)[-1]
    return bool(last) and _GLOB.isdisjoint(last)


def radius(part: Part, given: int | None = None, *, trusted: bool = False) -> int | None:
    """How many things ``part`` touches (``given`` is another classifier's count, used when ``trusted``)."""
    effects = part.effects
    if "wipe" in effects or "unknown" in effects or part.op in _ROW_LEVEL:
        return None
    targets = part.targets
    if not targets:
        return 0 if effects.keys() <= _READ else None
    if not _SPREADING.isdisjoint(part.command.split()):
        return None
    for t in targets:
        if not _concrete(t):
            return None
    if trusted:
        return given
    return len(targets) if len(targets) < 2 else len(set(targets))
