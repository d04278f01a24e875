"""The guard sweep's word memo changes no verdict.

The sweep (classify/shell/_guard_sweep.py) remembers, per environment, which guard places each word
names from each working directory. The oracles below are the sweep's word and token scans as they
were before the memos: every candidate of every word normalised and asked of ``classify.files.guard_of``. Hypothesis
draws commands over a real home that holds guard places, symlinks into them, option values, quoted
literals and `..` forms, from working directories inside and outside guard places and with blastdoor's
data directory moved by ``BLASTDOOR_HOME``; each is classified with a memo warmed by every command
before it, and must equal, part for part, its classification through the oracle.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.shell import _guard_sweep, classify_shell_text
from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from blastdoor.classify.shell._state import Part, State


def _oracle_guarded(part: Part, st: State, key: tuple[str | None, ...], loose: bool) -> tuple[str, str]:
    """``_guarded`` without the word memo (the code before it, kept here as the reference)."""
    for target in part.targets:
        hit = _guard_sweep._SQL_TARGET.match(target)
        if hit and hit.group(1).lower() in _guard_sweep.STORE_NAMES:
            return f"changes blastdoor's audit store (`{hit.group(1)}`)", target
        if target.startswith("/") and target not in part.paths:
            why = _guard_sweep._guard_of(target, st, key)
            if why:
                return f"writes {target}: {why}", target
    words = _guard_sweep._words(part.command)
    for word in words[1 : _guard_sweep._MAX_WORDS]:
        if not loose and "/" not in word and "." not in word:
            continue
        for candidate in _guard_sweep._candidates(word):
            path = _guard_sweep._path(candidate, part.cwd)
            if path == DYNAMIC or part.paths.get(path) == "read":
                continue
            why = _guard_sweep._guard_of(path, st, key)
            if why:
                return f"`{words[0]}` acts on {path}: {why}", path
    return "", ""


def _oracle_named_in(text: str, st: State, cwd: str | None, key: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """``_named_in`` without the token memo (the code before it)."""
    seen: set[str] = set()
    for token in _guard_sweep._TOKEN.findall(text):
        if ("/" not in token and "." not in token) or token in seen or len(token) > 4096:
            continue
        seen.add(token)
        path = _guard_sweep._path(token, cwd)
        if path == DYNAMIC:
            continue
        why = _guard_sweep._guard_of(path, st, key)
        if why:
            return [(path, why)]
    return []


def _full(text: str, ctx: ClassifyContext) -> list[dict[str, object]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_guard_sweep, "_guarded", _oracle_guarded)
        mp.setattr(_guard_sweep, "_named_in", _oracle_named_in)
        return _parts(text, ctx)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("sweep")
    home = root / "home"
    (home / ".config" / "blastdoor").mkdir(parents=True)
    (home / ".config" / "blastdoor" / "policy.yaml").write_text("version: 1\n")
    (home / "proj" / ".claude").mkdir(parents=True)
    (home / "proj" / ".claude" / "settings.json").write_text("{}")
    (home / "proj" / "src").mkdir()
    (home / "alt").mkdir()
    # Names that say nothing of where they lead: only the symlink's target makes them guard places.
    os.symlink(home / ".config" / "blastdoor", home / "proj" / "conf")
    os.symlink(home / "proj" / ".claude" / "settings.json", home / "proj" / "notes.json")
    yield home


# `{}` is where the words go. The last three act on what they are handed at run time (xargs) or run
# code from stdin: the whole input's words are looked at for them.
PROGRAMS = [
    "sed -i s/a/b/ {}",
    "perl -pi -e s/x/y/ {}",
    "python3 -c {}",
    "cp x {}",
    "tee {}",
    "vim {}",
    "frob {}",
    "cat {}",
    "rm -rf {}",
    "echo {} | xargs rm -f",
    "cat {} | python3 -",
    "printf '%s\\n' {} | bash -s",
]
WORDS = [
    "conf/policy.yaml",
    "notes.json",
    "./notes.json",
    "src/../notes.json",
    ".claude/settings.json",
    "settings.json",
    "policy.yaml",
    "~/.config/blastdoor/policy.yaml",
    "../.config/blastdoor/policy.yaml",
    "{home}/.config/blastdoor/policy.yaml",
    "{home}/alt/store.sqlite",
    "{home}/alt",
    "store.sqlite",
    "--file={home}/proj/conf/x",
    "--out=notes.json",
    '\'open("notes.json", "w")\'',
    "\"open('{home}/alt/k', 'w')\"",
    "README.md",
    "src/main.py",
    "..",
    "-v",
    "plain",
    "sql:table/audit_event",
]
CWDS = ["proj", "proj/src", "proj/.claude", ".config/blastdoor", "alt", ""]


def _ctx(home: Path, cwd: str, moved: bool) -> ClassifyContext:
    env = {"HOME": str(home), "TMPDIR": "/tmp"}
    if moved:
        env["BLASTDOOR_HOME"] = str(home / "alt")
    return ClassifyContext(env, str(home), str(home / cwd) if cwd else str(home))


def _parts(text: str, ctx: ClassifyContext) -> list[dict[str, object]]:
    return [p.to_dict(part=True) for p in classify_shell_text(text, ctx)]


# `cd` first: the part then runs somewhere else than the input's working directory.
CDS = ["", "cd src && ", "cd .. && ", "cd .claude; ", "cd {home}/.config/blastdoor && ", "cd {home}/proj && "]
COMMAND = st.tuples(
    st.sampled_from(CDS),
    st.sampled_from(PROGRAMS),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    st.booleans(),
)
Run = tuple[tuple[str, str, list[str], bool], str, bool]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(COMMAND, st.sampled_from(CWDS), st.booleans()), min_size=1, max_size=6))
def test_the_memo_gives_the_full_scans_verdicts(home: Path, runs: list[Run]) -> None:
    for (cd, program, words, redirect), cwd, moved in runs:
        text = cd + program.replace("{}", " ".join(words)).replace("{home}", str(home))
        if redirect:
            text += " > out.txt"
        ctx = _ctx(home, cwd, moved)
        memoised = _parts(text, ctx)  # the memos warmed by every command before this one
        assert memoised == _full(text, ctx), (text, cwd, moved)


def test_the_corpus_verdicts_equal_the_full_scans() -> None:
    """Every dcg corpus command, twice (cold then warm memo), equals the oracle's classification."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # Loaded from its file, as tests/classify/test_corpus.py does (bench/ on sys.path would shadow `mcp`).
    spec = importlib.util.spec_from_file_location("corpus_for_sweep", os.path.join(root, "bench", "corpus.py"))
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    ctx = ClassifyContext(corpus.BENCH_ENV, corpus.BENCH_HOME, corpus.BENCH_CWD)
    commands = [case.command for case in corpus.load_cases(corpus.default_dcg())]
    assert len(commands) > 1000
    _guard_sweep._WORD_MEMO.clear()
    _guard_sweep._TOKEN_MEMO.clear()
    for _ in range(2):
        for text in commands:
            assert _parts(text, ctx) == _full(text, ctx), text


def test_a_symlink_into_the_guard_is_found_through_the_memo(home: Path) -> None:
    """The case a literal prefilter by guard names would miss: nothing in the word says blastdoor."""
    ctx = _ctx(home, "proj", False)
    for _ in range(2):  # cold, then from the memo
        parts = classify_shell_text("sed -i s/a/b/ conf/policy.yaml", ctx)
        assert "guard" in parts[0].effects
