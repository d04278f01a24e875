"""The compiled-policy cache: a fresh hook process loads the compiled form instead of parsing YAML.

Keyed by the hash of every input (each layer's content, the baselines, blastdoor's version, home),
stored with ``marshal`` (plain data; loading it never runs code), written atomically. The cache
directory is a protected place: the files classifier treats writes to it as ``privilege``.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.policy.compiled import CompiledPolicy
    from blastdoor.policy.layers import Source

_FORMAT = b"blastdoor-policy-cache-1\n"


def cache_dir(environ: Mapping[str, str]) -> str:
    from blastdoor.paths import cache_dir as _cache_dir

    return _cache_dir(environ)


def inputs_hash(sources: list[Source]) -> str:
    """``compiled.policy_hash(sources)``, computed without pathlib and glob (the hook's hot path).

    A test holds the two equal.
    """
    from blastdoor import __version__
    from blastdoor.policy.layers import baseline_files

    h = hashlib.sha256(f"blastdoor {__version__}\n".encode())
    for src in sources:
        h.update(f"{src.role}\n{src.sha256}\n".encode())
    for name, path in baseline_files():
        with open(path, "rb") as fh:
            h.update(name.encode() + b"\n" + hashlib.sha256(fh.read()).digest())
    return "sha256:" + h.hexdigest()


def cache_key(sources: list[Source], home: str) -> str:
    h = hashlib.sha256(inputs_hash(sources).encode())
    h.update(home.encode())
    for src in sources:
        h.update(b"\0" + src.path.encode())
    return h.hexdigest()[:40]


def load(path: str) -> CompiledPolicy | None:
    """The cached policy at ``path``, or None when absent, stale in format, or damaged."""
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    if not blob.startswith(_FORMAT):
        return None
    try:
        data = marshal.loads(blob[len(_FORMAT) :])
        from blastdoor.policy.compiled import CompiledPolicy

        return CompiledPolicy.from_data(data)
    except (ValueError, EOFError, TypeError, KeyError):
        return None


def store(path: str, policy: CompiledPolicy) -> None:
    """Write atomically; a cache that cannot be written is skipped, never an error."""
    import tempfile

    try:
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".policy-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_FORMAT + marshal.dumps(policy.to_data()))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        return
