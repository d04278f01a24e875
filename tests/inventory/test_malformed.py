"""A malformed file is a finding with its position, and the scan goes on (never a crash)."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.inventory import scan
from tests.inventory.conftest import ENVIRONMENTS, FIXTURES

# every config file the scanners read in the fixture, by the path relative to the fixture root
CONFIGS = [
    "repo/.claude/settings.json",
    "repo/.mcp.json",
    "repo/.kiro/agents/ops.json",
    "repo/.kiro/settings/mcp.json",
    "repo/.gemini/settings.json",
    "repo/.cursor/cli.json",
    "repo/.vscode/settings.json",
    "home/.codex/config.toml",
    "home/.codex/rules/default.rules",
    "home/.claude/settings.json",
    "home/.kube/config",
    "home/.config/gh/hosts.yml",
    "home/.aws/config",
    "repo/.env",
]


def _scan(root: Path):  # type: ignore[no-untyped-def]
    return scan([str(root / "repo")], home=str(root / "home"), environments=ENVIRONMENTS, system=str(root / "system"))


def test_truncated_json_toml_yaml_are_findings_with_positions(risky: Path) -> None:
    claude = risky / "repo" / ".claude" / "settings.json"
    claude.write_text('{\n  "permissions": {\n    "allow": ["Bash(*)"\n')
    codex = risky / "home" / ".codex" / "config.toml"
    codex.write_text('approval_policy = "never"\nsandbox_mode = \n')
    kube = risky / "home" / ".kube" / "config"
    kube.write_text("contexts:\n- name: prod\n  context: [unclosed\n")
    report = _scan(risky)
    bad = {f.file: f for f in report.findings if f.rule == "malformed-config"}
    assert bad[str(claude)].line == 4 and "JSON" in bad[str(claude)].message
    assert bad[str(codex)].line == 2 and "TOML" in bad[str(codex)].message
    assert bad[str(kube)].line >= 3 and "YAML" in bad[str(kube)].message
    # the scan went on: the Kiro agent is still critical
    assert any(f.severity == "critical" and "kiro/ops" in f.agent for f in report.findings)


def test_wrong_types_are_findings_where_they_are(risky: Path) -> None:
    claude = risky / "repo" / ".claude" / "settings.json"
    claude.write_text('{\n  "permissions": {\n    "allow": "Bash(*)"\n  }\n}\n')
    kiro = risky / "repo" / ".kiro" / "agents" / "ops.json"
    kiro.write_text("[1, 2, 3]\n")
    mcp = risky / "repo" / ".mcp.json"
    mcp.write_text('{\n  "mcpServers": {\n    "x": "npx server"\n  }\n}\n')
    report = _scan(risky)
    bad = [(Path(f.file).name, f.line, f.message) for f in report.findings if f.rule == "malformed-config"]
    assert ("settings.json", 3, "`permissions.allow` should be a list of rules; the tool may ignore it") in bad
    assert any(name == "ops.json" and "expected a JSON object, found array" in m for name, _, m in bad)
    assert any(name == ".mcp.json" and line == 3 for name, line, _ in bad)


def test_unreadable_and_directory_in_place_of_a_file(risky: Path) -> None:
    target = risky / "repo" / ".cursor" / "cli.json"
    target.unlink()
    target.mkdir()  # a directory where a file should be: not a file, skipped
    settings_file = risky / "repo" / ".vscode" / "settings.json"
    settings_file.write_bytes(b"\xff\xfe{\x00\x00garbage")
    report = _scan(risky)
    assert any(f.file == str(settings_file) and f.rule == "malformed-config" for f in report.findings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(CONFIGS), data=st.binary(max_size=300), cut=st.integers(min_value=0, max_value=400))
def test_any_damage_to_any_file_never_crashes(tmp_path_factory, which: str, data: bytes, cut: int) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(FIXTURES / "risky", root, dirs_exist_ok=True)
    (root / "system").mkdir()
    path = root / which
    original = path.read_bytes()
    path.write_bytes(original[:cut] + data)  # truncated, then garbage
    report = _scan(root)
    assert report.agents  # the other files still give agents
    for f in report.findings:
        assert f.severity in ("critical", "high", "medium", "low", "info")
        assert f.line >= 0
