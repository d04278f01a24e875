"""Every example in README.md, docs/ and `--help` runs as written (tests/docs/examples.py says how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.examples import ROOT, Session, help_sessions, markdown_sessions, run_example, sandbox

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKDOWN = markdown_sessions(DOCS)
HELP = help_sessions()


def _run(session: Session, tmp_path: Path, *, policy: bool = False) -> None:
    cwd, env = sandbox(tmp_path, policy=policy)
    failures = []
    for example in session.examples:
        problem = run_example(example, env, cwd)
        if problem:
            failures.append(f"{example.where}: `{example.line}`: {problem.strip()}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("session", MARKDOWN, ids=[s.name for s in MARKDOWN])
def test_markdown_examples_run(session: Session, tmp_path: Path) -> None:
    _run(session, tmp_path)


@pytest.mark.parametrize("session", HELP, ids=[s.name for s in HELP])
def test_help_examples_run(session: Session, tmp_path: Path) -> None:
    # A reader tries a command's examples in a project that has a policy (`init`'s own examples make one).
    _run(session, tmp_path, policy=not session.name.startswith("blastdoor init "))


def test_examples_are_found() -> None:
    # The collectors themselves: the README's sessions and the examples of the main commands are seen.
    assert any(s.name.startswith("README.md") for s in MARKDOWN)
    names = {s.name for s in HELP}
    for command in ("check", "exec", "approvals", "people", "audit", "serve"):
        assert any(n.startswith(f"blastdoor {command}") for n in names), (command, sorted(names))
