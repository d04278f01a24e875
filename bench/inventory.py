"""Benchmark: `blastdoor inventory` over a home directory holding 200 repositories.

The home is generated from the test fixtures (tests/inventory/fixtures/risky): its credentials (AWS
config and keys, kubeconfig, gh, SSH) and Codex config, and 200 repositories under ~/src, each a git
repository with a mix of agent configs (Claude Code settings and .mcp.json, Kiro agents, Gemini, Cursor,
VS Code settings, .env files) and some noise (source files, a node_modules tree that is skipped). The
scan (discovery, every scanner, credentials, assessment, JSON report) runs in-process, 5 times; the
median is reported.

    python bench/inventory.py [--repos 200] [--runs 5]

The last line is one JSON object with exactly the contract keys `scan_200_repos_s` and `per_repo_ms`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, repo_root
from blastdoor.inventory import scan

FIXTURE = os.path.join(repo_root(), "tests", "inventory", "fixtures", "risky")
ENVIRONMENTS = {"prod": {"aws_profiles": ["prod*"], "kube_contexts": ["*prod*"], "db_urls": ["postgres://*@db.prod.*"]}}


def make_home(base: str, repos: int, rng: random.Random) -> str:
    home = os.path.join(base, "home")
    shutil.copytree(os.path.join(FIXTURE, "home"), home)
    sample = os.path.join(FIXTURE, "repo")
    parts = [".claude", ".mcp.json", ".kiro", ".gemini", ".cursor", ".vscode", ".env"]
    for i in range(repos):
        repo = os.path.join(home, "src", f"team-{i % 7}", f"service-{i:03d}")
        os.makedirs(os.path.join(repo, ".git"))
        for part in rng.sample(parts, rng.randint(0, len(parts))):
            src = os.path.join(sample, part)
            dst = os.path.join(repo, part)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                shutil.copy(src, dst)
        os.makedirs(os.path.join(repo, "src", "pkg"))
        for n in range(5):
            with open(os.path.join(repo, "src", "pkg", f"m{n}.py"), "w") as fh:
                fh.write("x = 1\n")
        nm = os.path.join(repo, "node_modules", "dep", ".claude")
        os.makedirs(nm)  # skipped: never scanned
    return home


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base:
        home = make_home(base, args.repos, random.Random(18))
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = scan([os.path.join(home, "src")], home=home, environments=ENVIRONMENTS, system=base)
            json.dumps(report.to_dict())
            times.append(time.perf_counter() - start)
        found = len([r for r in report.roots if os.path.isdir(os.path.join(r, ".git"))])
        assert found == args.repos, f"discovered {found} repositories of {args.repos}"
        print(
            f"{args.repos} repositories: {len(report.agents)} agents, {len(report.findings)} findings; "
            f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s"
        )
    median = statistics.median(times)
    finish({"scan_200_repos_s": round(median, 4), "per_repo_ms": round(median * 1000 / args.repos, 3)})


if __name__ == "__main__":
    main()
