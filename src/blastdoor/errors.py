"""The one error tree of blastdoor.

    BlastdoorError            base: a message, optional diagnostics, an exit code
    ├── Refused               an operation refused by a rule of blastdoor (exit 1): self-approval, ...
    ├── UsageError            bad command-line use                       (exit 2)
    ├── PolicyError           a policy file is unreadable or invalid      (exit 6)
    ├── InputError            a malformed action, payload or plan         (exit 7)
    └── StoreError            the store cannot be read or written         (exit 8)

The CLI catches ``BlastdoorError`` once, prints ``diagnostics()`` and exits with ``exit_code``.
Foreign exceptions are translated at the boundary and chained (``raise ... from exc``).
"""

from __future__ import annotations


class BlastdoorError(Exception):
    """Base of every error blastdoor raises on purpose."""

    exit_code = 70

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

    exit_code = 1


class UsageError(BlastdoorError):
    exit_code = 2


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

    exit_code = 6

    def __init__(self, problems: list[tuple[Location, str]], *, hints: list[str] | None = None) -> None:
        self.problems = problems
        head = f"{problems[0][0]}: {problems[0][1]}" if problems else "invalid policy"
        super().__init__(head, hints=hints)

    def diagnostics(self) -> str:
        lines = [f"{loc}: {msg}" for loc, msg in self.problems]
        lines.extend(f"  hint: {h}" for h in self.hints)
        return "\n".join(lines)


class InputError(BlastdoorError):
    exit_code = 7


class StoreError(BlastdoorError):
    exit_code = 8
