"""Hook payloads for every event of every harness, as documented in shared/protocols/HOOKS.md.

Pre-events run under each verdict's policy; post-events and events blastdoor ignores run once.
``$CWD`` stands for the test project's directory.
"""

from __future__ import annotations

from typing import Any

from tests.hooks.harness import VERDICTS

JSON = Any

_CLAUDE_COMMON = {
    "session_id": "sess-1",
    "transcript_path": "/tmp/transcript.jsonl",
    "cwd": "$CWD",
    "permission_mode": "default",
}

_CLAUDE_TOOLS: list[tuple[str, str, dict[str, JSON]]] = [
    ("bash", "Bash", {"command": "rm -rf build", "description": "clean"}),
    ("write", "Write", {"file_path": "$CWD/notes.txt", "content": "hello"}),
    ("edit", "Edit", {"file_path": "$CWD/blastdoor.yaml", "old_string": "a", "new_string": "b"}),
    ("multiedit", "MultiEdit", {"file_path": "$CWD/x.py", "edits": [{"old_string": "a", "new_string": "b"}]}),
    ("read", "Read", {"file_path": "$CWD/blastdoor.yaml"}),
    ("webfetch", "WebFetch", {"url": "https://example.com/", "prompt": "summarise"}),
    ("mcp", "mcp__github__delete_repository", {"owner": "acme", "repo": "api"}),
]


def _claude_like(harness: str, extra: dict[str, JSON]) -> list[dict[str, JSON]]:
    cases: list[dict[str, JSON]] = []
    common = {**_CLAUDE_COMMON, **extra}
    for label, tool, tool_input in _CLAUDE_TOOLS:
        verdicts = VERDICTS if label in ("bash", "mcp") else ("allow", "deny")
        for verdict in verdicts:
            payload = {
                **common,
                "hook_event_name": "PreToolUse",
                "tool_name": tool,
                "tool_input": tool_input,
                "tool_use_id": f"toolu_{label}",
            }
            cases.append({"name": f"PreToolUse {label} {verdict}", "verdict": verdict, "payload": payload})
    sub = {**common, "agent_id": "agent-7", "agent_type": "general-purpose"}
    for verdict in VERDICTS:
        cases.append(
            {
                "name": f"PreToolUse in a subagent {verdict}",
                "verdict": verdict,
                "payload": {
                    **sub,
                    "hook_event_name": "PreToolUse",
                    "tool_name": "Bash",
                    "tool_input": {"command": "rm -rf dist"},
                    "tool_use_id": "toolu_sub",
                },
            }
        )
        cases.append(
            {
                "name": f"PermissionRequest {verdict}",
                "verdict": verdict,
                "payload": {
                    **common,
                    "hook_event_name": "PermissionRequest",
                    "tool_name": "Bash",
                    "tool_input": {"command": "rm -rf build"},
                    "permission_suggestions": [],
                },
            }
        )
    cases += [
        {
            "name": "PostToolUse",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "PostToolUse",
                "tool_name": "Bash",
                "tool_input": {"command": "rm -rf build"},
                "tool_use_id": "toolu_bash",
                "tool_response": {"stdout": "", "stderr": "", "interrupted": False},
                "duration_ms": 12,
            },
        },
        {
            "name": "PostToolUseFailure",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "PostToolUseFailure",
                "tool_name": "Bash",
                "tool_input": {"command": "false"},
                "tool_use_id": "toolu_fail",
                "error": "exit status 1",
                "is_interrupt": False,
            },
        },
        {
            "name": "UserPromptSubmit",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "UserPromptSubmit", "prompt": "hi"},
        },
        {
            "name": "SessionStart",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "SessionStart", "source": "startup"},
        },
        {
            "name": "Stop",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "Stop", "stop_hook_active": False},
        },
        {
            "name": "SubagentStop",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "SubagentStop", "stop_hook_active": False},
        },
    ]
    return cases


def _copilot() -> list[dict[str, JSON]]:
    cases = _claude_like("copilot", {})
    for verdict in VERDICTS:
        cases.append(
            {
                "name": f"Copilot CLI preToolUse (toolName/toolArgs) {verdict}",
                "verdict": verdict,
                "payload": {
                    "timestamp": 1704614600000,
                    "cwd": "$CWD",
                    "toolName": "bash",
                    "toolArgs": '{"command": "rm -rf dist"}',
                },
            }
        )
    return cases


def _gemini() -> list[dict[str, JSON]]:
    common = {"session_id": "g-1", "transcript_path": "/tmp/t.json", "cwd": "$CWD", "timestamp": "2026-01-01T00:00:00Z"}
    tools: list[tuple[str, str, dict[str, JSON]]] = [
        ("shell", "run_shell_command", {"command": "rm -rf build", "description": "clean", "dir_path": "."}),
        ("write_file", "write_file", {"file_path": "$CWD/a.txt", "content": "x"}),
        ("replace", "replace", {"file_path": "$CWD/a.txt", "old_string": "x", "new_string": "y"}),
        ("read_file", "read_file", {"absolute_path": "$CWD/blastdoor.yaml"}),
        ("mcp", "mcp__jira__delete_issue", {"key": "OPS-1"}),
    ]
    cases: list[dict[str, JSON]] = []
    for label, tool, tool_input in tools:
        for verdict in VERDICTS if label in ("shell", "mcp") else ("allow", "deny"):
            cases.append(
                {
                    "name": f"BeforeTool {label} {verdict}",
                    "verdict": verdict,
                    "payload": {**common, "hook_event_name": "BeforeTool", "tool_name": tool, "tool_input": tool_input},
                }
            )
    cases += [
        {
            "name": "AfterTool",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "AfterTool",
                "tool_name": "run_shell_command",
                "tool_input": {"command": "rm -rf build"},
                "tool_response": {"llmContent": "ok", "returnDisplay": "ok"},
            },
        },
        {
            "name": "AfterTool with an error",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "AfterTool",
                "tool_name": "run_shell_command",
                "tool_input": {"command": "false"},
                "tool_response": {"error": {"message": "exit 1"}},
            },
        },
        {
            "name": "SessionStart",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "SessionStart", "source": "startup"},
        },
    ]
    return cases


def _cursor() -> list[dict[str, JSON]]:
    common = {
        "conversation_id": "conv-1",
        "generation_id": "gen-1",
        "workspace_roots": ["$CWD"],
        "model": "gpt-5",
        "cursor_version": "1.7.0",
        "user_email": "dev@example.com",
    }
    cases: list[dict[str, JSON]] = []
    pre: list[tuple[str, dict[str, JSON], tuple[str, ...]]] = [
        ("beforeShellExecution", {"command": "rm -rf build", "cwd": "$CWD"}, VERDICTS),
        (
            "beforeMCPExecution",
            {
                "tool_name": "delete_repository",
                "tool_input": '{"repo": "api"}',
                "url": "https://mcp.github.example/sse",
            },
            VERDICTS,
        ),
        ("preToolUse", {"tool_name": "Write", "tool_input": {"file_path": "$CWD/a.txt", "content": "x"}}, VERDICTS),
        ("beforeReadFile", {"file_path": "$CWD/blastdoor.yaml", "content": "...", "attachments": []}, VERDICTS),
    ]
    for event, fields, verdicts in pre:
        for verdict in verdicts:
            cases.append(
                {
                    "name": f"{event} {verdict}",
                    "verdict": verdict,
                    "payload": {**common, "hook_event_name": event, **fields},
                }
            )
    cases.append(
        {
            "name": "beforeShellExecution camelCase (early versions) allow",
            "verdict": "allow",
            "payload": {
                "hookEventName": "beforeShellExecution",
                "conversationId": "conv-1",
                "generationId": "gen-2",
                "workspaceRoots": ["$CWD"],
                "command": "ls",
                "userEmail": "dev@example.com",
            },
        }
    )
    cases += [
        {
            "name": "afterShellExecution",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "afterShellExecution",
                "command": "rm -rf build",
                "output": "",
                "duration": 40,
            },
        },
        {
            "name": "afterMCPExecution",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "afterMCPExecution",
                "tool_name": "delete_repository",
                "tool_input": {"repo": "api"},
                "result_json": "{}",
                "duration": 90,
            },
        },
        {
            "name": "afterFileEdit",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "afterFileEdit",
                "file_path": "$CWD/a.txt",
                "edits": [{"old_string": "x", "new_string": "y"}],
            },
        },
        {"name": "stop", "verdict": "deny", "payload": {**common, "hook_event_name": "stop", "status": "completed"}},
    ]
    return cases


def _kiro() -> list[dict[str, JSON]]:
    common = {"cwd": "$CWD"}
    tools: list[tuple[str, str, dict[str, JSON]]] = [
        ("execute_bash", "execute_bash", {"command": "rm -rf build"}),
        ("fs_write", "fs_write", {"path": "$CWD/a.txt", "command": "create", "file_text": "x"}),
        ("fs_read", "fs_read", {"path": "$CWD/blastdoor.yaml"}),
        (
            "use_aws",
            "use_aws",
            {
                "service_name": "cloudformation",
                "operation_name": "delete-stack",
                "parameters": {"StackName": "ce"},
                "region": "us-east-1",
                "profile_name": "prod",
                "label": "delete the stack",
            },
        ),
        ("mcp", "@github/delete_repository", {"repo": "api"}),
    ]
    cases: list[dict[str, JSON]] = []
    for label, tool, tool_input in tools:
        for verdict in VERDICTS if label in ("execute_bash", "use_aws") else ("allow", "deny"):
            cases.append(
                {
                    "name": f"preToolUse {label} {verdict}",
                    "verdict": verdict,
                    "payload": {**common, "hook_event_name": "preToolUse", "tool_name": tool, "tool_input": tool_input},
                }
            )
    cases += [
        {
            "name": "postToolUse",
            "verdict": "allow",
            "payload": {
                **common,
                "hook_event_name": "postToolUse",
                "tool_name": "execute_bash",
                "tool_input": {"command": "rm -rf build"},
                "tool_response": {"success": True, "result": ["ok"]},
            },
        },
        {"name": "agentSpawn", "verdict": "deny", "payload": {**common, "hook_event_name": "agentSpawn"}},
        {
            "name": "userPromptSubmit",
            "verdict": "deny",
            "payload": {**common, "hook_event_name": "userPromptSubmit", "prompt": "hi"},
        },
        {"name": "stop", "verdict": "deny", "payload": {**common, "hook_event_name": "stop"}},
    ]
    return cases


CASES: dict[str, list[dict[str, JSON]]] = {
    "claude-code": _claude_like("claude-code", {}),
    "codex": _claude_like("codex", {"model": "gpt-5-codex", "turn_id": "turn-3"}),
    "copilot": _copilot(),
    "cursor": _cursor(),
    "gemini": _gemini(),
    "kiro": _kiro(),
}

# The minimal valid pre-event of each harness (fault injection starts from it).
PRE_EVENT: dict[str, dict[str, JSON]] = {
    "claude-code": {
        **_CLAUDE_COMMON,
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "$CWD/a.txt", "content": "x"},
        "tool_use_id": "toolu_f",
    },
    "codex": {
        **_CLAUDE_COMMON,
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "$CWD/a.txt", "content": "x"},
        "tool_use_id": "toolu_f",
    },
    "copilot": {
        **_CLAUDE_COMMON,
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "$CWD/a.txt", "content": "x"},
        "tool_use_id": "toolu_f",
    },
    "cursor": {
        "hook_event_name": "preToolUse",
        "conversation_id": "c",
        "generation_id": "g",
        "workspace_roots": ["$CWD"],
        "tool_name": "Write",
        "tool_input": {"file_path": "$CWD/a.txt", "content": "x"},
    },
    "gemini": {
        "hook_event_name": "BeforeTool",
        "session_id": "g",
        "cwd": "$CWD",
        "tool_name": "write_file",
        "tool_input": {"file_path": "$CWD/a.txt", "content": "x"},
    },
    "kiro": {
        "hook_event_name": "preToolUse",
        "cwd": "$CWD",
        "tool_name": "fs_write",
        "tool_input": {"path": "$CWD/a.txt", "command": "create", "file_text": "x"},
    },
}
# The field whose absence makes each harness's pre-event malformed.
REQUIRED_FIELD = {h: "tool_name" for h in PRE_EVENT}
