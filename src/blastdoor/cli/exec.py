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
    from blastdoor.action.wording import needs_approval, why
    from blastdoor.adapters import exec as adapter
    from blastdoor.hook.runner import open_services
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


def _span(seconds: float) -> str:
    """``1h 02m``, ``4m 05s``, ``9s``: a countdown people read at a glance."""
    s = max(0, int(seconds))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"


def inbox_url(request_id: str) -> str:
    """The request's page in the web inbox (``BLASTDOOR_PUBLIC_URL``, else the server's default address)."""
    from blastdoor.server.config import ServerConfig

    try:
        base = ServerConfig.load().public_url
    except BlastdoorError:  # a broken server setting must not stop the wait: the CLI works without it
        base = "http://127.0.0.1:8787"
    return f"{base}/requests/{request_id}"


def waiting_header(request: Any, seconds: float, now: float) -> str:
    """What ``exec`` waits for, said once before the countdown: the command, who must approve and how."""
    who = f"{request.needed} approval{'s' if request.needed != 1 else ''}"
    if request.group:
        who += f" from `{request.group}`"
    if request.eligible:
        who += f" ({', '.join(request.eligible)})"
    rid = request.id
    return "\n".join(
        [
            f"blastdoor: `{request.command}` needs {who} before it runs (rule `{request.rule}`: "
            f"{(request.reason or 'the policy asks for approval').rstrip('. ')}).",
            f"  request  {rid}",
            f"  approve  blastdoor approvals approve {rid}    or open {inbox_url(rid)}",
            (
                f"  waiting  up to {_span(seconds)} (--wait); the request expires in {_span(request.expires - now)}"
                if seconds > 0
                else f"  waiting  no (--wait 0): run the same command again once it is approved, within "
                f"{_span(request.expires - now)}"
            ),
        ]
    )


def progress_line(request: Any, wait_left: float, now: float) -> str:
    """One line of the countdown: approvals so far of how many, and both clocks."""
    got = request.approvers
    votes = f"{len(got)} of {request.needed} approvals" + (f" ({', '.join(got)})" if got else "")
    return (
        f"waiting for approval of {request.id}: {votes}; request expires in {_span(request.expires - now)}; "
        f"giving up in {_span(wait_left)}"
    )


def _wait_for(services: Any, request_id: str, seconds: float) -> str:
    """Poll the request until it leaves ``pending`` or ``seconds`` pass; its state (or ``timed out``).

    A header says what is awaited; the countdown goes to stderr: rewritten in place on a terminal,
    one line every 10 s (and at each new vote) otherwise.
    """
    import time

    deadline = time.monotonic() + max(0.0, seconds)
    tty = sys.stderr.isatty()
    last_line = -1.0
    last_votes = -1
    request = services.approvals.get(request_id)
    print(waiting_header(request, seconds, time.time()), file=sys.stderr, flush=True)
    while True:
        if request.status != "pending":
            if tty:
                sys.stderr.write("\n")
            return str(request.status)
        left = deadline - time.monotonic()
        if left <= 0:
            if tty:
                sys.stderr.write("\n")
            return "still pending (timed out waiting)" if seconds > 0 else "still pending"
        line = progress_line(request, left, time.time())
        if tty:
            sys.stderr.write("\r" + line + " ")
            sys.stderr.flush()
        elif last_line < 0 or last_line - left >= 10 or len(request.votes) != last_votes:
            print(line, file=sys.stderr, flush=True)
            last_line = left
            last_votes = len(request.votes)
        time.sleep(min(0.5, max(left, 0.01)))
        request = services.approvals.get(request_id)


def _record(log: Any, cid: str, code: int | None, error: str | None, duration: float) -> None:
    try:
        log.record_outcome(cid, exit_code=code, error=error, duration_ms=round(duration, 3))
    except BlastdoorError as exc:  # the command already ran: say so, keep its exit code
        print(f"blastdoor: the outcome could not be recorded: {exc.message}", file=sys.stderr)
