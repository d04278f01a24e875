"""Classification speed: p50/p99 microseconds to classify each dcg corpus command (warm process).

Measures ``classify()`` (shell classifier + dispatch, no policy) on every labelled command of the dcg
corpus, several rounds, in one warm process. Budget: p50 <= 50 us, p99 <= 150 us.
Long pipelines (``sort -u | sort -u | ...``, the shape tree-sitter-bash parses in quadratic time when
whole): median milliseconds to classify 2,000 and 20,000 stages, and their ratio (linear: about 10).
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
    pipe2k, pipe20k = _pipeline_ms(2000, rounds), _pipeline_ms(20000, 1 if args.quick else 3)
    print(f"pipelines: 2,000 stages {pipe2k:.1f} ms, 20,000 stages {pipe20k:.1f} ms ({pipe20k / pipe2k:.1f}x)")
    result = {
        "classify_p50_us": round(p50, 1),
        "classify_p99_us": round(p99, 1),
        "samples": n,
        "pipeline_2k_ms": round(pipe2k, 1),
        "pipeline_20k_ms": round(pipe20k, 1),
        "pipeline_ratio": round(pipe20k / pipe2k, 2),
    }
    print(json.dumps(result))
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
