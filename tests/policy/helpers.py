"""Build policies from Python data for engine tests (no files needed)."""

from __future__ import annotations

from typing import Any

import yaml

from blastdoor.policy.compile import CompiledPolicy, compile_sources
from blastdoor.policy.layers import Source


def policy(*layers: dict[str, Any] | tuple[str, dict[str, Any]]) -> CompiledPolicy:
    """Compile layers given as dicts (project role) or (role, dict), most authoritative first."""
    sources = []
    for i, layer in enumerate(layers):
        role, data = layer if isinstance(layer, tuple) else ("project", layer)
        data = {"version": 1, **data}
        sources.append(Source(role, f"/p/{role}{i}.yaml", yaml.safe_dump(data, sort_keys=False)))
    return compile_sources(sources, home="/home/u")
