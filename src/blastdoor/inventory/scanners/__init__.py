"""One scanner per agentic tool (``Scanner`` in ``base``); ``SCANNERS`` is the order they run in."""

from __future__ import annotations

from blastdoor.inventory.scanners.base import ScanContext, Scanner
from blastdoor.inventory.scanners.claude_code import ClaudeCode
from blastdoor.inventory.scanners.clients import Aider, Continue, Goose, McpClients, Opencode
from blastdoor.inventory.scanners.codex import Codex
from blastdoor.inventory.scanners.editors import Copilot, Cursor, Gemini, Kiro

__all__ = ["SCANNERS", "ScanContext", "Scanner"]

SCANNERS: tuple[Scanner, ...] = (
    ClaudeCode(),
    Codex(),
    Cursor(),
    Gemini(),
    Kiro(),
    Copilot(),
    McpClients(),
    Continue(),
    Aider(),
    Goose(),
    Opencode(),
)
