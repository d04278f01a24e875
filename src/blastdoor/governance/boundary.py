"""The action-boundary statement per tool, generated from the effective policy, and its acknowledgements.

    statement(policy)                  Markdown: per tool, permitted, confirmation, approval, prohibited
    digest_of(text)                    the version of a statement (``sha256:<hex>``)
    acknowledge(log, policy, person)   record that ``person`` acknowledged the current version
    acknowledgements(log, policy)      who acknowledged the version in force (from the log)

The statement is rendered from the compiled policy (every layer merged), so it always matches the policy
that runs; its digest changes whenever the policy does, and acknowledgements name the digest they cover.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blastdoor.audit.log import AuditLog
    from blastdoor.policy.compiled import CompiledPolicy

ACK_KIND = "governance.acknowledged"
_HEADINGS = (
    ("allow", "Permitted"),
    ("ask", "Requires the operator's confirmation"),
    ("approve", "Requires approval by other people"),
    ("deny", "Prohibited"),
)


def _match_text(match: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {json.dumps(v)}" for k, v in sorted(match.items()) if k != "tool") or "anything"


def _cond_text(cond: tuple[Any, ...]) -> str:
    """One compiled condition (``(key, ..., values)``) in words: ``env prod``, ``tool aws, kube``."""
    values = cond[-1]
    if isinstance(values, (tuple, list, set, frozenset)):
        shown = ", ".join(sorted(str(v) for v in values))
    elif isinstance(values, (str, int, float)):
        shown = str(values)
    else:
        shown = "(a pattern)"
    return f"{cond[0]} {shown}"


def _except_text(rule: Any) -> str:
    groups = [" and ".join(_cond_text(c) for c in group) for group in rule.excepts or ()]
    return "; except where " + "; or where ".join(groups) if groups else ""


def _environments(policy: CompiledPolicy) -> list[str]:
    out = []
    for name, definition in sorted(policy.environments.items()):
        own = [f"{k}: {', '.join(map(str, v))}" for k, v in sorted(definition.items()) if not k.startswith("baseline:")]
        base = {k.split(":", 1)[1]: tuple(v) for k, v in definition.items() if k.startswith("baseline:")}
        parts = own[:]
        if base and len(set(base.values())) == 1:
            names = ", ".join(str(v).removeprefix("name:") for v in next(iter(base.values())))
            parts.append(f"by default, {', '.join(sorted(base))} named {names}")
        else:
            parts += [f"by default, {k}: {', '.join(map(str, v))}" for k, v in sorted(base.items())]
        out.append(f"- **{name}**: " + "; ".join(parts))
    return out


def _tools(rule: Any) -> list[str]:
    tool = (rule.source_match or {}).get("tool")
    if isinstance(tool, str):
        return [tool]
    if isinstance(tool, list):
        return [str(t) for t in tool]
    return []


def statement(policy: CompiledPolicy) -> str:
    """The boundary statement as Markdown."""
    by_tool: dict[str, list[Any]] = {}
    for rule in policy.rules:
        for tool in _tools(rule) or ["every tool"]:
            by_tool.setdefault(tool, []).append(rule)
    out = [
        "# Action-boundary statement",
        "",
        f"Generated from the policy in force (`{policy.hash}`). Enforced before each action runs by the",
        "harness hooks, the MCP gateway and `blastdoor exec`; harnesses without the hook are not covered",
        "(`blastdoor coverage` lists the gaps). When several rules match an action, the strictest verdict",
        "wins: deny > approve > ask > allow.",
        "",
        "## Environments in scope",
        "",
    ]
    out += _environments(policy)
    out += ["", f"Anything no rule matches: **{policy.default}**; anything not understood: **{policy.unknown}**.", ""]
    for tool in sorted(by_tool, key=lambda t: (t == "every tool", t)):
        out += [f"## {tool}", ""]
        for verdict, heading in _HEADINGS:
            rules = [r for r in by_tool[tool] if r.verdict == verdict]
            if not rules:
                continue
            out.append(f"### {heading}")
            out.append("")
            for r in rules:
                line = f"- `{r.id}`: {_match_text(r.source_match or {})}{_except_text(r)}"
                if verdict == "approve" and r.approvals:
                    count, group = r.approvals[0], r.approvals[1]  # (count, group, ttl)
                    line += f" (approved by {count} of `{group}`)" if group else f" ({count} approval(s))"
                if r.reason:
                    line += f". {r.reason}"
                out.append(line)
            out.append("")
    return "\n".join(out)


def enforcement(project: str) -> str:
    """How the boundary is enforced on this machine, per harness (``blastdoor coverage``): which have
    blastdoor's hook, the verdicts each enforces as themselves, and the gaps known for each. Not part of
    the versioned statement (it differs between machines), so it is rendered apart."""
    from blastdoor.adapters.coverage import FACTS, report

    out = ["## How it is enforced here", ""]
    out.append("Also enforced for any tool by the MCP gateway (`blastdoor mcp`) and `blastdoor exec`.")
    out.append("")
    out.append("| harness | blastdoor's hook | enforces | the rest is | known gaps |")
    out.append("|---|---|---|---|---|")
    records = report(project)
    for harness, (enforced, others, protocol) in FACTS.items():
        mine = [r for r in records if r["harness"] == harness and r.get("installed")]
        where = ", ".join(f"{r['scope']} ({r['path']})" for r in mine) or "**not installed**"
        gaps = sorted({g for r in mine for g in r.get("gaps", [])} or set(protocol))
        cell = "; ".join(gaps).replace("|", "\\|") or "none known"
        out.append(f"| {harness} | {where} | {', '.join(enforced)} | {others} | {cell} |")
    out.append("")
    return "\n".join(out)


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def acknowledge(log: AuditLog, policy: CompiledPolicy, person: str, *, document: str = "") -> int:
    """Record ``person``'s acknowledgement of the current statement (and usage policy ``document``)."""
    event: dict[str, Any] = {
        "kind": ACK_KIND,
        "by": person,
        "statement": digest_of(statement(policy)),
        "policy_hash": policy.hash,
    }
    if document:
        event["document"] = digest_of(document)
    return log.append(event)


def acknowledgements(log: AuditLog, policy: CompiledPolicy, people: list[str] | None = None) -> dict[str, Any]:
    """Who acknowledged the statement in force (and, given ``people``, who has not)."""
    from blastdoor.audit.log import Query

    version = digest_of(statement(policy))
    done: dict[str, str] = {}
    older: set[str] = set()
    for entry in log.search(Query(kind=ACK_KIND, limit=100_000), newest_first=False):
        ev = entry["event"]
        who = str(ev.get("by", ""))
        if ev.get("statement") == version:
            done.setdefault(who, str(entry["time"]))
        else:
            older.add(who)
    out: dict[str, Any] = {
        "version": version,
        "acknowledged": [{"by": k, "time": v} for k, v in sorted(done.items())],
        "only_older_versions": sorted(older - set(done)),
    }
    if people is not None:
        out["not_acknowledged"] = sorted(set(people) - set(done))
    return out
