"""``blastdoor exec -- COMMAND...``: decide a command, then run it (or not), and record what happened."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from blastdoor.cli import exits
from blastdoor.errors import BlastdoorError, InputError

_DESCRIPTION = """\
The boundary for any agent, script or CI job that has no hook protocol: decide COMMAND (judged as the
shell line shlex.join(COMMAND)) with the effective policy, record the decision in the audit log, and then:

  allow    run it with the same argv (no shell, no re-quoting), forward SIGINT/SIGTERM/SIGHUP to it,
           exit with its exit code (128+N if signal N killed it), and record the outcome
  ask      ask on the terminal (/dev/tty); refuse when there is no terminal
  approve  needs approvals from other people: refused for now (approvals are not yet available in
           this setup); with the approvals service it will file the request and wait (--wait)
  deny     refuse without running anything

If the decision cannot be recorded, only a plain read runs (fail closed)."""

_EXAMPLES = """\
examples:
  blastdoor exec -- ls -la
  blastdoor exec --agent ci-deploy -- terraform apply plan.out
  blastdoor exec --wait 600 -- aws cloudformation delete-stack --stack-name ce --profile prod

exit codes:
  the command's own exit code when it ran (128+N when signal N killed it; 127 not found, 126 not runnable)
  3   ask refused (no terminal, or the answer was no)
  4   approval needed and not given
  5   denied (nothing ran)
  6   invalid or unreadable policy      8  the audit log cannot be written"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "exec",
        help="decide a command and run it if allowed",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--agent", metavar="ID", default="", help="the agent id to record (default: exec:USER@HOST)")
    p.add_argument(
        "--wait", metavar="SECONDS", type=float, default=300.0, help="how long to wait for approvals (default 300)"
    )
    p.add_argument("--yes", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("command", nargs=argparse.REMAINDER, help="the command and its arguments, after --")
    p.set_defaults(func=run_exec)


def _confirm(prompt: str) -> bool | None:
    """The operator's answer on the terminal, or None when there is no terminal."""
    try:
        tty = open("/dev/tty", "r+", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        return None
    with tty:
        tty.write(prompt)
        tty.flush()
        answer = tty.readline().strip().lower()
    return answer in ("y", "yes")


def run_exec(args: argparse.Namespace) -> int:
    from blastdoor.adapters import exec as adapter
    from blastdoor.adapters._base import needs_approval, why
    from blastdoor.adapters.runner import open_audit_log, request_approval
    from blastdoor.pipeline import AUDIT_UNAVAILABLE, decide_and_record
    from blastdoor.policy import load_policy

    argv = list(args.command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise InputError("no command to run", hints=["blastdoor exec -- COMMAND [ARGS...]"])
    action = adapter.argv_action(argv, agent_id=args.agent)
    policy = load_policy(action.cwd)
    log = open_audit_log()
    try:
        cid = adapter.correlation_id()
        classified, decision = decide_and_record(policy, action, log, cid)
        verdict = decision.verdict
        if decision.rule == AUDIT_UNAVAILABLE:
            print(why(decision), file=sys.stderr)
            return exits.STORE
        if verdict == "deny":
            print(why(decision), file=sys.stderr)
            return exits.DENY
        if verdict == "approve":
            # Seam (issue 5): file the request, then wait up to --wait seconds with a visible countdown.
            request_id = request_approval(classified, decision)
            print(needs_approval(decision, request_id), file=sys.stderr)
            return exits.APPROVE
        if verdict == "ask":
            print(why(decision), file=sys.stderr)
            answer = True if args.yes else _confirm(f"run `{action.raw}`? [y/N] ")
            if answer is None:
                print("blastdoor: no terminal to ask on: refused", file=sys.stderr)
                return exits.ASK
            if not answer:
                print("blastdoor: not confirmed: refused", file=sys.stderr)
                _record(log, cid, None, "not confirmed by the operator", 0.0)
                return exits.ASK
        code, duration = adapter.run(argv)
        _record(log, cid, code, None, duration)
        return code
    finally:
        log.close()


def _record(log: Any, cid: str, code: int | None, error: str | None, duration: float) -> None:
    try:
        log.record_outcome(cid, exit_code=code, error=error, duration_ms=round(duration, 3))
    except BlastdoorError as exc:  # the command already ran: say so, keep its exit code
        print(f"blastdoor: the outcome could not be recorded: {exc.message}", file=sys.stderr)
