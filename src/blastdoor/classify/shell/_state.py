"""The mutable state of one classification: where we are, what is known, what was found so far."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note
from blastdoor.action.effects import EFFECTS
from blastdoor.classify.shell._radius import radius

if TYPE_CHECKING:
    from blastdoor.classify.context import ClassifyContext

DYNAMIC = "?"  # a target computed at run time: matches no allow pattern


class Part:
    """One simple command that runs (after unwrapping), being built."""

    __slots__ = (
        "command",
        "cwd",
        "effects",
        "evidence",
        "facts",
        "given_radius",
        "notes",
        "op",
        "paths",
        "radius_from",
        "source",
        "targets",
        "tool",
    )

    def __init__(self, tool: str, op: str, command: str, source: str, cwd: str | None) -> None:
        self.tool = tool
        self.op = op
        self.command = command
        self.source = source
        self.cwd = cwd
        self.effects: dict[str, str] = {}  # effect -> why (first reason wins)
        self.targets: list[str] = []
        self.notes: list[Note] = []
        self.evidence: dict[str, str] = {}
        self.facts: dict[str, Any] = {}
        self.paths: dict[str, str] = {}  # path -> the access mode classify.files judged it in
        self.given_radius: int | None = None  # another classifier's count (classify.aws) ...
        self.radius_from = ""  # ... and which one, when it counted

    def add(self, effect: str, why: str, source: str = "") -> None:
        if effect not in self.effects:
            self.effects[effect] = why
            self.notes.append(Note("effect", effect, why, source or self.source))

    def only(self, effect: str, why: str, source: str = "") -> None:
        """Replace every effect found so far by ``effect`` (``--dry-run``, ``-l``: what the data said no
        longer holds)."""
        self.effects.clear()
        self.notes.clear()
        self.add(effect, why, source)

    def drop(self, effect: str) -> None:
        if self.effects.pop(effect, None) is not None:
            self.notes = [n for n in self.notes if not (n.kind == "effect" and n.value == effect)]

    def target(self, value: str) -> None:
        if value not in self.targets:
            self.targets.append(value)

    @classmethod
    def from_action(cls, action: Action, cwd: str | None, command: str) -> Part:
        """A part from another family's classifier (classify.aws, classify.sql)."""
        part = cls(action.tool, action.operation, action.command or command, "", cwd)
        part.effects = {e: "" for e in action.effects}
        part.targets = list(action.targets)
        part.notes = list(action.notes)
        facts = dict(action.facts)
        evidence = facts.pop("evidence", None)
        if isinstance(evidence, dict):
            part.evidence = {str(k): str(v) for k, v in evidence.items() if v is not None}
        part.facts = facts
        if action.blast_radius is not None:
            part.given_radius = action.blast_radius
            part.radius_from = action.tool
        return part

    def to_action(self, default_cwd: str) -> Action:
        facts: dict[str, Any] = dict(self.facts)
        if self.evidence:
            facts["evidence"] = dict(self.evidence)
        cwd = self.cwd if self.cwd is not None else ""
        return Action(
            self.tool,
            self.op,
            command=self.command,
            cwd=cwd if cwd != default_cwd else "",
            effects=self.effects,
            targets=self.targets,
            notes=self.notes,
            facts=facts,
            blast_radius=radius(self, self.given_radius, trusted=bool(self.radius_from)),
        )


class Stdin:
    """What a command reads on standard input: literal text, a file, the network, or unknown."""

    __slots__ = ("kind", "path", "text")

    def __init__(self, kind: str, text: str = "", path: str = "") -> None:
        self.kind = kind  # text | file | network | dynamic
        self.text = text
        self.path = path


class State:
    """Classification state for one input (copied for subshells, deepened for nested shells)."""

    __slots__ = ("carriers", "credentials", "ctx", "cwd", "depth", "env", "fetched", "parts", "settings", "written")

    def __init__(self, ctx: ClassifyContext, cwd: str | None, env: dict[str, str | None], depth: int) -> None:
        self.ctx = ctx
        self.cwd = cwd
        self.env = env
        self.depth = depth
        self.parts: list[Part] = []
        self.written: set[str] = set()  # files this input writes: running them later is `unknown`
        self.fetched: set[str] = set()  # files this input downloads: running them later is `remote_exec`
        # What this input switched in files CLIs read (kube context, terraform workspace, ...):
        # (evidence key, scope) -> value, shared with subshells (see _envchain).
        self.settings: dict[tuple[str, str], str] = {}
        # Variables this input set from a credential (``T=$GITHUB_TOKEN``): printing them prints it.
        self.credentials: set[str] = set()
        # Variables this input set from a substitution that reads local state (``X=$(cat .env | base64)``):
        # name -> the command; sending them is sending that output (``_sends``).
        self.carriers: dict[str, str] = {}

    def lookup(self, name: str) -> str | None:
        if name in self.env:
            return self.env[name]
        value = self.ctx.environ.get(name)
        if value is not None:
            return value
        if name == "HOME":
            return self.ctx.home
        if name == "PWD":
            return self.cwd
        return None

    def credentials_held(self) -> list[str]:
        """The variables of this input's environment that hold a credential (by name, or set from one):
        what printing the whole environment (``env``, ``printenv``) shows."""
        from blastdoor.classify.credentials import credential_variable

        names = {n for n, v in self.ctx.environ.items() if v and credential_variable(n)}
        names |= {n for n, v in self.env.items() if v != "" and credential_variable(n)}
        names |= self.credentials
        return sorted(names)

    def child(self, *, depth: int = 1) -> State:
        """A nested scope (subshell, nested shell, script) that reports into the same parts list."""
        st = State(self.ctx, self.cwd, dict(self.env), self.depth + depth)
        st.parts = self.parts
        st.written = self.written
        st.fetched = self.fetched
        st.settings = self.settings
        st.credentials = set(self.credentials)
        st.carriers = dict(self.carriers)
        return st

    def nested_context(self, assigns: dict[str, str | None] | None = None) -> ClassifyContext:
        """What a classifier next door sees: the agent's environment with this input's variables (and a
        command's own assignments) that are known, this state's directory and depth."""
        from blastdoor.classify.context import ClassifyContext

        ctx = self.ctx
        environ = dict(ctx.environ)
        for scope in (self.env, assigns or {}):
            for k, v in scope.items():
                if v is not None:
                    environ[k] = v
        return ClassifyContext(environ, ctx.home, self.cwd or ctx.cwd, ctx.depth + self.depth)

    def holds_home(self, path: str) -> bool:
        """Whether ``path`` is the home directory or a directory above it (what is done to it reaches
        the shell start-up files, ``~/.ssh`` and the credentials)."""
        home = self.ctx.home.rstrip("/")
        return bool(home) and (path == home or home.startswith(path.rstrip("/") + "/"))

    def path(self, value: str | None) -> str:
        """An absolute, normalised path for a word (``?`` when it or the cwd is unknown)."""
        if value is None or value == "":
            return DYNAMIC
        if value.startswith("/"):
            return _norm(value)
        if self.cwd is None:
            return DYNAMIC
        return _norm(self.cwd + "/" + value)

    def unknown(self, command: str, why: str, source: str = "shell") -> Part:
        part = Part("shell", "shell:unknown", command, "kb:shell", self.cwd)
        part.add("unknown", why, source)
        self.parts.append(part)
        return part


def _norm(path: str) -> str:
    # normpath keeps a leading // (POSIX); bash treats it as /.
    out = posixpath.normpath(path)
    return "/" + out.lstrip("/") if out.startswith("//") else out


def effect_text(effect: str) -> str:
    return EFFECTS.get(effect, effect)
