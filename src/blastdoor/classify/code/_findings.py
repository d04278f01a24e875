"""What a program would do, as plain records: the code analysers' only output.

The analysers know nothing of shells, policies or parts: they read code and report findings. The
shell classifier (``classify/shell/_code.py``) turns each finding into effects and parts: a command
goes to the shell walker, an AWS call to ``classify.aws``, SQL to ``classify.sql``.
"""

from __future__ import annotations

from typing import Any

#: A value computed at run time (a path, a profile, an argument).
COMPUTED = None


class Finding:
    """One thing the code does.

    ``kind`` is one of:

    - ``effects``: ``effects`` as they are (a kill, a socket, loading native code);
    - ``file``: ``mode`` (read, write, delete) on ``path`` (None when computed), plus ``effects``;
    - ``shell``: ``text`` is run by a shell (None when computed);
    - ``argv``: ``argv`` is run as a program (None, or None items, when computed);
    - ``code``: ``text`` is more code of ``data["lang"]`` run by the program (``fork``, a local module);
    - ``aws``: ``data`` has service, operation (or ``candidates``), params, profile, region, endpoint;
    - ``sql``: ``text`` (None when computed), ``data`` has dialect and db (URL or file);
    - ``kube``: ``argv`` is the equivalent ``kubectl`` command line;
    - ``send``: data leaves the machine to ``data["url"]``;
    - ``unknown``: what the code does cannot be read statically.
    """

    __slots__ = ("argv", "data", "effects", "kind", "line", "mode", "path", "text", "why")

    def __init__(
        self,
        kind: str,
        why: str,
        *,
        line: int = 0,
        effects: tuple[str, ...] = (),
        mode: str = "",
        path: str | None = None,
        text: str | None = None,
        argv: list[str | None] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.why = why
        self.line = line
        self.effects = effects
        self.mode = mode
        self.path = path
        self.text = text
        self.argv = argv
        self.data = data or {}

    def key(self) -> tuple[object, ...]:
        """What the finding does, without where it was found: equal keys are the same action."""
        return (
            self.kind,
            self.mode,
            self.path,
            self.text,
            tuple(self.argv) if self.argv is not None else None,
            self.effects,
            repr(sorted(self.data.items())),
        )

    def __repr__(self) -> str:
        bits = [f"{k}={getattr(self, k)!r}" for k in ("path", "text", "argv", "data") if getattr(self, k)]
        return f"Finding({self.kind!r}, line {self.line}, {', '.join(bits)})"
