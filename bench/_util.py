"""Shared helpers for bench scripts: timing statistics and the closing JSON line."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p90": percentile(values, 90), "p99": percentile(values, 99)}


def time_processes(commands: dict[str, list[str]], runs: int, **kwargs: Any) -> dict[str, list[float]]:
    """Wall time in ms of each command, run interleaved so machine noise hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **kwargs)
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def finish(figures: dict[str, Any]) -> None:
    """Print the figures as the script's last line: one JSON object."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=True))


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
