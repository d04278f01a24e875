"""How an agent (or a hurried person) would grant everything while looking narrow, and a property:
widening a permission never lowers an agent's tier; adding a deny never raises it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.inventory import scan

ENVS = {"prod": {"aws_profiles": ["prod*"]}}
PROD_AWS = "[profile prod]\nsso_account_id = 111122223333\n"


def _claude(tmp: Path, allow: list[str], deny: list[str] | None = None, *, file: str = "settings.json"):  # type: ignore[no-untyped-def]
    repo, home = tmp / "repo", tmp / "home"
    (repo / ".claude").mkdir(parents=True, exist_ok=True)
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "config").write_text(PROD_AWS)
    (repo / ".claude" / file).write_text(json.dumps({"permissions": {"allow": allow, "deny": deny or []}}, indent=2))
    report = scan([str(repo)], home=str(home), environments=ENVS, system=str(tmp))
    return next(a for a in report.agents if a.scope == "project"), report


@pytest.mark.parametrize(
    "rule",
    ["Bash", "Bash(*)", "Bash(:*)", "Bash( * )", "Bash(**)", "Bash(sudo:*)", "Bash(bash -c:*)", "Bash(env:*)",
     "Bash(/usr/bin/python3:*)", "Bash(xargs:*)", "Bash(npx:*)", "Bash(find:*)"],
)  # fmt: skip
def test_every_spelling_of_any_command_is_critical(tmp_path: Path, rule: str) -> None:
    agent, report = _claude(tmp_path, ["Bash(npm test)", rule])
    assert agent.tier == 1, (rule, agent.reasons)
    assert any(f.severity == "critical" and rule in f.message for f in report.findings)


def test_the_local_settings_file_is_read_too(tmp_path: Path) -> None:
    agent, _ = _claude(tmp_path, ["Bash(*)"], file="settings.local.json")
    assert agent.tier == 1


def test_an_escaped_rule_is_still_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".claude").mkdir(parents=True)
    (repo / ".claude" / "settings.json").write_text('{\n  "permissions": {\n    "allow": ["Bash(\\u002a)"]\n  }\n}\n')
    report = scan([str(repo)], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path))
    finding = next(f for f in report.findings if f.rule == "unrestricted-execution")
    assert finding.line == 3  # the enclosing key's line: the escaped text is not the decoded rule


def test_codex_rules_that_allow_a_shell_are_any_command(tmp_path: Path) -> None:
    rules = tmp_path / "home" / ".codex" / "rules"
    rules.mkdir(parents=True)
    (rules / "x.rules").write_text(
        'prefix_rule(pattern = ["git"], decision = "allow")\n\n'
        'prefix_rule(\n  pattern = ["bash", "-lc"],\n  decision = "allow",\n)\n'
    )
    report = scan([], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path))
    codex = next(a for a in report.agents if a.tool == "codex")
    (shell,) = [s for s in codex.scopes if s.kind == "shell-any"]
    assert shell.line == 3


def test_kiro_builtin_and_vscode_global_auto_approve(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".kiro" / "agents").mkdir(parents=True)
    (repo / ".kiro" / "agents" / "a.json").write_text('{"allowedTools": ["@builtin"]}')
    (repo / ".vscode").mkdir()
    (repo / ".vscode" / "settings.json").write_text('{\n  // yolo\n  "chat.tools.global.autoApprove": true,\n}\n')
    report = scan([str(repo)], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path))
    tiers = {a.tool: a.tier for a in report.agents}
    assert tiers == {"kiro": 2, "copilot": 2}
    vscode = next(f for f in report.findings if "global.autoApprove" in f.message)
    assert vscode.line == 3


SETTINGS = st.sampled_from(["Bash(npm test)", "Bash(*)", "Bash(aws:*)", "Write(*)", "Read(*)", "mcp__github",
                            "Bash(git status)", "Bash(kubectl get:*)", "Edit"])  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.lists(SETTINGS, max_size=4), extra=SETTINGS)
def test_widening_never_lowers_the_tier(tmp_path_factory, base: list[str], extra: str) -> None:  # type: ignore[no-untyped-def]
    before, _ = _claude(tmp_path_factory.mktemp("a"), base)
    wider, _ = _claude(tmp_path_factory.mktemp("b"), [*base, extra])
    assert wider.tier <= before.tier
    denied, _ = _claude(tmp_path_factory.mktemp("c"), [*base, extra], deny=[extra, "Bash(rm:*)"])
    assert denied.tier >= wider.tier  # a deny never makes an agent riskier


def test_a_password_in_the_settings_env_is_reported_never_shown(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".claude").mkdir(parents=True)
    (repo / ".claude" / "settings.json").write_text(
        '{\n  "env": {\n    "AWS_PROFILE": "dev",\n    "DATABASE_URL": "postgres://app:hunter2-long@db/app"\n  }\n}\n'
    )
    report = scan([str(repo)], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path))
    (finding,) = [f for f in report.findings if f.rule == "secret-in-config"]
    assert finding.line == 4 and "url-with-password" in finding.message
    assert "hunter2" not in json.dumps(report.to_dict())
