"""Read-only previewers: what an escalated action would actually change, before anyone approves it.

One previewer per family (``aws``, ``files``, ``git``, ``sql``, ``terraform``; each a module here)
implements ``Previewer``.
``preview_action`` asks each of them which parts of a classified action it can preview, runs those
previews bounded in time (``Context.timeout``, default ``DEFAULT_TIMEOUT`` seconds, set with
``BLASTDOOR_PREVIEW_TIMEOUT``) and combines them into one ``Preview``.

Invariants:
- a previewer never changes anything (each has a test that its target is unchanged afterwards);
- a previewer that fails, raises or runs out of time yields a ``failed``/``timeout`` preview, which
  never lets an action run (the pipeline keeps the escalated verdict and says "no preview available");
- the pipeline imports this package only for an escalated action, and the previewers' own heavy
  imports (boto3, psycopg) happen inside ``preview`` calls, never at import time.
"""

from __future__ import annotations

import os
import shlex
import threading
from typing import TYPE_CHECKING, Protocol

from blastdoor.action.preview import Preview, combine

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from blastdoor.action import Action

__all__ = [
    "DEFAULT_TIMEOUT",
    "Context",
    "Previewer",
    "applicable",
    "argv_of",
    "bounded",
    "configured_timeout",
    "preview_action",
    "previewers",
]

DEFAULT_TIMEOUT = 5.0
TIMEOUT_ENV = "BLASTDOOR_PREVIEW_TIMEOUT"


class Context:
    """What a previewer may use: the working directory, the caller's environment, a time budget,
    and the policy's ``protect:`` globs (items that match are flagged ``protected``)."""

    __slots__ = ("cwd", "environ", "protect", "timeout")

    def __init__(
        self,
        *,
        cwd: str = "",
        environ: Mapping[str, str] | None = None,
        timeout: float | None = None,
        protect: Sequence[str] = (),
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.cwd = cwd or os.getcwd()
        self.timeout = timeout if timeout is not None else configured_timeout(self.environ)
        self.protect = tuple(protect)


def configured_timeout(environ: Mapping[str, str]) -> float:
    """``BLASTDOOR_PREVIEW_TIMEOUT`` in seconds, else the default (a bad value: the default)."""
    try:
        value = float(environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 600 else DEFAULT_TIMEOUT


class Previewer(Protocol):
    """One family's previewer. ``applies`` is cheap and pure; ``preview`` reads, never writes."""

    kind: str

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        """Whether this previewer can say what ``part`` (run as ``argv``) would change."""
        ...

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        """What ``part`` would change, read from the current state; may raise (a failed preview)."""
        ...


def previewers() -> tuple[Previewer, ...]:
    """The registry: every family's previewer, in the order they are asked."""
    from blastdoor.preview.aws import AwsPreviewer
    from blastdoor.preview.files import FilesPreviewer
    from blastdoor.preview.git import GitPreviewer
    from blastdoor.preview.sql import SqlPreviewer
    from blastdoor.preview.terraform import TerraformPreviewer

    return (AwsPreviewer(), GitPreviewer(), SqlPreviewer(), TerraformPreviewer(), FilesPreviewer())


def argv_of(part: Action, root: Action) -> list[str]:
    """The argv a part runs: for a one-command action, the exact words asked for (``exec``'s argv, or
    the raw line without leading ``VAR=value`` assignments); else the part's command line (the
    classifier's normal form)."""
    argv = root.args.get("argv") if isinstance(root.args, dict) else None
    single = len(root.subjects()) == 1
    if single and isinstance(argv, list) and all(isinstance(a, str) for a in argv):
        return list(argv)
    text = part.command or part.raw or (root.raw if not root.parts else "")
    try:
        words = shlex.split(text)
    except ValueError:
        return []
    if single and root.raw and words:
        try:
            asked = shlex.split(root.raw)
        except ValueError:
            asked = []
        while asked and "=" in asked[0] and asked[0].split("=", 1)[0].isidentifier():
            asked = asked[1:]
        if asked and asked[0] == words[0] and not any(c in root.raw for c in ";&|`$<>\n("):
            return asked
    return words


def applicable(action: Action) -> list[tuple[Previewer, Action, list[str]]]:
    """(previewer, part, argv) for each part some previewer can preview; one entry per distinct argv."""
    found: list[tuple[Previewer, Action, list[str]]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    registry = previewers()
    for part in action.subjects():
        argv = argv_of(part, action)
        for previewer in registry:
            if previewer.applies(part, argv):
                key = (previewer.kind, tuple(argv))
                if key not in seen:
                    seen.add(key)
                    found.append((previewer, part, argv))
                break
    return found


def bounded(previewer: Previewer, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
    """``previewer.preview`` in a worker thread, given ``ctx.timeout`` seconds; never raises."""
    box: list[Preview] = []

    def work() -> None:
        try:
            box.append(previewer.preview(part, argv, ctx))
        except (ValueError, RuntimeError) as exc:  # a previewer's own "cannot preview this", in its words
            box.append(Preview.unavailable(previewer.kind, str(exc)))
        except Exception as exc:
            box.append(Preview.unavailable(previewer.kind, f"{type(exc).__name__}: {exc}"))

    worker = threading.Thread(target=work, name=f"preview-{previewer.kind}", daemon=True)
    worker.start()
    worker.join(ctx.timeout)
    if not box:
        return Preview.unavailable(previewer.kind, f"timed out after {ctx.timeout:g} s", timed_out=True)
    return box[0]


def preview_action(action: Action, ctx: Context) -> tuple[Preview, dict[int, Preview]] | None:
    """The preview of a classified action and of each previewed part (by index in ``subjects()``),
    or None when no previewer applies to any of its parts."""
    found = applicable(action)
    if not found:
        return None
    made: dict[tuple[str, tuple[str, ...]], Preview] = {}
    for previewer, part, argv in found:
        made[(previewer.kind, tuple(argv))] = _protected(bounded(previewer, part, argv, ctx), ctx.protect)
    per_part: dict[int, Preview] = {}
    registry = previewers()
    for i, part in enumerate(action.subjects()):
        argv = argv_of(part, action)
        for previewer in registry:
            got = made.get((previewer.kind, tuple(argv)))
            if got is not None and previewer.applies(part, argv):
                per_part[i] = got
                break
    return combine(list(made.values())), per_part


def _protected(preview: Preview, protect: Sequence[str]) -> Preview:
    """Flag the items and targets that the policy's ``protect:`` globs name (``facts.protected``)."""
    if not protect or not preview.ok:
        return preview
    from blastdoor.policy.glob import path_matcher, value_matcher

    matchers = [path_matcher(p) if p.startswith(("/", "~")) else value_matcher(p) for p in protect]
    hits = 0
    for item in preview.items:
        ident = item.get("id")
        if isinstance(ident, str) and any(m(ident) for m in matchers):
            item["protected"] = True
            hits += 1
    touched = [t for t in preview.targets if any(m(t) for m in matchers)]
    preview.facts["protected"] = max(hits, len(touched))
    if touched:
        preview.facts["protected_targets"] = touched[:50]
    return preview
