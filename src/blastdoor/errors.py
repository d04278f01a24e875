"""The one error tree of blastdoor: every error says what KIND of failure it is.

    BlastdoorError            base: a message and optional hints (``diagnostics()``)
    ├── Refused               blastdoor says no (a rule of blastdoor, not a fault)
    │   ├── Forbidden         not for this caller: self-approval, a role that may not vote, ...
    │   └── Conflict          not in this state: a closed request, a name already taken, ...
    ├── UsageError            bad command-line use
    ├── PolicyError           a policy file is unreadable or invalid (each problem with a location)
    ├── InputError            malformed input: an action, a payload, a plan (``Invalid`` is the same class)
    │   └── NotFound          the input names something that does not exist (a request, a person, ...)
    └── Unavailable           something blastdoor needs cannot be reached or used right now
        └── StoreError        the store cannot be read or written

Callers raise the kind; each boundary maps kinds to its own answer in ONE table, walking the class's
MRO so a subclass is answered like its nearest listed base: HTTP status and error code in
``server/api.py`` (``translate``; the web pages use it too), the exit code in ``cli/exits.py``
(``exit_for``). Nobody looks at the wording of a message to decide what kind of error it is.

Foreign exceptions are translated at the boundary and chained (``raise ... from exc``).
"""

from __future__ import annotations

__all__ = [
    "BlastdoorError",
    "Conflict",
    "Forbidden",
    "InputError",
    "Invalid",
    "Location",
    "NotFound",
    "PolicyError",
    "Refused",
    "StoreError",
    "Unavailable",
    "UsageError",
]


class BlastdoorError(Exception):
    """Base of every error blastdoor raises on purpose."""

    def __init__(self, message: str, *, hints: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints or []

    def diagnostics(self) -> str:
        """A human explanation: the message, then one hint per line."""
        lines = [self.message]
        lines.extend(f"  hint: {h}" for h in self.hints)
        return "\n".join(lines)


class Refused(BlastdoorError):
    """Not a fault: blastdoor says no (approving one's own request, a request that expired, ...)."""


class Forbidden(Refused):
    """The caller may not do this (whoever asks in this way is refused the same)."""


class Conflict(Refused):
    """The thing is not in a state that allows this (closed, already there, changed meanwhile)."""


class UsageError(BlastdoorError):
    """Bad command-line use: an option missing, two options that exclude each other."""


class Location:
    """Where in a file a problem is: 1-based line and column."""

    __slots__ = ("column", "file", "line")

    def __init__(self, file: str, line: int = 0, column: int = 0) -> None:
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


class PolicyError(BlastdoorError):
    """One or more problems in policy files, each with a location."""

    def __init__(self, problems: list[tuple[Location, str]], *, hints: list[str] | None = None) -> None:
        self.problems = problems
        head = f"{problems[0][0]}: {problems[0][1]}" if problems else "invalid policy"
        super().__init__(head, hints=hints)

    def diagnostics(self) -> str:
        lines = [f"{loc}: {msg}" for loc, msg in self.problems]
        lines.extend(f"  hint: {h}" for h in self.hints)
        return "\n".join(lines)


class InputError(BlastdoorError):
    """Malformed input: a field of the wrong type, a value out of range, text that does not parse."""


Invalid = InputError  # the kind's short name; InputError stays the spelling most code uses


class NotFound(InputError):
    """The input names something that does not exist: a request id, a person, an audit entry."""


class Unavailable(BlastdoorError):
    """Something blastdoor needs cannot be reached or used right now (retrying later may work)."""


class StoreError(Unavailable):
    """The store cannot be read or written."""
