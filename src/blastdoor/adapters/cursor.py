"""Cursor: before* events decide (``permission`` allow/deny/ask), after* events record the outcome.

Input keys are snake_case; early versions used camelCase, so both are read. ``tool_input`` of an MCP
call is a JSON string in some versions and an object in others. Cursor sends no call id: the pre- and
post-event are linked by a digest of the conversation, generation and the call itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.action.wording import blocked_message, failure_message, why
from blastdoor.adapters._base import (
    IGNORE,
    POST,
    PRE,
    HookEvent,
    Reply,
    acknowledge_empty,
    derived_call_id,
    event_phase,
    make_agent,
    number,
    obj,
    pick,
    text,
)
from blastdoor.adapters.outcome import read_outcome
from blastdoor.adapters.tools import mcp_action, mcp_name, shell_action, tool_action

if TYPE_CHECKING:
    from blastdoor.action import Action, Agent, Decision

JSON = Any

NAME = "cursor"
PHASES = {
    "beforeShellExecution": PRE,
    "beforeMCPExecution": PRE,
    "preToolUse": PRE,
    "beforeReadFile": PRE,
    "afterShellExecution": POST,
    "afterMCPExecution": POST,
    "postToolUse": POST,
    "afterFileEdit": POST,
    "beforeSubmitPrompt": IGNORE,
    "afterAgentResponse": IGNORE,
    "afterAgentThought": IGNORE,
    "stop": IGNORE,
}


def _server(payload: dict[str, JSON]) -> str:
    """The MCP server's name: given, or the host of its URL, or its command's name."""
    named = text(payload, "server_name", "serverName", "server")
    if named:
        return named
    url = text(payload, "url")
    if url:
        from urllib.parse import urlsplit

        return urlsplit(url).hostname or "unknown"
    command = text(payload, "command")
    if command:
        import os.path

        return os.path.basename(command.split()[0]) if command.split() else "unknown"
    return "unknown"


def _call(name: str, payload: dict[str, JSON]) -> tuple[list[JSON], str]:
    """(what identifies the call, the tool name) for the call-id digest of pre- and post-events."""
    if name in ("beforeShellExecution", "afterShellExecution"):
        return ["shell", text(payload, "command")], "shell"
    if name in ("beforeReadFile", "afterFileEdit"):
        return ["file", text(payload, "file_path", "filePath")], "file"
    tool = text(payload, "tool_name", "toolName")
    return [tool, obj(payload, "tool_input", "toolInput")], tool


def _action(name: str, payload: dict[str, JSON], agent: Agent, cwd: str) -> Action:
    from blastdoor.action import Action

    if name == "beforeShellExecution":
        return shell_action(text(payload, "command", required=True), agent=agent, cwd=cwd)
    if name == "beforeReadFile":
        path = text(payload, "file_path", "filePath", required=True)
        return Action("file", "file:read", args={"path": path, "op": "read"}, cwd=cwd, agent=agent)
    tool_name = text(payload, "tool_name", "toolName", required=True)
    tool_input = obj(payload, "tool_input", "toolInput", required=True)
    if name == "beforeMCPExecution":
        parsed = mcp_name(tool_name)
        server, tool = parsed if parsed is not None else (_server(payload), tool_name)
        return mcp_action(server, tool, tool_input, agent=agent, cwd=cwd)
    return tool_action(tool_name, tool_input, agent=agent, cwd=cwd)


def parse(payload: JSON) -> HookEvent:
    name, phase = event_phase(payload, PHASES, "hook_event_name", "hookEventName")
    if phase == IGNORE:
        return HookEvent(name, phase)
    conversation = text(payload, "conversation_id", "conversationId")
    generation = text(payload, "generation_id", "generationId")
    parts, _tool = _call(name, payload)
    call = text(payload, "tool_use_id", "toolUseId")
    call_id = f"{NAME}:{call}" if call else derived_call_id(NAME, conversation, generation, *parts)
    if phase == POST:
        # afterShellExecution: exit code (when sent), output; afterMCPExecution: result_json (isError).
        found = read_outcome(
            payload,
            response_keys=("result_json", "resultJson", "tool_response"),
            duration_ms=number(payload, "duration", "duration_ms"),
        )
        return HookEvent(
            name,
            POST,
            call_id=call_id,
            exit_code=found.exit_code,
            error=found.error,
            duration_ms=found.duration_ms,
            extra=found.extra(),
        )
    roots = pick(payload, "workspace_roots", "workspaceRoots")
    cwd = text(payload, "cwd") or (roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else "")
    agent = make_agent(NAME, session=conversation, user=text(payload, "user_email", "userEmail"))
    return HookEvent(name, PRE, action=_action(name, payload, agent, cwd), call_id=call_id)


def _permission(event_name: str, permission: str, user: str, agent: str) -> JSON:
    if event_name == "beforeReadFile":
        return {"permission": permission}
    return {"permission": permission, "user_message": user, "agent_message": agent}


def answer(event: HookEvent, decision: Decision, request_id: str | None = None) -> Reply:
    verdict = decision.verdict
    if verdict == "allow":
        return Reply(_permission(event.name, "allow", "", ""))
    if verdict == "ask" and event.name != "beforeReadFile":
        said = why(decision)
        return Reply(_permission(event.name, "ask", said, said))
    said = blocked_message(decision, request_id)
    stderr = said if event.name == "beforeReadFile" else ""
    return Reply(_permission(event.name, "deny", said, said), 0, stderr)


def failure(event_name: str, message: str) -> Reply:
    said = failure_message(message)
    return Reply(_permission(event_name, "deny", said, said), 2, said)


acknowledge = acknowledge_empty
