"""Harness tool calls -> Actions: one table of tool names shared by every harness.

Shell tools carry the command line in ``raw``; file tools become tool ``file`` with ``args`` {path, op};
MCP tools ``mcp:<server>/<tool>`` with the tool's arguments; Kiro's ``use_aws`` the structured AWS call;
web fetches tool ``http``. Any other tool keeps its name (``tool:<Name>``) so a policy can still match it,
and classifies as ``unknown`` (asked, never silently allowed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.adapters._base import PayloadError

if TYPE_CHECKING:
    from blastdoor.action import Action, Agent

JSON = Any

SHELL = frozenset(
    {"Bash", "run_shell_command", "execute_bash", "shell", "bash", "Shell", "run_in_terminal", "runInTerminal"}
)
# tool name -> the file operation it performs
FILE_OPS: dict[str, str] = {
    "Write": "write",
    "write_file": "write",
    "create": "create",
    "createFile": "create",
    "Edit": "edit",
    "MultiEdit": "edit",
    "replace": "edit",
    "edit": "edit",
    "editFiles": "edit",
    "NotebookEdit": "edit",
    "Read": "read",
    "read_file": "read",
    "fs_read": "read",
    "view": "read",
    "readFile": "read",
}
HTTP = frozenset({"WebFetch", "web_fetch", "fetch"})
# fs_write's own `command` -> the file operation
_FS_WRITE: dict[str, str] = {"create": "write", "str_replace": "edit", "insert": "edit", "append": "edit"}
_PATH_KEYS = ("file_path", "path", "filePath", "absolute_path", "notebook_path", "target_file")


def _path(tool_input: dict[str, JSON]) -> str:
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def mcp_name(tool_name: str) -> tuple[str, str] | None:
    """(server, tool) of an MCP tool name: ``mcp__server__tool`` or ``@server/tool``; else None."""
    if tool_name.startswith("mcp__"):
        server, sep, tool = tool_name[5:].partition("__")
        return (server, tool) if sep and server and tool else None
    if tool_name.startswith("@"):
        server, sep, tool = tool_name[1:].partition("/")
        return (server, tool) if sep and server and tool else None
    return None


def _pascal(name: str) -> str:
    if "-" in name or "_" in name:
        return "".join(w[:1].upper() + w[1:] for w in name.replace("_", "-").split("-") if w)
    return name[:1].upper() + name[1:]


def shell_action(command: str, *, agent: Agent, cwd: str, args: dict[str, JSON] | None = None) -> Action:
    from blastdoor.action import Action

    if not command.strip():
        raise PayloadError("the shell tool call has no `command`")
    return Action("shell", raw=command, args=args or {}, cwd=cwd, agent=agent)


def mcp_action(server: str, tool: str, tool_input: dict[str, JSON], *, agent: Agent, cwd: str) -> Action:
    from blastdoor.action import Action

    return Action("mcp", f"mcp:{server}/{tool}", args=tool_input, cwd=cwd, agent=agent)


def tool_action(tool_name: str, tool_input: dict[str, JSON], *, agent: Agent, cwd: str) -> Action:
    """The Action for one harness tool call."""
    from blastdoor.action import Action

    if not tool_name:
        raise PayloadError("missing field `tool_name`")
    if tool_name in SHELL:
        command = tool_input.get("command")
        if not isinstance(command, str):
            raise PayloadError(f"{tool_name}: `tool_input.command` must be a string")
        dir_path = tool_input.get("dir_path") or tool_input.get("cwd")
        if isinstance(dir_path, str) and dir_path:
            import os.path

            cwd = os.path.join(cwd, dir_path) if cwd else dir_path
        return shell_action(command, agent=agent, cwd=cwd)
    op = FILE_OPS.get(tool_name)
    if tool_name == "fs_write":
        sub = tool_input.get("command")
        op = _FS_WRITE.get(sub, "write") if isinstance(sub, str) else "write"
    if op is not None:
        path = _path(tool_input)
        if not path:
            raise PayloadError(f"{tool_name}: `tool_input` has no file path")
        args: dict[str, JSON] = {"path": path, "op": op}
        if tool_name == "MultiEdit" and isinstance(tool_input.get("edits"), list):
            args["edits"] = len(tool_input["edits"])
        content = tool_input.get("content")
        if isinstance(content, str):
            args["content"] = content
        return Action("file", f"file:{op}", args=args, cwd=cwd, agent=agent)
    mcp = mcp_name(tool_name)
    if mcp is not None:
        return mcp_action(mcp[0], mcp[1], tool_input, agent=agent, cwd=cwd)
    if tool_name == "use_aws":
        service = tool_input.get("service_name") or tool_input.get("service")
        operation = tool_input.get("operation_name") or tool_input.get("operation")
        if not isinstance(service, str) or not isinstance(operation, str) or not service or not operation:
            raise PayloadError("use_aws: `service_name` and `operation_name` are required")
        params = tool_input.get("parameters")
        aws_args: dict[str, JSON] = {
            "service": service,
            "operation": _pascal(operation),
            "parameters": params if isinstance(params, dict) else {},
            "region": tool_input.get("region") or "",
            "profile": tool_input.get("profile_name") or tool_input.get("profile") or "",
        }
        return Action("aws", f"aws:{service}:{_pascal(operation)}", args=aws_args, cwd=cwd, agent=agent)
    if tool_name in HTTP:
        url = tool_input.get("url")
        if not isinstance(url, str) or not url:
            raise PayloadError(f"{tool_name}: `tool_input.url` is required")
        return Action("http", "http:GET", args={"url": url, "method": "GET"}, cwd=cwd, agent=agent)
    return Action(tool_name, f"tool:{tool_name}", args=tool_input, cwd=cwd, agent=agent)
