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


def _concrete(target: str) -> bool:
    """A target that names exactly one thing: not computed at run time, not a pattern."""
    if target == "?" or target.endswith(("/?", "/*")):
        return False
    last = target.rsplit("/", 1)[-1]
    if target.startswith("/"):
        return not any(c in _GLOB for c in target)
    return bool(last) and not any(c in _GLOB for c in last)


def radius(part: Part, given: int | None = None, *, trusted: bool = False) -> int | None:
    """How many things ``part`` touches (``given`` is another classifier's count, used when ``trusted``)."""
    if "wipe" in part.effects or "unknown" in part.effects or part.op in _ROW_LEVEL:
        return None
    if _SPREADING.intersection(part.command.split()):
        return None
    targets = part.targets
    if not targets:
        return 0 if set(part.effects) <= {"read"} else None
    if not all(_concrete(t) for t in targets):
        return None
    if trusted:
        return given
    return len(set(targets))
