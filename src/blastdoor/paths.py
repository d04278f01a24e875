"""Where blastdoor keeps its own files: one answer for every package.

Decided by blastdoor's own process environment (never the agent's): ``BLASTDOOR_HOME`` for data (the
audit store, keys, the hook launcher) and ``BLASTDOOR_CACHE_DIR`` for caches (compiled policy,
knowledge base, AWS catalog), else the XDG directories, else ``~/.local/share`` and ``~/.cache``.
Both are protected places: the files classifier treats an agent's writes to them as ``privilege``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

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


def read_cache(path: str, header: bytes) -> Any:
    """The plain data cached at ``path`` behind ``header``; None when absent, of another format or damaged.

    ``marshal`` holds plain data only and loading it never runs code, unlike pickle.
    """
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except (OSError, ValueError):
        return None
    if not blob.startswith(header):
        return None
    import marshal

    try:
        return marshal.loads(blob[len(header) :])
    except (ValueError, EOFError, TypeError):
        return None


def write_cache(path: str, header: bytes, data: Any) -> None:
    """Write ``data`` atomically (0600, via rename); a cache that cannot be written is skipped, never an error."""
    import marshal

    try:
        blob = header + marshal.dumps(data)
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}-{id(data):x}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        return
