"""Layer 3: harness adapters. Each speaks one harness's hook protocol and knows nothing of policy.

An adapter module exposes::

    NAME                                   the harness name (``claude-code``, ``codex``, ...)
    parse(payload) -> HookEvent            the harness's JSON -> an event (with an Action on pre-events)
    answer(event, decision, note) -> Reply a Decision -> the harness's exact reply and exit code
    failure(event_name, message) -> Reply  the fail-closed reply: deny, exit 2
    acknowledge(event) -> Reply            the reply to a post-event or an event blastdoor ignores

``blastdoor.adapters.runner.run_hook`` wires an adapter to the pipeline; only the CLI (and later the
server) imports this package.
"""

from __future__ import annotations

from types import ModuleType

# harness name -> module; imported lazily so a hook loads only its own adapter.
HARNESSES: dict[str, str] = {
    "claude-code": "blastdoor.adapters.claude_code",
    "codex": "blastdoor.adapters.codex",
    "cursor": "blastdoor.adapters.cursor",
    "gemini": "blastdoor.adapters.gemini",
    "kiro": "blastdoor.adapters.kiro",
    "copilot": "blastdoor.adapters.copilot",
}

__all__ = ["HARNESSES", "adapter"]


def adapter(harness: str) -> ModuleType:
    """The adapter module of ``harness``; raises ``KeyError`` for an unknown harness."""
    import importlib

    return importlib.import_module(HARNESSES[harness])
