"""SARIF validates against the vendored SARIF 2.1.0 schema; the register diff reports what changed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from blastdoor.inventory import register, scan
from blastdoor.inventory.sarif import to_sarif
from tests.inventory.conftest import ENVIRONMENTS, cli, line_of

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def _scan(root: Path):  # type: ignore[no-untyped-def]
    return scan([str(root / "repo")], home=str(root / "home"), environments=ENVIRONMENTS, system=str(root / "system"))


def test_sarif_validates_against_the_schema(risky: Path) -> None:
    report = _scan(risky)
    log = to_sarif(report)
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=str)
    assert not errors, [e.message for e in errors[:5]]
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings)
    claude = next(r for r in results if "Bash(*)" in r["message"]["text"])
    region = claude["locations"][0]["physicalLocation"]
    assert region["artifactLocation"] == {"uri": ".claude/settings.json", "uriBaseId": "%SRCROOT%"}
    assert region["region"]["startLine"] == line_of(risky / "repo" / ".claude" / "settings.json", '"Bash(*)"')
    assert claude["level"] == "error"
    # home files are outside the repository: absolute file URIs
    aws = next(r for r in results if "prod-admin" in r["message"]["text"] and r["ruleId"].startswith("production"))
    assert aws["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")


def test_sarif_of_an_empty_and_a_malformed_scan_validates(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".claude").mkdir(parents=True)
    (tmp_path / "repo" / ".claude" / "settings.json").write_text('{"permissions": {"allow": ["Bash(*)"')
    for roots in ([str(tmp_path / "nothing")], [str(tmp_path / "repo")]):
        log = to_sarif(scan(roots, home=str(tmp_path / "home"), system=str(tmp_path)))
        assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))


def test_cli_sarif_and_markdown(risky: Path) -> None:
    done = cli("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--format", "sarif",
               home=risky / "home", cwd=risky / "repo")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(json.loads(done.stdout)))
    done = cli("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--format", "markdown",
               home=risky / "home", cwd=risky / "repo")  # fmt: skip
    assert done.stdout.startswith("# Agent inventory") and "| 1 (critical) | `claude-code@.`" in done.stdout


def test_register_diff_reports_added_agent_widened_permission_new_prod_credential(risky: Path) -> None:
    home, repo = risky / "home", risky / "repo"
    path = risky / "agents.yaml"
    done = cli("inventory", str(repo), "--home", str(home), "--write-register", str(path), home=home, cwd=repo)
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(path.read_text())
    assert data["agents"]["claude-code@."]["risk_tier"] == 1
    # people's fields survive a rewrite
    data["agents"]["claude-code@."]["owner"] = "platform-team"
    path.write_text(yaml.safe_dump(data))
    cli("inventory", str(repo), "--home", str(home), "--write-register", str(path), home=home, cwd=repo)
    assert yaml.safe_load(path.read_text())["agents"]["claude-code@."]["owner"] == "platform-team"

    unchanged = cli("inventory", str(repo), "--home", str(home), "--register", str(path), "--json",
                    "--fail-on", "info", home=home, cwd=repo)  # fmt: skip
    rules = {f["rule"] for f in json.loads(unchanged.stdout)["findings"]}
    assert not {r for r in rules if r.startswith("register-")}

    # an added agent, a widened permission, a new production credential
    agent = repo / ".kiro" / "agents" / "deploy.json"
    agent.write_text('{"name": "deploy", "allowedTools": ["fs_read"]}\n')
    cursor = repo / ".cursor" / "cli.json"
    cursor.write_text(cursor.read_text().replace('"Shell(ls)",', '"Shell(ls)", "Shell(*)",'))
    aws = home / ".aws" / "config"
    aws.write_text(aws.read_text() + "\n[profile prod-readonly]\nsso_session = corp\nsso_account_id = 111122223333\n")

    report = _scan(risky)
    reg, text = register.load(str(path))
    changes = register.diff(report, reg, text, str(path))
    by_rule: dict[str, list[str]] = {}
    for f in changes:
        by_rule.setdefault(f.rule, []).append(f.message)
    assert any("kiro/deploy@." in m for m in by_rule["register-agent-added"])
    widened = by_rule["register-permission-widened"]
    assert any("cursor@." in m and "Shell(*)" in m for m in widened)
    new_prod = by_rule["register-production-credential-added"]
    assert any("aws-profile:prod-readonly" in m for m in new_prod)
    assert not any("prod-admin" in m for m in new_prod)  # already in the register
    widened_finding = next(f for f in changes if f.rule == "register-permission-widened" and "cursor" in f.message)
    assert widened_finding.line == line_of(cursor, "Shell(*)")

    done = cli("inventory", str(repo), "--home", str(home), "--register", str(path), "--fail-on", "high",
               home=home, cwd=repo)  # fmt: skip
    assert done.returncode == 1
    assert "new agent: kiro/deploy@." in done.stdout


def test_a_broken_register_is_an_input_error(risky: Path) -> None:
    path = risky / "agents.yaml"
    path.write_text("agents: [unclosed\n")
    done = cli("inventory", str(risky / "repo"), "--home", str(risky / "home"), "--register", str(path),
               home=risky / "home", cwd=risky / "repo")  # fmt: skip
    assert done.returncode == 7 and "not valid YAML at line" in done.stderr
    done = cli("inventory", str(risky / "repo"), "--write-register", str(path), home=risky / "home", cwd=risky)
    assert done.returncode == 7 and path.read_text() == "agents: [unclosed\n"  # not overwritten
