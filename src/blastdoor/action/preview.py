"""The Preview: what an escalated action would actually change, as a typed document with a digest.

A previewer (``blastdoor.preview``) reads the current state of what an action touches, without
changing anything, and describes it here: counts by kind of change (``summary``), the list of
changes (``items``), the identities of what is touched (``targets``), the facts an approver weighs
(``facts``, e.g. bytes, tracked files, deletion protection) and a ``state_token`` that names the
state the preview saw (a remote ref's commit, a plan file's hash, a stack's last-updated time).

An approval binds to the action's digest *and* this document's digest (``digest()``, RFC 8785
canonical JSON): the run that follows an approval previews again and runs only when nothing moved.
A preview that failed or timed out says so (``status``); it never lets anything run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.canonical import digest

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

JSON = Any

OK = "ok"
FAILED = "failed"
TIMEOUT = "timeout"
STATUSES = (OK, FAILED, TIMEOUT)

# Items kept in the document; the counts always cover everything (``total_items``).
MAX_ITEMS = 200
NO_PREVIEW = "no preview available"


class Preview:
    """One preview. ``kind`` names the previewer family: files, git, sql, terraform, aws (or a+b)."""

    __slots__ = ("facts", "items", "kind", "message", "state_token", "status", "summary", "targets", "total_items")

    def __init__(
        self,
        kind: str,
        *,
        status: str = OK,
        message: str = "",
        summary: Mapping[str, int] | None = None,
        items: Iterable[Mapping[str, JSON]] = (),
        targets: Iterable[str] = (),
        state_token: str = "",
        facts: Mapping[str, JSON] | None = None,
        total_items: int | None = None,
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"preview status `{status}` is not one of {', '.join(STATUSES)}")
        every = [dict(i) for i in items]
        self.kind = kind
        self.status = status
        self.message = message
        self.summary: dict[str, int] = {k: int(v) for k, v in (summary or {}).items()}
        self.items: list[dict[str, JSON]] = every[:MAX_ITEMS]
        self.total_items = len(every) if total_items is None else total_items
        self.targets: list[str] = sorted(set(targets))
        self.state_token = state_token
        self.facts: dict[str, JSON] = dict(facts or {})

    @classmethod
    def unavailable(cls, kind: str, message: str, *, timed_out: bool = False) -> Preview:
        """A preview that could not be made: the approver is told "no preview available" and why."""
        return cls(kind, status=TIMEOUT if timed_out else FAILED, message=message)

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def changes(self) -> int:
        """How many things change: the sum of the counts by kind of change (the blast radius)."""
        return sum(self.summary.values())

    def to_dict(self) -> dict[str, JSON]:
        d: dict[str, JSON] = {"kind": self.kind, "status": self.status}
        if self.message:
            d["message"] = self.message
        if self.status == OK:
            d["summary"] = dict(self.summary)
            d["items"] = list(self.items)
            d["total_items"] = self.total_items
            d["targets"] = list(self.targets)
            d["facts"] = dict(self.facts)
            d["state_token"] = self.state_token
        return d

    @classmethod
    def from_dict(cls, data: JSON, *, where: str = "preview") -> Preview:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object")
        kind, status = data.get("kind"), data.get("status", OK)
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"{where}.kind: required")
        if status not in STATUSES:
            raise ValueError(f"{where}.status: one of {', '.join(STATUSES)}")
        items = data.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError(f"{where}.items: expected a list of objects")
        return cls(
            kind,
            status=status,
            message=str(data.get("message", "")),
            summary=data.get("summary") or {},
            items=items,
            targets=data.get("targets") or [],
            state_token=str(data.get("state_token", "")),
            facts=data.get("facts") or {},
            total_items=data.get("total_items"),
        )

    def digest(self) -> str:
        """``sha256:`` of the RFC 8785 canonical JSON of ``to_dict()``: what an approval binds to."""
        return digest(self.to_dict())

    def short(self) -> str:
        """One line for a harness reply: ``files: 3 delete (12 kB, 2 tracked, 1 uncommitted)``."""
        return short_text(self.to_dict())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Preview) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Preview({self.short()!r})"


def combine(previews: list[Preview]) -> Preview:
    """One preview of several (an action whose parts each had one); a failed part fails the whole."""
    if len(previews) == 1:
        return previews[0]
    kind = "+".join(p.kind for p in previews)
    bad = [p for p in previews if not p.ok]
    if bad:
        timed_out = all(p.status == TIMEOUT for p in bad)
        return Preview.unavailable(kind, "; ".join(f"{p.kind}: {p.message}" for p in bad), timed_out=timed_out)
    summary: dict[str, int] = {}
    facts: dict[str, JSON] = {}
    items: list[dict[str, JSON]] = []
    targets: list[str] = []
    for i, p in enumerate(previews):
        for k, v in p.summary.items():
            summary[k] = summary.get(k, 0) + v
        facts[f"{i}:{p.kind}"] = p.facts
        items.extend({**item, "part": i} for item in p.items)
        targets.extend(p.targets)
    return Preview(
        kind,
        summary=summary,
        items=items,
        targets=targets,
        state_token=digest([p.state_token for p in previews]),
        facts=facts,
        total_items=sum(p.total_items for p in previews),
    )


def _size(n: JSON) -> str:
    if not isinstance(n, int):
        return str(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1000
    return str(n)  # pragma: no cover - the loop always returns


def short_text(preview: Mapping[str, JSON] | None) -> str:
    """The short form of a preview's JSON form (what a harness reply and a log line show)."""
    if not preview:
        return ""
    kind = preview.get("kind", "?")
    if preview.get("status", OK) != OK:
        return f"{kind}: {NO_PREVIEW} ({preview.get('message') or preview.get('status')})"
    summary = preview.get("summary") or {}
    ranked = sorted(summary.items(), key=lambda kv: (-kv[1], kv[0]))  # the biggest change first
    counts = ", ".join(f"{v} {k}" for k, v in ranked) or "no changes"
    facts = preview.get("facts") or {}
    extra = [_size(facts["bytes"])] if facts.get("bytes") else []
    extra += [f"{facts[k]} {k}" for k in ("tracked", "uncommitted", "protected") if facts.get(k)]
    more = f" ({', '.join(extra)})" if extra else ""
    return f"{kind}: {counts}{more}"


def what_moved(approved: Mapping[str, JSON] | None, now: Mapping[str, JSON] | None) -> str:
    """Why a preview made now differs from the approved one, in an approver's words."""
    if approved == now:
        return "nothing in the preview (the environment changed)"
    if not approved:
        return "there was no preview when it was approved, there is one now"
    if not now:
        return "a preview was approved and none can be made now"
    if approved.get("status") != OK or now.get("status") != OK:
        return f"the preview was `{short_text(approved)}` and is now `{short_text(now)}`"
    if approved.get("state_token") != now.get("state_token"):
        return (
            f"the state it was approved for moved (was {approved.get('state_token')!s:.120}, "
            f"now {now.get('state_token')!s:.120}): now {short_text(now)}"
        )
    return f"the preview changed: approved `{short_text(approved)}`, now `{short_text(now)}`"
