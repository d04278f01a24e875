"""Harness adapters. Each speaks one harness's hook protocol and knows nothing of policy.

An adapter module is an ``Adapter`` (``adapters/_base.py``, a typed ``Protocol``)::

    NAME                                   the harness name (``claude-code``, ``codex``, ...)
    parse(payload) -> HookEvent            the harness's JSON -> an event (with an Action on pre-events)
    answer(event, decision, note) -> Reply a Decision -> the harness's exact reply and exit code
    failure(event_name, message) -> Reply  the fail-closed reply: deny, exit 2
    acknowledge(event) -> Reply            the reply to a post-event or an event blastdoor ignores

``blastdoor.hook.runner.run_hook`` wires an adapter to the pipeline (the hook path lives in
``blastdoor/hook/``); adapters stay pure payload <-> Action translation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.adapters._base import Adapter

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


def adapter(harness: str) -> Adapter:
    """The adapter module of ``harness``; raises ``KeyError`` for an unknown harness."""
    import importlib

    module: Adapter = importlib.import_module(HARNESSES[harness])  # checked below: each is an Adapter
    return module


if TYPE_CHECKING:
    # mypy checks each harness module against the Protocol here: a signature that drifts fails the build.
    from blastdoor.adapters import claude_code, codex, copilot, cursor, gemini, kiro

    _CHECKED: tuple[Adapter, ...] = (claude_code, codex, copilot, cursor, gemini, kiro)
