"""The boundary statement matches the policy in force; acknowledgements are bound to its version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blastdoor.cli import exits
from blastdoor.cli.main import main
from blastdoor.errors import Forbidden
from blastdoor.policy import load_policy
from tests.governance.test_drill import NO_PROD, PROD


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "blastdoor.yaml"
    path.write_text(text)
    return path


def test_every_rule_is_stated_under_its_verdict(tmp_path: Path, capsys: Any) -> None:
    path = _policy(tmp_path, PROD)
    assert main(["boundary", "statement", "--policy", str(path), "--no-cache", "--json"]) == 0
    text = json.loads(capsys.readouterr().out)["markdown"]
    policy = load_policy(str(tmp_path), project=str(path), managed="none", use_cache=False)
    headings = {"allow": "Permitted", "ask": "confirmation", "approve": "approval", "deny": "Prohibited"}
    for rule in policy.rules:
        assert f"`{rule.id}`" in text
        # the rule's line comes after the heading of its verdict
        section = text[: text.index(f"`{rule.id}`")]
        last = max(section.rfind(h) for h in headings.values())
        assert section.rfind(headings[rule.verdict]) == last, rule.id
    assert "111122223333" in text and "**prod**" in text
    # an exception is part of the boundary: everyday changes pass, except in prod and on cloud tools
    local = next(ln for ln in text.splitlines() if "`recommended.local-changes`" in ln)
    assert "except where env prod" in local and "terraform" in local


def test_acknowledgements_follow_the_version(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "log.db")
    path = _policy(tmp_path, PROD)
    base = ["--policy", str(path), "--no-cache", "--db", db]
    assert main(["boundary", "acknowledge", *base]) == 0
    assert main(["boundary", "acknowledgements", *base, "--json"]) == 0
    capsys.readouterr()
    assert main(["boundary", "acknowledgements", *base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["acknowledged"]) == 1
    who = report["acknowledged"][0]["by"]
    # the policy changes: the statement is a new version nobody has acknowledged yet
    path.write_text(NO_PROD)
    assert main(["boundary", "acknowledgements", *base, "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["version"] != report["version"]
    assert after["acknowledged"] == [] and after["only_older_versions"] == [who]


def test_no_one_acknowledges_for_someone_else(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BLASTDOOR_TOKEN", raising=False)
    db = str(tmp_path / "log.db")
    path = _policy(tmp_path, PROD)
    assert main(["people", "add", "alice", "--role", "admin", "--db", db]) == 0
    capsys.readouterr()
    # once people are configured, acknowledging needs the person's own token
    code = main(["boundary", "acknowledge", "--policy", str(path), "--db", db])
    assert code == exits.exit_for(Forbidden("x"))
    assert main(["boundary", "acknowledgements", "--policy", str(path), "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["acknowledged"] == [] and report["not_acknowledged"] == ["alice"]


def test_enforcement_follows_the_installed_hooks_but_not_the_version(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    path = _policy(tmp_path, PROD)
    args = ["boundary", "statement", "--policy", str(path), "--no-cache", "--cwd", str(tmp_path), "--json"]
    assert main(args) == 0
    before = json.loads(capsys.readouterr().out)
    row = next(ln for ln in before["markdown"].splitlines() if ln.startswith("| claude-code |"))
    assert "not installed" in row
    assert main(["install", "claude-code"]) == 0
    capsys.readouterr()
    assert main(args) == 0
    after = json.loads(capsys.readouterr().out)
    row = next(ln for ln in after["markdown"].splitlines() if ln.startswith("| claude-code |"))
    assert "not installed" not in row and "settings.json" in row
    assert after["version"] == before["version"], "the version is the policy's statement, not this machine's"
