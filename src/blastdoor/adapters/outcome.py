"""What a harness's post-event says happened: exit code, interruption, error, a stderr summary.

Harnesses report outcomes in their own shapes (Claude Code's ``tool_response`` with ``stdout``,
``stderr``, ``interrupted``, or a ``PostToolUseFailure`` whose ``error`` reads ``Exit code 1 ...``;
Cursor's ``exit_code``/``output``; Gemini's ``tool_response.error``; Kiro's ``success``/``result``;
the Copilot CLI's ``toolResult`` with ``resultType``).
``read_outcome`` reads every shape it knows into one ``Outcome``, so the audit log records the tool's
real result instead of ``ok`` with nothing. A field that is absent stays ``None``: nothing is guessed.

The stderr summary is bounded (its last lines, ``SUMMARY_CHARS``) and, like every audit event, passes
the log's redaction before it is stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["SUMMARY_CHARS", "Outcome", "commit_made", "read_outcome", "summary"]

JSON = Any
SUMMARY_CHARS = 400
_EXIT_KEYS = ("exit_code", "exitCode", "returncode", "returnCode", "exit_status", "exitStatus")
_INTERRUPT_KEYS = ("interrupted", "is_interrupt", "isInterrupt", "interrupt")
_STDERR_KEYS = ("stderr", "stdErr", "error_output")
# A shell command that can create a commit; its outcome then names the new HEAD (the change gate's link).
_COMMITS = re.compile(r"\bgit\b[^|;&]*?\b(?:commit|merge|cherry-pick|revert|am|rebase|pull|stash)\b")
_EXIT_TEXT = re.compile(r"\bexit(?:ed with)?(?: code| status)?[ :=]*(-?\d{1,3})\b", re.IGNORECASE)


class Outcome:
    """One tool call's result as far as the harness said; ``extra`` is what the audit event adds."""

    __slots__ = ("duration_ms", "error", "exit_code", "interrupted", "stderr")

    def __init__(
        self,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
        interrupted: bool = False,
        stderr: str = "",
    ) -> None:
        self.exit_code = exit_code
        self.error = error
        self.duration_ms = duration_ms
        self.interrupted = interrupted
        self.stderr = stderr

    def extra(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        if self.interrupted:
            out["interrupted"] = True
        if self.stderr:
            out["stderr"] = self.stderr
        return out


def summary(value: JSON) -> str:
    """The last lines of a stream, at most ``SUMMARY_CHARS`` characters (``""`` for nothing)."""
    if not isinstance(value, str):
        return ""
    stripped = value.strip()
    if len(stripped) <= SUMMARY_CHARS:
        return stripped
    return "..." + stripped[-(SUMMARY_CHARS - 3) :]


def _int(value: JSON) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,3}", value.strip()):
        return int(value.strip())
    return None


def _pick(data: dict[str, JSON], keys: tuple[str, ...]) -> JSON:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _error_text(value: JSON) -> str | None:
    if value is None or value is False or value == "":
        return None
    if isinstance(value, dict):
        message = value.get("message") or value.get("error") or value
        return str(message)
    return str(value)


def _result_text(response: dict[str, JSON]) -> str:
    """The text of a failed result: Kiro's ``result``, an MCP result's text content."""
    result = response.get("result", response.get("textResultForLlm"))
    if isinstance(result, str):
        return result
    content = response.get("content")
    if isinstance(content, list):
        return "\n".join(str(c.get("text")) for c in content if isinstance(c, dict) and c.get("text"))
    return ""


def read_outcome(
    payload: dict[str, JSON],
    *,
    response_keys: tuple[str, ...] = ("tool_response", "toolResponse", "tool_result", "toolResult"),
    error: str | None = None,
    duration_ms: float | None = None,
) -> Outcome:
    """The outcome in ``payload`` (a post-event): fields of the payload itself and of its response object.

    ``error`` is what the harness's own event already says failed (e.g. Claude Code's
    ``PostToolUseFailure``); an exit code written in an error text (``Exit code 2``) is read back.
    """
    response = _pick(payload, response_keys)
    if isinstance(response, str):
        try:  # some harnesses send the result as a JSON string (Cursor's result_json)
            decoded = json.loads(response)
        except ValueError:
            decoded = None
        response = decoded if isinstance(decoded, dict) else {"output": response}
    if not isinstance(response, dict):
        response = {}
    places = (payload, response)
    exit_code = next((c for c in (_int(_pick(p, _EXIT_KEYS)) for p in places) if c is not None), None)
    interrupted = any(_pick(p, _INTERRUPT_KEYS) is True for p in places)
    stderr = next((s for s in (summary(_pick(p, _STDERR_KEYS)) for p in places) if s), "")
    if error is None:
        error = _error_text(response.get("error"))
    if error is None and (
        response.get("success") is False
        or response.get("isError") is True
        or response.get("resultType") in ("failure", "error", "denied")  # the Copilot CLI's toolResult
    ):
        error = summary(_result_text(response)) or "the tool failed"
    if error is not None and exit_code is None:
        found = _EXIT_TEXT.search(error)
        exit_code = int(found.group(1)) if found else None
    if interrupted:
        error = (
            "interrupted" if error is None else error if error.startswith("interrupted") else f"interrupted: {error}"
        )
    if error is None and exit_code not in (None, 0):
        error = stderr or f"exit code {exit_code}"
    return Outcome(exit_code=exit_code, error=error, duration_ms=duration_ms, interrupted=interrupted, stderr=stderr)


def commit_made(tool_input: JSON, cwd: str, outcome: Outcome) -> str | None:
    """The commit id HEAD names after a successful shell call that can create one (``git commit``...).

    The change gate (docs/CHANGE-GATE.md) links a commit to the agent whose call made it by this id,
    recorded as ``extra.git_commit`` in the outcome. Only a command that names a commit-creating git
    verb pays for the one ``git rev-parse``; anything unreadable is None (nothing is guessed).
    """
    if outcome.error is not None or outcome.exit_code not in (None, 0) or not cwd:
        return None
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if isinstance(command, list) and all(isinstance(word, str) for word in command):
        command = " ".join(command)  # an argv (Codex's shell tool)
    if not isinstance(command, str) or not _COMMITS.search(command):
        return None
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", cwd, "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    head = done.stdout.decode("ascii", "replace").strip()
    return head if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", head) else None
