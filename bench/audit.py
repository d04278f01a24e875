"""Audit log benchmarks: durable appends/s (1 and 8 writers, SQLite and PostgreSQL), verify speed, proofs.

    .venv/bin/python bench/audit.py            full run (proofs at 10k, 100k and 1M events)
    .venv/bin/python bench/audit.py --quick    a few minutes (proofs at 10k and 100k events)

The last line is the contract of issue 17: ``prove_ms_10k``, ``prove_ms_100k`` (``prove_ms_1m`` in a full
run), ``verify_floor_ratio`` (verify's floor, reading every entry, SHA-256 of each and the root, over
verify's time, medians of runs taken in turns in the same run), ``append_ceiling_ratio`` (8 writer
threads over the ceiling measured in the same run), ``append_ceiling_ratio_pg`` (the same on PostgreSQL,
its ceiling from plain psycopg one-statement commits) and ``checkpoint_per_batch_us`` (what signing one
Ed25519 checkpoint costs: the price of a checkpoint per commit batch). Every other figure is on the line
before it.

"8 writers" are 8 threads sharing one AuditLog (the server's shape: group commit batches them);
"8 procs" are 8 processes, each with its own log handle (the hook's shape: they serialise on the
store's write lock). Every append is durable when it returns (SQLite synchronous=FULL in WAL mode,
PostgreSQL synchronous_commit=on). The last line is one JSON object with every figure.

The ceiling for 8 writer threads is measured in the same run (see ``ceiling``): plain sqlite3 commits of
1, 4 and 8 prepared rows of this schema, sustained (their mean: what a loop of nothing but commits keeps
up, WAL checkpoints included), and the Python cost of one append without storage. The ceiling from
median commits, which not even that loop reaches, is on the full line as ``*_ceiling_median`` with its
ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from blastdoor.audit import merkle
from blastdoor.audit.batch import Head, Pending, seal_batch
from blastdoor.audit.keys import KeyRing
from blastdoor.store import open_log

PG = os.environ.get("BLASTDOOR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")

EVENT = {
    "v": 1,
    "kind": "decision",
    "agent": {"id": "agent-7", "harness": "claude-code", "session": "s-123", "host": "dev1"},
    "agent_id": "agent-7",
    "harness": "claude-code",
    "tool": "shell",
    "operation": "shell:rm",
    "targets": ["./build"],
    "env": "dev",
    "effects": ["delete"],
    "verdict": "allow",
    "rule": "build-dirs",
    "reasons": ["Build output may be deleted."],
    "approvers": [],
    "policy_hash": "sha256:" + "ab" * 32,
    "correlation_id": "toolu_01ABC",
    "action": {"raw": "rm -rf ./build", "args": {"argv": ["rm", "-rf", "./build"]}, "cwd": "/home/dev/proj"},
}


BATCHES: dict[str, list[tuple[float, int]]] = {}  # per run: (commit seconds, batch size) of every flush


def appends(url: str, key: Path, writers: int, seconds: float) -> tuple[float, float]:
    """Durable appends/s, and the process's CPU time (all threads, user + system) per append in µs.

    Every commit's duration and batch size go to ``BATCHES[url]``: where the time goes (how many events
    share an fsync, how long a commit takes inside the run against the plain one).
    """
    import resource

    log = open_log(url, key_path=key, checkpoint_every=10_000, checkpoint_interval=3600, checkpoint_on_close=False)
    log.append(dict(EVENT))  # open, migrate, create the salt: not part of the figure
    commit = log._commit
    flush, flush_sealed = commit._flush, commit._flush_sealed
    seen = BATCHES[url] = []

    def timed(items: Any) -> Any:
        t = time.perf_counter()
        head = flush(items)
        seen.append((time.perf_counter() - t, len(items)))
        return head

    def timed_sealed(rows: Any, base: Any, end: Any) -> Any:  # batches sealed as they queued
        t = time.perf_counter()
        head = flush_sealed(rows, base, end)  # type: ignore[misc]
        if head is not None:
            seen.append((time.perf_counter() - t, len(rows)))
        return head

    def timed_deferred(rows: Any, base: Any, end: Any) -> Any:  # PostgreSQL: committed now, flushed by sync
        t = time.perf_counter()
        head = flush_deferred(rows, base, end)  # type: ignore[misc]
        if head is not None:
            seen.append((time.perf_counter() - t, len(rows)))
        return head

    commit._flush = timed
    if flush_sealed is not None:
        commit._flush_sealed = timed_sealed
    flush_deferred = commit._flush_deferred
    if flush_deferred is not None:
        commit._flush_deferred = timed_deferred
    counts = [0] * writers
    stop = time.perf_counter() + seconds

    def run(w: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            log.append(EVENT)
            n += 1
        counts[w] = n

    start = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    end = resource.getrusage(resource.RUSAGE_SELF)
    log.close()
    used = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
    return sum(counts) / elapsed, used / max(1, sum(counts)) * 1e6


PROC = """
import sys, time
sys.path.insert(0, sys.argv[4])
from blastdoor.store import open_log
log = open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_every=10**6, checkpoint_interval=3600,
               checkpoint_on_close=False)
ev = {"kind": "decision", "agent_id": "p", "verdict": "allow", "action": {"raw": "rm -rf ./build"}}
log.append(ev)
print("ready", flush=True)
start = float(sys.stdin.readline()); stop = start + float(sys.argv[3]); n = 0
while time.time() < start: pass
while time.time() < stop:
    log.append(ev); n += 1
print(n, flush=True)
"""


def process_appends(url: str, key: Path, procs: int, seconds: float) -> float:
    src = str(Path(__file__).resolve().parent.parent / "src")
    ps = [
        subprocess.Popen(
            [sys.executable, "-c", PROC, url, str(key), str(seconds), src],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(procs)
    ]
    for p in ps:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    start = time.time() + 0.2
    for p in ps:
        assert p.stdin is not None
        p.stdin.write(f"{start}\n")
        p.stdin.flush()
    total = 0
    for p in ps:
        out, _ = p.communicate(timeout=seconds + 60)
        total += int(out.strip().splitlines()[-1])
    return total / seconds


def fresh_process_append(url: str, key: Path, runs: int) -> float:
    """Median ms for a new interpreter to open the log and append one event (the hook's cost)."""
    src = str(Path(__file__).resolve().parent.parent / "src")
    code = (
        "import sys; sys.path.insert(0, sys.argv[3]); from blastdoor.store import open_log\n"
        "log = open_log(sys.argv[1], key_path=sys.argv[2], checkpoint_on_close=False, checkpoint_interval=1e9,"
        " checkpoint_every=10**9)\n"
        "log.append({'kind': 'decision', 'agent_id': 'hook', 'verdict': 'allow'}); log.close()"
    )
    import compileall

    # Installed code has its bytecode cached; this machine sets PYTHONDONTWRITEBYTECODE, so cache it here.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    compileall.compile_dir(src, quiet=1)
    bare, full = [], []
    subprocess.run([sys.executable, "-c", code, url, str(key), src], check=True, env=env)  # create the log
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, url, str(key), src], check=True, env=env)
        full.append(time.perf_counter() - t)
    bare.sort()
    full.sort()
    return (full[len(full) // 2] - bare[len(bare) // 2]) * 1000


def fsync_us(directory: Path, runs: int = 200) -> float:
    """Median microseconds of one fsync of a rewritten 4 KiB page here: a durable commit costs at least this.

    8 writers each wait for their own event, so at most 8 events share a commit: 8 / fsync bounds the
    8-writer figure whatever the code does.
    """
    path = directory / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    times = []
    try:
        for i in range(runs):
            os.pwrite(fd, b"x" * 4096, (i % 16) * 4096)
            t = time.perf_counter()
            os.fsync(fd)
            times.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        path.unlink()
    times.sort()
    return times[len(times) // 2] * 1e6


def describe_batches(res: dict[str, Any], name: str, seen: list[tuple[float, int]]) -> None:
    """Mean events per commit, the share of commits that carried one event, the median and the sustained
    (mean) commit in µs."""
    if not seen:
        return
    res[f"{name}_events_per_commit"] = round(sum(n for _, n in seen) / len(seen), 2)
    res[f"{name}_single_commits"] = round(sum(1 for _, n in seen if n == 1) / len(seen), 3)
    res[f"{name}_commit_us"] = round(sorted(t for t, _ in seen)[len(seen) // 2] * 1e6, 1)
    res[f"{name}_commit_sustained_us"] = round(sum(t for t, _ in seen) / len(seen) * 1e6, 1)
    print(
        f"  {name}: {len(seen)} commits, {res[f'{name}_events_per_commit']} events each on average,"
        f" {res[f'{name}_single_commits']:.0%} of one event; commit {res[f'{name}_commit_sustained_us']} us"
        f" sustained, {res[f'{name}_commit_us']} us median"
    )


def _commit_figures(times: dict[int, list[float]]) -> dict[int, tuple[float, float]]:
    """Per size: (median µs, sustained µs) of one commit. Sustained is the mean: total time over commits,
    the rate a loop of nothing but these commits keeps up. The median leaves out the commits that pay for
    everybody (SQLite's WAL checkpoint every ~1,000 pages, a PostgreSQL WAL segment switch), which a
    sustained run cannot; a ceiling taken from it is one no writer reaches, this plain loop included."""
    return {n: (sorted(v)[len(v) // 2] * 1e6, sum(v) / len(v) * 1e6) for n, v in times.items()}


def raw_commit_us(directory: Path, sizes: tuple[int, ...], seconds: float) -> dict[int, tuple[float, float]]:
    """µs of one durable commit of ``n`` prepared rows, straight through sqlite3 (no blastdoor code):
    (median, sustained) as ``_commit_figures`` says.

    The store's schema and pragmas (WAL, synchronous=FULL); rows as the bench appends them, built before
    the clock starts; BEGIN IMMEDIATE, executemany INSERT, UPDATE of the head, COMMIT: what any writer of
    this schema must do. Sizes take turns in short rounds so disk noise hits them alike.
    """
    import sqlite3
    from hashlib import sha256

    from blastdoor.audit.events import entry_bytes
    from blastdoor.audit.fastjson import canonical_bytes
    from blastdoor.store import migrations

    path = directory / "raw.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    for component, _, steps in migrations.pending(migrations.SQLITE, {}):
        if component == "audit":
            for sql in steps:
                db.execute(sql)
    body = canonical_bytes(EVENT, plain=True)
    insert = "INSERT INTO audit_event (seq, time, body, leaf) VALUES (?, ?, ?, ?)"  # the rest is generated
    frontier = b"f" * 32 * 12
    seq = 0
    times: dict[int, list[float]] = {n: [] for n in sizes}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for n in sizes:
            for _ in range(20):
                stamp = "2025-01-01T00:00:00.000000Z"
                rows = []
                for s in range(seq, seq + n):
                    entry = entry_bytes(body, s, stamp)
                    rows.append((s, stamp, entry, sha256(b"\x00" + entry).digest()))
                t = time.perf_counter()
                db.execute("BEGIN IMMEDIATE")
                db.executemany(insert, rows)
                db.execute("UPDATE audit_head SET size = ?, frontier = ? WHERE id = 1", (seq + n, frontier))
                db.execute("COMMIT")
                times[n].append(time.perf_counter() - t)
                seq += n
    db.close()
    return _commit_figures(times)


def pg_raw_commit_us(url: str, sizes: tuple[int, ...], seconds: float) -> dict[int, tuple[float, float]]:
    """µs of one durable PostgreSQL commit of ``n`` prepared rows, straight through psycopg: (median,
    sustained) as ``_commit_figures`` says.

    The store's schema (made by the store, then left alone) and ``synchronous_commit=on``; one autocommit
    statement that moves the head and inserts the rows from arrays (one round trip, one WAL flush: the
    least any writer of this schema sends); rows built before the clock starts; sizes in turns.
    """
    from hashlib import sha256

    import psycopg

    from blastdoor.audit.events import entry_bytes
    from blastdoor.audit.fastjson import canonical_bytes
    from blastdoor.store import open_store
    from blastdoor.store.postgres import split_url

    open_store(url).close()  # the schema, migrated
    base, schema = split_url(url)
    db = psycopg.connect(base, autocommit=True)
    db.execute("SET synchronous_commit = on")
    db.execute(f'SET search_path TO "{schema}"')
    sql = (
        "WITH h AS (UPDATE audit_head SET size = %s, frontier = %s WHERE id = 1)"
        " INSERT INTO audit_event (seq, time, body, leaf)"
        " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bytea[], %s::bytea[])"
    )
    body = canonical_bytes(EVENT, plain=True)
    frontier = b"f" * 32 * 12
    seq = 0
    times: dict[int, list[float]] = {n: [] for n in sizes}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for n in sizes:
            for _ in range(10):
                stamp = "2025-01-01T00:00:00.000000Z"
                entries = [entry_bytes(body, s, stamp) for s in range(seq, seq + n)]
                params = (
                    seq + n,
                    frontier,
                    list(range(seq, seq + n)),
                    [stamp] * n,
                    entries,
                    [sha256(b"\x00" + e).digest() for e in entries],
                )
                t = time.perf_counter()
                db.execute(sql, params)
                times[n].append(time.perf_counter() - t)
                seq += n
    db.close()
    return _commit_figures(times)


def python_us_per_append(key: Path, runs: int = 7, n: int = 3000) -> float:
    """Median µs of one ``AuditLog.append`` with a store that only seals: the Python of an append, one thread."""
    from blastdoor.audit.log import AuditLog

    class Sealer:
        def __init__(self) -> None:
            self._head = Head(0, [], "", 0, time.time())

        def append(self, items: list[Pending], clock: object) -> Head:
            head = self._head
            head = Head(head.size, list(head.frontier), head.last_time, head.cp_mark, head.cp_time)
            seal_batch(head, items, time.time_ns())
            self._head = head
            return head

        def head(self) -> Head:
            return self._head

        def log_id(self) -> str:
            return "bench"

        def close(self) -> None:
            pass

    sealer = Sealer()  # a partial LogStore: append and head are all that appending uses
    log = AuditLog(sealer, KeyRing(str(key)), checkpoint_on_close=False, checkpoint_every=10**9)  # type: ignore[arg-type]
    log.append(dict(EVENT))
    per_run = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(n):
            log.append(EVENT)
        per_run.append((time.perf_counter() - t) / n * 1e6)
    log.close()
    per_run.sort()
    return per_run[len(per_run) // 2]


def ceiling(c4: float, c8: float, p: float) -> float:
    """The most durable appends/s 8 synchronous writer threads can reach, given commit and Python costs.

    SQLite commits one transaction at a time; a thread's next event is prepared only after its last one is
    committed; the preparing (``p`` µs of Python each) is serialised by the GIL. Over any run, with batch
    sizes b: either consecutive batches share no thread (then b + b' <= 8, and a pair of commits carries at
    most 8 events: best 4 per C(4)), or the threads they share prepare in the gap between them (in the
    limit all 8: one C(8) plus 8 p per 8 events). Commit time is close to affine in b, so mixtures lie
    between the two ends. Thread wake-ups, sealing and other processes only lower the real figure.
    """
    return max(4e6 / c4, 8e6 / (c8 + 8 * p))


def build_log(url: str, key: Path, n: int) -> None:
    """A log of ``n`` entries written in large batches (fast to build; same bytes as appends)."""
    from blastdoor.audit.events import index_of
    from blastdoor.audit.fastjson import canonical_bytes
    from blastdoor.store import open_store

    store = open_store(url)
    body = canonical_bytes(EVENT, plain=True)
    idx = index_of(EVENT)
    batch = [Pending(body, idx) for _ in range(20_000)]
    done = 0
    while done < n:
        k = min(len(batch), n - done)
        store.append(batch[:k], time.time_ns)
        done += k
    store.close()
    log = open_log(url, key_path=key)
    log.checkpoint(force=True)
    log.close()


def verify_floor(log: object, runs: int) -> tuple[float, float]:
    """Median CPU seconds of verify's floor and of ``verify`` itself on one log, in turns.

    The floor is what any verifier must do: read every entry from the store (the same read ``verify``
    does), SHA-256 it as a leaf, and fold the leaves into the root. CPU time of this process, not wall
    time: both are single-threaded work in this process on a database in the page cache, and on a busy
    2-core machine wall time mostly measures who else was scheduled.
    """
    from hashlib import sha256

    from blastdoor.audit.merkle import frontier_root

    floors, verifies = [], []
    for _ in range(runs):
        t = time.process_time()
        frontier: list[bytes] = []
        hash_, push, pop = sha256, frontier.append, frontier.pop  # locals, as verify's loop has them
        for seq, _t, body, _leaf, _ in log.store.rows():  # type: ignore[attr-defined]
            h = hash_(b"\x00" + body).digest()
            n = seq
            while n & 1:
                h = hash_(b"\x01" + pop() + h).digest()
                n >>= 1
            push(h)
        frontier_root(frontier)
        floors.append(time.process_time() - t)
        t = time.process_time()
        report = log.verify()  # type: ignore[attr-defined]
        verifies.append(time.process_time() - t)
        assert report.ok, report.summary()
    floors.sort()
    verifies.sort()
    return floors[len(floors) // 2], verifies[len(verifies) // 2]


def prove_ms(url: str, key: Path, n: int, runs: int = 21) -> float:
    """Median ms of ``AuditLog.prove`` at random entries of a log of ``n`` entries (from a fresh handle)."""
    import random

    build_log(url, key, n)
    log = open_log(url, key_path=key, checkpoint_on_close=False)
    rng = random.Random(17)
    times = []
    try:
        for _ in range(runs):
            seq = rng.randrange(n)
            t = time.perf_counter()
            proof = log.prove(seq)
            times.append((time.perf_counter() - t) * 1000)
            assert proof["seq"] == seq and "checkpoint" in proof
    finally:
        log.close()
    times.sort()
    return times[len(times) // 2]


def checkpoint_sign_us(runs: int = 2000) -> float:
    """Median µs to sign one checkpoint note (Ed25519) with a loaded key: a checkpoint per batch costs this."""
    from blastdoor.audit.checkpoint import Checkpoint, Signer

    signer = Signer.generate("bench")
    c = Checkpoint("blastdoor.audit/bench", 123456, bytes(32))
    c.sign([signer])
    times = []
    for i in range(runs):
        c.size = i
        t = time.perf_counter()
        c.sign([signer])
        times.append((time.perf_counter() - t) * 1e6)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    args = ap.parse_args()
    secs = 2.0 if args.quick else 5.0
    big = 100_000 if args.quick else 1_000_000
    res: dict[str, float | int | str] = {}
    contract: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bd-bench-"))
    key = tmp / "audit.key"

    # CPU floor: sealing alone (no I/O), to compare against.
    head = Head(0, [], "", 0, 0.0)
    items = [Pending(b'{"x":1}', ("decision", "", "", "", "", ""))] * 1000
    t = time.perf_counter()
    for _ in range(20):
        seal_batch(head, items, time.time_ns())
    res["seal_entries_per_s"] = round(20_000 / (time.perf_counter() - t))

    res["fsync_us"] = round(fsync_us(tmp), 1)
    raw = raw_commit_us(tmp, (1, 4, 8), 1.5 if args.quick else 4.0)
    for n, (median, sustained) in raw.items():
        res[f"sqlite_raw_commit_us_{n}"] = round(median, 1)
        res[f"sqlite_raw_commit_sustained_us_{n}"] = round(sustained, 1)
    p = res["python_us_per_append"] = round(python_us_per_append(key), 1)
    res["sqlite_appends_per_s_8_ceiling"] = round(ceiling(raw[4][1], raw[8][1], p))
    res["sqlite_appends_per_s_8_ceiling_median"] = round(ceiling(raw[4][0], raw[8][0], p))
    print(
        f"fsync {res['fsync_us']} us; plain sqlite3 durable commit of 1 / 4 / 8 rows, sustained (median):"
        f" {' / '.join(f'{raw[n][1]:.0f} ({raw[n][0]:.0f})' for n in (1, 4, 8))} us; Python per append {p} us"
    )
    print(
        f"ceiling for 8 writer threads: max(4 / C(4), 8 / (C(8) + 8 p)) ="
        f" {res['sqlite_appends_per_s_8_ceiling']} durable appends/s"
        f" ({res['sqlite_appends_per_s_8_ceiling_median']} from median commits)"
    )
    for w in (1, 8):
        rate, cpu = appends(str(tmp / f"a{w}.db"), key, w, secs)
        res[f"sqlite_appends_per_s_{w}"] = round(rate)
        res[f"sqlite_cpu_us_per_append_{w}"] = round(cpu, 1)
        describe_batches(res, f"sqlite_{w}", BATCHES[str(tmp / f"a{w}.db")])
        print(
            f"sqlite, {w} writer thread(s): {res[f'sqlite_appends_per_s_{w}']:>8} durable appends/s,"
            f" {cpu:.0f} us of CPU (all threads) per append"
        )
    res["sqlite_appends_per_s_8procs"] = round(process_appends(str(tmp / "p.db"), key, 8, secs))
    print(f"sqlite, 8 writer processes:   {res['sqlite_appends_per_s_8procs']:>8} durable appends/s")
    res["hook_append_ms_over_bare_python"] = round(fresh_process_append(str(tmp / "h.db"), key, 7), 2)
    print(f"fresh process, open + 1 append: {res['hook_append_ms_over_bare_python']} ms over a bare interpreter")

    pg_ok = False
    if not args.no_pg:
        try:
            import psycopg

            psycopg.connect(PG, connect_timeout=3).close()
            pg_ok = True
        except Exception as exc:
            print(f"postgresql: skipped ({exc})")
    if pg_ok:
        import psycopg

        def scratch(name: str) -> str:
            return f"bd_bench_{os.getpid()}_{name}"

        try:
            pg_raw = pg_raw_commit_us(f"{PG}?schema={scratch('raw')}", (1, 4, 8), 1.5 if args.quick else 4.0)
            for n, (median, sustained) in pg_raw.items():
                res[f"pg_raw_commit_us_{n}"] = round(median, 1)
                res[f"pg_raw_commit_sustained_us_{n}"] = round(sustained, 1)
            res["pg_appends_per_s_8_ceiling"] = round(ceiling(pg_raw[4][1], pg_raw[8][1], p))
            res["pg_appends_per_s_8_ceiling_median"] = round(ceiling(pg_raw[4][0], pg_raw[8][0], p))
            print(
                "postgresql: plain psycopg durable commit of 1 / 4 / 8 rows, sustained (median):"
                f" {' / '.join(f'{pg_raw[n][1]:.0f} ({pg_raw[n][0]:.0f})' for n in (1, 4, 8))} us;"
                f" ceiling for 8 writer threads {res['pg_appends_per_s_8_ceiling']} appends/s"
                f" ({res['pg_appends_per_s_8_ceiling_median']} from median commits)"
            )
            for w in (1, 8):
                pg_url = f"{PG}?schema={scratch(str(w))}"
                res[f"pg_appends_per_s_{w}"] = round(appends(pg_url, key, w, secs)[0])
                describe_batches(res, f"pg_{w}", BATCHES[pg_url])
                print(f"postgresql, {w} writer thread(s): {res[f'pg_appends_per_s_{w}']:>8} durable appends/s")
            # Several servers on one control plane: processes, each its own handle and connection.
            for procs in (1, 4):
                rate = process_appends(f"{PG}?schema={scratch(f'p{procs}')}", key, procs, secs)
                res[f"pg_appends_per_s_{procs}procs"] = round(rate)
                print(f"postgresql, {procs} writer process(es): {res[f'pg_appends_per_s_{procs}procs']:>8} appends/s")
        finally:
            with psycopg.connect(PG, autocommit=True) as c:
                for name in ("raw", "1", "8", "p1", "p4"):
                    c.execute(f'DROP SCHEMA IF EXISTS "{scratch(name)}" CASCADE')
        res["append_ceiling_ratio_pg"] = contract["append_ceiling_ratio_pg"] = round(
            float(res["pg_appends_per_s_8"]) / float(res["pg_appends_per_s_8_ceiling"]), 3
        )
        res["append_ceiling_ratio_pg_median"] = round(
            float(res["pg_appends_per_s_8"]) / float(res["pg_appends_per_s_8_ceiling_median"]), 3
        )

    res["checkpoint_per_batch_us"] = contract["checkpoint_per_batch_us"] = round(checkpoint_sign_us(), 1)
    print(f"one Ed25519 checkpoint signature: {res['checkpoint_per_batch_us']} us")
    for n, name in ((10_000, "10k"), (100_000, "100k"), *(() if args.quick else ((1_000_000, "1m"),))):
        ms = prove_ms(str(tmp / f"prove-{name}.db"), key, n)
        res[f"prove_ms_{name}"] = contract[f"prove_ms_{name}"] = round(ms, 2)
        print(f"prove at {n} entries: {ms:.2f} ms (median, from the store's interior hashes)")

    # Verify and proofs on a big log.
    url = str(tmp / "big.db")
    build_log(url, key, big)
    log = open_log(url, key_path=key, checkpoint_on_close=False)
    floor_s, verify_s = verify_floor(log, 7 if args.quick else 5)
    res["verify_floor_ratio"] = contract["verify_floor_ratio"] = round(floor_s / verify_s, 3)
    print(
        f"verify: {verify_s:.2f} s, its floor (read + SHA-256 + root) {floor_s:.2f} s: ratio {floor_s / verify_s:.2f}"
    )
    t = time.perf_counter()
    report = log.verify()
    dt = time.perf_counter() - t
    assert report.ok, report.summary()
    res["verify_events"] = report.size
    res["verify_events_per_s"] = round(report.size / dt)
    print(f"verify: {report.size} entries in {dt:.2f} s = {res['verify_events_per_s']} entries/s")
    t = time.perf_counter()
    deep = log.verify(deep=True)
    res["verify_deep_events_per_s"] = round(deep.size / (time.perf_counter() - t))
    print(f"verify --deep: {res['verify_deep_events_per_s']} entries/s")
    t = time.perf_counter()
    proof = log.prove(big // 3)
    res["prove_ms"] = round((time.perf_counter() - t) * 1000, 1)
    res["proof_hashes"] = len(proof["path"])
    res["proof_bytes"] = len(json.dumps(proof))
    leaves = log.store.leaves(report.size)
    t = time.perf_counter()
    path = merkle.inclusion_proof(leaves, big // 3, report.size)
    res["inclusion_proof_from_leaves_ms"] = round((time.perf_counter() - t) * 1000, 1)
    r = merkle.root(leaves)
    t = time.perf_counter()
    for _ in range(1000):
        merkle.verify_inclusion(leaves[big // 3], big // 3, report.size, path, r)
    res["verify_proof_us"] = round((time.perf_counter() - t) * 1000, 1)
    cons = merkle.consistency_proof(leaves, big // 2, report.size)
    res["consistency_proof_hashes"] = len(cons)
    log.close()
    print(
        f"proof at {report.size} entries: {res['proof_hashes']} hashes, {res['proof_bytes']} bytes as JSON"
        f" (with entry and checkpoint), {res['prove_ms']} ms from the store"
        f" ({res['inclusion_proof_from_leaves_ms']} ms of it hashing), verify {res['verify_proof_us']} us"
    )
    res["append_ceiling_ratio"] = contract["append_ceiling_ratio"] = round(
        float(res["sqlite_appends_per_s_8"]) / float(res["sqlite_appends_per_s_8_ceiling"]), 3
    )
    res["append_ceiling_ratio_median"] = round(
        float(res["sqlite_appends_per_s_8"]) / float(res["sqlite_appends_per_s_8_ceiling_median"]), 3
    )
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)  # ~120 MB of databases per run
    print(json.dumps(res))
    order = [
        "prove_ms_10k",
        "prove_ms_100k",
        "prove_ms_1m",
        "verify_floor_ratio",
        "append_ceiling_ratio",
        "append_ceiling_ratio_pg",
    ]
    print(json.dumps({k: contract[k] for k in [*order, "checkpoint_per_batch_us"] if k in contract}))


if __name__ == "__main__":
    main()
