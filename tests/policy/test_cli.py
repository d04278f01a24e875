"""The policy commands as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from blastdoor.cli.main import main

POLICY = """\
version: 1
default: allow
environments:
  prod: { aws_profiles: ["prod*"] }
rules:
  - id: no-wipe
    match: { effects: [wipe] }
    verdict: deny
  - id: prod-delete
    match: { env: prod, effects: [delete] }
    verdict: approve
  - id: asky
    match: { operation: "git:push" }
    verdict: ask
tests:
  - action: { tool: shell, raw: "x", effects: [wipe] }
    expect: deny
"""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "blastdoor.yaml").write_text(POLICY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_action(path: Path, **fields: object) -> str:
    path.write_text(json.dumps(fields))
    return str(path)


def test_check_exit_codes_are_distinct_per_verdict(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        0: {"tool": "shell", "raw": "ls", "effects": ["read"]},
        3: {"tool": "git", "operation": "git:push", "effects": ["deploy"]},
        4: {"tool": "aws", "effects": ["delete"], "env": "prod"},
        5: {"tool": "shell", "effects": ["wipe"]},
    }
    for code, action in cases.items():
        path = write_action(project / f"a{code}.json", **action)
        got, out, _ = run(["check", "--json", "--action", path], capsys)
        assert got == code
        assert json.loads(out)["verdict"] == {0: "allow", 3: "ask", 4: "approve", 5: "deny"}[code]


def test_check_reads_stdin_and_rejects_bad_json(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"tool": "shell", "effects": ["wipe"]}'))
    assert run(["check", "--action", "-"], capsys)[0] == 5
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"tool": "shell",'))
    code, _, err = run(["check", "--action", "-"], capsys)
    assert code == 7 and "stdin:1:18: invalid JSON" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"tool": "shell", "efects": []}'))
    code, _, err = run(["check", "--action", "-"], capsys)
    assert code == 7 and "did you mean 'effects'" in err


def test_check_a_shell_command_is_unknown_without_a_classifier_or_classified_with_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", "--json", "--", "echo", "hello world"], capsys)
    decision = json.loads(out)
    assert decision["action_digest"].startswith("sha256:")
    assert code in (0, 3)


def test_validate_points_at_a_typo_with_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - id: x\n    match: { efects: [delete] }\n    verdict: deny\n")
    code, _, err = run(["policy", "validate", str(bad)], capsys)
    assert code == 6
    assert f"{bad}:4:14: unknown field `efects` (did you mean `effects`?)" in err
    code, out, _ = run(["policy", "validate", "--json", str(bad)], capsys)
    problem = json.loads(out)["problems"][0]
    assert (problem["line"], problem["column"]) == (4, 14)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("version: 1\ndefualt: ask\n", ":2:1:", "unknown field `defualt` (did you mean `default`?)"),
        ("version: 1\non_error: allow\n", ":2:11:", "`allow` is not allowed here"),
        ("version: 2\n", ":1:10:", "expected `1`"),
        ("version: 1\nrules:\n  - id: x\n    verdict: deny\n", ":3:5:", "missing required field `match`"),
        (
            "version: 1\nrules: [{id: x, match: {effects: delet}, verdict: deny}]\n",
            ":2:34:",
            "(did you mean `delete`?)",
        ),
        (
            "version: 1\nrules:\n  - id: x\n    match: {}\n    verdict: deny\n    verdict: ask\n",
            ":6:5:",
            "duplicate key",
        ),
        ("version: 1\nrules: [\n", ":3:1:", "invalid YAML"),
        (
            "version: 1\nrules:\n  - {id: x, match: {tool: 3}, verdict: deny}\n",
            ":3:27:",
            "expected a string or a list",
        ),
    ],
)
def test_validate_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, message: str
) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(text)
    code, _, err = run(["policy", "validate", str(f)], capsys)
    assert code == 6
    assert f"{f}{where}" in err and message in err, err


def test_test_command_passes_and_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["test"], capsys)
    assert code == 0 and "1 passed, 0 failed" in out
    wrong = project / "wrong.yaml"
    wrong.write_text(POLICY.replace("expect: deny", "expect: allow"))
    code, out, _ = run(["test", str(wrong)], capsys)
    assert code == 1 and "0 passed, 1 failed" in out and "expected allow, got deny by no-wipe" in out
    # a file of tests alone runs against the effective policy; tests/policy/*.yaml are found too
    (project / "tests" / "policy").mkdir(parents=True)
    (project / "tests" / "policy" / "more.yaml").write_text(
        "tests:\n  - action: {tool: git, operation: 'git:push', effects: [deploy]}\n    expect: ask\n    rule: asky\n"
    )
    code, out, _ = run(["test", "--json"], capsys)
    report = json.loads(out)
    assert code == 0 and (report["passed"], report["failed"]) == (2, 0)


def test_init_writes_a_starter_that_passes_its_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init"], capsys)[0] == 0
    assert run(["init"], capsys)[0] == 2  # no overwrite without --force
    code, out, _ = run(["test"], capsys)
    assert code == 0 and " 0 failed" in out, out
    assert run(["policy", "validate"], capsys)[0] == 0


def test_policy_show_lists_layers_and_locks(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    managed = tmp_path / "managed.yaml"
    managed.write_text("version: 1\nextends: [recommended]\nrules: [{id: m, match: {tool: x}, verdict: deny}]\n")
    code, out, _ = run(["policy", "show", "--json", "--managed-policy", str(managed)], capsys)
    assert code == 0
    data = json.loads(out)
    layers = {r["id"]: (r["layer"], r["locked"]) for r in data["rules"]}
    assert layers["m"] == ("managed", True) and layers["no-wipe"] == ("project", False)
    assert layers["recommended.wipe"] == ("managed", True)
    assert [s["layer"] for s in data["sources"]] == ["managed", "project"]


def test_explain_shows_every_rule_and_the_winner(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_action(project / "a.json", tool="aws", effects=["delete"], env="prod")
    code, out, _ = run(["explain", "--json", "--action", path], capsys)
    report = json.loads(out)
    assert code == 4 and report["decision"]["rule"] == "prod-delete"
    rules = {r["rule"]: r for r in report["parts"][0]["rules"]}
    assert set(rules) == {"no-wipe", "prod-delete", "asky"}
    assert rules["prod-delete"]["matched"] and not rules["no-wipe"]["matched"]
    assert any(not c["holds"] for c in rules["no-wipe"]["conditions"])
    code, out, _ = run(["explain", "--action", path], capsys)
    assert "MATCH prod-delete -> approve" in out


def test_compiled_policy_is_cached_and_invalidated(project: Path) -> None:
    from blastdoor.policy import load_policy

    first = load_policy(str(project))
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "blastdoor"
    files = list(cache.glob("policy-*.bin"))
    assert len(files) == 1
    again = load_policy(str(project))
    assert again.hash == first.hash and [r.id for r in again.rules] == [r.id for r in first.rules]
    (project / "blastdoor.yaml").write_text(POLICY.replace("verdict: ask", "verdict: deny"))
    changed = load_policy(str(project))
    assert changed.hash != first.hash and changed.rule("asky").verdict == "deny"  # type: ignore[union-attr]
    files[0].write_bytes(b"garbage")  # a damaged cache is ignored, never trusted
    assert load_policy(str(project)).hash == changed.hash


def test_a_fresh_process_uses_the_cache_without_parsing_yaml(project: Path) -> None:
    from blastdoor.policy import load_policy

    load_policy(str(project))
    code = (
        "import sys; from blastdoor.policy import load_policy; p = load_policy();"
        "print(len(p.rules), 'yaml' in sys.modules, 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=project)
    assert out.stdout.split() == ["3", "False", "False"]


def test_blastdoor_help_documents_exit_codes() -> None:
    out = subprocess.run([sys.executable, "-m", "blastdoor", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "5   verdict deny" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "blastdoor", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2


def test_schema_in_repository_matches_the_packaged_one() -> None:
    from blastdoor.policy.schema import SCHEMA_PATH

    repo = Path(__file__).resolve().parents[2] / "schema" / "policy.schema.json"
    assert json.loads(repo.read_text()) == json.loads(SCHEMA_PATH.read_text())
