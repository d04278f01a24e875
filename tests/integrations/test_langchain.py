"""LangChain / LangGraph with blastdoor (run_langchain.py; the framework is imported only when a test runs)."""

from __future__ import annotations

from blastdoor.sdk import Guard
from blastdoor.services import Services
from tests.sdk.world import World


def test_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    from tests.integrations.run_langchain import check_destructive_calls_stop_reads_run_and_an_approval_runs_once

    check_destructive_calls_stop_reads_run_and_an_approval_runs_once(world, guard, services)


def test_settle_waits_for_people_and_a_denial_reaches_the_model(world: World, guard: Guard, services: Services) -> None:
    from tests.integrations.run_langchain import check_settle_waits_for_people_and_a_denial_reaches_the_model

    check_settle_waits_for_people_and_a_denial_reaches_the_model(world, guard, services)
