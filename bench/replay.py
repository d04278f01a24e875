"""Benchmark: `blastdoor policy replay` over a week of a team's audit log.

A real SQLite store is filled with realistic decision events (the pipeline's own classification and
decision events: a dozen agents, the everyday mix of reads, builds, git, cloud and database commands,
most of them repeated, a good share unique), then replayed under a changed policy. The baseline, in the
same run, reads the same events alone (paging through the store and parsing each entry), so the ratio
says what re-deciding costs on top of reading.

    python bench/replay.py [--events 50000] [--quick]

The last line is one JSON object; `replay_events_per_s` is the contract key.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, progress
from blastdoor.action import Action, Agent
from blastdoor.audit import events as ev
from blastdoor.pipeline import evaluate
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import Source
from blastdoor.replay import Window, decision_events, replay
from blastdoor.store import open_log

OLD = """version: 1
extends: [recommended]
environments:
  prod: { aws_profiles: ["prod*"], kube_contexts: ["*prod*"] }
  staging: { aws_profiles: ["staging*"] }
approvers: { sre: [bob, carol] }
rules:
  - id: prod-deletes
    match: { env: prod, effects: [delete, irreversible] }
    verdict: approve
    approvals: { count: 2, from: sre }
"""
NEW = (
    OLD
    + """  - id: no-force-push
    match: { operation: "git:push", effects: [irreversible] }
    verdict: deny
  - id: tests-are-fine
    match: { command: "pytest*" }
    verdict: allow
"""
)

FREQUENT = [
    "git status",
    "git diff",
    "ls -la",
    "pytest -q",
    "npm test",
    "cat README.md",
    "make build",
    "git log --oneline -20",
    "rg TODO src",
    "python -m mypy src",
    "docker ps",
    "kubectl get pods --context staging",
]
TEMPLATES = [
    "cat src/{f}.py",
    "sed -n 1,80p src/{f}.py",
    "rm -rf ./build/{f}",
    "git checkout -b fix/{f}",
    "git push origin fix/{f}",
    "git push --force origin fix/{f}",
    "aws s3 ls s3://{f}-bucket --profile staging",
    "aws cloudformation delete-stack --stack-name {f} --profile {env}",
    "kubectl delete pod {f}-0 --context {env}-cluster",
    "psql -c 'select * from {f} limit 10'",
    "curl -s https://api.example.com/{f}",
    "terraform plan -target=module.{f}",
    "pip install {f}",
    "echo {f} > notes/{f}.txt",
    "find . -name '*{f}*' -delete",
]
WORDS = ["billing", "auth", "search", "queue", "users", "orders", "cache", "report", "export", "events"]


def compiled(text: str):  # type: ignore[no-untyped-def]
    return compile_sources([Source("project", "/bench/blastdoor.yaml", text)], home="/home/dev")


def command(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(FREQUENT)
    word = rng.choice(WORDS) + str(rng.randrange(200))
    return rng.choice(TEMPLATES).format(f=word, env=rng.choice(["prod", "staging", "dev"]))


def fill(path: str, count: int, rng: random.Random) -> None:
    policy = compiled(OLD)
    agents = [Agent(f"claude-code:dev{i}@laptop{i}", "claude-code", on_behalf_of=f"dev{i}") for i in range(12)]
    memo: dict[tuple[str, str], dict[str, object]] = {}
    log = open_log(path, key_path=path + ".key", checkpoint_on_close=False)
    batch: list[dict[str, object]] = []
    for i in range(count):
        agent = rng.choice(agents)
        raw = command(rng)
        key = (agent.id, raw)
        event = memo.get(key)
        if event is None:
            action = Action("shell", raw=raw, cwd="/work/app", agent=agent)
            classified, decision = evaluate(policy, action, environ={}, home="/home/dev")
            event = ev.decision_event(classified, decision, correlation_id="")
            memo[key] = event
        batch.append({**event, "correlation_id": f"toolu_{i:08d}"})
        if len(batch) == 1000:
            log.append_many(batch)
            batch = []
            progress("filling", i + 1, count)
    if batch:
        log.append_many(batch)
    log.close()


def read_only(log, window: Window) -> int:  # type: ignore[no-untyped-def]
    n = 0
    for _, _, body in decision_events(log, window):
        json.loads(body)
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 events, one run")
    args = parser.parse_args()
    count, runs = (5_000, 1) if args.quick else (args.events, args.runs)
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "blastdoor.db")
        started = time.perf_counter()
        fill(path, count, rng)
        print(f"filled {count} decision events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        new = compiled(NEW)
        window = Window()
        read_rates: list[float] = []
        replay_rates: list[float] = []
        facts_rates: list[float] = []
        changed = 0
        for _ in range(runs):  # interleaved, so machine noise hits all of them alike
            log = open_log(path, key_path=path + ".key", checkpoint_on_close=False)
            t0 = time.perf_counter()
            n = read_only(log, window)
            read_rates.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            report = replay(log, new, window)
            replay_rates.append(report.read / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            facts = replay(log, new, window, recorded_facts=True)
            facts_rates.append(facts.read / (time.perf_counter() - t0))
            changed = report.changed
            log.close()
            assert n == count == report.replayed, (n, count, report.replayed, report.to_dict()["unreplayable"])
    figures = {
        "events": count,
        "changed": changed,
        "read_events_per_s": round(statistics.median(read_rates)),
        "replay_events_per_s": round(statistics.median(replay_rates)),
        "replay_recorded_facts_events_per_s": round(statistics.median(facts_rates)),
        "replay_vs_read": round(statistics.median(replay_rates) / statistics.median(read_rates), 3),
        "week_of_50k_events_s": round(50_000 / statistics.median(replay_rates), 2),
    }
    print(
        f"read alone      {figures['read_events_per_s']:>9,} events/s\n"
        f"replay          {figures['replay_events_per_s']:>9,} events/s  (reclassify; {changed} changed)\n"
        f"recorded facts  {figures['replay_recorded_facts_events_per_s']:>9,} events/s\n"
        f"a week of 50k events replays in {figures['week_of_50k_events_s']} s"
    )
    finish(figures)


if __name__ == "__main__":
    main()
