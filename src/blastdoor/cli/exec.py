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
  approve  needs approvals from other people: files the request (or finds the pending one for the
           same command), shows its id and waits with a countdown until it is approved (then runs,
           consuming the approval), denied, cancelled or expired, or --wait runs out
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
    from blastdoor.adapters.runner import open_services
    from blastdoor.pipeline import AUDIT_UNAVAILABLE, decide_and_record
    from blastdoor.policy import load_policy

    argv = list(args.command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise InputError("no command to run", hints=["blastdoor exec -- COMMAND [ARGS...]"])
    action = adapter.argv_action(argv, agent_id=args.agent)
    policy = load_policy(action.cwd)
    services = open_services()
    log = services.log
    try:
        waited = False
        while True:
            cid = adapter.correlation_id()
            _, decision = decide_and_record(
                policy, action, log, cid, approvals=services.approvals, agents=services.agents
            )
            if decision.verdict != "approve" or waited or not decision.request_id:
                break
            print(needs_approval(decision, decision.request_id), file=sys.stderr)
            state = _wait_for(services, decision.request_id, args.wait)
            if state != "approved":
                print(f"blastdoor: request {decision.request_id} is {state}: not run", file=sys.stderr)
                return exits.APPROVE
            waited = True  # decide once more: the identical action now consumes its approval
        verdict = decision.verdict
        if decision.rule == AUDIT_UNAVAILABLE:
            print(why(decision), file=sys.stderr)
            return exits.STORE
        if verdict == "deny":
            print(why(decision), file=sys.stderr)
            return exits.DENY
        if verdict == "approve":
            print(needs_approval(decision, decision.request_id or None), file=sys.stderr)
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
        if decision.request_id:
            print(f"blastdoor: approved by {', '.join(decision.approved_by)}: running", file=sys.stderr)
        code, duration = adapter.run(argv)
        _record(log, cid, code, None, duration)
        return code
    finally:
        services.close()


def _wait_for(services: Any, request_id: str, seconds: float) -> str:
    """Poll the request until it leaves ``pending`` or ``seconds`` pass; its state (or ``timed out``).

    The countdown goes to stderr: rewritten in place on a terminal, one line every 10 s otherwise.
    """
    import time

    deadline = time.monotonic() + max(0.0, seconds)
    tty = sys.stderr.isatty()
    last_line = -1.0
    while True:
        request = services.approvals.get(request_id)
        if request.status != "pending":
            if tty:
                sys.stderr.write("\n")
            return str(request.status)
        left = deadline - time.monotonic()
        if left <= 0:
            if tty:
                sys.stderr.write("\n")
            return "still pending (timed out waiting)"
        votes = f"{len(request.approvers)}/{request.needed} approvals"
        if tty:
            sys.stderr.write(f"\rwaiting for {request_id}: {votes}, {int(left):4d} s left ")
            sys.stderr.flush()
        elif last_line < 0 or last_line - left >= 10:
            print(f"waiting for {request_id}: {votes}, {int(left)} s left", file=sys.stderr)
            last_line = left
        time.sleep(min(0.5, max(left, 0.01)))


def _record(log: Any, cid: str, code: int | None, error: str | None, duration: float) -> None:
    try:
        log.record_outcome(cid, exit_code=code, error=error, duration_ms=round(duration, 3))
    except BlastdoorError as exc:  # the command already ran: say so, keep its exit code
        print(f"blastdoor: the outcome could not be recorded: {exc.message}", file=sys.stderr)
