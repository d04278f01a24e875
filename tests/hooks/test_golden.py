"""Every golden payload of every harness, piped into the real `blastdoor hook` process: exact reply, exit code."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.hooks.harness import VERDICTS, env_for, normalise, policy_for, revoke_golden_agent, run_hook, substitute

GOLDEN = Path(__file__).with_name("golden")
HARNESSES = ("claude-code", "codex", "copilot", "cursor", "gemini", "kiro")


def _projects(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for verdict in VERDICTS:
        project = tmp_path / f"project-{verdict}"
        project.mkdir()
        (project / "blastdoor.yaml").write_text(policy_for(verdict))
        out[verdict] = project
    return out


@pytest.mark.parametrize("harness", HARNESSES)
def test_golden_replies(harness: str, tmp_path: Path) -> None:
    golden = json.loads((GOLDEN / f"{harness}.json").read_text())
    assert golden["harness"] == harness
    projects = _projects(tmp_path)
    revoke_golden_agent()

    def one(case: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, Any, str]]:
        project = projects[case["verdict"]]
        # The goldens were recorded with the project at `$CWD`; the reply names the project nowhere.
        payload = substitute(case["payload"], str(project))
        code, stdout, stderr = run_hook(
            harness, json.dumps(payload).encode(), cwd=str(project), env=env_for(case["verdict"])
        )
        return case, (code, normalise(stdout), stderr)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, golden["cases"]))
    for case, (code, stdout, stderr) in results:
        assert (code, stdout) == (case["exit"], case["stdout"]), f"{harness}: {case['name']}\n{stderr}"
        assert code in (0, 2), case["name"]  # 1 (or anything else) would let the tool run
        if code == 2:
            assert stderr.startswith("blastdoor: "), case["name"]


def test_goldens_cover_every_documented_event() -> None:
    events: dict[str, set[str]] = {}
    for harness in HARNESSES:
        for case in json.loads((GOLDEN / f"{harness}.json").read_text())["cases"]:
            p = case["payload"]
            events.setdefault(harness, set()).add(p.get("hook_event_name") or p.get("hookEventName") or "implicit")
    claude = {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest", "UserPromptSubmit",
              "SessionStart", "Stop", "SubagentStop"}  # fmt: skip
    assert claude <= events["claude-code"] and claude <= events["codex"] and claude <= events["copilot"]
    assert {"beforeShellExecution", "beforeMCPExecution", "preToolUse", "beforeReadFile", "afterShellExecution",
            "afterMCPExecution", "afterFileEdit"} <= events["cursor"]  # fmt: skip
    assert {"BeforeTool", "AfterTool"} <= events["gemini"]
    assert {"preToolUse", "postToolUse", "agentSpawn", "userPromptSubmit", "stop"} <= events["kiro"]
