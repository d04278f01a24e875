"""Metamorphic properties over the whole open corpus: rewriting a command without changing what it does
never lowers its verdict under the recommended policy.

The transformations follow the programs' own parsers: bash (a redirection may stand anywhere among
the words, quoting and backslashes are removed before the program sees its argv, `$(echo rm)` is
`rm`, `timeout`/`nice`/`env`/`command` run the command they are given), GNU getopt (short flags
cluster and split, options may follow operands, `--` ends options), git's parse-options (`-c
key=value` and `-C dir` before the subcommand), the AWS CLI (its global options may stand anywhere,
`--opt value` is `--opt=value`) and cobra (kubectl's flags may stand before the verb). Each rewrite
applies only where it is valid for that program; each variant's verdict must be at least as severe
as the original's.

Two runs: a deterministic enumeration of every applicable rewrite of every corpus command, and a
bounded hypothesis run composing two or three rewrites. The counts are printed (``pytest -s``) and
asserted to be substantial, so a loader that silently finds nothing fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("corpus_for_metamorphic", os.path.join(ROOT, "bench", "corpus.py"))
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

SEVERITY = {"allow": 0, "ask": 1, "approve": 2, "deny": 3}

# A command we rewrite is one plain simple command: words of safe characters only, so splitting on
# spaces is exactly how bash splits it and every rewrite below is valid shell.
_PLAIN = re.compile(r"^[A-Za-z0-9_./=:@%+,~^-]+( [A-Za-z0-9_./=:@%+,~^-]+)*$")
# GNU getopt programs (coreutils and friends): clusters split, options permute after operands, `--`.
_GETOPT = frozenset(
    ("rm", "rmdir", "cp", "mv", "ln", "chmod", "chown", "chgrp", "mkdir", "touch", "shred", "ls", "cat", "unlink")
)
# Short options of those programs that take a value (a cluster is split only when these come last).
_GETOPT_VALUE = frozenset("tSZ")
_GIT_VALUE = frozenset("mFCcSuetbBo")
_RUNNERS = ("timeout 10", "nice", "nice -n 5", "env", "command", "nohup", "timeout -s KILL 30")
_AWS_GLOBAL = frozenset(("--profile", "--region", "--output", "--endpoint-url", "--query"))
_KUBE_GLOBAL = frozenset(("--context", "-n", "--namespace", "--kubeconfig", "--cluster", "--user"))


def find_corpus() -> str:
    """The dcg corpus, where bench/corpus.py reads it (tests/corpora/dcg)."""
    return str(corpus.default_dcg())


# -- rewrites: argv (a list of plain words) -> variant command lines ---------------------------------

Rewrite = tuple[str, "Callable[[list[str]], list[str]]"]


def _join(words: list[str]) -> str:
    return " ".join(words)


def r_runner(w: list[str]) -> list[str]:
    return [f"{r} {_join(w)}" for r in _RUNNERS]


def r_quote_program(w: list[str]) -> list[str]:
    head, rest = w[0], w[1:]
    out = [_join([f"'{head}'", *rest]), _join([f'"{head}"', *rest])]
    if len(head) >= 2 and head[1].isalnum():
        out.append(_join([head[0] + "\\" + head[1:], *rest]))
    return out


def r_echo_program(w: list[str]) -> list[str]:
    """The program name printed by a constant `echo` and substituted: bash runs the same word."""
    head, rest = w[0], w[1:]
    if "~" in head:
        return []
    return [_join([f"$(echo {head})", *rest]), _join([f"`echo {head}`", *rest]), _join([f'"$(echo {head})"', *rest])]


def r_quote_args(w: list[str]) -> list[str]:
    if len(w) < 2:
        return []
    # A quoted `~` is a literal file name, not home: words with a tilde stay as they are.
    single = [a if "~" in a else f"'{a}'" for a in w[1:]]
    double = [a if "~" in a else f'"{a}"' for a in w[1:]]
    return [_join([w[0], *single]), _join([w[0], *double])]


def r_redirect(w: list[str]) -> list[str]:
    out = []
    for i in range(1, len(w) + 1):
        out.append(_join([*w[:i], ">/dev/null", *w[i:]]))
        out.append(_join([*w[:i], "2>/dev/null", *w[i:]]))
    out.append(_join([">/dev/null", *w]))
    return out


def r_heredoc(w: list[str]) -> list[str]:
    """A heredoc (stdin these programs never read for their operands) before or among the words."""
    if _program(w) not in _GETOPT or _program(w) == "cat":
        return []
    return [
        _join([w[0], "<<EOF", *w[1:]]) + "\nhello\nEOF",
        _join([w[0], "<<'EOF'", ">/dev/null", *w[1:]]) + "\nhello\nEOF",
        _join([*w, "<<<", "hello"]),
    ]


def _split_cluster(word: str, program: str) -> list[str] | None:
    if not re.fullmatch(r"-[A-Za-z]{2,}", word):
        return None
    letters = word[1:]
    if any(c in _GETOPT_VALUE for c in letters[:-1]) or (
        program == "git" and any(c in "mFCcSuetbBo" for c in letters[:-1])
    ):
        return None
    return [f"-{c}" for c in letters]


def _program(w: list[str]) -> str:
    return w[0].rsplit("/", 1)[-1]


def r_split_flags(w: list[str]) -> list[str]:
    prog = _program(w)
    if prog not in _GETOPT and prog != "git":
        return []
    out = []
    for i, word in enumerate(w[1:], 1):
        if word == "--":
            break
        split = _split_cluster(word, prog)
        if split is not None:
            out.append(_join([*w[:i], *split, *w[i + 1 :]]))
    return out


def r_join_flags(w: list[str]) -> list[str]:
    prog = _program(w)
    if prog not in _GETOPT:
        return []
    flags = [i for i, word in enumerate(w[1:], 1) if re.fullmatch(r"-[A-Za-z]", word) and word[1] not in _GETOPT_VALUE]
    if len(flags) < 2:
        return []
    joined = "-" + "".join(w[i][1] for i in flags)
    rest = [word for i, word in enumerate(w) if i not in flags]
    return [_join([rest[0], joined, *rest[1:]])]


def _getopt_split(w: list[str]) -> tuple[list[str], list[str]] | None:
    """(options, operands) of a getopt program whose options take no value, else None."""
    opts, operands = [], []
    for word in w[1:]:
        if word == "--":
            return None
        if word.startswith("-") and len(word) > 1:
            if not re.fullmatch(r"-[A-Za-z]+|--[a-z-]+", word) or any(c in _GETOPT_VALUE for c in word[1:]):
                return None
            opts.append(word)
        else:
            operands.append(word)
    return opts, operands


def r_ddash(w: list[str]) -> list[str]:
    if _program(w) not in _GETOPT:
        return []
    parts = _getopt_split(w)
    if parts is None or not parts[1]:
        return []
    opts, operands = parts
    return [_join([w[0], *opts, "--", *operands])]


def r_permute(w: list[str]) -> list[str]:
    if _program(w) not in _GETOPT:
        return []
    parts = _getopt_split(w)
    if parts is None or not parts[0] or not parts[1]:
        return []
    opts, operands = parts
    return [_join([w[0], *operands, *opts]), _join([w[0], operands[0], *opts, *operands[1:]])]


def _pairs(w: list[str], names: frozenset[str]) -> tuple[list[str], list[str]]:
    """Split out `--name value` / `--name=value` pairs of the given global options."""
    moved: list[str] = []
    rest: list[str] = []
    i = 1
    while i < len(w):
        word = w[i]
        name = word.split("=", 1)[0]
        if name in names and "=" in word:
            moved.append(word)
        elif name in names and i + 1 < len(w):
            moved.extend([word, w[i + 1]])
            i += 1
        else:
            rest.append(word)
        i += 1
    return moved, rest


def r_global_options(w: list[str]) -> list[str]:
    prog = _program(w)
    out = []
    if prog == "aws":
        moved, rest = _pairs(w, _AWS_GLOBAL)
        if moved:
            out += [_join([w[0], *moved, *rest]), _join([w[0], *rest, *moved])]
            if len(rest) >= 2:
                out.append(_join([w[0], rest[0], *moved, *rest[1:]]))
    elif prog == "kubectl":
        moved, rest = _pairs(w, _KUBE_GLOBAL)
        if moved:
            out += [_join([w[0], *moved, *rest]), _join([w[0], *rest, *moved])]
    elif prog == "git" and len(w) > 1 and not w[1].startswith("-"):
        out += [_join([w[0], "-c", "color.ui=false", *w[1:]]), _join([w[0], "-C", ".", *w[1:]])]
    elif prog == "helm":
        moved, rest = _pairs(w, frozenset(("--kube-context", "-n", "--namespace")))
        if moved:
            out += [_join([w[0], *moved, *rest]), _join([w[0], *rest, *moved])]
    return out


def _aws_switches() -> frozenset[str]:
    from blastdoor.classify.shell._argv import COMMANDS

    return frozenset(COMMANDS["aws"].get("switches") or ())


_KUBE_VALUE = frozenset(("--namespace", "--context", "--kubeconfig", "--cluster", "--user", "--selector", "--output"))


def r_long_equals(w: list[str]) -> list[str]:
    """`--opt value` <-> `--opt=value` for options that take a value (AWS CLI: all but its switches)."""
    prog = _program(w)
    if prog == "aws":
        switches = _aws_switches()

        def takes(opt: str) -> bool:
            return opt not in switches

    elif prog == "kubectl":

        def takes(opt: str) -> bool:
            return opt in _KUBE_VALUE

    else:
        return []
    out = []
    for i in range(1, len(w)):
        opt, value = w[i], (w[i + 1] if i + 1 < len(w) else "-")
        if opt.startswith("--") and "=" not in opt and takes(opt) and not value.startswith("-"):
            out.append(_join([*w[:i], f"{opt}={value}", *w[i + 2 :]]))
        elif opt.startswith("--") and "=" in opt and takes(opt.split("=", 1)[0]):
            name, _, val = opt.partition("=")
            if val and not val.startswith("-"):
                out.append(_join([*w[:i], name, val, *w[i + 1 :]]))
    return out


REWRITES: list[tuple[str, Callable[[list[str]], list[str]]]] = [
    ("long-equals", r_long_equals),
    ("runner", r_runner),
    ("quote-program", r_quote_program),
    ("echo-program", r_echo_program),
    ("quote-args", r_quote_args),
    ("redirect", r_redirect),
    ("heredoc", r_heredoc),
    ("split-flags", r_split_flags),
    ("join-flags", r_join_flags),
    ("ddash", r_ddash),
    ("permute", r_permute),
    ("global-options", r_global_options),
]


# -- the corpus and its verdicts -------------------------------------------------------------------

_state: dict[str, Any] = {}


def _setup() -> tuple[Any, list[tuple[str, list[str], str]]]:
    """The scorer and every plain corpus command with its argv and original verdict (once)."""
    if not _state:
        dcg = find_corpus()
        assert os.path.isdir(dcg), f"no dcg corpus at {dcg}"
        scorer = corpus.Scorer()
        plain: list[tuple[str, list[str], str]] = []
        seen: set[str] = set()
        for case in corpus.load_cases(dcg):
            cmd = case.command.strip()
            if cmd in seen or not _PLAIN.match(cmd):
                continue
            seen.add(cmd)
            plain.append((cmd, cmd.split(" "), scorer.verdict(cmd)[0]))
        _state["scorer"] = scorer
        _state["plain"] = plain
        _state["cases"] = len(seen)
    return _state["scorer"], _state["plain"]


def _lowered(scorer: Any, original: str, verdict: str, variant: str) -> str | None:
    got = scorer.verdict(variant)[0]
    if SEVERITY[got] < SEVERITY[verdict]:
        return f"{original!r} -> {verdict}, but {variant!r} -> {got}"
    return None


@pytest.mark.slow
def test_rewrites_never_lower_a_verdict_over_the_whole_corpus() -> None:
    scorer, plain = _setup()
    assert len(plain) >= 300, f"only {len(plain)} plain commands found in the corpus"
    failures: list[str] = []
    counts: dict[str, int] = {}
    for cmd, words, verdict in plain:
        for name, rewrite in REWRITES:
            for variant in rewrite(words):
                if variant == cmd:
                    continue
                counts[name] = counts.get(name, 0) + 1
                bad = _lowered(scorer, cmd, verdict, variant)
                if bad:
                    failures.append(f"[{name}] {bad}")
    total = sum(counts.values())
    print(f"\nmetamorphic: {len(plain)} plain corpus commands, {total} variants checked: {counts}")
    _state["enumerated"] = total
    assert total >= 5000, counts
    for name, _ in REWRITES:
        assert counts.get(name, 0) > 0, f"rewrite {name} never applied"
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


@pytest.mark.slow
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=hs.data())
def test_composed_rewrites_never_lower_a_verdict(data: hs.DataObject) -> None:
    scorer, plain = _setup()
    cmd, _words, verdict = data.draw(hs.sampled_from(plain), label="command")
    current = cmd
    steps = data.draw(hs.lists(hs.sampled_from(REWRITES), min_size=2, max_size=3), label="rewrites")
    applied = []
    for name, rewrite in steps:
        if not _PLAIN.match(current):
            break  # quoted or redirected now: later rewrites need plain words
        variants = [v for v in rewrite(current.split(" ")) if v != current]
        if not variants:
            continue
        current = data.draw(hs.sampled_from(variants), label=name)
        applied.append(name)
    bad = _lowered(scorer, cmd, verdict, current)
    assert bad is None, f"after {applied}: {bad}"


# Incomplete tails: bash would refuse the whole line, blastdoor still judges the complete command before
# the error (an incomplete tail never hides what precedes it), and a read stays a read.
_TAILS = (" |", " &&", " ||", " 'unterminated", ' "unterminated', " $(", " (")


@pytest.mark.slow
def test_an_incomplete_tail_never_hides_the_command_before_it() -> None:
    scorer, plain = _setup()
    failures = []
    checked = 0
    for cmd, _words, verdict in plain:
        for tail in _TAILS:
            checked += 1
            bad = _lowered(scorer, cmd, verdict, cmd + tail)
            if bad:
                failures.append(bad)
    print(f"\nincomplete tails: {checked} variants checked")
    assert checked >= 3000
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


def _effects(cmd: str) -> set[str]:
    from blastdoor.action import Action
    from blastdoor.classify import classify

    action = classify(
        Action("shell", raw=cmd, cwd=corpus.BENCH_CWD), {}, environ=corpus.BENCH_ENV, home=corpus.BENCH_HOME
    )
    return set(action.effects)


@pytest.mark.slow
def test_an_incomplete_tail_after_a_read_is_not_asked() -> None:
    scorer, plain = _setup()
    reads = [cmd for cmd, _words, verdict in plain if verdict == "allow" and _effects(cmd) == {"read"}]
    assert len(reads) >= 100
    for cmd in reads:
        # (a quote opened after the command's own words would only add an argument to it)
        for tail in (" |", " &&", " ||", '; "unterminated', "; 'unterminated; rm -rf /", "; for"):
            got = _effects(cmd + tail)
            assert "unknown" not in got and scorer.verdict(cmd + tail)[0] == "allow", f"{cmd + tail!r} -> {sorted(got)}"
