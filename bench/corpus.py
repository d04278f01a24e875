"""Score the recommended baseline on other people's labelled shell commands (the dcg corpus).

How (the scoring rule in tests/corpora/README.md): a case labelled deny/BLOCK is *stopped* when the verdict is
deny, approve or ask; a case labelled allow/ALLOW is *let through* only when the verdict is allow.
Reported: catch rate (stopped / must-stop) and false-block rate (not allowed / must-allow), per file and
overall, with and without the reviewed exceptions in ``bench/corpus_exceptions.yaml``; inputs that
crashed the classifier; inputs that took over 50 ms (classify + decide, warm process).

The policy is ``extends: [recommended]`` with the fallback defaults (default ask, unknown ask). The
context is a typical developer machine: HOME=/home/dev, TMPDIR=/tmp, cwd=/home/dev/project (which does
not exist here: scripts named by the corpus are not on disk).

Usage: ``python bench/corpus.py [--dcg PATH] [--show misses|blocks|all]``. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import time
import tomllib
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))

SLOW_MS = 50.0
BENCH_HOME = "/home/dev"
BENCH_CWD = "/home/dev/project"
BENCH_ENV = {"HOME": BENCH_HOME, "TMPDIR": "/tmp", "USER": "dev", "PATH": "/usr/local/bin:/usr/bin:/bin"}
POLICY = "version: 1\nextends: [recommended]\ndefault: ask\nunknown: ask\non_error: deny\n"


class Case:
    __slots__ = ("command", "file", "label")

    def __init__(self, file: str, label: str, command: str) -> None:
        self.file = file
        self.label = label  # allow | deny
        self.command = command


def default_dcg() -> str:
    """The copy kept in the repository (tests/corpora/dcg, MIT, see its SOURCE.md): a clone needs nothing beside it."""
    return os.path.join(ROOT, "tests", "corpora", "dcg")


def _yaml_commands(path: str) -> list[str]:
    """``- command: "..."`` lines, one by one: one fixture line is not valid YAML as a whole file."""
    import yaml

    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"\s*- command:\s*(.*)$", line)
            if not m:
                continue
            value = m.group(1).strip()
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                parsed = value[1:-1] if value[:1] in "\"'" else value
            out.append(str(parsed))
    return out


def load_cases(dcg: str) -> list[Case]:
    """Every labelled shell command of the corpus (hook-protocol cases of canonical.toml are skipped)."""
    import yaml

    tests = os.path.join(dcg, "tests")
    cases: list[Case] = []
    for path in sorted(glob.glob(os.path.join(tests, "corpus", "**", "*.toml"), recursive=True)):
        rel = os.path.relpath(path, dcg)
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        for c in data.get("case", []):
            if "command" not in c:
                continue
            label = c.get("expected", c.get("expected_decision"))
            if label in ("allow", "deny"):
                cases.append(Case(rel, label, c["command"]))
    fixtures = os.path.join(tests, "fixtures")
    for name, label in (("destructive_commands.yaml", "deny"), ("safe_commands.yaml", "allow")):
        path = os.path.join(fixtures, name)
        if os.path.exists(path):
            rel = os.path.relpath(path, dcg)
            cases.extend(Case(rel, label, cmd) for cmd in _yaml_commands(path))
    edge = os.path.join(fixtures, "edge_cases.yaml")
    if os.path.exists(edge):
        with open(edge, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        rel = os.path.relpath(edge, dcg)
        cases.extend(Case(rel, "allow", c["command"]) for c in data.get("false_positives", []))
        cases.extend(Case(rel, "deny", c["command"]) for c in data.get("false_negatives", []))
    cmd_dir = os.path.join(tests, "e2e", "fixtures", "commands")
    for path in sorted(glob.glob(os.path.join(cmd_dir, "*.txt"))):
        rel = os.path.relpath(path, dcg)
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        if name in ("dangerous.txt", "safe.txt"):
            label = "deny" if name == "dangerous.txt" else "allow"
            cases.extend(Case(rel, label, ln) for ln in lines if ln.strip() and not ln.startswith("#"))
            continue
        current: Case | None = None
        for ln in lines:
            m = re.match(r"^(ALLOW|BLOCK|WARN):(.*)$", ln)
            if m:
                if current is not None:
                    cases.append(current)
                current = None
                if m.group(1) != "WARN":  # WARN has no allow/deny meaning: not scored
                    label = "allow" if m.group(1) == "ALLOW" else "deny"
                    current = Case(rel, label, m.group(2).replace("\\n", "\n"))
            elif ln.startswith("#") or not ln.strip():
                if current is not None:
                    cases.append(current)
                current = None
            elif current is not None:
                current.command += "\n" + ln  # a literal multi-line heredoc
        if current is not None:
            cases.append(current)
    return cases


def load_exceptions(path: str) -> list[dict[str, str]]:
    import yaml

    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    items = data.get("exceptions", []) if isinstance(data, dict) else []
    for item in items:
        if not isinstance(item, dict) or not item.get("reason") or "command" not in item or "file" not in item:
            raise SystemExit(f"{path}: every exception needs file, command and reason: {item!r}")
    return list(items)


class Scorer:
    """Classify and decide one command the way a hook would (crashes are counted, not hidden)."""

    def __init__(self) -> None:
        from blastdoor.policy.compile import compile_sources
        from blastdoor.policy.layers import Source

        self.policy = compile_sources([Source("project", "<bench>", POLICY)], home=BENCH_HOME)

    def verdict(self, command: str) -> tuple[str, float, str]:
        from blastdoor.action import Action
        from blastdoor.classify import classify
        from blastdoor.policy import decide

        t0 = time.perf_counter()
        try:
            action = classify(
                Action("shell", raw=command, cwd=BENCH_CWD),
                self.policy.environments,
                environ=BENCH_ENV,
                home=BENCH_HOME,
            )
            verdict = decide(self.policy, action).verdict
            crash = ""
        except Exception as exc:  # a crash is a finding, reported below
            verdict, crash = self.policy.on_error, f"{type(exc).__name__}: {exc}"
        return verdict, (time.perf_counter() - t0) * 1000.0, crash


def score(cases: list[Case], exceptions: list[dict[str, str]], show: str = "") -> dict[str, Any]:
    scorer = Scorer()
    scorer.verdict("git status")  # warm: imports and caches
    exempt = {(e["file"], e["command"]) for e in exceptions}
    per_file: dict[str, dict[str, int]] = {}
    crashes: list[tuple[str, str]] = []
    slow: list[tuple[str, float]] = []
    totals = {
        "deny": 0,
        "stopped": 0,
        "allow": 0,
        "blocked": 0,
        "x_deny": 0,
        "x_stopped": 0,
        "x_allow": 0,
        "x_blocked": 0,
    }
    bypass = {"deny": 0, "stopped": 0}
    for case in cases:
        verdict, ms, crash = scorer.verdict(case.command)
        if crash:
            crashes.append((case.command, crash))
        if ms > SLOW_MS:
            slow.append((case.command, ms))
        f = per_file.setdefault(case.file, {"deny": 0, "stopped": 0, "allow": 0, "blocked": 0})
        exempted = (case.file, case.command) in exempt
        if case.label == "deny":
            stopped = verdict != "allow"
            f["deny"] += 1
            f["stopped"] += stopped
            totals["deny"] += 1
            totals["stopped"] += stopped
            if not exempted:
                totals["x_deny"] += 1
                totals["x_stopped"] += stopped
            if "bypass_attempts" in case.file:
                bypass["deny"] += 1
                bypass["stopped"] += stopped
            if not stopped and show in ("misses", "all"):
                print(f"MISS  {case.file}: {case.command!r} -> {verdict}{' (exception)' if exempted else ''}")
        else:
            blocked = verdict != "allow"
            f["allow"] += 1
            f["blocked"] += blocked
            totals["allow"] += 1
            totals["blocked"] += blocked
            if not exempted:
                totals["x_allow"] += 1
                totals["x_blocked"] += blocked
            if blocked and show in ("blocks", "all"):
                print(f"BLOCK {case.file}: {case.command!r} -> {verdict}{' (exception)' if exempted else ''}")

    def frac(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    print(f"{'file':60} {'catch':>12} {'false-block':>12}")
    for name in sorted(per_file):
        f = per_file[name]
        catch = f"{f['stopped']}/{f['deny']}" if f["deny"] else "-"
        fb = f"{f['blocked']}/{f['allow']}" if f["allow"] else "-"
        print(f"{name:60} {catch:>12} {fb:>12}")
    for cmd, err in crashes:
        print(f"CRASH {cmd!r}: {err}")
    for cmd, ms in slow:
        print(f"SLOW  {cmd[:80]!r}: {ms:.1f} ms")
    raw_catch = frac(totals["stopped"], totals["deny"])
    raw_fb = frac(totals["blocked"], totals["allow"])
    catch_rate = frac(totals["x_stopped"], totals["x_deny"])
    fb_rate = frac(totals["x_blocked"], totals["x_allow"])
    print(
        f"without exceptions: catch {totals['stopped']}/{totals['deny']} = {raw_catch:.2%}, "
        f"false-block {totals['blocked']}/{totals['allow']} = {raw_fb:.2%}"
    )
    print(
        f"with {len(exceptions)} exceptions: catch {totals['x_stopped']}/{totals['x_deny']} = {catch_rate:.2%}, "
        f"false-block {totals['x_blocked']}/{totals['x_allow']} = {fb_rate:.2%}"
    )
    print(f"bypass attempts: {bypass['stopped']}/{bypass['deny']}; crashes {len(crashes)}; slow inputs {len(slow)}")
    return {
        "dcg_cases": len(cases),
        "dcg_catch": catch_rate,
        "dcg_false_block": fb_rate,
        "dcg_exceptions": len(exceptions),
        "dcg_catch_raw": raw_catch,
        "dcg_false_block_raw": raw_fb,
        "bypass_catch": frac(bypass["stopped"], bypass["deny"]),
        "crashes": len(crashes),
        "slow_inputs": len(slow),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dcg", default=default_dcg(), help="the dcg corpus directory")
    parser.add_argument("--exceptions", default=os.path.join(HERE, "corpus_exceptions.yaml"))
    parser.add_argument("--show", choices=["misses", "blocks", "all"], default="")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.dcg):
        print(f"no corpus at {args.dcg}", file=sys.stderr)
        return 2
    cases = load_cases(args.dcg)
    exceptions = load_exceptions(args.exceptions)
    result = score(cases, exceptions, args.show)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
