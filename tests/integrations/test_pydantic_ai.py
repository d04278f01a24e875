"""Pydantic AI with blastdoor (run_pydantic_ai.py; the framework is imported only when a test runs)."""

from __future__ import annotations

from blastdoor.sdk import Guard
from blastdoor.services import Services
from tests.sdk.world import World


def test_destructive_calls_stop_reads_run_and_an_approval_runs_once(
    world: World, guard: Guard, services: Services
) -> None:
    from tests.integrations.run_pydantic_ai import check_destructive_calls_stop_reads_run_and_an_approval_runs_once

    check_destructive_calls_stop_reads_run_and_an_approval_runs_once(world, guard, services)


def test_a_denied_approval_reaches_the_model_and_nothing_runs(world: World, guard: Guard, services: Services) -> None:
    from tests.integrations.run_pydantic_ai import check_a_denied_approval_reaches_the_model_and_nothing_runs

    check_a_denied_approval_reaches_the_model_and_nothing_runs(world, guard, services)


def test_an_ask_is_the_apps_user_to_confirm(world: World, guard: Guard, services: Services) -> None:
    from tests.integrations.run_pydantic_ai import check_an_ask_is_the_apps_user_to_confirm

    check_an_ask_is_the_apps_user_to_confirm(world, guard, services)
