"""``blastdoor review``: the change gate. Who wrote each commit of a range, what it needs, sign-offs."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.common import acting_person, emit_json, open_services_from, policy_options, store_options
from blastdoor.errors import UsageError

DESCRIPTION = """\
The change gate: AI-authored commits get the review and sign-off human ones get, enforced.

For each commit of RANGE (git rev-list syntax, e.g. origin/main..HEAD) it decides whether an agent
wrote it and names the evidence (blastdoor's audit log, the agent tools' trailers, bot identities),
then what it needs under the policy's `changes:` block: nothing, N reviews, sign-off from a group, or
deny (an agent editing its own guard). A commit passes once an approved review names its exact id.

--request files the range's open commits as one review request in the inbox; people sign it off with
--signoff ID (or the web inbox, or the API). Never the commit's author, nor the person an agent acted
for. --pre-receive reads a git pre-receive hook's stdin and refuses any push with a commit that does
not pass. See docs/CHANGE-GATE.md."""

EPILOG = """\
examples:
  blastdoor review origin/main..HEAD                  text report; exit 0, 4 or 5
  blastdoor review origin/main..HEAD --format json    machine output (also sarif, markdown)
  blastdoor review origin/main..HEAD --request        file a review request for what still needs one
  blastdoor review --list                             pending review requests
  blastdoor review --signoff chg_3f2a9c1b7d4e -m "read every hunk"
  blastdoor review --pre-receive                      as a git pre-receive hook (stdin: old new ref)
  blastdoor review --pre-push                         as a git pre-push hook
  blastdoor review --stats 30d                        AI share, enhanced reviews, median wait, per group

exit codes: 0 every commit passes, 4 a commit still needs review or sign-off, 5 a commit is denied,
1 a sign-off refused (own commit, not in the group, closed), 2 usage, 6 policy invalid,
7 bad range or no such request, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "review",
        help="the change gate: provenance, classification and sign-off of commits",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[policy_options(), store_options()],
    )
    p.add_argument("range", nargs="*", metavar="RANGE", help="the commits, git rev-list syntax")
    p.add_argument("--repo", metavar="DIR", help="the repository (default: the current directory)")
    p.add_argument("--format", choices=("text", "json", "sarif", "markdown"), default="text")
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument("--request", action="store_true", help="file a review request for the open commits")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="pending review requests")
    mode.add_argument("--show", metavar="ID", help="one review request")
    mode.add_argument("--signoff", metavar="ID", help="sign off a review request as you (your API token)")
    mode.add_argument("--reject", metavar="ID", help="reject a review request (final)")
    mode.add_argument("--pre-receive", action="store_true", help="run as a git pre-receive hook")
    mode.add_argument("--pre-push", action="store_true", help="run as a git pre-push hook (local use)")
    mode.add_argument("--stats", metavar="PERIOD", help="the reviewers' load over PERIOD (24h, 7d, 2w) of HEAD")
    p.add_argument("-m", "--comment", default="", help="why (recorded in the audit log)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format
    if args.list or args.show:
        return _requests(args, fmt)
    if args.signoff or args.reject:
        return _vote(args, fmt)
    repo = os.path.abspath(args.repo or os.getcwd())
    if args.stats:
        return _stats(args, repo, fmt)
    if args.pre_receive or args.pre_push:
        return _pre_receive(args, repo, push=args.pre_push)
    if not args.range:
        raise UsageError("give a RANGE (e.g. origin/main..HEAD), or --list, --signoff ID, --pre-receive")
    report = _review(args, repo, list(args.range))
    request = None
    if args.request and report.open():
        request = _file(args, report)
    _render(report, fmt, request)
    return _exit(report.verdict)


def _review(args: argparse.Namespace, repo: str, revs: list[str]) -> Any:
    from blastdoor.cli.common import load_policy_from
    from blastdoor.review.gate import review_range
    from blastdoor.review.signoff import SignOffs

    if not args.cwd:
        args.cwd = repo
    policy = load_policy_from(args)
    with open_services_from(args) as services:
        return review_range(repo, revs, policy, log=services.log, signoffs=SignOffs(services.store, services.log))


def _file(args: argparse.Namespace, report: Any) -> Any:
    from blastdoor.cli.common import load_policy_from
    from blastdoor.review.rules import merge_needs
    from blastdoor.review.signoff import SignOffs

    policy = load_policy_from(args)
    open_commits = report.open()
    excluded = [e for c in open_commits for e in c.excluded()]
    with open_services_from(args) as services:
        return SignOffs(services.store, services.log).request(
            [c.commit.id for c in open_commits],
            merge_needs(c.need for c in open_commits),
            excluded=excluded,
            eligible=policy.approvers,
            repo=report.repo,
            range_text=report.range_text,
            detail={"commits": [c.to_dict() for c in open_commits]},
        )


def _pre_receive(args: argparse.Namespace, repo: str, *, push: bool = False) -> int:
    """stdin: ``old new ref`` per line (pre-receive) or ``local-ref local-sha remote-ref remote-sha``
    (pre-push); every commit the push adds must pass, or the whole push is refused."""
    from blastdoor.review.git import ZERO

    worst = exits.OK
    for line in sys.stdin.read().splitlines():
        parts = line.split()
        if len(parts) != (4 if push else 3):
            if parts:
                raise UsageError(f"unexpected hook input line `{line}`")
            continue
        if push:
            _, new, ref, old = parts
            # A new branch: what the remote does not have yet, as far as this clone knows.
            revs = [new, "--not", "--remotes"] if old == ZERO else [f"{old}..{new}"]
        else:
            old, new, ref = parts
            revs = [new, "--not", "--all"] if old == ZERO else [f"{old}..{new}"]
        if new == ZERO:
            continue  # a deletion adds no commit
        report = _review(args, repo, revs)
        for c in report.commits:
            if c.status != "pass":
                why = "; ".join(r["reason"] for r in c.need.reasons if r.get("verdict") in ("deny", "signoff"))
                what = "denied" if c.status == "deny" else "needs review/sign-off"
                print(f"blastdoor: {ref}: {c.commit.id[:12]} {what}: {why or c.commit.subject}", file=sys.stderr)
        worst = max(worst, _exit(report.verdict))
    if worst:
        print("blastdoor: push refused by the change gate (docs/CHANGE-GATE.md)", file=sys.stderr)
    return worst


def _stats(args: argparse.Namespace, repo: str, fmt: str) -> int:
    import time

    from blastdoor.review.signoff import SignOffs
    from blastdoor.review.stats import period_seconds, stats

    since = time.time() - period_seconds(args.stats)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
    report = _review(args, repo, [*(args.range or ["HEAD"]), f"--since={stamp}"])
    with open_services_from(args) as services:
        reviews = SignOffs(services.store, services.log).find(limit=100_000)
    figures = stats(report, reviews, since)
    if fmt == "json":
        emit_json(figures)
        return exits.OK
    wait = figures["median_wait_s"]
    print(
        f"{figures['commits']} commits since {stamp}; {figures['ai_authored']} AI-authored ({figures['ai_share']:.0%})"
    )
    print(
        f"needed: {figures['needed_review']} review, {figures['needed_signoff']} sign-off, {figures['denied']} denied"
    )
    print(
        f"review requests: {figures['reviews_filed']} filed, {figures['reviews_pending']} pending;"
        f" median wait {'-' if wait is None else f'{wait / 60:.0f} min'}"
    )
    for group, g in figures["groups"].items():
        gw = g["median_wait_s"]
        print(
            f"  {group}: {g['commits']} commits, {g['signed_off']} signed off, median wait "
            f"{'-' if gw is None else f'{gw / 60:.0f} min'}"
        )
    return exits.OK


def _exit(verdict: str) -> int:
    return {"pass": exits.OK, "needs-review": exits.APPROVE, "deny": exits.DENY}[verdict]


def _requests(args: argparse.Namespace, fmt: str) -> int:
    from blastdoor.review.signoff import SignOffs

    with open_services_from(args) as services:
        signoffs = SignOffs(services.store, services.log)
        found = [signoffs.get(args.show)] if args.show else signoffs.find(status="pending")
    if fmt == "json":
        emit_json(found[0].to_dict() if args.show else [r.to_dict() for r in found])
        return exits.OK
    if not found:
        print("no pending review requests")
    for r in found:
        need = r.need
        groups = ", ".join(f"{n} of {g}" for g, n in need.groups.items())
        print(
            f"{r.id}  {r.status:<9} {len(r.commits)} commit(s)  {need.reviews} review(s)"
            + (f", sign-off {groups}" if groups else "")
            + f"  has {len(r.approvers)}  {r.range_text}"
        )
    return exits.OK


def _vote(args: argparse.Namespace, fmt: str) -> int:
    from blastdoor.review.signoff import SignOffs

    with open_services_from(args) as services:
        person = acting_person(args, services)
        signoffs = SignOffs(services.store, services.log)
        agents = services.agents.among(person.name)
        if args.signoff:
            r = signoffs.approve(args.signoff, person, comment=args.comment, agents=agents)
        else:
            r = signoffs.deny(args.reject, person, comment=args.comment, agents=agents)
    if fmt == "json":
        emit_json(r.to_dict())
    else:
        print(f"{r.id}: {'signed off' if args.signoff else 'rejected'} by {person.name}; now {r.status}")
    return exits.OK


def _render(report: Any, fmt: str, request: Any) -> None:
    from blastdoor.review.render import markdown, sarif

    data = report.to_dict()
    if request is not None:
        data["request"] = request.to_dict()
    if fmt == "json":
        emit_json(data)
    elif fmt == "sarif":
        emit_json(sarif(report))
    elif fmt == "markdown":
        sys.stdout.write(markdown(report))
    else:
        for c in report.commits:
            prov = c.provenance
            who = f"AI ({', '.join(prov.tools)}; {prov.confidence})" if prov.ai else "human"
            need = c.need
            needs = need.verdict if need.verdict != "review" else f"{need.reviews} review(s)"
            if need.verdict == "signoff":
                needs = "sign-off " + ", ".join(f"{n} of {g}" for g, n in need.groups.items())
            print(f"{c.commit.id[:12]}  {c.status:<12} {who:<28} {needs:<24} {c.commit.subject}")
            for e in prov.evidence:
                print(f"    evidence: {e['source']}: {e['detail']}")
            for conflict in prov.conflicts:
                print(f"    conflict: {conflict}")
        print(f"verdict: {report.verdict}")
        if request is not None:
            print(
                f"review request: {request.id} ({request.status}); "
                f"sign off with `blastdoor review --signoff {request.id}`"
            )
