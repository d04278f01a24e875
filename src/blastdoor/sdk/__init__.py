"""The Python SDK: put blastdoor in front of the tools of an agent written in code (docs/SDK.md).

    from blastdoor.sdk import Guard

    guard = Guard.local(agent="billing-bot")

    @guard.tool(sql="query")
    def run_sql(query: str) -> list[tuple]: ...

Nothing heavy is imported here: the pipeline, the store and httpx are imported on first use.
"""

from __future__ import annotations

from blastdoor.sdk.actions import Hint, action_for
from blastdoor.sdk.guard import Blocked, Guard, blocked_text, new_call_id

__all__ = ["Blocked", "Guard", "Hint", "action_for", "blocked_text", "new_call_id"]
