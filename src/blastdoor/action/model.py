"""The Action: one thing an agent wants to do, and the facts classification adds to it.

Plain slotted classes rather than dataclasses: a hook is a fresh process per tool call and
``dataclasses`` alone costs more start-up time than the whole decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.canonical import digest
from blastdoor.action.effects import EFFECTS, UNKNOWN

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

JSON = Any  # a JSON value: dict, list, str, int, float, bool or None


def _str(data: Mapping[str, JSON], key: str, default: str = "", *, where: str) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    return value


def _dict(data: Mapping[str, JSON], key: str, *, where: str) -> dict[str, JSON]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}.{key}: expected an object, got {type(value).__name__}")
    return value


def _strings(data: Mapping[str, JSON], key: str, *, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}.{key}: expected a list of strings")
    return tuple(value)


class Agent:
    """Who asks: a stable id, the harness it runs in, its session, and the human it acts for.

    ``verified``: the id was established by a credential (identity/credentials.py), set only by the
    pipeline's identity step, never taken from the caller. ``claimed``: the id the caller claimed when it
    was judged as someone else (``unknown-agent``).
    """

    __slots__ = ("claimed", "harness", "host", "id", "on_behalf_of", "session", "subagent", "verified")

    def __init__(
        self,
        id: str = "unknown",
        harness: str = "",
        session: str = "",
        on_behalf_of: str = "",
        host: str = "",
        subagent: str = "",
        *,
        verified: bool = False,
        claimed: str = "",
    ) -> None:
        self.id = id
        self.harness = harness
        self.session = session
        self.on_behalf_of = on_behalf_of
        self.host = host
        self.subagent = subagent
        self.verified = verified
        self.claimed = claimed

    def to_dict(self) -> dict[str, JSON]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k)}

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON] | None, *, where: str = "agent") -> Agent:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object")
        unknown = set(data) - set(cls.__slots__)
        if unknown:
            raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        return cls(
            id=_str(data, "id", "unknown", where=where),
            harness=_str(data, "harness", where=where),
            session=_str(data, "session", where=where),
            on_behalf_of=_str(data, "on_behalf_of", where=where),
            host=_str(data, "host", where=where),
            subagent=_str(data, "subagent", where=where),
            verified=data.get("verified") is True,
            claimed=_str(data, "claimed", where=where),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Agent) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, k) for k in self.__slots__))

    def __repr__(self) -> str:
        return f"Agent({self.to_dict()!r})"


class Note:
    """Why classification concluded something: ``kind`` is effect, target, env or info."""

    __slots__ = ("kind", "source", "text", "value")

    def __init__(self, kind: str, value: str, text: str, source: str = "") -> None:
        self.kind = kind
        self.value = value
        self.text = text
        self.source = source

    def to_dict(self) -> dict[str, JSON]:
        d: dict[str, JSON] = {"kind": self.kind, "value": self.value, "text": self.text}
        if self.source:
            d["source"] = self.source
        return d

    @classmethod
    def from_dict(cls, data: JSON, *, where: str = "note") -> Note:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object")
        return cls(
            kind=_str(data, "kind", "info", where=where),
            value=_str(data, "value", where=where),
            text=_str(data, "text", where=where),
            source=_str(data, "source", where=where),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.kind, self.value, self.text, self.source))

    def __repr__(self) -> str:
        return f"Note({self.kind}={self.value}: {self.text})"

    def __str__(self) -> str:
        src = f" [{self.source}]" if self.source else ""
        return f"{self.kind} {self.value}: {self.text}{src}"


# Field order of the JSON form; also the order of __slots__ that take part in equality.
_FIELDS = (
    "tool",
    "operation",
    "raw",
    "command",
    "args",
    "cwd",
    "agent",
    "context",
    "effects",
    "targets",
    "env",
    "blast_radius",
    "preview",
    "facts",
    "notes",
    "parts",
)


class Action:
    """One action an agent wants to take.

    The adapter fills what was asked (``tool``, ``operation``, ``raw``, ``args``, ``cwd``, ``agent``,
    ``context``); classification fills the facts (``effects``, ``targets``, ``env``, ``blast_radius``,
    ``preview``, ``facts``, ``notes``) and, for compound input such as ``a && b``, one ``part`` per
    thing that runs. The policy judges each part and the whole action is as severe as its worst part.

    An action whose ``effects`` are already set is *pre-classified*: the pipeline does not classify it
    again (tests and benchmarks use this; adapters never set effects).
    """

    __slots__ = (
        "agent",
        "args",
        "blast_radius",
        "command",
        "context",
        "cwd",
        "effects",
        "env",
        "facts",
        "notes",
        "operation",
        "parts",
        "preview",
        "raw",
        "targets",
        "tool",
    )

    def __init__(
        self,
        tool: str,
        operation: str = "",
        *,
        raw: str = "",
        command: str = "",
        args: JSON = None,
        cwd: str = "",
        agent: Agent | None = None,
        context: dict[str, JSON] | None = None,
        effects: Iterable[str] = (),
        targets: Iterable[str] = (),
        env: str = "unknown",
        blast_radius: int | None = None,
        preview: dict[str, JSON] | None = None,
        facts: dict[str, JSON] | None = None,
        notes: Iterable[Note] = (),
        parts: Iterable[Action] = (),
    ) -> None:
        self.tool = tool
        self.operation = operation or tool
        self.raw = raw
        self.command = command
        self.args = {} if args is None else args
        self.cwd = cwd
        self.agent = agent if agent is not None else Agent()
        self.context = context if context is not None else {}
        self.effects: frozenset[str] = frozenset(effects)
        self.targets: tuple[str, ...] = tuple(targets)
        self.env = env
        self.blast_radius = blast_radius
        self.preview = preview
        self.facts = facts if facts is not None else {}
        self.notes: tuple[Note, ...] = tuple(notes)
        self.parts: tuple[Action, ...] = tuple(parts)

    # -- convenience ---------------------------------------------------------------------------

    @property
    def classified(self) -> bool:
        return bool(self.effects)

    def subjects(self) -> tuple[Action, ...]:
        """What the policy judges: the parts of a compound action, or the action itself."""
        return self.parts or (self,)

    def replace(self, **changes: Any) -> Action:
        """A copy with some fields changed (actions are treated as immutable)."""
        # Spelled out (the fields of _FIELDS but ``tool``): a copy per classification, on the hook's path.
        fields: dict[str, Any] = {
            "operation": self.operation,
            "raw": self.raw,
            "command": self.command,
            "args": self.args,
            "cwd": self.cwd,
            "agent": self.agent,
            "context": self.context,
            "effects": self.effects,
            "targets": self.targets,
            "env": self.env,
            "blast_radius": self.blast_radius,
            "preview": self.preview,
            "facts": self.facts,
            "notes": self.notes,
            "parts": self.parts,
        }
        fields.update(changes)
        tool = fields.pop("tool", self.tool)
        return Action(tool, **fields)

    # -- JSON ----------------------------------------------------------------------------------

    def to_dict(self, *, part: bool = False) -> dict[str, JSON]:
        """The JSON form. Empty fields are left out; ``from_dict(to_dict(a)) == a``."""
        d: dict[str, JSON] = {"tool": self.tool}
        if self.operation != self.tool:
            d["operation"] = self.operation
        if self.raw:
            d["raw"] = self.raw
        if self.command:
            d["command"] = self.command
        if self.args:
            d["args"] = self.args
        if self.cwd:
            d["cwd"] = self.cwd
        if not part:
            agent = self.agent.to_dict()
            if agent:
                d["agent"] = agent
        if self.context:
            d["context"] = self.context
        if self.effects:
            d["effects"] = sorted(self.effects)
        if self.targets:
            d["targets"] = list(self.targets)
        if self.env != "unknown":
            d["env"] = self.env
        if self.blast_radius is not None:
            d["blast_radius"] = self.blast_radius
        if self.preview is not None:
            d["preview"] = self.preview
        if self.facts:
            d["facts"] = self.facts
        if self.notes:
            d["notes"] = [n.to_dict() for n in self.notes]
        if self.parts:
            d["parts"] = [p.to_dict(part=True) for p in self.parts]
        return d

    @classmethod
    def from_dict(cls, data: JSON, *, where: str = "action", agent: Agent | None = None) -> Action:
        """Build an action from its JSON form; raises ``ValueError`` naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            import difflib

            name = sorted(unknown)[0]
            near = difflib.get_close_matches(name, _FIELDS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{where}: unknown field {name!r}{hint}")
        tool = _str(data, "tool", where=where)
        if not tool:
            raise ValueError(f"{where}.tool: required (shell, file, mcp, sql, aws, kube, terraform, ...)")
        effects = _strings(data, "effects", where=where)
        for e in effects:
            if e not in EFFECTS:
                raise ValueError(f"{where}.effects: unknown effect {e!r}; known: {', '.join(EFFECTS)}")
        blast = data.get("blast_radius")
        if blast is not None and (not isinstance(blast, int) or isinstance(blast, bool)):
            raise ValueError(f"{where}.blast_radius: expected an integer")
        preview = data.get("preview")
        if preview is not None and not isinstance(preview, dict):
            raise ValueError(f"{where}.preview: expected an object")
        me = agent if agent is not None else Agent.from_dict(data.get("agent"), where=f"{where}.agent")
        notes_raw = data.get("notes") or []
        parts_raw = data.get("parts") or []
        if not isinstance(notes_raw, list) or not isinstance(parts_raw, list):
            raise ValueError(f"{where}: notes and parts must be lists")
        return cls(
            tool,
            _str(data, "operation", where=where),
            raw=_str(data, "raw", where=where),
            command=_str(data, "command", where=where),
            args=data.get("args"),
            cwd=_str(data, "cwd", where=where),
            agent=me,
            context=_dict(data, "context", where=where),
            effects=effects,
            targets=_strings(data, "targets", where=where),
            env=_str(data, "env", "unknown", where=where),
            blast_radius=blast,
            preview=preview,
            facts=_dict(data, "facts", where=where),
            notes=[Note.from_dict(n, where=f"{where}.notes[{i}]") for i, n in enumerate(notes_raw)],
            parts=[cls.from_dict(p, where=f"{where}.parts[{i}]", agent=me) for i, p in enumerate(parts_raw)],
        )

    def digest(self) -> str:
        """Stable ``sha256:`` digest of what was asked: approvals bind to it.

        Only the request is hashed (tool, operation, raw, args, cwd, agent id), not the facts that
        classification derives from it, so a classifier upgrade does not invalidate pending approvals.
        """
        return digest(
            {
                "tool": self.tool,
                "operation": self.operation,
                "raw": self.raw,
                "args": self.args,
                "cwd": self.cwd,
                "agent": self.agent.id,
            }
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Action) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable containers inside; compare by value only

    def __repr__(self) -> str:
        return f"Action({self.operation!r}, raw={self.raw!r}, effects={sorted(self.effects)})"


def unknown_effects(effects: frozenset[str]) -> frozenset[str]:
    """Effects to judge: an action that classification left without effects is ``unknown``."""
    return effects or frozenset((UNKNOWN,))
