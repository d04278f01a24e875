"""Fault injection for every harness: each fault answers the harness's deny and exits 2, never 1 or allow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.hooks.harness import policy_for, run_hook, substitute
from tests.hooks.payloads import PRE_EVENT

HARNESSES = sorted(PRE_EVENT)

# Test-only preludes run inside the hook process before blastdoor's main: nothing in a payload or the
# environment can trigger them.
RAISE = (
    "import blastdoor.classify as c\n"
    "def boom(*a, **k):\n    raise RuntimeError('injected classifier fault')\n"
    "c.classify = boom"
)
HANG = "import time, blastdoor.classify as c\nc.classify = lambda *a, **k: time.sleep(30)"


def _denied(harness: str, code: int, stdout: Any, stderr: str) -> None:
    assert code == 2, (code, stdout, stderr)
    assert "blastdoor: blocked because the check could not complete" in stderr
    if harness in ("claude-code", "codex", "copilot"):
        inner = stdout["hookSpecificOutput"]
        assert inner.get("permissionDecision", inner.get("decision", {}).get("behavior")) == "deny"
    elif harness == "cursor":
        assert stdout["permission"] == "deny"
    elif harness == "gemini":
        assert stdout["decision"] == "deny"
    else:
        assert stdout is None


def _project(tmp_path: Path, policy: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "blastdoor.yaml").write_text(policy)
    return project


def _payload(harness: str, project: Path) -> dict[str, Any]:
    result: dict[str, Any] = substitute(PRE_EVENT[harness], str(project))
    return result


@pytest.mark.parametrize("harness", HARNESSES)
def test_the_fault_free_call_is_allowed(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    code, _, stderr = run_hook(harness, json.dumps(_payload(harness, project)).encode(), cwd=str(project))
    assert code == 0, stderr


@pytest.mark.parametrize("harness", HARNESSES)
@pytest.mark.parametrize("data", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bad_json(harness: str, data: bytes, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    _denied(harness, *run_hook(harness, data, cwd=str(project)))


# The Copilot CLI sends no event name (a tool call without a result is a pre-event), so that field
# is not required there and is left out of its cases.
_MISSING = [
    (h, f)
    for h in HARNESSES
    for f in ("tool_name", "tool_input", "hook_event_name")
    if not (h == "copilot" and f == "hook_event_name")
]


@pytest.mark.parametrize(("harness", "field"), _MISSING)
def test_missing_fields(harness: str, field: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    payload = _payload(harness, project)
    del payload[field]
    _denied(harness, *run_hook(harness, json.dumps(payload).encode(), cwd=str(project)))


@pytest.mark.parametrize("harness", HARNESSES)
def test_wrong_types(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    payload = _payload(harness, project)
    payload["tool_input"] = ["not", "an", "object"]
    _denied(harness, *run_hook(harness, json.dumps(payload).encode(), cwd=str(project)))


@pytest.mark.parametrize("harness", HARNESSES)
def test_policy_syntax_error(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, "version: 1\nrules: [\n  - id: x\n")
    _denied(harness, *run_hook(harness, json.dumps(_payload(harness, project)).encode(), cwd=str(project)))


@pytest.mark.parametrize("harness", HARNESSES)
def test_store_unavailable(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {"BLASTDOOR_DB": str(blocker / "blastdoor.db")}
    _denied(harness, *run_hook(harness, json.dumps(_payload(harness, project)).encode(), cwd=str(project), env=env))


@pytest.mark.parametrize("harness", HARNESSES)
def test_classifier_exception(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    data = json.dumps(_payload(harness, project)).encode()
    _denied(harness, *run_hook(harness, data, cwd=str(project), prelude=RAISE))


@pytest.mark.parametrize("harness", HARNESSES)
def test_timeout(harness: str, tmp_path: Path) -> None:
    project = _project(tmp_path, policy_for("allow"))
    data = json.dumps(_payload(harness, project)).encode()
    env = {"BLASTDOOR_HOOK_TIMEOUT": "0.5"}
    _denied(harness, *run_hook(harness, data, cwd=str(project), prelude=HANG, env=env, timeout=10))


def test_an_unknown_harness_blocks(tmp_path: Path) -> None:
    code, _, stderr = run_hook("vim", b"{}", cwd=str(tmp_path))
    assert code == 2 and "hook needs one harness" in stderr
