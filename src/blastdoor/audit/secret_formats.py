"""Token formats of clouds and SaaS, from detect-secrets (Yelp's maintained secret scanner).

detect-secrets ships one detector per format (AWS, Azure storage, GitHub, GitLab, Slack, Stripe,
SendGrid, Twilio, Mailchimp, npm, PyPI, OpenAI, Discord, Telegram, JWTs, private keys, basic-auth
URLs, ...). Its regex detectors are read once and cached as plain data beside blastdoor's other caches
(``paths.cache_dir``), keyed by the installed detect-secrets: importing the library costs a fresh hook
process a tenth of a second, reading the cache does not. The library is imported only to build the
cache, never at module level, and never on the hook's path when the cache is current.

``find(text)`` yields the secret values found in ``text`` (the part a detector's groups mark, as the
detector itself reports it).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    import re
    from collections.abc import Iterator

__all__ = ["find", "formats"]

_HEADER = b"blastdoor-secret-formats-1\n"
# Detectors that are not about secrets, or need context the audit text does not carry.
_SKIP = frozenset({"Public IP (ipv4)"})

_compiled: list[tuple[str, re.Pattern[str]]] | None = None


def _stamp() -> str:
    """Which detect-secrets is installed (its plugins directory and modification time), or ``""``."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("detect_secrets")
    except (ImportError, ValueError):
        return ""
    if spec is None or not spec.origin:
        return ""
    plugins = os.path.join(os.path.dirname(spec.origin), "plugins")
    try:
        return f"{plugins}:{os.stat(plugins).st_mtime_ns}"
    except OSError:
        return ""


def _from_library() -> list[tuple[str, str, int]]:
    """(secret type, pattern, flags) of every regex detector detect-secrets has."""
    from typing import Any, cast

    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    out: list[tuple[str, str, int]] = []
    detectors: list[tuple[Any, Any]] = sorted(get_mapping_from_secret_type_to_class().items())
    for secret_type, cls in detectors:
        if secret_type in _SKIP or not issubclass(cls, RegexBasedDetector):
            continue
        try:
            detector: Any = cast("Any", cls)()
        except TypeError:
            continue
        for regex in detector.denylist:
            out.append((str(secret_type), regex.pattern, int(regex.flags)))
    return out


def formats() -> list[tuple[str, str, int]]:
    """The detectors' (type, pattern, flags): from the cache when it matches the installed library."""
    from blastdoor.paths import cache_dir, read_cache, write_cache

    stamp = _stamp()
    if not stamp:
        return []
    path = os.path.join(cache_dir(), "secret-formats.bin")
    cached = read_cache(path, _HEADER)
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == stamp:
        return [(str(a), str(b), int(c)) for a, b, c in cached[1]]
    try:
        rows = _from_library()
    except Exception:  # a broken install: the built-in shapes in redact.py still apply
        return []
    write_cache(path, _HEADER, (stamp, [list(r) for r in rows]))
    return rows


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    global _compiled
    if _compiled is None:
        import re

        out = []
        for secret_type, pattern, flags in formats():
            try:
                out.append((secret_type, re.compile(pattern, flags)))
            except re.error:
                continue
        _compiled = out
    return _compiled


def find(text: str) -> Iterator[tuple[str, str]]:
    """(secret type, secret value) for every format found in ``text``."""
    for secret_type, regex in _patterns():
        for match in regex.findall(text):
            for value in match if isinstance(match, tuple) else (match,):
                if value and len(value) >= 8:
                    yield secret_type, value
