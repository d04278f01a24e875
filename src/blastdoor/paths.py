"""Where blastdoor keeps its own files: one answer for every package.

Decided by blastdoor's own process environment (never the agent's): ``BLASTDOOR_HOME`` for data (the
audit store, keys, the hook launcher) and ``BLASTDOOR_CACHE_DIR`` for caches (compiled policy,
knowledge base, AWS catalog), else the XDG directories, else ``~/.local/share`` and ``~/.cache``.
Both are protected places: the files classifier treats an agent's writes to them as ``privilege``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


def data_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$BLASTDOOR_HOME``, else ``$XDG_DATA_HOME/blastdoor``, else ``~/.local/share/blastdoor``."""
    env = os.environ if environ is None else environ
    explicit = env.get("BLASTDOOR_HOME")
    if explicit:
        return explicit
    base = env.get("XDG_DATA_HOME") or os.path.join(_home(env), ".local", "share")
    return os.path.join(base, "blastdoor")


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """``$BLASTDOOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/blastdoor``, else ``~/.cache/blastdoor``."""
    env = os.environ if environ is None else environ
    explicit = env.get("BLASTDOOR_CACHE_DIR")
    if explicit:
        return explicit
    base = env.get("XDG_CACHE_HOME") or os.path.join(_home(env), ".cache")
    return os.path.join(base, "blastdoor")
