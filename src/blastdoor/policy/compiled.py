"""The compiled policy: plain data, indexed, with no YAML or schema machinery behind it.

A fresh hook process loads this from the cache (``cache.py``) without importing the compiler.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from blastdoor import __version__
from blastdoor.action.verdict import SEVERITY
from blastdoor.policy.glob import is_literal, literal_prefix

if TYPE_CHECKING:
    from blastdoor.policy.layers import Source

Cond = tuple[Any, ...]
_BOUNDARY = ":/"


class Rule:
    """A compiled rule. ``permissive`` (allow) rules read set-valued facts strictly; see engine.py."""

    __slots__ = (
        "approvals",
        "checks",
        "conds",
        "description",
        "excepts",
        "file",
        "id",
        "layer",
        "line",
        "locked",
        "permissive",
        "reason",
        "sev",
        "source_match",
        "verdict",
    )

    def __init__(
        self,
        id: str,
        verdict: str,
        conds: tuple[Cond, ...],
        excepts: tuple[tuple[Cond, ...], ...],
        approvals: tuple[int, str, int] | None,
        reason: str,
        layer: str,
        locked: bool,
        file: str,
        line: int,
        description: str = "",
        source_match: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.verdict = verdict
        self.sev = SEVERITY[verdict]
        self.permissive = verdict == "allow"
        self.conds = conds
        self.excepts = excepts
        self.approvals = approvals
        self.reason = reason
        self.layer = layer
        self.locked = locked
        self.file = file
        self.line = line
        self.description = description
        self.source_match = source_match or {}
        self.checks: Any = None  # the engine's compiled checks, built on first use (never cached on disk)

    def to_data(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.verdict,
            self.conds,
            self.excepts,
            self.approvals,
            self.reason,
            self.layer,
            self.locked,
            self.file,
            self.line,
            self.description,
            self.source_match,
        )

    @classmethod
    def from_data(cls, data: tuple[Any, ...]) -> Rule:
        return cls(*data)

    def __repr__(self) -> str:
        return f"Rule({self.id}={self.verdict})"


class CompiledPolicy:
    """Everything a decision needs, indexed. Built by :func:`compile_sources` or loaded from cache."""

    __slots__ = (
        "approvers",
        "break_glass",
        "candidate_cache",
        "changes",
        "default",
        "denials",
        "environments",
        "hash",
        "identity",
        "index",
        "limits",
        "on_error",
        "protect",
        "rules",
        "sources",
        "tests",
        "unknown",
        "warnings",
    )

    def __init__(
        self,
        *,
        hash: str,
        default: str,
        unknown: str,
        on_error: str,
        rules: list[Rule],
        index: dict[str, Any],
        environments: dict[str, dict[str, list[str]]],
        approvers: dict[str, list[str]],
        sources: list[tuple[str, str, str]],
        tests: list[tuple[str, int, dict[str, Any]]],
        warnings: list[str],
        protect: tuple[str, ...] | list[str] = (),
        break_glass: dict[str, Any] | None = None,
        changes: dict[str, Any] | None = None,
        identity: dict[str, Any] | None = None,
        limits: tuple[tuple[Any, ...], ...] = (),
        denials: dict[str, Any] | None = None,
    ) -> None:
        self.hash = hash
        self.default = default
        self.unknown = unknown
        self.on_error = on_error
        self.rules = rules
        self.index = index
        self.environments = environments
        self.approvers = approvers
        self.sources = sources
        self.tests = tests
        self.warnings = warnings
        # Resources no change may touch without the rules that name them (``protected: true``).
        self.protect: tuple[str, ...] = tuple(protect)
        # Who may override which deny rules (policy/breakglass.py); None: no break-glass.
        self.break_glass = break_glass
        # The change gate's settings and rules (policy/changes.py); None: the built-in defaults.
        self.changes = changes
        # Where only a credential establishes the agent (compile_identity); None: nowhere.
        self.identity = identity
        # The circuit breaker's rules (policy/limits.py): (id, conds, max, window s, verdict, reason).
        self.limits = tuple(tuple(limit) for limit in limits)
        # Denial memory (limits/memory.py): {"remember": bool, "pause_after": int}; None: off.
        self.denials = denials
        self.candidate_cache: dict[tuple[str, str, frozenset[str]], tuple[int, ...]] = {}

    def to_data(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "default": self.default,
            "unknown": self.unknown,
            "on_error": self.on_error,
            "rules": [r.to_data() for r in self.rules],
            "index": self.index,
            "environments": self.environments,
            "approvers": self.approvers,
            "sources": self.sources,
            "tests": self.tests,
            "warnings": self.warnings,
            "protect": self.protect,
            "break_glass": self.break_glass,
            "changes": self.changes,
            "identity": self.identity,
            "limits": self.limits,
            "denials": self.denials,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CompiledPolicy:
        fields = dict(data)
        fields["rules"] = [Rule.from_data(r) for r in data["rules"]]
        return cls(**fields)

    def rule(self, rule_id: str) -> Rule | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None


def _index_key(rule: Rule) -> tuple[str, list[str]]:
    """The most selective index bucket for a rule: every subject it can match is found there."""
    conds = {c[0]: c for c in rule.conds}
    op = conds.get("operation")
    if op is not None:
        prefixes = []
        for pattern in op[1]:
            if is_literal(pattern):
                prefixes.append("=" + pattern)
                continue
            lit = literal_prefix(pattern)
            cut = max(lit.rfind(ch) for ch in _BOUNDARY)
            if cut < 0:
                break
            prefixes.append(lit[: cut + 1])
        else:
            return "op", prefixes
    tool = conds.get("tool")
    if tool is not None and all(is_literal(p) for p in tool[1]):
        return "tool", list(tool[1])
    effects = conds.get("effects")
    if effects is not None:
        return "effect", sorted(effects[1])
    return "always", []


def build_index(rules: list[Rule]) -> dict[str, Any]:
    index: dict[str, Any] = {"op": {}, "tool": {}, "effect": {}, "always": []}
    for i, rule in enumerate(rules):
        kind, keys = _index_key(rule)
        if kind == "always":
            index["always"].append(i)
            continue
        for key in keys:
            index[kind].setdefault(key, []).append(i)
    return index


def policy_hash(sources: list[Source]) -> str:
    """``sha256:`` over blastdoor's version, each layer's role and content, and the baselines."""
    h = hashlib.sha256(f"blastdoor {__version__}\n".encode())
    for src in sources:
        h.update(f"{src.role}\n{src.sha256}\n".encode())
    from blastdoor.policy.layers import baseline_files  # os.scandir: no pathlib on the hook's path

    for name, path in baseline_files():
        with open(path, "rb") as fh:
            h.update(name.encode() + b"\n" + hashlib.sha256(fh.read()).digest())
    return "sha256:" + h.hexdigest()
