"""Classification speed: p50/p99 microseconds to classify each dcg corpus command (warm process).

Measures ``classify()`` (shell classifier + dispatch, no policy) on every labelled command of the dcg
corpus, several rounds, in one warm process. Budget: p50 <= 50 us, p99 <= 150 us.
Long pipelines (``sort -u | sort -u | ...``, the shape tree-sitter-bash parses in quadratic time when
whole): median milliseconds to classify 2,000 and 20,000 stages, and their ratio (linear: about 10).
``code_file_p50_us``: ``python deploy.py`` where deploy.py is a 200-line script (boto3 clients, a
class, loops, subprocess and file calls) read by the code classifier, measured the same way.
Usage: ``python bench/classify.py [--quick] [--dcg PATH]``. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from corpus import BENCH_CWD, BENCH_ENV, BENCH_HOME, default_dcg, load_cases  # noqa: E402

_CODE_HEAD = """\
#!/usr/bin/env python3
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3

PROFILE = os.environ.get("DEPLOY_PROFILE", "staging")
REGION = "eu-west-1"
session = boto3.Session(profile_name="staging", region_name=REGION)
cf = session.client("cloudformation")
s3 = session.resource("s3")
"""
_CODE_BLOCK = """\

def step_{i}(name, items):
    \"\"\"Step {i}: describe, copy and report.\"\"\"
    stacks = cf.describe_stacks(StackName=f"app-{{name}}-{i}")
    out = Path("build") / f"report-{i}.json"
    total = 0
    for item in items:
        if item.get("skip"):
            continue
        total += len(item.get("files", []))
    with open(out, "w") as fh:
        json.dump({{"stacks": len(stacks), "total": total}}, fh)
    subprocess.run(["git", "status", "--short"], check=False)
    return total
"""
_CODE_TAIL = """\

if __name__ == "__main__":
    shutil.rmtree("build/tmp", ignore_errors=True)
    print(sum(step_0(n, []) for n in sys.argv[1:]))
"""


def code_script() -> str:
    """A 200-line Python program (the shape of a deploy helper an agent writes)."""
    text = _CODE_HEAD
    i = 0
    while text.count("\n") < 200 - _CODE_TAIL.count("\n") - _CODE_BLOCK.count("\n"):
        text += _CODE_BLOCK.format(i=i)
        i += 1
    text += _CODE_TAIL
    while text.count("\n") < 200:
        text += "# end\n"
    return text


def bench_code_file(rounds: int) -> float:
    """p50 microseconds to classify ``python deploy.py`` with a 200-line deploy.py."""
    import tempfile

    from blastdoor.action import Action
    from blastdoor.classify import classify

    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "deploy.py"), "w", encoding="utf-8") as fh:
            fh.write(code_script())
        env = {**BENCH_ENV, "HOME": BENCH_HOME}
        for _ in range(3):  # warm: the code classifier, ast, the AWS catalog
            classify(Action("shell", raw="python deploy.py", cwd=tmp), None, environ=env, home=BENCH_HOME)
        samples: list[float] = []
        clock = time.perf_counter_ns
        for _ in range(rounds):
            action = Action("shell", raw="python deploy.py", cwd=tmp)
            t0 = clock()
            classify(action, None, environ=env, home=BENCH_HOME)
            samples.append((clock() - t0) / 1000.0)
    samples.sort()
    return samples[len(samples) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dcg", default=default_dcg())
    parser.add_argument("--quick", action="store_true", help="one round instead of five")
    args = parser.parse_args(argv)
    from blastdoor.action import Action
    from blastdoor.classify import classify

    commands = [c.command for c in load_cases(args.dcg)]
    if not commands:
        print("no corpus commands found", file=sys.stderr)
        return 2
    for cmd in commands:  # warm: imports, KB, lazily imported classifiers next door
        classify(Action("shell", raw=cmd, cwd=BENCH_CWD), None, environ=BENCH_ENV, home=BENCH_HOME)
    rounds = 1 if args.quick else 5
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for cmd in commands:
            action = Action("shell", raw=cmd, cwd=BENCH_CWD)
            t0 = clock()
            classify(action, None, environ=BENCH_ENV, home=BENCH_HOME)
            samples.append((clock() - t0) / 1000.0)
    samples.sort()
    n = len(samples)
    p50 = samples[n // 2]
    p99 = samples[min(n - 1, int(n * 0.99))]
    print(f"{len(commands)} commands x {rounds} rounds: p50 {p50:.1f} us, p99 {p99:.1f} us, max {samples[-1]:.1f} us")
    code_p50 = bench_code_file(20 if args.quick else 100)
    print(f"a 200-line python script: p50 {code_p50:.1f} us")
    pipe2k, pipe20k = _pipeline_ms(2000, rounds), _pipeline_ms(20000, 1 if args.quick else 3)
    print(f"pipelines: 2,000 stages {pipe2k:.1f} ms, 20,000 stages {pipe20k:.1f} ms ({pipe20k / pipe2k:.1f}x)")
    figures = {
        "classify_p50_us": round(p50, 1),
        "classify_p99_us": round(p99, 1),
        "samples": n,
        "code_file_p50_us": round(code_p50, 1),
        "pipeline_2k_ms": round(pipe2k, 1),
        "pipeline_20k_ms": round(pipe20k, 1),
        "pipeline_ratio": round(pipe20k / pipe2k, 2),
    }
    print(json.dumps(figures))
    return 0


def _pipeline_ms(stages: int, rounds: int) -> float:
    """Median milliseconds to classify one pipeline of ``stages`` stages."""
    from blastdoor.action import Action
    from blastdoor.classify import classify

    text = " | ".join(["sort -u"] * stages)
    times = []
    for _ in range(max(1, rounds)):
        t0 = time.perf_counter()
        classify(Action("shell", raw=text, cwd=BENCH_CWD), None, environ=BENCH_ENV, home=BENCH_HOME)
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return times[len(times) // 2]


if __name__ == "__main__":
    raise SystemExit(main())
