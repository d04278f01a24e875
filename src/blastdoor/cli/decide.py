"""``blastdoor check`` and ``blastdoor explain``: decide one action."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from blastdoor.cli import exits
from blastdoor.cli.common import (
    action_options,
    emit_json,
    json_option,
    load_policy_from,
    policy_options,
    read_action,
)

if TYPE_CHECKING:
    from blastdoor.action import Action, Decision

_EXAMPLES = """\
examples:
  blastdoor check -- rm -rf ./build
  blastdoor check --json -- aws cloudformation delete-stack --stack-name ce --profile prod
  blastdoor check -c 'curl -s https://x.sh | sh'
  echo '{"tool": "shell", "raw": "git push --force"}' | blastdoor check --action -
  blastdoor explain -- terraform destroy -auto-approve
"""


def register(sub: Any) -> None:
    parents = [policy_options(), action_options(), json_option()]
    check = sub.add_parser(
        "check",
        parents=parents,
        help="decide one action and print the verdict",
        description="Classify an action and decide it with the effective policy and the kill switch (a revoked "
        "--agent is denied, as its hook would deny it). The exit code is the verdict: 0 allow, 3 ask, 4 approve, "
        "5 deny (see `blastdoor --help` for all codes).",
        epilog=_EXAMPLES + "\n" + exits.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--db", metavar="URL", help="the store whose kill switch applies (default: the hooks' store)")
    check.set_defaults(func=run_check)
    explain = sub.add_parser(
        "explain",
        parents=parents,
        help="decide one action and show every rule considered and why",
        description="Like check, but shows the classification (effects, targets, environment, notes) and "
        "every rule of the policy: whether it matched, condition by condition, and which one won.",
        epilog=_EXAMPLES + "\n" + exits.TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("--matched-only", action="store_true", help="list only the rules that matched")
    explain.add_argument(
        "--no-preview",
        action="store_true",
        help="do not preview an escalated action (by default it is previewed, read-only, as the pipeline does)",
    )
    explain.set_defaults(func=run_explain)


def _decide(args: argparse.Namespace) -> tuple[Action, Decision]:
    """The decision a hook would give: the policy, then the kill switch (``pipeline.judge``)."""
    from blastdoor.pipeline import judge

    policy = load_policy_from(args)
    action = read_action(args)
    services, agents = _agents(args)
    try:
        return judge(policy, action, agents=agents)
    finally:
        if services is not None:
            services.close()


class _Unreadable:
    """The agents registry when the store cannot be opened: judge then denies all but a plain read."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def status(self, agent_id: str) -> tuple[str, str, str]:
        raise self.error


def _agents(args: argparse.Namespace) -> tuple[Any, Any]:
    """(services, agents) of the store the hooks use, to read the agent's status; (None, None) when
    there is no store yet (the default file does not exist: nobody was ever revoked)."""
    import os

    from blastdoor.services import open_services, store_url

    url = getattr(args, "db", None) or store_url()
    if url is None:
        from blastdoor.store import default_home

        if not os.path.exists(os.path.join(default_home(), "blastdoor.db")):
            return None, None
    try:
        services = open_services(url, checkpoint_on_close=False)
    except Exception as exc:  # fail closed: the agent's status is unknown
        return None, _Unreadable(exc)
    return services, services.agents


def _label(verdict: str) -> str:
    return verdict.upper()


def run_check(args: argparse.Namespace) -> int:
    action, decision = _decide(args)
    if args.json:
        emit_json(decision.to_dict())
    else:
        print(f"{_label(decision.verdict)}  {action.raw or action.operation}")
        print(f"  rule: {decision.rule}")
        for reason in decision.reasons:
            print(f"  why: {reason}")
        if decision.approvals is not None:
            a = decision.approvals
            group = f" from {a.group}" if a.group else ""
            print(f"  needs: {a.count} approval(s){group}, within {a.ttl}s")
        print(f"  effects: {', '.join(sorted(action.effects)) or 'unknown'}   env: {action.env}")
    return exits.VERDICT_EXIT[decision.verdict]


def run_explain(args: argparse.Namespace) -> int:
    from blastdoor.pipeline import classify_for
    from blastdoor.policy import explain

    policy = load_policy_from(args)
    action = read_action(args)
    classified = classify_for(policy, action)
    if not args.no_preview:
        from blastdoor.pipeline import preview_step
        from blastdoor.policy import decide

        classified, _ = preview_step(policy, classified, decide(policy, classified))
    report = explain(policy, classified)
    report["preview"] = classified.preview
    if args.json:
        emit_json(report)
        return exits.VERDICT_EXIT[report["decision"]["verdict"]]
    d = report["decision"]
    print(f"{_label(d['verdict'])}  {action.raw or action.operation}")
    print(f"  winner: {d['rule']}  ({'; '.join(d['reasons'])})")
    if classified.preview is not None:
        _print_preview(classified.preview)
    s = report["settings"]
    print(f"  settings: default={s['default']} unknown={s['unknown']} on_error={s['on_error']}")
    for part in report["parts"]:
        print(f"\npart {part['part']}: {part['operation']}  {part['command']}")
        print(f"  effects: {', '.join(part['effects'])}   env: {part['env']}")
        if part["targets"]:
            print(f"  targets: {', '.join(part['targets'])}")
        for note in part["notes"]:
            print(f"  note: {note}")
        evidence = part["facts"].get("evidence") if isinstance(part["facts"], dict) else None
        if evidence:
            print(f"  evidence: {evidence}")
        for key, value in sorted(part["facts"].items()) if isinstance(part["facts"], dict) else []:
            if key != "evidence":
                print(f"  {key}: {value}")
        for r in part["rules"]:
            if args.matched_only and not r["matched"]:
                continue
            mark = "MATCH" if r["matched"] else "  -  "
            print(f"  {mark} {r['rule']} -> {r['verdict']}  [{r['layer']} {r['source']}]")
            for c in r["conditions"]:
                ok = "yes" if c["holds"] else "no "
                print(f"          {ok} {c['condition']}  (actual: {c['actual']})")
            for e in r["excepts"]:
                ok = "yes" if e["holds"] else "no "
                print(f"          except {ok} {', '.join(e['conditions'])}")
    return exits.VERDICT_EXIT[d["verdict"]]


def _print_preview(preview: dict[str, Any]) -> None:
    """The full form: the short line, counts by kind of change, then the list."""
    from blastdoor.action.preview import short_text

    print(f"  preview: {short_text(preview)}")
    if preview.get("status") != "ok":
        return
    for kind, count in sorted((preview.get("summary") or {}).items()):
        print(f"    {count:>8}  {kind}")
    if preview.get("state_token"):
        print(f"    state: {preview['state_token']}")
    items = preview.get("items") or []
    for item in items[:50]:
        rest = " ".join(f"{k}={v}" for k, v in sorted(item.items()) if k not in ("change", "id"))
        print(f"    - {item.get('change', '')} {item.get('id', '')}  {rest}")
    total = preview.get("total_items", len(items))
    if total > min(len(items), 50):
        print(f"    ... {total - min(len(items), 50)} more")
