"""document -> compiled policy: validate every layer, merge them, index the rules.

The compiled form is plain data (tuples, dicts, strings, numbers) so the disk cache can store it with
``marshal``, which never executes code on load, and a fresh hook process rebuilds it in microseconds.
"""

from __future__ import annotations

import os
import re
from typing import Any

from blastdoor.action.verdict import SEVERITY
from blastdoor.errors import Location, PolicyError
from blastdoor.policy.compiled import CompiledPolicy, Cond, Rule, build_index, policy_hash
from blastdoor.policy.glob import is_literal
from blastdoor.policy.layers import FALLBACK_POLICY, Source, baseline_source
from blastdoor.policy.near import did_you_mean
from blastdoor.policy.schema import validate_document
from blastdoor.policy.syntax import Document, gc_paused, text_to_document

# The key prefix of a built-in baseline's environment globs in the compiled policy (the same string is
# classify.environment.BASELINE_PREFIX: policy and classify do not import each other).
BASELINE_ENV_PREFIX = "baseline:"

DEFAULTS = {"default": "ask", "unknown": "ask", "on_error": "deny"}
DEFAULT_TTL = 3600
_DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NUMERIC_OPS = ("gt", "gte", "lt", "lte")


def parse_duration(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(value[:-1]) * _DURATION[value[-1]]


# -- conditions ------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _expand_home(pattern: str, home: str) -> str:
    if pattern == "~" or pattern.startswith("~/"):
        return home + pattern[1:]
    return pattern


class _Compiler:
    """Compiles and checks the rules of all layers, collecting every problem before failing."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.problems: list[tuple[Location, str]] = []

    def problem(self, doc: Document, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        self.problems.append((doc.where(path, key=key), message))

    def matcher(self, doc: Document, m: dict[str, Any], path: tuple[str | int, ...]) -> tuple[Cond, ...]:
        conds: list[Cond] = []
        for field in ("tool", "operation", "env", "agent", "harness", "command"):
            if field in m:
                conds.append((field, tuple(_as_list(m[field]))))
        if "effects" in m:
            conds.append(("effects", frozenset(_as_list(m["effects"]))))
        if "targets" in m:
            t = m["targets"]
            mode, pats = ("default", t) if not isinstance(t, dict) else next(iter(t.items()))
            conds.append(("targets", mode, tuple(_expand_home(p, self.home) for p in _as_list(pats))))
        if "args" in m:
            for name, spec in m["args"].items():
                conds.extend(self.arg_conds(doc, name, spec, (*path, "args", name)))
        if "blast_radius" in m:
            for op, value in m["blast_radius"].items():
                conds.append(("blast_radius", op, value))
        if "protected" in m:
            # The globs are the merged ``protect:`` list of every layer, filled in once all are read.
            conds.append(("protected", bool(m["protected"]), ()))
        if "preview" in m:
            for key, spec in m["preview"].items():
                for op, value in spec.items() if isinstance(spec, dict) else [("equals", spec)]:
                    conds.append(("preview", key, op, value))
        return tuple(conds)

    def arg_conds(self, doc: Document, name: str, spec: Any, path: tuple[str | int, ...]) -> list[Cond]:
        keys = tuple(name.split("."))
        if isinstance(spec, list):
            return [("args", keys, "in", tuple(spec))]
        if not isinstance(spec, dict):
            return [("args", keys, "equals", spec)]
        out: list[Cond] = []
        for op, value in spec.items():
            if op == "regex":
                try:
                    re.compile(value)
                except re.error as exc:
                    self.problem(doc, (*path, op), f"invalid regular expression: {exc}")
            if op in ("in", "not_in"):
                value = tuple(value)
            elif op == "glob":
                value = tuple(_as_list(value))
            out.append(("args", keys, op, value))
        return out


# -- layers ----------------------------------------------------------------------------------------


def _layer_docs(sources: list[Source], compiler: _Compiler) -> list[tuple[Source, Document]]:
    """Parse and schema-check each source, expanding ``extends`` right after the file that names it."""
    out: list[tuple[Source, Document]] = []
    pulled: set[str] = set()
    for src in sources:
        try:
            doc = text_to_document(src.text, src.path)
        except PolicyError as exc:
            compiler.problems.extend(exc.problems)
            continue
        if not isinstance(doc.data, dict):
            compiler.problem(doc, (), "a policy file must be a mapping (version:, rules:, ...)")
            continue
        problems = validate_document(doc)
        if problems:
            compiler.problems.extend(problems)
            continue
        out.append((src, doc))
        for name in doc.data.get("extends", []):
            if name in pulled:
                continue
            pulled.add(name)
            base = baseline_source(name, src.role)
            out.extend(_layer_docs([base], compiler))
    return out


def compile_sources(sources: list[Source], *, home: str | None = None) -> CompiledPolicy:
    """Validate, merge and index the given layers (most authoritative first)."""
    # The whole compile builds a large graph and frees little of it: see syntax.gc_paused.
    with gc_paused():
        return _compile_sources(sources, home=home)


def _compile_sources(sources: list[Source], *, home: str | None) -> CompiledPolicy:
    home = home or os.path.expanduser("~")
    if not sources:
        sources = [Source("project", "<fallback>", FALLBACK_POLICY, builtin=True)]
    compiler = _Compiler(home)
    docs = _layer_docs(sources, compiler)
    if compiler.problems:
        raise PolicyError(compiler.problems)

    settings: dict[str, str] = {}
    environments: dict[str, dict[str, list[str]]] = {}
    approvers: dict[str, list[str]] = {}
    approver_owner: dict[str, str] = {}
    rules: list[Rule] = []
    rule_at: dict[str, tuple[Document, int]] = {}
    disables: list[tuple[Document, int, str]] = []
    tests: list[tuple[str, int, dict[str, Any]]] = []
    env_refs: list[tuple[Document, tuple[str | int, ...], str]] = []
    protect: list[str] = []
    glass_blocks: list[tuple[Source, Document]] = []  # break_glass: (policy/breakglass.py)
    change_blocks: list[tuple[Source, Document]] = []  # changes: the change gate (policy/changes.py)
    identity_blocks: list[dict[str, Any]] = []  # identity: (compile_identity)
    limits: list[tuple[Any, ...]] = []  # limits: (policy/limits.py)
    limit_at: dict[str, Document] = {}
    denials: dict[str, Any] | None = None  # denials: the strictest of the layers

    for src, doc in docs:
        data = doc.data
        prefix = src.path[len("<builtin:") : -1] + "." if src.builtin and src.path.startswith("<builtin:") else ""
        for key in DEFAULTS:
            if key in data:
                # Scalar settings combine by severity: a lower layer can make them stricter, never looser.
                have = settings.get(key)
                if have is None or SEVERITY[data[key]] > SEVERITY[have]:
                    settings[key] = data[key]
        for name, spec in (data.get("environments") or {}).items():
            merged = environments.setdefault(name, {})
            for k, globs in spec.items():
                # A built-in baseline's globs are defaults: they decide only evidence that no environment
                # the team declared matches (classify.environment reads the `baseline:` keys second).
                k = BASELINE_ENV_PREFIX + k if src.builtin else k
                merged.setdefault(k, [])
                merged[k].extend(g for g in globs if g not in merged[k])
        protect.extend(p for p in (data.get("protect") or []) if p not in protect)
        for group, people in (data.get("approvers") or {}).items():
            owner = approver_owner.get(group)
            if owner == "managed" and src.role != "managed":
                compiler.problem(doc, ("approvers", group), f"approver group `{group}` is set by the managed policy")
                continue
            approver_owner.setdefault(group, src.role)
            merged_people = approvers.setdefault(group, [])
            merged_people.extend(p for p in people if p not in merged_people)
        rule_lines = doc.item_lines("rules")
        for i, r in enumerate(data.get("rules") or []):
            path: tuple[str | int, ...] = ("rules", i)
            rid = prefix + r["id"]
            if rid in rule_at:
                other_doc, other_i = rule_at[rid]
                compiler.problem(
                    doc,
                    (*path, "id"),
                    f"duplicate rule id `{rid}` (first defined at {other_doc.where(('rules', other_i))})",
                )
                continue
            rule_at[rid] = (doc, i)
            conds = compiler.matcher(doc, r["match"], (*path, "match"))
            excepts = tuple(compiler.matcher(doc, e, (*path, "except", j)) for j, e in enumerate(r.get("except", [])))
            approvals = None
            if r["verdict"] == "approve":
                a = r.get("approvals") or {}
                approvals = (
                    int(a.get("count", 1)),
                    str(a.get("from", "")),
                    parse_duration(a.get("ttl", DEFAULT_TTL)),
                )
            if "approvals" in r and r["verdict"] != "approve":
                compiler.problem(doc, (*path, "approvals"), "`approvals` only applies to verdict `approve`", key=True)
            for j, m in enumerate([r["match"], *r.get("except", [])]):
                if "env" in m and not src.builtin:
                    mpath: tuple[str | int, ...] = (*path, "match") if j == 0 else (*path, "except", j - 1)
                    for pattern in _as_list(m["env"]):
                        env_refs.append((doc, (*mpath, "env"), pattern))
            rules.append(
                Rule(
                    rid,
                    r["verdict"],
                    conds,
                    excepts,
                    approvals,
                    r.get("reason", ""),
                    src.role,
                    src.role == "managed",
                    src.path,
                    rule_lines[i],
                    r.get("description", ""),
                    r["match"],
                )
            )
        if "break_glass" in data:
            glass_blocks.append((src, doc))
        if "changes" in data:
            change_blocks.append((src, doc))
        if "identity" in data:
            identity_blocks.append(data["identity"])
        if "denials" in data:
            block = data["denials"]
            before: dict[str, Any] = denials or {"remember": False, "pause_after": 0}
            pause = int(block.get("pause_after", 0))
            if before["pause_after"] and pause:
                pause = min(pause, int(before["pause_after"]))
            denials = {
                "remember": bool(block.get("remember", False)) or bool(before["remember"]),
                "pause_after": pause or int(before["pause_after"]),
            }
        for j, lim in enumerate(data.get("limits") or []):
            lid = prefix + lim["id"]
            if lid in limit_at:
                compiler.problem(doc, ("limits", j, "id"), f"duplicate limit id `{lid}`")
                continue
            limit_at[lid] = doc
            conds = compiler.matcher(doc, lim["match"], ("limits", j, "match"))
            window = parse_duration(lim["per"])
            limits.append((lid, conds, int(lim["max"]), window, lim.get("verdict", "deny"), lim.get("reason", "")))
        for j, rid in enumerate(data.get("disable") or []):
            disables.append((doc, j, rid))
        test_lines = doc.item_lines("tests")
        for j, t in enumerate(data.get("tests") or []):
            tests.append((src.path, test_lines[j], t))

    # Checks that need the merged picture.
    known_envs = set(environments) | {"unknown"}
    for doc, path, pattern in env_refs:
        if is_literal(pattern) and pattern not in known_envs:
            hint = did_you_mean(pattern, known_envs - {"unknown"})
            compiler.problem(doc, path, f"environment `{pattern}` is not defined in any layer{hint}")
    for rule in rules:
        if rule.approvals and rule.approvals[1] and rule.approvals[1] not in approvers:
            doc, i = rule_at[rule.id]
            group = rule.approvals[1]
            hint = did_you_mean(group, approvers)
            if not hint:
                holding = sorted(g for g, members in approvers.items() if group in (members or ()))
                if holding:
                    hint = f" (`{group}` is a person in {', '.join(f'`{g}`' for g in holding)}: `from:` names a group)"
                elif approvers:
                    hint = f" (groups: {', '.join(f'`{g}`' for g in sorted(approvers))})"
                else:
                    hint = " (the policy defines no `approvers:` groups)"
            compiler.problem(
                doc,
                ("rules", i, "approvals", "from"),
                f"approver group `{rule.approvals[1]}` is not defined{hint}",
            )
    by_id = {r.id: r for r in rules}
    removed: set[str] = set()
    for doc, j, rid in disables:
        target = by_id.get(rid)
        if target is None:
            hint = did_you_mean(rid, by_id)
            compiler.problem(doc, ("disable", j), f"cannot disable `{rid}`: no such rule{hint}")
        elif target.locked:
            compiler.problem(doc, ("disable", j), f"cannot disable `{rid}`: it is locked by the managed policy")
        else:
            removed.add(rid)
    if compiler.problems:
        raise PolicyError(compiler.problems)

    # Order: each layer's own rules before the baselines it extends (more specific rules win ties).
    rules = [_with_protect(r, tuple(protect)) for r in rules if r.id not in removed]
    # -- break_glass (policy/breakglass.py): needs the final rules and approver groups
    from blastdoor.policy.breakglass import compile_break_glass

    break_glass = compile_break_glass(glass_blocks, rules, approvers, compiler.problem)
    if compiler.problems:
        raise PolicyError(compiler.problems)
    # -- end break_glass
    # -- changes (policy/changes.py): the change gate's block
    from blastdoor.policy.changes import compile_changes

    changes = compile_changes(change_blocks, approvers, compiler.problem)
    if compiler.problems:
        raise PolicyError(compiler.problems)
    # -- end changes
    rules.sort(key=lambda r: (_ROLE_ORDER.get(r.layer, 9), r.file.startswith("<builtin:")))
    final = {**DEFAULTS, **settings}
    if final["on_error"] == "allow":  # the schema forbids it; this keeps it true for cached data too
        final["on_error"] = "deny"
    return CompiledPolicy(
        hash=policy_hash(sources),
        default=final["default"],
        unknown=final["unknown"],
        on_error=final["on_error"],
        rules=rules,
        index=build_index(rules),
        environments=environments,
        approvers=approvers,
        sources=[(s.role, s.path, s.sha256) for s in sources],
        tests=tests,
        warnings=[],
        protect=tuple(protect),
        break_glass=break_glass,
        changes=changes,
        identity=compile_identity(identity_blocks),
        limits=tuple(limits),
        denials=denials,
    )


def compile_identity(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``identity:`` of every layer, merged: the union of the environments, the strictest floor."""
    if not blocks:
        return None
    verified: list[str] = []
    floor = ""
    for block in blocks:
        verified.extend(e for e in block["verified"] if e not in verified)
        want = block.get("unverified", "")
        if want and (not floor or SEVERITY[want] > SEVERITY[floor]):
            floor = want
    return {"verified": tuple(verified), "unverified": floor}


def _with_protect(rule: Rule, protect: tuple[str, ...]) -> Rule:
    """The rule with the merged ``protect:`` globs in its ``protected`` conditions."""

    def fill(conds: tuple[Cond, ...]) -> tuple[Cond, ...]:
        return tuple(("protected", c[1], protect) if c[0] == "protected" else c for c in conds)

    rule.conds = fill(rule.conds)
    rule.excepts = tuple(fill(e) for e in rule.excepts)
    return rule


_ROLE_ORDER = {"managed": 0, "project": 1, "user": 2}
