"""Where policy comes from: the managed, project and user files, and built-in baselines.

Order of authority: managed (organisation; its rules are locked), project (``blastdoor.yaml`` found
upward from the working directory), user (``~/.config/blastdoor/policy.yaml``). Lower layers only add
rules; ``extends: [recommended]`` pulls a built-in baseline into the layer that names it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from blastdoor.errors import Location, PolicyError

if TYPE_CHECKING:
    from collections.abc import Mapping

PROJECT_FILE = "blastdoor.yaml"
BASELINE_DIR = Path(__file__).with_name("baseline")
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


def find_project_file(start: str) -> str | None:
    """``blastdoor.yaml`` in ``start`` or the nearest parent directory that has one."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return str(candidate)
    return None


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
    path = BASELINE_DIR / f"{name}.yaml"
    return Source(role, f"<builtin:{name}>", path.read_text(encoding="utf-8"), builtin=True)


def baseline_names() -> list[str]:
    return sorted(p.stem for p in BASELINE_DIR.glob("*.yaml"))


# The policy used when no file exists anywhere: the recommended baseline, unknown things asked.
FALLBACK_POLICY = """\
version: 1
extends: [recommended]
default: ask
unknown: ask
on_error: deny
"""
