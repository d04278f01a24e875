"""Through the gateway, the real filesystem server: reads pass, writes outside the allowed directory wait
for approval and never reach the server, and the audit log has every call with its outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.gateway.harness import Project, server_path, text


def policy(work: Path) -> str:
    return f"""version: 1
extends: [recommended]
rules:
  - id: fs-writes-in-work
    match: {{ operation: "mcp:fs/*", effects: [write, create], targets: ["{work}/**"] }}
    verdict: allow
  - id: fs-writes-elsewhere
    match: {{ operation: "mcp:fs/*", effects: [write, create, delete] }}
    except: [{{ targets: ["{work}/**"] }}]
    verdict: approve
    reason: Files outside the work directory are written only with approval.
"""


def test_reads_pass_and_writes_outside_the_allowed_directory_are_escalated(tmp_path: Path) -> None:
    root = tmp_path / "root"
    work = root / "work"
    work.mkdir(parents=True)
    (work / "notes.txt").write_text("hello from the work directory\n")
    project = Project(tmp_path, {"fs": {"command": server_path("filesystem"), "args": [str(root)]}}, policy(work))

    async def body(c: Any) -> dict[str, Any]:
        names = {t.name for t in (await c.list_tools()).tools}
        return {
            "names": names,
            "read": await c.call_tool("fs__read_text_file", {"path": str(work / "notes.txt")}),
            "write_in": await c.call_tool("fs__write_file", {"path": str(work / "new.txt"), "content": "x"}),
            "write_out": await c.call_tool("fs__write_file", {"path": str(root / "outside.txt"), "content": "x"}),
            "write_far": await c.call_tool("fs__write_file", {"path": str(tmp_path / "far.txt"), "content": "x"}),
        }

    r = project.session(body)
    assert {"fs__read_text_file", "fs__write_file", "fs__move_file"} <= r["names"]
    assert not r["read"].is_error and "hello from the work directory" in text(r["read"])
    assert not r["write_in"].is_error and (work / "new.txt").read_text() == "x"
    for key, path in (("write_out", root / "outside.txt"), ("write_far", tmp_path / "far.txt")):
        assert r[key].is_error, text(r[key])
        assert "approve by rule `fs-writes-elsewhere`" in text(r[key]) and "request req_" in text(r[key])
        assert not path.exists()  # the server never saw the call

    decisions = {(d["operation"], d["targets"][0]): d for d in project.events("decision")}
    read = decisions[("mcp:fs/read_text_file", str(work / "notes.txt"))]
    assert (read["verdict"], read["effects"]) == ("allow", ["read"])
    outcome = project.outcome_of(read)
    assert (outcome["tool"], outcome["operation"], outcome["agent_id"]) == ("mcp", read["operation"], read["agent_id"])
    out = outcome["outcome"]
    assert out["extra"]["result_bytes"] > 0 and out["duration_ms"] >= 0 and "error" not in out
    write = decisions[("mcp:fs/write_file", str(root / "outside.txt"))]
    assert write["verdict"] == "approve" and write["rule"] == "fs-writes-elsewhere"
    assert project.outcome_of(write)["outcome"]["extra"]["ran"] is False
    assert write["agent"]["session"].startswith("stdio-")
    requested = project.events("approval.requested")
    assert {e["correlation_id"] for e in requested} >= {write["correlation_id"]}
