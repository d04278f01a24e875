"""Google ADK with blastdoor (run_google_adk.py; the framework is imported only when a test runs)."""

from __future__ import annotations

from blastdoor.sdk import Guard
from blastdoor.services import Services
from tests.sdk.world import World


def test_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    from tests.integrations.run_google_adk import check_destructive_calls_stop_reads_run_and_an_approval_runs_once

    check_destructive_calls_stop_reads_run_and_an_approval_runs_once(world, guard, services)
