"""Where policy comes from: the managed, project and user files, and built-in baselines.

Order of authority: managed (organisation; its rules are locked), project (``blastdoor.yaml`` found
upward from the working directory), user (``~/.config/blastdoor/policy.yaml``). Lower layers only add
rules; ``extends: [recommended]`` pulls a built-in baseline into the layer that names it.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from blastdoor.errors import Location, PolicyError

if TYPE_CHECKING:
    from collections.abc import Mapping

PROJECT_FILE = "blastdoor.yaml"
# The built-in baselines. A string: the hook's hot path uses os.path, not pathlib (a fresh process pays
# for every import); ``BASELINE_DIR`` is the same folder as a Path for the callers off that path.
BASELINE = os.path.join(os.path.dirname(__file__), "baseline")
ROLES = ("managed", "project", "user")
DEFAULT_MANAGED = "/etc/blastdoor/policy.yaml"


class Source:
    """One policy file: its role (managed/project/user/builtin), path, text and content hash."""

    __slots__ = ("builtin", "path", "role", "sha256", "text")

    def __init__(self, role: str, path: str, text: str, *, builtin: bool = False) -> None:
        self.role = role
        self.path = path
        self.text = text
        self.builtin = builtin
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Source({self.role}, {self.path})"


def __getattr__(name: str) -> Any:
    if name == "BASELINE_DIR":
        from pathlib import Path

        return Path(BASELINE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def find_project_file(start: str) -> str | None:
    """``blastdoor.yaml`` in ``start`` or the nearest parent directory that has one."""
    folder = os.path.realpath(start)
    while True:
        candidate = os.path.join(folder, PROJECT_FILE)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def user_policy_path(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(base, "blastdoor", "policy.yaml")


def locate(
    cwd: str,
    *,
    project: str | None = None,
    managed: str | None = None,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The (role, path) of every policy file that applies, most authoritative first.

    Explicit arguments win over ``BLASTDOOR_*_POLICY`` variables, which win over discovery. An
    explicitly named file that does not exist is an error; a discovered one is simply absent. The
    value ``none`` switches a layer off.
    """
    env = os.environ if environ is None else environ
    chosen: list[tuple[str, str]] = []
    wanted = {
        "managed": managed or env.get("BLASTDOOR_MANAGED_POLICY"),
        "project": project or env.get("BLASTDOOR_POLICY"),
        "user": user or env.get("BLASTDOOR_USER_POLICY"),
    }
    for role in ROLES:
        path = wanted[role]
        if path == "none":
            continue
        if path:
            if not os.path.isfile(path):
                raise PolicyError([(Location(path), f"{role} policy file not found")])
            chosen.append((role, path))
            continue
        if role == "managed":
            found: str | None = DEFAULT_MANAGED if os.path.isfile(DEFAULT_MANAGED) else None
        elif role == "project":
            found = find_project_file(cwd)
        else:
            candidate = user_policy_path(env)
            found = candidate if os.path.isfile(candidate) else None
        if found:
            chosen.append((role, found))
    return chosen


def read_source(role: str, path: str) -> Source:
    try:
        with open(path, encoding="utf-8") as fh:
            return Source(role, path, fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([(Location(path), f"cannot read {role} policy: {exc}")]) from exc


def baseline_source(name: str, role: str) -> Source:
    with open(os.path.join(BASELINE, f"{name}.yaml"), encoding="utf-8") as fh:
        return Source(role, f"<builtin:{name}>", fh.read(), builtin=True)


def baseline_files() -> list[tuple[str, str]]:
    """(file name, path) of every built-in baseline, by name."""
    return sorted((entry.name, entry.path) for entry in os.scandir(BASELINE) if entry.name.endswith(".yaml"))


def baseline_names() -> list[str]:
    return [name[: -len(".yaml")] for name, _ in baseline_files()]


# The policy used when no file exists anywhere: the recommended baseline, unknown things asked.
FALLBACK_POLICY = """\
version: 1
extends: [recommended]
default: ask
unknown: ask
on_error: deny
"""
