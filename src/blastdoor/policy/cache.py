"""The compiled-policy cache: a fresh hook process loads the compiled form instead of parsing YAML.

Keyed by the hash of every input (each layer's content, the baselines, blastdoor's version, home),
stored with ``marshal`` (plain data; loading it never runs code), written atomically. The cache
directory is a protected place: the files classifier treats writes to it as ``privilege``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.policy.layers import Source

_FORMAT = b"blastdoor-policy-cache-1\n"


def cache_dir(environ: Mapping[str, str]) -> str:
    from blastdoor.paths import cache_dir as _cache_dir

    return _cache_dir(environ)


def cache_key(sources: list[Source], home: str) -> str:
    from blastdoor.policy.compiled import policy_hash

    h = hashlib.sha256(policy_hash(sources).encode())
    h.update(home.encode())
    for src in sources:
        h.update(b"\0" + src.path.encode())
    return h.hexdigest()[:40]


def load(path: str) -> CompiledPolicy | None:
    """The cached policy at ``path``, or None when absent, stale in format, or damaged."""
    from blastdoor.paths import read_cache

    data = read_cache(path, _FORMAT)
    if not isinstance(data, dict):
        return None
    try:
        from blastdoor.policy.compiled import CompiledPolicy

        return CompiledPolicy.from_data(data)
    except (ValueError, TypeError, KeyError):
        return None


def store(path: str, policy: CompiledPolicy) -> None:
    """Write atomically; a cache that cannot be written is skipped, never an error."""
    from blastdoor.paths import write_cache

    write_cache(path, _FORMAT, policy.to_data())
