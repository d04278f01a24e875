"""Runners and multi-call binaries run the command they are given: it is judged, never the runner.

Cases written from coreutils (env, nice, nohup, stdbuf, timeout, chroot), util-linux (flock, ionice,
setsid, script, runuser, taskset, setpriv, unshare, nsenter), findutils (xargs), GNU parallel, procps
(watch), BusyBox/Toybox, sudo/doas/su, systemd-run, moreutils (chronic), expect (unbuffer), numactl,
caffeinate and aws-vault documentation.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.classify._judge import classified, part_with, severity

CWD = "/home/dev/project"

# {} is the command as separate words; {q} is the command as one shell-quoted word.
RUNNERS = [
    "busybox {}",
    "toybox {}",
    "busybox sh -c {q}",
    "command {}",
    "command -p {}",
    "builtin {}",
    "exec {}",
    "exec -a name {}",
    "nohup {}",
    "timeout 10 {}",
    "timeout -s KILL 10 {}",
    "timeout --signal=TERM --kill-after=5 1m {}",
    "timeout -k5 --preserve-status 10 {}",
    "nice {}",
    "nice -n 10 {}",
    "nice -10 {}",
    "nice --adjustment=5 {}",
    "ionice -c3 {}",
    "ionice -c 2 -n 7 {}",
    "stdbuf -oL {}",
    "stdbuf -o 0 -e 0 {}",
    "stdbuf --output=L {}",
    "chroot / {}",
    "chroot --userspec=1000:1000 / {}",
    "flock /tmp/lock {}",
    "flock -w 5 /tmp/lock {}",
    "flock -x -n /tmp/lock -c {q}",
    "flock --timeout=5 /tmp/lock --command {q}",
    "setsid {}",
    "setsid -f {}",
    "watch -x {}",
    "watch -n 1 -x {}",
    "watch -d -n1 {q}",
    "watch --exec {}",
    "parallel ::: {q}",
    "parallel -j4 ::: {q}",
    "unbuffer {}",
    "unbuffer -p {}",
    "doas {}",
    "doas -u root {}",
    "runuser -u root -- {}",
    "runuser -u root {}",
    "runuser -l root -c {q}",
    "su -c {q}",
    "su - root -c {q}",
    "su root --command={q}",
    "chronic {}",
    "systemd-run {}",
    "systemd-run --user --scope {}",
    "script -q -c {q} /dev/null",
    "script -qec {q} /dev/null",
    "caffeinate {}",
    "caffeinate -i -t 60 {}",
    "taskset 0x1 {}",
    "taskset -c 0,1 {}",
    "numactl --interleave=all {}",
    "numactl -N 0 -m 0 {}",
    "env -S {q}",
    "env --split-string={q}",
    "env -i {}",
    "env -u HOME -- {}",
    "setpriv --reuid=0 {}",
    "unshare -r {}",
    "nsenter -t 1 -m {}",
    "gosu root {}",
    "strace -f -o /dev/null {}",
    "xvfb-run -a {}",
    "tini -- {}",
    "proxychains4 -q {}",
    "fakeroot {}",
    "sudo {}",
    "sudo -u root -E {}",
]
CORPUS = [
    c["cmd"]
    for c in yaml.safe_load((Path(__file__).with_name("cases") / "shell.yaml").read_text(encoding="utf-8"))["cases"]
    if "\n" not in c["cmd"]
]
SIMPLE = [c for c in CORPUS if not any(tok in c for tok in ("&&", "||", ";", "|", "$(", "`", ">", "<", "&"))]


def wrap(runner: str, command: str) -> str:
    return runner.replace("{q}", shlex.quote(command)).replace("{}", command)


# -- every runner runs its command -------------------------------------------------------------------


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_runs_rm_rf_root(runner: str) -> None:
    action = classified(wrap(runner, "rm -rf /"), CWD)
    assert "wipe" in action.effects, (runner, action.effects)


@pytest.mark.parametrize(
    ("command", "effects"),
    [
        ("busybox --list", {"read"}),
        ("command -v rm", {"read"}),
        ("flock /tmp/lock true", {"read"}),
        ("sudo -l", {"read"}),
        ("doas -C /etc/doas.conf rm", {"read"}),
        ("numactl --hardware", {"read"}),
        ("env", {"read"}),
        ("timeout 5 ls", {"read"}),
        ("nice -n 5 git status", {"read"}),
        ("parallel echo ::: a b", {"read"}),
    ],
)
def test_runners_of_reads_stay_reads(command: str, effects: set[str]) -> None:
    assert set(classified(command, CWD).effects) == effects


@pytest.mark.parametrize(
    "command",
    [
        "xargs rm -rf",
        "xargs -0 rm -rf",
        "xargs -n1 -P4 rm -rf",
        "xargs -I{} rm -rf {}",
        "xargs -I {} rm -rf {}",
        "xargs -i rm -rf {}",
        "xargs --replace rm -rf {}",
        "xargs --replace=@ rm -rf @",
        "xargs -a list.txt rm -rf",
        "xargs --arg-file=list.txt rm -rf",
        "xargs -d '\\n' -r rm -rf",
        "xargs -L1 -t rm -rf",
        "xargs -l rm -rf",
        "xargs -e rm -rf",
        "xargs -0rn1 rm -rf",
        "xargs -tI{} sh -c 'rm -rf {}'",
    ],
)
def test_xargs_every_option_form_runs_its_command(command: str) -> None:
    action = classified(f"cat list.txt | {command}", CWD)
    assert "delete" in action.effects, (command, action.effects)
    assert "unknown" in action.effects or "?" in action.targets  # the arguments come from stdin


def test_xargs_without_a_command_echoes() -> None:
    assert set(classified("ls | xargs", CWD).effects) == {"read"}


def test_parallel_forms() -> None:
    assert "wipe" in classified("parallel rm -rf ::: / /home", CWD).effects
    assert "wipe" in classified("parallel 'rm -rf {}' ::: /", CWD).effects
    assert "unknown" in classified("parallel :::: commands.txt", CWD).effects
    assert "unknown" in classified("cat cmds | parallel", CWD).effects


def test_aws_vault_exec_gives_the_profile_to_the_command() -> None:
    action = classified("aws-vault exec prod -- aws cloudformation delete-stack --stack-name ce", CWD)
    stack = part_with(action, "aws:cloudformation:DeleteStack")
    assert stack.env == "prod" and "secrets" in stack.effects


def test_systemd_run_timers_persist() -> None:
    assert {"persist", "privilege"} <= set(classified("systemd-run --on-calendar=daily rm -rf /tmp/x", CWD).effects)


def test_script_writes_its_log() -> None:
    action = classified("script -c ls session.log", CWD)
    assert "write" in action.effects and f"{CWD}/session.log" in action.targets


# -- metamorphic: wrapping never lowers a verdict ---------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SIMPLE), st.sampled_from(RUNNERS))
def test_wrapping_a_corpus_command_in_a_runner_never_lowers_its_verdict(command: str, runner: str) -> None:
    assert severity(wrap(runner, command), CWD) >= severity(command, CWD), wrap(runner, command)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.sampled_from([r for r in RUNNERS if "{q}" in r]))
def test_handing_any_corpus_line_to_a_runner_as_text_never_lowers_its_verdict(command: str, runner: str) -> None:
    assert severity(wrap(runner, command), CWD) >= severity(command, CWD), wrap(runner, command)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SIMPLE), st.lists(st.sampled_from([r for r in RUNNERS if "{q}" not in r]), min_size=2, max_size=3)
)
def test_stacked_runners_never_lower_a_verdict(command: str, runners: list[str]) -> None:
    text = command
    for r in runners:
        text = wrap(r, text)
    assert severity(text, CWD) >= severity(command, CWD), text


def _open_corpus() -> list[str]:
    import importlib.util
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("corpus_for_wrappers", os.path.join(root, "bench", "corpus.py"))
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return [c.command for c in corpus.load_cases(corpus.default_dcg()) if "\n" not in c.command]


@pytest.mark.slow
def test_wrapping_never_lowers_a_verdict_on_the_whole_open_corpus() -> None:
    """Every open-corpus command in every runner (text runners for all, argv runners for simple ones)."""
    commands = _open_corpus()
    base = {c: severity(c, CWD) for c in commands}
    checked = 0
    lowered: list[str] = []
    for command in commands:
        simple = not any(tok in command for tok in ("&&", "||", ";", "|", "$(", "`", ">", "<", "&"))
        for runner in RUNNERS:
            if "{q}" not in runner and not simple:
                continue
            text = wrap(runner, command)
            checked += 1
            if severity(text, CWD) < base[command]:
                lowered.append(text)
    assert checked > 50_000, checked  # the corpus is there and every runner ran
    assert not lowered, lowered[:20]


@pytest.mark.parametrize("runner", ["env {}", "env -i {}", "env -u X {}", "sudo {}", "nohup {}"])
def test_a_variable_the_shell_runs_later_is_judged_behind_a_runner(runner: str) -> None:
    # Found by the metamorphic test above: `env -i BASH_ENV=/tmp/x.sh bash -c true` was allowed while the
    # same assignment without `env` asked; env's own NAME=value operands skipped the judgment.
    assert severity(wrap(runner, "BASH_ENV=/tmp/x.sh bash -c true"), CWD) >= 1
