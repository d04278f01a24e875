"""Benchmark: `blastdoor review` over a range of 1,000 commits.

A real repository is built with `git fast-import` (1,000 commits: people's, agents' with each tool's
trailer, agents' linked only through the audit log; README fixes, terraform, CI, migrations, the
guard, application code), a real SQLite audit log holds the hooks' decision and outcome events for a
third of them, and the policy has a `changes:` block. The range is judged end to end (git log, the
log's links, provenance, classification, sign-offs) several times; the baseline, in the same run, is
reading the same range with `git log` alone.

    python bench/review.py [--commits 1000] [--runs 5]

The last line is one JSON object with exactly the contract keys `commits_1000_s` and `per_commit_ms`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish
from blastdoor.action import Action, Agent, Decision
from blastdoor.audit import events as ev
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import Source
from blastdoor.review.gate import review_range
from blastdoor.review.git import read_range
from blastdoor.review.signoff import SignOffs
from blastdoor.store import open_log

POLICY = """version: 1
default: allow
approvers: { seniors: [sam, sid], payments: [pat, sam] }
changes:
  reviews: 1
  signoff: seniors
  rules:
    - { id: payments, paths: ["services/payments/**"], verdict: signoff, from: payments, count: 2 }
    - { id: docs-free, paths: ["docs/**"], verdict: review }
"""

PATHS = [
    "README.md",
    "docs/guide.md",
    "src/app/main.py",
    "src/app/util.py",
    "services/payments/charge.py",
    "infra/prod/main.tf",
    ".github/workflows/ci.yml",
    "db/migrate/0001_init.sql",
    "blastdoor.yaml",
    "web/index.ts",
]
TRAILERS = [
    "",
    "",
    "\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    "\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>",
    "\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>",
    "\n\nSigned-off-by: Hal Human <hal@example.com>",
]


def build_repo(root: str, n: int, rng: random.Random) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    stream: list[bytes] = []
    for i in range(n):
        msg = f"change {i}: touch things{rng.choice(TRAILERS)}\n".encode()
        author = b"Hal Human <hal@example.com>" if i % 7 else b"Copilot <198982749+Copilot@users.noreply.github.com>"
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"mark :%d\n" % (i + 1))
        stream.append(b"author " + author + b" %d +0000\n" % (1_700_000_000 + i))
        stream.append(b"committer " + author + b" %d +0000\n" % (1_700_000_000 + i))
        stream.append(b"data %d\n%s\n" % (len(msg), msg))
        if i:
            stream.append(b"from :%d\n" % i)
        for path in rng.sample(PATHS, rng.choice((1, 1, 2, 3))):
            body = f"line {i}\n".encode() * rng.randint(1, 40)
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body))
    subprocess.run(["git", "-C", root, "fast-import", "--quiet"], input=b"".join(stream), check=True)


def fill_log(db: str, commits: list[str], rng: random.Random) -> None:
    log = open_log(db, checkpoint_on_close=False)
    events = []
    for i, cid in enumerate(commits):
        if rng.random() < 0.33:
            agent = Agent(f"claude-code:s{i % 12}", "claude-code")
            action = Action("shell", raw=f"git commit -m 'change {i}'", agent=agent)
            corr = f"claude-code:toolu_{i}"
            events.append(ev.decision_event(action, Decision("allow", "policy.default"), correlation_id=corr))
            events.append(ev.outcome_event(corr, exit_code=0, extra={"git_commit": cid}))
        events.append(ev.outcome_event(f"claude-code:other_{i}", exit_code=0))  # unrelated outcomes
    for start in range(0, len(events), 500):
        log.append_many(events[start : start + 500])
    log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(20)
    policy = compile_sources([Source("project", "<bench>", POLICY)])
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        repo = os.path.join(tmp, "repo")
        build_repo(repo, args.commits, rng)
        commits = [c.id for c in read_range(repo, "main")]
        db = os.path.join(tmp, "store.db")
        fill_log(db, commits, rng)
        git_alone: list[float] = []
        judged: list[float] = []
        verdicts: dict[str, int] = {}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            read_range(repo, "main")
            git_alone.append(time.perf_counter() - t0)
            log = open_log(db, checkpoint_on_close=False)
            try:
                t0 = time.perf_counter()
                report = review_range(repo, ["main"], policy, log=log, signoffs=SignOffs(log.store, log))
                judged.append(time.perf_counter() - t0)
            finally:
                log.close()
            assert len(report.commits) == args.commits
            verdicts = {}
            for c in report.commits:
                verdicts[c.need.verdict] = verdicts.get(c.need.verdict, 0) + 1
    total = statistics.median(judged)
    base = statistics.median(git_alone)
    ai = sum(1 for c in report.commits if c.provenance.ai)
    print(
        f"git log alone   {base:.3f} s for {args.commits} commits\n"
        f"review          {total:.3f} s ({total / base:.1f}x git log alone); {ai} AI-authored; needs: {verdicts}"
    )
    scale = 1000 / args.commits
    finish({"commits_1000_s": round(total * scale, 3), "per_commit_ms": round(total * 1000 / args.commits, 3)})


if __name__ == "__main__":
    main()
