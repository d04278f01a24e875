"""The circuit breaker: counters for the policy's ``limits:``, shared by every process on the store.

Breaker(store, log)   ``check`` counts an action against the limits it hits and trips a limit crossed;
                      ``reset`` (a person) restores service; ``state`` lists the tripped and counting
"""

from __future__ import annotations

from blastdoor.limits.breaker import OK, TRIPPED, Breaker, Trip

__all__ = ["OK", "TRIPPED", "Breaker", "Trip"]
