"""The done-when of #18: the risky fixtures yield critical findings naming each risk with file and line;
guarded (blastdoor's hooks installed fail-closed with `blastdoor install`, permissions narrowed) they do not."""

from __future__ import annotations

import json
import re
from pathlib import Path

from blastdoor.inventory import scan
from tests.inventory.conftest import ENVIRONMENTS, SECRETS, cli, line_of


def _scan(root: Path):  # type: ignore[no-untyped-def]
    return scan([str(root / "repo")], home=str(root / "home"), environments=ENVIRONMENTS, system=str(root / "system"))


def _critical(report) -> dict[tuple[str, int], str]:  # type: ignore[no-untyped-def]
    return {(f.file, f.line): f.message for f in report.findings if f.severity == "critical"}


def test_risky_fixture_names_each_critical_risk_with_file_and_line(risky: Path) -> None:
    report = _scan(risky)
    critical = _critical(report)
    claude = risky / "repo" / ".claude" / "settings.json"
    kiro = risky / "repo" / ".kiro" / "agents" / "ops.json"
    codex = risky / "home" / ".codex" / "config.toml"
    aws = risky / "home" / ".aws" / "config"
    wanted = {
        (str(claude), line_of(claude, '"Bash(*)"')): "Bash(*)",
        (str(kiro), line_of(kiro, '"allowedTools"') + 1): "allowedTools `*`",
        (str(codex), line_of(codex, "sandbox_mode = ")): "danger-full-access",
        (str(aws), line_of(aws, "[profile prod-admin]")): "prod-admin",
    }
    for where, words in wanted.items():
        assert where in critical, f"no critical finding at {where}: {sorted(critical)}"
        assert words in critical[where]
    tiers = {a.id.split("@")[0]: a.tier for a in report.agents}
    assert tiers["claude-code"] == 1 and tiers["kiro/ops"] == 1 and tiers["codex"] == 1
    codex_agent = next(a for a in report.agents if a.tool == "codex")
    assert "aws-profile:prod-admin" in codex_agent.prod_credentials
    assert any("reaches production" in r for r in codex_agent.reasons)
    staging = next(c for c in report.credentials if c.name == "staging-deploy")
    assert staging.env == "staging" and staging.line == line_of(aws, "[profile staging-deploy]")


def _narrow(root: Path) -> None:
    """Narrow each permission the way its tool documents it."""
    claude = root / "repo" / ".claude" / "settings.json"
    claude.write_text(claude.read_text().replace('"Bash(*)",', '"Bash(npm test)",'))
    kiro = root / "repo" / ".kiro" / "agents" / "ops.json"
    kiro.write_text(kiro.read_text().replace('"allowedTools": [\n    "*"\n  ]', '"allowedTools": ["fs_read"]'))
    codex = root / "home" / ".codex" / "config.toml"
    text = codex.read_text().replace('approval_policy = "never"', 'approval_policy = "on-request"', 1)
    codex.write_text(text.replace('sandbox_mode = "danger-full-access"', 'sandbox_mode = "workspace-write"', 1))


def _install_all(root: Path) -> None:
    home, repo = root / "home", root / "repo"
    for args in (
        ("claude-code",),
        ("kiro", "--kiro-agent", "ops"),
        ("cursor",),
        ("copilot",),
        ("gemini",),
    ):
        done = cli("install", *args, "--project", str(repo), home=home, cwd=repo)
        assert done.returncode == 0, done.stderr
    for harness in ("codex", "claude-code"):
        done = cli("install", harness, "--scope", "user", home=home, cwd=repo)
        assert done.returncode == 0, done.stderr


def test_guarded_and_narrowed_fixture_has_none_of_those_findings(risky: Path) -> None:
    before = {f.id for f in _scan(risky).findings if f.severity == "critical"}
    assert len(before) >= 4
    _narrow(risky)
    _install_all(risky)
    report = _scan(risky)
    assert not _critical(report), _critical(report)
    assert not before & {f.id for f in report.findings}
    by_tool = {a.id.split("@")[0]: a for a in report.agents}
    for name in ("claude-code", "kiro/ops", "cursor", "copilot", "gemini"):
        assert by_tool[name].hooks == "fail-closed", (name, by_tool[name].hook_gaps)
    assert by_tool["codex"].hooks == "fail-closed"
    assert all(a.tier >= 3 for a in report.agents), [(a.id, a.tier, a.reasons) for a in report.agents]


def test_hooks_alone_downgrade_but_do_not_hide(risky: Path) -> None:
    """Installed fail-closed hooks without narrowing: the broad rule is still reported, no longer critical."""
    _install_all(risky)
    report = _scan(risky)
    assert not _critical(report)
    broad = [f for f in report.findings if f.rule == "unrestricted-execution"]
    assert broad and all(f.severity == "medium" for f in broad)


def test_a_hook_that_fails_open_is_not_a_guard(risky: Path) -> None:
    done = cli("install", "claude-code", home=risky / "home", cwd=risky / "repo")
    assert done.returncode == 0, done.stderr
    claude = risky / "repo" / ".claude" / "settings.json"
    claude.write_text(claude.read_text().replace('"onFailure": "block"', '"onFailure": "continue"'))
    report = _scan(risky)
    agent = next(a for a in report.agents if a.id.startswith("claude-code@") and a.scope == "project")
    assert agent.hooks == "installed" and agent.tier == 1
    assert any(f.rule == "hook-fails-open" and f.agent == agent.id for f in report.findings)
    # the same hook at user scope, failing closed, guards the project too (Claude Code merges the layers)
    done = cli("install", "claude-code", "--scope", "user", home=risky / "home", cwd=risky / "repo")
    assert done.returncode == 0, done.stderr
    agent = next(a for a in _scan(risky).agents if a.id == agent.id)
    assert agent.hooks == "fail-closed" and agent.tier == 3


def test_secrets_are_never_printed_or_stored(risky: Path, tmp_path: Path) -> None:
    outputs = []
    for fmt in ("table", "json", "sarif", "markdown"):
        done = cli("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--format", fmt,
                   home=risky / "home", cwd=risky / "repo")  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout + done.stderr)
    register = tmp_path / "agents.yaml"
    done = cli("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--write-register", str(register),
               home=risky / "home", cwd=risky / "repo")  # fmt: skip
    outputs.append(register.read_text())
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text
    assert "GITHUB_PERSONAL_ACCESS_TOKEN" in outputs[1]  # the location and kind are reported


def test_finding_ids_are_stable_when_lines_move(risky: Path) -> None:
    first = {f.id: f.line for f in _scan(risky).findings}
    for path in (risky / "repo" / ".claude" / "settings.json", risky / "home" / ".aws" / "config"):
        text = path.read_text()
        path.write_text(text.replace("{", "{\n\n", 1) if path.suffix == ".json" else "# moved\n\n" + text)
    second = {f.id: f.line for f in _scan(risky).findings}
    assert set(first) == set(second)
    assert any(second[i] == first[i] + 2 for i in first)


def test_cli_fail_on_and_json(risky: Path) -> None:
    args = ("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--json")
    done = cli(*args, "--fail-on", "critical", home=risky / "home", cwd=risky / "repo")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["summary"]["tier_1"] >= 3
    assert all(re.fullmatch(r"INV-[0-9a-f]{12}", f["id"]) for f in data["findings"])
    empty = risky / "empty"
    empty.mkdir()
    done = cli("inventory", str(empty), "--home", str(empty), "--fail-on", "low", home=empty, cwd=empty)
    assert done.returncode == 0, done.stdout + done.stderr
    done = cli("inventory", str(risky / "nope"), home=empty, cwd=empty)
    assert done.returncode == 7 and "no such directory" in done.stderr


def test_finding_ids_are_the_same_on_another_checkout(risky: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    import shutil

    other = tmp_path_factory.mktemp("elsewhere") / "deep" / "checkout"
    shutil.copytree(risky, other)
    first = sorted((f.rule, f.id) for f in _scan(risky).findings)
    second = sorted((f.rule, f.id) for f in _scan(other).findings)
    assert first == second and len(first) > 5
