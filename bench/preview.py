"""Benchmark: how long a preview takes per family, and what the preview machinery costs an allowed action.

- ``preview_<kind>_p50_ms``: one preview made end to end (``blastdoor.preview.preview_action`` on a
  classified action), against real things: a PostgreSQL table of 10,000 rows (DELETE ... WHERE), a git
  force push to a local bare remote, ``rm -r`` of a 1,000-file tree in a git work tree, a terraform
  plan file shown by the stand-in executable of the tests (no terraform binary is installed), and a
  CloudFormation ``delete-stack`` read from moto's server (started here on 127.0.0.1).
- ``allowed_decide_ratio``: the time of ``pipeline.judge`` on an allowed action (classify + decide) in
  processes that have the preview package and every previewer imported, over the same in processes
  that never import it (the pipeline does not import it for an allowed action). Each process reports
  its best batch of 100 decisions (timeit's best-of: on a shared machine noise only adds); the
  processes alternate, and the ratio is of the medians over them. Budget: <= 1.05.

    python bench/preview.py [--quick]

The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _util import finish, repo_root, summary

ROOT = Path(repo_root())
PLANS = ROOT / "tests" / "preview" / "plans"
BIN = Path(sys.executable).parent
PG = os.environ.get("BLASTDOOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}  # fmt: skip


def _time(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm: imports, connections, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return summary(times)


def _previewer(raw: str, cwd: str, environ: dict[str, str] | None = None) -> Callable[[], Any]:
    from blastdoor.action import Action
    from blastdoor.classify import classify
    from blastdoor.preview import Context, preview_action

    action = classify(Action("shell", raw=raw, cwd=cwd), {})

    def run() -> None:
        made = preview_action(action, Context(cwd=cwd, environ=environ or dict(os.environ), timeout=30))
        if made is None or not made[0].ok:
            raise SystemExit(f"preview of `{raw}` failed: {made and made[0].message}")

    return run


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def bench_sql(tmp: Path, runs: int) -> dict[str, float]:
    import psycopg

    schema = f"bench_preview_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.orders (id int, status text)")
        conn.execute(f"INSERT INTO {schema}.orders SELECT g, 'old' FROM generate_series(1, 10000) g")
    try:
        raw = f"psql '{PG}' -c \"DELETE FROM {schema}.orders WHERE status = 'old' AND id > 100\""
        return _time(_previewer(raw, str(tmp)), runs)
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def bench_git(tmp: Path, runs: int) -> dict[str, float]:
    remote, work = tmp / "remote.git", tmp / "work"
    _git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(tmp, "init", "-q", "-b", "main", str(work))
    _git(work, "remote", "add", "origin", str(remote))
    for i in range(50):
        (work / f"f{i}").write_text(str(i))
        _git(work, "add", ".")
        _git(work, "commit", "-q", "-m", f"c{i}")
    _git(work, "push", "-q", "origin", "main")
    _git(work, "reset", "-q", "--hard", "HEAD~5")
    return _time(_previewer("git push --force origin main", str(work)), runs)


def bench_files(tmp: Path, runs: int) -> dict[str, float]:
    work = tmp / "tree"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    for d in range(20):
        (work / "data" / f"d{d}").mkdir(parents=True)
        for f in range(50):
            (work / "data" / f"d{d}" / f"f{f}").write_text("x" * f)
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "tree")
    return _time(_previewer("rm -rf data", str(work)), runs)


def bench_terraform(tmp: Path, runs: int) -> dict[str, float]:
    bindir = tmp / "tfbin"
    bindir.mkdir()
    shutil.copy(PLANS / "standin_terraform.py", bindir / "terraform")
    (bindir / "terraform").chmod(0o755)
    shutil.copy(PLANS / "blastdoor" / "destroy.plan.json", tmp / "tfplan")
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    return _time(_previewer("terraform apply tfplan", str(tmp), env), runs)


def bench_aws(tmp: Path, runs: int) -> dict[str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("moto's server did not start") from None
                time.sleep(0.05)  # polling until the server answers
        creds = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        import boto3

        cfn = boto3.client(
            "cloudformation", region_name="cn-north-1", endpoint_url=url, **{k.lower(): v for k, v in creds.items()}
        )
        resources = {f"Q{i}": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"q{i}"}} for i in range(20)}
        cfn.create_stack(StackName="cost-explorer", TemplateBody=json.dumps({"Resources": resources}))
        raw = f"aws cloudformation delete-stack --stack-name cost-explorer --region cn-north-1 --endpoint-url {url}"
        return _time(_previewer(raw, str(tmp), {**os.environ, **creds}), runs)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


_CHILD = """
import sys, time
load = sys.argv[1] == "with"
if load:
    import blastdoor.preview, blastdoor.preview.step
    blastdoor.preview.previewers()  # every previewer module imported
from blastdoor.action import Action
from blastdoor.pipeline import judge
from blastdoor.policy.compile import compile_sources
from blastdoor.policy.layers import Source
policy = compile_sources([Source("project", "/p.yaml", "version: 1\\ndefault: allow\\n")], home="/tmp")
action = Action("shell", raw="ls -la src", cwd="/tmp")
for _ in range(2000):
    judge(policy, action, environ={})
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    for _ in range(100):
        a, d = judge(policy, action, environ={})
    times.append((time.perf_counter() - start) / 100 * 1e6)
assert d.verdict == "allow"
assert ("blastdoor.preview" in sys.modules) == load, "the allowed path imported the preview package"
print(min(times))
"""


def bench_allowed(rounds: int, samples: int) -> tuple[float, float, float]:
    """(us without the preview machinery, with it, ratio): child processes interleaved, median of their best."""
    without: list[float] = []
    loaded: list[float] = []
    for _ in range(rounds):
        for which, out in (("without", without), ("with", loaded)):
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, which, str(samples)], capture_output=True, text=True, check=True
            )
            out.append(float(done.stdout.strip()))
    a, b = statistics.median(without), statistics.median(loaded)
    return a, b, b / a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test, not a measurement)")
    args = parser.parse_args()
    runs = 5 if args.quick else 30
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as root:
        for kind, fn in (("sql", bench_sql), ("git", bench_git), ("files", bench_files),
                         ("terraform", bench_terraform), ("aws", bench_aws)):  # fmt: skip
            tmp = Path(root) / kind
            tmp.mkdir()
            stats = fn(tmp, runs)
            line = "   ".join(f"{q} {stats[q]:8.2f} ms" for q in ("p50", "p90", "p99"))
            print(f"preview {kind:<10} {line}")
            figures[f"preview_{kind}_p50_ms"] = round(stats["p50"], 3)
    a, b, ratio = bench_allowed(3 if args.quick else 9, 20 if args.quick else 60)
    print(f"allowed decision: {a:.2f} us without the preview machinery, {b:.2f} us with it")
    print(f"ratio {ratio:.3f} (budget <= 1.05)")
    figures["allowed_decide_ratio"] = round(ratio, 4)
    finish(figures)


if __name__ == "__main__":
    main()
