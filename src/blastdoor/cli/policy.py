"""``blastdoor policy show|validate|schema``, ``blastdoor test`` and ``blastdoor init``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blastdoor.cli import exits
from blastdoor.cli.common import emit_json, json_option, load_policy_from, policy_options
from blastdoor.errors import PolicyError, UsageError

if TYPE_CHECKING:
    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.policy.testing import Case

STARTER = Path(__file__).resolve().parent.parent / "policy" / "starter.yaml"


def register(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    pol = sub.add_parser(
        "policy",
        help="show, validate or print the schema of the policy",
        description="Inspect the effective policy: the managed, project and user layers merged.",
        formatter_class=fmt,
    )
    psub = pol.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    show = psub.add_parser(
        "show",
        parents=[policy_options(), json_option()],
        help="the merged, effective policy with each rule's source layer",
        description="Print the effective policy: settings, environments, approvers and every rule with the "
        "layer and file it comes from. Managed rules are marked locked.",
    )
    show.set_defaults(func=run_show)
    validate = psub.add_parser(
        "validate",
        parents=[policy_options(), json_option()],
        help="check policy files against the schema and the rules of the language",
        description="Validate FILES (or, with none, every layer that applies here). Problems are printed "
        "as file:line:column: message. Exit 0 when valid, 6 when not.",
        epilog="examples:\n  blastdoor policy validate\n  blastdoor policy validate blastdoor.yaml --json",
        formatter_class=fmt,
    )
    validate.add_argument("files", nargs="*", metavar="FILE")
    validate.set_defaults(func=run_validate)
    schema = psub.add_parser("schema", help="print the policy JSON Schema", description="Print the JSON Schema.")
    schema.set_defaults(func=run_schema)
    _register_replay(psub, fmt)

    test = sub.add_parser(
        "test",
        parents=[policy_options(), json_option()],
        help="run the tests: blocks of policy files and tests/policy/*.yaml",
        description="Run policy tests like unit tests. With FILES, each policy file is compiled on its own "
        "and its tests: block run; a file holding only tests: runs against the effective policy. Without FILES, "
        "the tests of the effective policy's files and of tests/policy/*.yaml next to the project file run. "
        "Exit 0 when every case passes, 1 otherwise.",
        epilog=(
            "examples:\n"
            "  blastdoor test                              the project's tests (and tests/policy/*.yaml beside it)\n"
            "  blastdoor test --baseline                   also each baseline's own tests, judged by it alone\n"
            "  blastdoor test blastdoor.yaml --json        one file's tests, as JSON for CI"
        ),
        formatter_class=fmt,
    )
    test.add_argument("files", nargs="*", metavar="FILE")
    test.add_argument(
        "--baseline", action="store_true", help="also run the built-in baselines' own tests (each judged by it alone)"
    )
    test.set_defaults(func=run_test)

    init = sub.add_parser(
        "init",
        help="write a commented starter blastdoor.yaml",
        description="Write a starter policy (extends the recommended baseline, with examples of "
        "environments, approvers, rules and tests) that passes `blastdoor test`.",
    )
    init.add_argument("path", nargs="?", default="blastdoor.yaml", help="where to write (default: blastdoor.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=run_init)


def run_show(args: argparse.Namespace) -> int:
    policy = load_policy_from(args)
    data: dict[str, Any] = {
        "hash": policy.hash,
        "settings": {"default": policy.default, "unknown": policy.unknown, "on_error": policy.on_error},
        "sources": [{"layer": r, "path": p, "sha256": h} for r, p, h in policy.sources],
        "environments": policy.environments,
        "approvers": policy.approvers,
        "rules": [
            {
                "id": r.id,
                "verdict": r.verdict,
                "layer": r.layer,
                "locked": r.locked,
                "source": f"{r.file}:{r.line}",
                "match": r.source_match,
                "approvals": (
                    {"count": r.approvals[0], "from": r.approvals[1], "ttl": r.approvals[2]} if r.approvals else None
                ),
                "reason": r.reason,
            }
            for r in policy.rules
        ],
        "break_glass": policy.break_glass,
    }
    if args.json:
        emit_json(data)
        return exits.OK
    print(f"policy {policy.hash}")
    for s in data["sources"]:
        print(f"  layer {s['layer']:<8} {s['path']}")
    print(f"settings: default={policy.default} unknown={policy.unknown} on_error={policy.on_error}")
    for name, spec in policy.environments.items():
        print(f"environment {name}: " + "; ".join(f"{k}={v}" for k, v in spec.items()))
    for group, people in policy.approvers.items():
        print(f"approvers {group}: {', '.join(people)}")
    if policy.break_glass:
        bg = policy.break_glass
        print(
            f"break_glass: {bg['count']} from {bg['from']}, at most {bg['max_ttl']} s, "
            f"may override: {', '.join(bg['rules'])} [{bg['layer']}]"
        )
    print(f"{len(policy.rules)} rules:")
    for rule in data["rules"]:
        lock = " locked" if rule["locked"] else ""
        print(f"  {rule['id']:<36} {rule['verdict']:<8} [{rule['layer']}{lock}] {rule['source']}")
    return exits.OK


def run_validate(args: argparse.Namespace) -> int:
    from blastdoor.policy import compile_files

    try:
        if args.files:
            policy = compile_files(args.files)
        else:
            args.no_cache = True
            policy = load_policy_from(args)
    except PolicyError as exc:
        if args.json:
            emit_json(
                {
                    "valid": False,
                    "problems": [
                        {"file": loc.file, "line": loc.line, "column": loc.column, "message": msg}
                        for loc, msg in exc.problems
                    ],
                }
            )
        else:
            print(exc.diagnostics(), file=sys.stderr)
        return exits.POLICY
    if args.json:
        emit_json({"valid": True, "hash": policy.hash, "rules": len(policy.rules), "sources": policy.sources})
    else:
        files = ", ".join(p for _, p, _ in policy.sources)
        print(f"valid: {len(policy.rules)} rules from {files}")
    return exits.OK


def run_schema(args: argparse.Namespace) -> int:
    from blastdoor.policy.schema import SCHEMA_PATH

    sys.stdout.write(SCHEMA_PATH.read_text(encoding="utf-8"))
    return exits.OK


def _cases_for(args: argparse.Namespace) -> list[tuple[CompiledPolicy, list[Case]]]:
    from blastdoor.policy import compile_files
    from blastdoor.policy.syntax import text_to_document
    from blastdoor.policy.testing import Case

    def only_tests(path: str) -> list[Case] | None:
        text = Path(path).read_text(encoding="utf-8")
        doc = text_to_document(text, path)
        if not isinstance(doc.data, dict) or set(doc.data) - {"tests"}:
            return None
        tests = doc.data.get("tests") or []
        if not isinstance(tests, list):
            raise PolicyError([(doc.where(("tests",)), "`tests` must be a list")])
        cases = []
        for i, t in enumerate(tests):
            if not isinstance(t, dict) or "action" not in t or "expect" not in t:
                raise PolicyError([(doc.where(("tests", i)), "a test needs `action` and `expect`")])
            cases.append(Case(path, doc.where(("tests", i)).line, t))
        return cases

    groups: list[tuple[CompiledPolicy, list[Case]]] = []
    if args.files:
        effective: CompiledPolicy | None = None
        for path in args.files:
            if not os.path.isfile(path):
                raise UsageError(f"no such file: {path}")
            standalone = only_tests(path)
            if standalone is not None:
                effective = effective or load_policy_from(args)
                groups.append((effective, standalone))
                continue
            policy = compile_files([path])
            groups.append((policy, [Case(f, line, t) for f, line, t in policy.tests if not f.startswith("<")]))
        return groups
    policy = load_policy_from(args)
    cases = [Case(f, line, t) for f, line, t in policy.tests if not f.startswith("<")]
    roots = {os.path.dirname(p) for role, p, _ in policy.sources if role == "project" and not p.startswith("<")}
    for root in sorted(roots) or [args.cwd or os.getcwd()]:
        for extra in sorted(Path(root, "tests", "policy").glob("*.yaml")):
            cases.extend(only_tests(str(extra)) or [])
    groups.append((policy, cases))
    if args.baseline:
        groups.extend(_baseline_groups(policy))
    return groups


def _baseline_groups(policy: CompiledPolicy) -> list[tuple[CompiledPolicy, list[Case]]]:
    """Each baseline's own tests, judged by that baseline alone.

    A baseline's tests state what the baseline does; a team's rules may rightly make the same action
    stricter (or looser), so judging them under the team's whole policy would fail a policy for doing its
    job. The team's own tests are where the combined behaviour is stated."""
    from blastdoor.policy.compile import compile_sources
    from blastdoor.policy.layers import FALLBACK_POLICY, Source
    from blastdoor.policy.testing import Case

    names = sorted({f[len("<builtin:") : -1] for f, _, _ in policy.tests if f.startswith("<builtin:")})
    groups = []
    for name in names:
        text = FALLBACK_POLICY.replace("extends: [recommended]", f"extends: [{name}]")
        alone = compile_sources([Source("project", f"<baseline {name} alone>", text)])
        groups.append((alone, [Case(f, line, t) for f, line, t in alone.tests if f == f"<builtin:{name}>"]))
    return groups


def run_test(args: argparse.Namespace) -> int:
    from blastdoor.action.shorthand import action_from_spec
    from blastdoor.pipeline import evaluate

    results: list[Any] = []
    for policy, cases in _cases_for(args):

        def decide_one(action: Any, policy: CompiledPolicy = policy) -> Any:
            return evaluate(policy, action)[1]

        results.extend(c for c in _run(cases, action_from_spec, decide_one))
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.json:
        emit_json({"passed": passed, "failed": failed, "results": [r.to_dict() for r in results]})
    else:
        for r in results:
            where = f"{r.case.file}:{r.case.line}"
            if r.passed:
                print(f"PASS  {where}  {r.case.name}  -> {r.got}")
            elif r.error:
                print(f"FAIL  {where}  {r.case.name}  {r.error}")
            else:
                want = r.case.expect + (f" by {r.case.rule}" if r.case.rule else "")
                print(f"FAIL  {where}  {r.case.name}  expected {want}, got {r.got} by {r.got_rule}")
        print(f"{passed} passed, {failed} failed")
    if not results:
        print("no policy tests found", file=sys.stderr)
    return exits.OK if failed == 0 else exits.FAILED


def _run(cases: list[Case], to_action: Any, evaluate: Any) -> list[Any]:
    from blastdoor.policy.testing import run_cases

    return run_cases(cases, to_action, evaluate)


REPLAY_DESCRIPTION = """\
Re-decide the actions recorded in the audit log under a candidate policy and report what would have
changed: newly denied, newly allowed, escalations and de-escalations (deny > approve > ask > allow),
per rule, with example actions. The candidate is the effective policy here, or the layers given with
--policy/--managed-policy/--user-policy (with none, the active policy: "what changed since these
were decided").

By default each recorded request is classified again (the classifier may have improved since);
--recorded-facts judges the effects, targets and environment recorded at the time instead. Events
whose action cannot be rebuilt, or whose verdict was not the policy's (a revoked agent), are counted
as unreplayable with the reason. Nothing is written. The JSON form is documented in docs/REPLAY.md."""

REPLAY_EPILOG = """\
examples:
  blastdoor policy replay --since 7d
  cp blastdoor.yaml candidate.yaml
  blastdoor policy replay --policy candidate.yaml --since 7d --fail-on newly-allowed
  blastdoor policy replay --since 2026-01-01 --until 2026-01-08 --agent ci-bot --json
  blastdoor policy replay --recorded-facts --limit 10000 --db "$BLASTDOOR_HOME/blastdoor.db"

exit codes: 0 no --fail-on condition held, 1 one did, 2 usage, 6 invalid policy, 8 store unavailable."""


def _register_replay(psub: Any, fmt: Any) -> None:
    from blastdoor.replay import FAIL_ON

    replay = psub.add_parser(
        "replay",
        parents=[policy_options(), json_option()],
        help="re-decide recorded actions under a candidate policy and show what would change",
        description=REPLAY_DESCRIPTION,
        epilog=REPLAY_EPILOG,
        formatter_class=fmt,
    )
    g = replay.add_argument_group("which recorded decisions")
    g.add_argument("--db", metavar="URL", help="the store (default: $BLASTDOOR_DB, else $BLASTDOOR_HOME/blastdoor.db)")
    g.add_argument("--since", default="7d", help="from this time on: RFC 3339, a date or an age (default 7d)")
    g.add_argument("--until", default="", help="before this time")
    g.add_argument("--agent", default="", help="only this agent's decisions")
    g.add_argument("--limit", type=int, default=None, help="at most this many decisions, newest first")
    replay.add_argument(
        "--recorded-facts", action="store_true", help="judge the recorded facts instead of classifying again"
    )
    replay.add_argument(
        "--fail-on",
        action="append",
        default=[],
        choices=list(FAIL_ON),
        help="exit 1 when such a change is found (repeatable)",
    )
    replay.add_argument("--examples", type=int, default=3, metavar="N", help="example actions per rule (default 3)")
    replay.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    from blastdoor.audit.events import parse_when
    from blastdoor.errors import InputError
    from blastdoor.replay import Window, count_decisions, replay
    from blastdoor.services import open_services

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    try:
        window = Window(since=parse_when(args.since), until=parse_when(args.until), agent=args.agent, limit=args.limit)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    policy = load_policy_from(args)
    with open_services(args.db or None, checkpoint_on_close=False) as services:
        bar = _Progress(count_decisions(services.log, window)) if sys.stderr.isatty() else None
        report = replay(
            services.log,
            policy,
            window,
            recorded_facts=args.recorded_facts,
            examples=args.examples,
            progress=bar.update if bar is not None else None,
        )
        if bar is not None:
            bar.done()
    failed = report.failures(args.fail_on)
    if args.json:
        emit_json(report.to_dict(args.fail_on))
    else:
        _print_replay(report, failed)
    return exits.FAILED if failed else exits.OK


class _Progress:
    """A one-line progress bar on standard error (only when it is a terminal)."""

    def __init__(self, total: int | None) -> None:
        self.total = total

    def update(self, n: int) -> None:
        if self.total:
            width = 30
            filled = int(width * min(n, self.total) / self.total)
            sys.stderr.write(f"\rreplaying [{'#' * filled}{'.' * (width - filled)}] {n}/{self.total}")
        else:
            sys.stderr.write(f"\rreplaying {n} decisions")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _print_replay(report: Any, failed: list[str]) -> None:
    data = report.to_dict()
    ev, ch = data["events"], data["changes"]
    how = (
        "each recorded request classified again"
        if data["mode"] == "reclassify"
        else "the facts recorded at the time (not classified again)"
    )
    print(f"replayed {ev['replayed']} of {ev['read']} recorded decisions under policy {data['policy']['hash']}")
    print(f"  how: {how}")
    if ev["env_from_record"]:
        print(f"  {ev['env_from_record']} kept the environment recorded at the time (its evidence is not in the log)")
    print(
        f"  {ev['unchanged']} unchanged, {ev['changed']} changed: {ch['newly_denied']} newly denied, "
        f"{ch['newly_allowed']} newly allowed, {ch['escalations']} escalations, "
        f"{ch['de_escalations']} de-escalations, {ch['rule_only']} decided by another rule"
    )
    for group in data["rules"]:
        print(f"\n{group['kind']:<14} {group['from']} -> {group['to']}  rule {group['rule']}  ({group['count']})")
        for e in group["examples"]:
            command = e["command"] if len(e["command"]) <= 100 else e["command"][:97] + "..."
            print(f"    #{e['seq']} {e['time']} {e['agent_id']} [{e['env']}] {command or e['operation']}")
    if data["unreplayable"]:
        print(f"\n{ev['unreplayable']} recorded decisions could not be replayed:")
        for item in data["unreplayable"]:
            seqs = ", ".join(f"#{s}" for s in item["examples"])
            print(f"    {item['count']:>6}  {item['reason']}  (e.g. {seqs})")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)


def run_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    target.write_text(STARTER.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {target}; run `blastdoor test` to check it")
    return exits.OK
