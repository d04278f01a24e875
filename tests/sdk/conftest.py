"""The guarded world's fixtures (tests/sdk/world.py)."""

from tests.sdk.world import guard, services, world

__all__ = ["guard", "services", "world"]
