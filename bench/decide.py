"""Benchmark: one decision on pre-classified actions with 10 .. 10,000 rules, and a cold `check`.

Rules are generated in realistic shapes: a small core of generic rules (by effect and environment, as
in the recommended baseline) plus many specific rules per operation (AWS API calls, MCP tools, shell
commands) with argument, target and environment conditions, as large organisations write them.

    python bench/decide.py [--quick]

Budget (docs/PERFORMANCE.md): p50 <= 5 us and p99 <= 20 us at 1,000 rules; p50 at 10,000 rules within
1.5x of 10 rules; a recorded decision with the policy's ``limits:`` on within 1.2x of it with them off
(``decide_limits_ratio``); compiling a YAML policy of 10,000 rules in <= 1 s (``compile_s_10k``) and, outside
``--quick``, of 100,000 rules in <= 15 s (``compile_s_100k``). The last line is one JSON object of the figures.
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

from _util import finish, progress, summary, time_processes
from blastdoor.action import Action, Agent
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.engine import decide
from blastdoor.policy.layers import Source

SERVICES = ["ec2", "s3", "iam", "rds", "lambda", "cloudformation", "dynamodb", "sqs", "sns", "kms", "eks", "ecs"]
VERBS = ["Delete", "Terminate", "Create", "Update", "Put", "Get", "List", "Describe", "Modify", "Attach"]
NOUNS = ["Instance", "Bucket", "Role", "Policy", "Table", "Function", "Stack", "Queue", "Topic", "Key", "Cluster"]
MCP = ["github", "slack", "bank", "jira", "postgres", "stripe", "gmail", "notion"]
TOOLS = ["delete", "create", "send", "update", "list", "get", "transfer", "merge", "close", "search"]
SHELL = ["rm", "mv", "cp", "chmod", "chown", "git", "kubectl", "terraform", "docker", "curl", "npm", "pip"]
EFFECTS = ["read", "write", "create", "delete", "irreversible", "privilege", "deploy", "exfiltrate"]
VERDICTS = ["allow", "ask", "approve", "deny"]

CORE = [
    {"id": "wipe", "match": {"effects": ["wipe"]}, "verdict": "deny"},
    {"id": "reads", "match": {"effects": ["read"]}, "verdict": "allow"},
    {"id": "irreversible", "match": {"effects": ["irreversible"]}, "verdict": "ask"},
    {"id": "privilege", "match": {"effects": ["privilege"]}, "verdict": "ask"},
    {"id": "exfil", "match": {"effects": ["exfiltrate"]}, "verdict": "ask"},
    {"id": "prod", "match": {"env": "prod", "effects": ["delete", "irreversible"]}, "verdict": "approve"},
    {"id": "deploy", "match": {"effects": ["deploy"]}, "verdict": "ask"},
    {"id": "build", "match": {"effects": ["delete"], "targets": ["./build/**"]}, "verdict": "allow"},
    {"id": "bots", "match": {"agent": "ci-*", "effects": ["privilege"]}, "verdict": "deny"},
    {"id": "secrets", "match": {"effects": ["secrets"]}, "verdict": "ask"},
]


def operations(count: int, rng: random.Random) -> list[str]:
    ops: set[str] = set()
    while len(ops) < count:
        kind = rng.random()
        if kind < 0.5:
            ops.add(f"aws:{rng.choice(SERVICES)}:{rng.choice(VERBS)}{rng.choice(NOUNS)}{rng.randrange(40) or ''}")
        elif kind < 0.8:
            ops.add(f"mcp:{rng.choice(MCP)}/{rng.choice(TOOLS)}_{rng.choice(NOUNS).lower()}{rng.randrange(40) or ''}")
        else:
            ops.add(f"shell:{rng.choice(SHELL)}{rng.randrange(60) or ''}")
    return sorted(ops)


def specific_rule(i: int, op: str, rng: random.Random) -> dict[str, object]:
    match: dict[str, object] = {"operation": op}
    shape = rng.random()
    if shape < 0.3:
        match["env"] = rng.choice(["prod", "staging"])
    elif shape < 0.5:
        match["args"] = {"amount": {"gt": rng.randrange(10, 10_000)}}
    elif shape < 0.6:
        match["targets"] = [f"/srv/{rng.choice(NOUNS).lower()}/**"]
    rule: dict[str, object] = {"id": f"r{i}", "match": match, "verdict": rng.choice(VERDICTS)}
    if rng.random() < 0.2:
        rule["except"] = [{"agent": "trusted-*"}]
    return rule


HOT = ["aws:ec2:TerminateInstances", "aws:s3:DeleteBucket", "mcp:bank/send_payment", "shell:rm"]
BASE = [
    *CORE[:6],
    {"id": "hot-ec2", "match": {"operation": HOT[0], "env": "prod"}, "verdict": "approve"},
    {"id": "hot-s3", "match": {"operation": "aws:s3:*", "targets": ["/srv/bucket/**"]}, "verdict": "deny"},
    {"id": "hot-bank", "match": {"operation": HOT[2], "args": {"amount": {"gt": 1000}}}, "verdict": "approve"},
    {"id": "hot-rm", "match": {"operation": HOT[3], "targets": ["./build/**"]}, "verdict": "allow"},
]


def policy_doc(n_rules: int, seed: int = 7) -> dict[str, object]:
    """A policy of ``n_rules`` rules: the 10-rule base, service-wide globs, then specific rules."""
    rng = random.Random(seed)
    hot_services = {op.split(":")[1] for op in HOT if op.startswith("aws:")}
    ops = [
        op
        for op in operations(max(8, n_rules // 2), rng)
        if op not in HOT and not op.startswith(("aws:s3:", "mcp:bank/"))
    ]
    rules: list[dict[str, object]] = [*BASE]
    filler = n_rules - len(rules)
    for svc in SERVICES:
        if filler > 0 and n_rules >= 100 and svc not in hot_services:
            rules.append({"id": f"svc-{svc}", "match": {"operation": f"aws:{svc}:*", "env": "prod"}, "verdict": "ask"})
            filler -= 1
    for i in range(max(0, filler)):
        rules.append(specific_rule(i, ops[i % len(ops)], rng))
    return {"version": 1, "environments": {"prod": {}, "staging": {}}, "rules": rules}


def build(n_rules: int, seed: int = 7) -> tuple[object, list[Action]]:
    """The same 10-rule base policy and the same actions at every size, plus unrelated rules.

    "Flat in rule count" means rules about other operations cost nothing: the filler rules are
    specific rules about other AWS calls, MCP tools and commands, and service-wide globs for other
    services, so a perfect index gives every size the same candidate set.
    """
    doc = policy_doc(n_rules, seed)
    policy = compile_sources([Source("project", "/bench/policy.yaml", json.dumps(doc))], home="/home/bench")
    actions = []
    arng = random.Random(seed + 1)
    for _ in range(512):
        op = arng.choice(HOT)
        actions.append(
            Action(
                op.split(":")[0],
                op,
                effects=arng.sample(EFFECTS, arng.choice([1, 1, 2])),
                env=arng.choice(["prod", "staging", "dev", "unknown"]),
                targets=[f"/srv/{arng.choice(NOUNS).lower()}/x"],
                args={"amount": arng.randrange(20_000)},
                agent=Agent(arng.choice(["ci-1", "dev-7", "trusted-2"]), "claude-code"),
                cwd="/srv",
            )
        )
    return policy, actions


def measure(built: dict[int, tuple[object, list[Action]]], rounds: int) -> dict[int, list[float]]:
    """Per-decision times in us for every size, the sizes interleaved round by round so that noise
    from the rest of the machine falls on all of them alike."""
    timings: dict[int, list[float]] = {n: [] for n in built}
    clock = time.perf_counter_ns
    for policy, actions in built.values():  # warm the candidate cache and the glob matchers
        for a in actions:
            decide(policy, a)  # type: ignore[arg-type]
    for r in range(rounds):
        progress("decide", r, rounds)
        for n, (policy, actions) in built.items():
            out = timings[n]
            for a in actions:
                t0 = clock()
                decide(policy, a)  # type: ignore[arg-type]
                out.append((clock() - t0) / 1000)
    progress("decide", rounds, rounds)
    return timings


def cold_check(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        action = os.path.join(tmp, "action.json")
        with open(action, "w") as fh:
            json.dump({"tool": "shell", "raw": "ls", "effects": ["read"]}, fh)
        exe = os.path.join(os.path.dirname(sys.executable), "blastdoor")
        env = {**os.environ, "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache"), "BLASTDOOR_POLICY": "none"}
        cmds = {"floor": [sys.executable, "-I", "-S", "-c", "pass"], "check": [exe, "check", "--action", action]}
        time_processes(cmds, 2, env=env, cwd=tmp)  # fill the policy cache
        times = time_processes(cmds, runs, env=env, cwd=tmp)
    floor, check = summary(times["floor"]), summary(times["check"])
    return {"floor_p50_ms": floor["p50"], "check_p50_ms": check["p50"], "ratio": check["p50"] / floor["p50"]}


LIMITS_POLICY = """version: 1
default: allow
unknown: allow
environments:
  prod: { paths: ["/srv/prod/**"] }
rules:
  - { id: no-secrets, match: { effects: [secrets] }, verdict: deny }
"""
LIMITS_BLOCK = """limits:
  - { id: prod-deletes, match: { env: prod, effects: [delete] }, max: 1000000000, per: 10m }
  - { id: writes, match: { effects: [write, create] }, max: 1000000000, per: 1m }
"""


def limits_cost(rounds: int) -> dict[str, float]:
    """The whole recorded decision (``pipeline.decide_and_record`` on SQLite: classify, decide, agent,
    lease, durable audit append) with the policy's ``limits:`` on (every action counted) and off."""
    from blastdoor.action.shorthand import action_from_spec
    from blastdoor.pipeline import decide_and_record
    from blastdoor.services import open_services

    with tempfile.TemporaryDirectory() as tmp:
        off = compile_sources([Source("project", "<off>", LIMITS_POLICY)], home=tmp)
        on = compile_sources([Source("project", "<on>", LIMITS_POLICY + LIMITS_BLOCK)], home=tmp)
        spec = {"shell": "rm /srv/prod/db/old.dump", "cwd": "/srv", "agent": {"id": "bench-bot"}}
        times: dict[str, list[float]] = {"off": [], "on": []}
        with open_services(os.path.join(tmp, "b.db"), key_path=os.path.join(tmp, "audit.key")) as svc:
            for _ in range(20):  # warm up both
                for policy in (off, on):
                    decide_and_record(policy, action_from_spec(spec), svc.log, "w", agents=svc.agents, environ={})
            for r in range(rounds):
                progress("limits", r, rounds)
                for name, policy in (("off", off), ("on", on)):
                    action = action_from_spec(spec)
                    t0 = time.perf_counter_ns()
                    decide_and_record(policy, action, svc.log, "b", agents=svc.agents, environ={})
                    times[name].append((time.perf_counter_ns() - t0) / 1000)
            progress("limits", rounds, rounds)
    off_s, on_s = summary(times["off"]), summary(times["on"])
    return {"off_p50_us": off_s["p50"], "on_p50_us": on_s["p50"], "ratio": on_s["p50"] / off_s["p50"]}


def compile_curve(sizes: dict[int, int]) -> dict[str, float]:
    """Seconds to compile a block-style YAML policy of each size (the median of ``runs``), wall and
    process CPU: the CPU figure is what the compile costs when the machine's other work steals wall time.
    The text is made before the clock starts; every run compiles from text (no cache)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    figures: dict[str, float] = {}
    # A process's first compile also builds the compiled schema validator: reported on its own, so
    # that the medians below are the per-policy cost.
    w0 = time.perf_counter()
    compile_sources([Source("project", "/bench/first.yaml", "version: 1\n")], home="/home/bench")
    figures["compile_first_s"] = round(time.perf_counter() - w0, 3)
    for n, runs in sizes.items():
        text = yaml.dump(policy_doc(n), Dumper=dumper, sort_keys=False, default_flow_style=False)
        src = [Source("project", "/bench/policy.yaml", text)]
        wall: list[float] = []
        cpu: list[float] = []
        for r in range(runs):
            progress(f"compile {n}", r, runs)
            w0, c0 = time.perf_counter(), time.process_time()
            policy = compile_sources(src, home="/home/bench")
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
            assert len(policy.rules) == n, (len(policy.rules), n)
        progress(f"compile {n}", runs, runs)
        label = f"{n // 1000}k"
        figures[f"compile_s_{label}"] = round(statistics.median(wall), 3)
        figures[f"compile_cpu_s_{label}"] = round(statistics.median(cpu), 3)
        wall_s, cpu_s = figures[f"compile_s_{label}"], figures[f"compile_cpu_s_{label}"]
        print(f"compile {n:>7} rules: {wall_s:.3f} s wall, {cpu_s:.3f} s CPU")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (for CI and a first look)")
    args = parser.parse_args()
    rounds = 20 if args.quick else 100
    figures: dict[str, float] = {}
    # The compile curve first, while the process holds nothing else (the decide policies come after).
    figures.update(compile_curve({1000: 3, 10000: 1} if args.quick else {1000: 5, 10000: 3, 100000: 1}))
    sizes = [10, 100, 1000, 10000]
    built = {n: build(n) for n in sizes}
    timings = measure(built, rounds)
    print(f"{'rules':>7} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8}")
    for n in sizes:
        stats = summary(timings[n])
        figures[f"decide_p50_us_{n}"] = round(stats["p50"], 3)
        figures[f"decide_p99_us_{n}"] = round(stats["p99"], 3)
        print(f"{n:>7} {stats['p50']:>8.2f} {stats['p90']:>8.2f} {stats['p99']:>8.2f}")
    figures["flat_ratio_10000_10"] = round(figures["decide_p50_us_10000"] / figures["decide_p50_us_10"], 3)
    cold = cold_check(10 if args.quick else 30)
    figures["cold_check_p50_ms"] = round(cold["check_p50_ms"], 2)
    figures["python_floor_p50_ms"] = round(cold["floor_p50_ms"], 2)
    figures["cold_check_ratio"] = round(cold["ratio"], 2)
    limited = limits_cost(100 if args.quick else 500)
    figures["decide_recorded_p50_us"] = round(limited["off_p50_us"], 1)
    figures["decide_limits_p50_us"] = round(limited["on_p50_us"], 1)
    figures["decide_limits_ratio"] = round(limited["ratio"], 3)
    print(f"flat ratio 10000/10: {figures['flat_ratio_10000_10']}")
    print(
        f"recorded decision with limits: {limited['on_p50_us']:.0f} us p50 vs {limited['off_p50_us']:.0f} us"
        f" without ({limited['ratio']:.2f}x, budget 1.2)"
    )
    print(
        f"cold `blastdoor check --action`: {cold['check_p50_ms']:.1f} ms p50 vs bare interpreter "
        f"{cold['floor_p50_ms']:.1f} ms ({cold['ratio']:.2f}x)"
    )
    finish(figures)


if __name__ == "__main__":
    main()
