"""The npm `everything` reference server (tools, resources, prompts) and the PyPI git server, together."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from tests.gateway.harness import Project, server_path, text

POLICY = "version: 1\nextends: [recommended]\n"


def test_resources_and_prompts_are_forwarded_and_tools_judged(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "a.txt").write_text("a\n")
    p = Project(
        tmp_path,
        {
            "everything": {"command": server_path("everything")},
            "git": {"command": server_path("git"), "args": ["--repository", str(repo)]},
        },
        POLICY,
    )

    async def body(c: Any) -> dict[str, Any]:
        resources = (await c.list_resources()).resources
        templates = (await c.list_resource_templates()).resource_templates
        prompts = (await c.list_prompts()).prompts
        return {
            "tools": {t.name for t in (await c.list_tools()).tools},
            "resources": resources,
            "read": await c.read_resource(resources[0].uri),
            "templates": templates,
            "prompts": {pr.name for pr in prompts},
            "prompt": await c.get_prompt("everything__args-prompt", {"city": "Oslo", "state": "Norway"}),
            "echo": await c.call_tool("everything__echo", {"message": "through the gateway"}),
            "env": await c.call_tool("everything__get-env", {}),
            "status": await c.call_tool("git__git_status", {"repo_path": str(repo)}),
        }

    r = p.session(body)
    assert {"everything__echo", "everything__get-env", "git__git_status", "git__git_commit"} <= r["tools"]
    assert r["resources"] and r["read"].contents and r["templates"]
    assert {"everything__simple-prompt", "everything__args-prompt"} <= r["prompts"]
    assert "Oslo" in str(r["prompt"].messages[0].content)
    assert not r["echo"].is_error and "through the gateway" in text(r["echo"])
    # The server's environment holds secrets: the baseline asks, and this client cannot be asked.
    assert r["env"].is_error and "recommended.secrets" in text(r["env"]) and "request req_" in text(r["env"])
    assert not r["status"].is_error and "a.txt" in text(r["status"])
    decisions = {d["operation"]: d for d in p.events("decision")}
    assert decisions["mcp:git/git_status"]["targets"] == [str(repo)]
    assert decisions["mcp:everything/get-env"]["effects"] == ["read", "secrets"]
    pinned = {e["operation"] for e in p.events("mcp.tool_pinned")}
    assert {"mcp:everything/echo", "mcp:git/git_commit"} <= pinned


def test_a_call_the_client_cancels_is_cancelled_downstream_and_the_gateway_goes_on(tmp_path: Path) -> None:
    p = Project(tmp_path, {"everything": {"command": server_path("everything")}}, POLICY)

    async def body(c: Any) -> Any:
        import anyio

        from mcp import MCPError

        with anyio.move_on_after(1.0) as scope:
            await c.call_tool("everything__trigger-long-running-operation", {"duration": 20, "steps": 4})
        assert scope.cancelled_caught  # the client gave up (and told the gateway)
        try:
            await c.call_tool(
                "everything__trigger-long-running-operation", {"duration": 20, "steps": 4}, read_timeout_seconds=1
            )
        except MCPError:
            pass
        return await c.call_tool("everything__echo", {"message": "still here"})

    started = time.monotonic()
    echo = p.session(body)
    assert not echo.is_error and "still here" in text(echo)
    assert time.monotonic() - started < 15  # neither the gateway nor the client waited for the 20 s calls
    long = [d for d in p.events("decision") if d["operation"] == "mcp:everything/trigger-long-running-operation"]
    assert len(long) == 2
    for decision in long:
        assert p.outcome_of(decision)["outcome"]["error"] == "cancelled before the server answered"
