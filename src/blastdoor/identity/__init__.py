"""Identity: the agents blastdoor has seen (and the kill switch), and the people who approve.

Agents(store, log)      registry of agents; ``revoke`` / ``restore``; ``status`` on every decision
People(store, log)      approvers and admins, each with an API token stored only as a hash
"""

from __future__ import annotations

from blastdoor.identity.agents import ACTIVE, REVOKED, AgentRecord, Agents
from blastdoor.identity.people import People, hash_token

__all__ = ["ACTIVE", "REVOKED", "AgentRecord", "Agents", "People", "hash_token"]
