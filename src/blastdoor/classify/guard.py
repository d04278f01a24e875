"""The guard: blastdoor's own files and the harness settings that install its hook, in one place.

An agent that can change these changes what it is allowed to do: edit the policy, rewrite the audit
store, replace the hook launcher, or take the hook out of the harness's settings. So a write of any
kind to one of them (an editor, a copy, a move, a link, a redirection, an interpreter, a deletion of
a directory that holds one) is ``privilege`` plus ``guard``, and the recommended baseline denies
``guard`` to agents outright: an operator clicking yes on it is exactly the failure this prevents.

Guard places are of three kinds:

- patterns (``PLACES``): blastdoor's policy files and the harnesses' hook settings wherever they live;
- roots read from the environment: blastdoor's data directory (store, keys, socket, launcher, server
  secret) and cache directory (compiled policies) of this process and of the agent's environment, and
  the ``BLASTDOOR_*`` locations they name;
- the installation: the environment blastdoor runs from (removing it removes the hook).

A directory is a guard place when it holds one (``rm -rf .claude``, ``rm -rf ~/.local``).
``classify.files`` asks ``guard_reason`` for every write and delete it classifies.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from blastdoor.classify.context import ClassifyContext

__all__ = [
    "GUARD",
    "LOCATION_VARS",
    "PLACES",
    "STORE_NAMES",
    "guard_reason",
    "held_in",
    "in_repository",
    "install_roots",
]

GUARD = "guard"

# (pattern, why). Anchors as in classify.files: `~/` a home, `/` the root, `**/` anywhere.
PLACES: tuple[tuple[str, str], ...] = (
    ("**/blastdoor.yaml", "blastdoor's policy file"),
    ("**/blastdoor.yml", "blastdoor's policy file"),
    ("**/.blastdoor.yaml", "blastdoor's policy file"),
    ("**/.blastdoor.yml", "blastdoor's policy file"),
    ("**/.blastdoor/**", "blastdoor's project directory"),
    ("~/.config/blastdoor/**", "blastdoor's user configuration"),
    ("~/.local/share/blastdoor/**", "blastdoor's data (audit store, keys, socket, hook launcher)"),
    ("~/.local/state/blastdoor/**", "blastdoor's data"),
    ("~/.cache/blastdoor/**", "blastdoor's caches (compiled policies)"),
    ("/etc/blastdoor/**", "blastdoor's managed policy"),
    ("/var/lib/blastdoor/**", "blastdoor's data"),
    ("**/*.blastdoor.key", "blastdoor's signing key"),
    ("**/blastdoor*.key", "blastdoor's signing key"),
    ("**/blastdoor*.db", "blastdoor's audit store"),
    ("**/blastdoor*.db-wal", "blastdoor's audit store (write-ahead log)"),
    ("**/blastdoor*.db-shm", "blastdoor's audit store (shared memory)"),
    ("**/audit*.db", "an audit store"),
    ("**/blastdoor-hook.py", "blastdoor's hook launcher"),
    ("/etc/systemd/system/blastdoor*", "blastdoor's service unit"),
    ("~/.config/systemd/user/blastdoor*", "blastdoor's service unit"),
    # Claude Code: project, local, user and managed settings, and hook scripts.
    ("**/.claude/settings.json", "Claude Code settings (hooks, permissions)"),
    ("**/.claude/settings.local.json", "Claude Code settings (hooks, permissions)"),
    ("**/.claude/hooks/**", "Claude Code hook scripts"),
    ("~/.claude.json", "Claude Code user configuration"),
    ("/etc/claude-code/**", "Claude Code managed settings"),
    ("/Library/Application Support/ClaudeCode/**", "Claude Code managed settings"),
    # Codex, Cursor, Gemini CLI, Kiro, Copilot.
    ("**/.codex/config.toml", "Codex configuration"),
    ("**/.codex/hooks.json", "Codex hooks"),
    ("**/.codex/rules/**", "Codex rules"),
    ("/etc/codex/**", "Codex managed configuration"),
    ("**/.cursor/hooks.json", "Cursor hooks"),
    ("**/.cursor/mcp.json", "Cursor MCP servers"),
    ("/etc/cursor/**", "Cursor enterprise hooks"),
    ("**/.gemini/settings.json", "Gemini CLI settings (hooks)"),
    ("**/.gemini/policies/**", "Gemini CLI policies"),
    ("/etc/gemini-cli/**", "Gemini CLI system settings"),
    ("**/.kiro/hooks/**", "Kiro hooks"),
    ("**/.kiro/agents/**", "Kiro agent configuration (hooks, tools)"),
    ("**/.kiro/settings/**", "Kiro settings"),
    ("**/.github/hooks/**", "Copilot agent hooks"),
    ("**/.copilot/hooks/**", "Copilot agent hooks"),
    ("**/.mcp.json", "MCP server configuration (the agent's own tools)"),
    ("**/.vscode/mcp.json", "MCP server configuration (the agent's own tools)"),
)

# The places that can sit anywhere (inside any project): what a commit or a tree can carry.
_ANYWHERE = tuple(pattern[3:] for pattern, _ in PLACES if pattern.startswith("**/"))

# Every name in a guard place's path (wildcards filled in): what a name filter must miss to miss them.
_NAMES = frozenset(
    part.replace("*", "x")
    for pattern, _ in PLACES
    for part in pattern.split("/")
    if part and part not in ("**", "~") and not part.startswith("/")
)

# Relative names a directory is checked for when it is written or deleted as a whole.
_HELD = (
    "blastdoor.yaml",
    "blastdoor.yml",
    ".blastdoor.yaml",
    ".blastdoor",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks",
    ".codex/config.toml",
    ".codex/hooks.json",
    ".cursor/hooks.json",
    ".gemini/settings.json",
    ".kiro/agents",
    ".github/hooks",
    ".copilot/hooks",
    ".config/blastdoor",
    ".local/share/blastdoor",
    ".cache/blastdoor",
)

# blastdoor's store: tables, triggers and functions (store/migrations.py). Distinctive names only.
STORE_NAMES = frozenset(
    {
        "audit_meta",
        "audit_event",
        "audit_head",
        "audit_checkpoint",
        "approval_request",
        "approval_vote",
        "agent_status",
        "mcp_tool_pin",
        "audit_refuse",
        "audit_head_forward",
        "audit_head_no_delete",
        "identity_epoch",
        "identity_epoch_bump",
    }
)

# Where blastdoor keeps its files when told by these (in the agent's or this process's environment).
_VARS = (
    "BLASTDOOR_HOME",
    "BLASTDOOR_CACHE_DIR",
    "BLASTDOOR_POLICY",
    "BLASTDOOR_USER_POLICY",
    "BLASTDOOR_MANAGED_POLICY",
    "BLASTDOOR_SOCKET",
)

# Every variable that moves blastdoor's own files: part of the key of any memo of guard answers.
LOCATION_VARS = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", *_VARS)

_install: tuple[tuple[str, str], ...] | None = None


def install_roots() -> tuple[tuple[str, str], ...]:
    """(directory, why) of blastdoor's installation: the package and the environment it runs from."""
    global _install
    if _install is None:
        roots: list[tuple[str, str]] = []
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if os.path.basename(os.path.dirname(package)) in ("site-packages", "dist-packages"):
            roots.append((package, "blastdoor's installed package"))  # an editable install is a source tree
        if sys.prefix != sys.base_prefix:
            roots.append((os.path.abspath(sys.prefix), "the environment blastdoor runs from"))
        _install = tuple(roots)
    return _install


_ROOTS_MEMO: dict[tuple[str | None, ...], list[tuple[str, str]]] = {}
_ROOT_ENV = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", *_VARS)


def _roots(ctx: ClassifyContext) -> list[tuple[str, str]]:
    key = (
        ctx.home,
        *(os.environ.get(v) for v in _ROOT_ENV),
        *((ctx.environ.get(v) for v in _ROOT_ENV) if ctx.environ is not os.environ else ()),
    )
    found = _ROOTS_MEMO.get(key)
    if found is None:
        found = _ROOTS_MEMO[key] = _compute_roots(ctx)
        if len(_ROOTS_MEMO) > 256:
            _ROOTS_MEMO.clear()
            _ROOTS_MEMO[key] = found
    return found


def _compute_roots(ctx: ClassifyContext) -> list[tuple[str, str]]:
    from blastdoor.paths import cache_dir, data_dir

    out: list[tuple[str, str]] = []
    envs: list[Mapping[str, str]] = [os.environ]
    if ctx.environ is not os.environ:
        envs.append(ctx.environ)
    for env in envs:
        for var in _VARS:
            value = env.get(var, "")
            if value and value != "none" and value.startswith(("/", "~")):
                out.append((_expand(value, ctx.home), f"${var}"))
        out.append((data_dir(env), "blastdoor's data directory (audit store, keys, socket, hook launcher)"))
        out.append((cache_dir(env), "blastdoor's cache directory (compiled policies)"))
    out.extend(install_roots())
    return [(os.path.normpath(r), why) for r, why in out if r and os.path.normpath(r) != "/"]


def _expand(value: str, home: str) -> str:
    if value == "~" or value.startswith("~/"):
        return home + value[1:]
    return value


def in_repository(names: Iterable[str]) -> list[str]:
    """The names (relative to a repository's top) that are guard places wherever a tree lands: the
    ``**/`` patterns of ``PLACES`` (``blastdoor.yaml``, ``.claude/settings.json``, ``.kiro/hooks/...``)."""
    found = []
    for name in names:
        parts = name.split("/")
        for i in range(len(parts)):
            suffix = "/".join(parts[i:])
            if any(_tail_matches(suffix, tail) for tail in _ANYWHERE):
                found.append(name)
                break
    return found


def _tail_matches(suffix: str, tail: str) -> bool:
    if tail.endswith("/**"):
        return suffix == tail[:-3] or suffix.startswith(tail[:-2])
    if "*" not in tail:
        return suffix == tail
    from fnmatch import fnmatchcase  # only for the few patterns with a wildcard

    return fnmatchcase(suffix, tail)


def guard_names() -> frozenset[str]:
    """Every name in a guard place's path (wildcards filled in)."""
    return _NAMES


def could_name_guard(pattern: str) -> bool:
    """Whether a file name pattern (``find -name``) can match a guard place or a directory on the way
    to one: ``*.yaml`` can (``blastdoor.yaml``), ``.claude`` and ``*`` can, ``*.pyc`` cannot."""
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, pattern) or fnmatchcase(name.lower(), pattern.lower()) for name in _NAMES)


def held_in(directory: str, landing: str) -> list[str]:
    """The guard places (``_HELD``) a directory's contents become once they land at ``landing``, as
    paths relative to ``landing``: what copying ``/tmp/x`` to ``proj`` writes in it (``blastdoor.yaml``),
    or copying ``/tmp/x/.claude`` to ``proj/.claude`` (``settings.json``)."""
    return [under for _, under in _held(directory, landing)]


def _held(directory: str, landing: str) -> list[tuple[str, str]]:
    """(``_HELD`` entry, its path under ``landing``) for each guard place ``directory`` holds once it is
    at ``landing``: the place may start inside it (``proj`` holds ``.claude/settings.json``) or be
    entered by it (``proj/.claude`` holds ``settings.json``)."""
    try:
        if not os.path.isdir(directory):
            return []
        tail = landing.rstrip("/").split("/")
        found = []
        for rel in _HELD:
            segments = rel.split("/")
            for k in range(len(segments)):
                if k and tail[-k:] != segments[:k]:
                    continue
                if os.path.lexists(os.path.join(directory, *segments[k:])):
                    found.append((rel, "/".join(segments[k:])))
        return found
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return []


def guard_reason(path: str, ctx: ClassifyContext, *, whole: bool = True) -> str:
    """Why writing or deleting ``path`` (absolute, normalised) changes the guard through its roots or
    what it holds, or ``""`` (the patterns of ``PLACES`` are matched by ``classify.files``).

    ``whole``: ``path`` itself goes (a recursive delete, a move away), so a directory that holds a
    guard place counts; otherwise (a write into a directory) only ``path`` itself is looked at.
    """
    # `/` and the home directory hold everything: deleting them is a wipe, judged as one.
    holds = whole and path not in ("/", ctx.home.rstrip("/"))
    for root, why in _roots(ctx):
        if path == root or path.startswith(root + "/"):
            return f"{why} ({root})"
        if holds and root.startswith(path.rstrip("/") + "/"):
            return f"holds {why} ({root})"
    if holds and not os.path.islink(path):
        # `rm -rf proj`, `rm -rf proj/.claude`: the place may start inside ``path`` or be it.
        held = _held(path, path)
        if held:
            return f"holds {held[0][0]}, part of the guard"
    if "/hooks" in path or "/.husky" in path:
        hook = _blastdoor_hook(path, whole)
        if hook:
            return f"{hook} is a git hook that runs blastdoor (the change gate)"
    return ""


def _blastdoor_hook(path: str, whole: bool) -> str:
    """``path``, or a hook in it when it is a hooks directory that goes whole, if that hook runs blastdoor:
    a git hook (``.git/hooks/pre-push``, husky's ``.husky/pre-push``) whose text names it."""
    base = os.path.basename(path.rstrip("/"))
    if whole and base in ("hooks", ".husky", "_") and os.path.isdir(path):
        try:
            names = sorted(os.listdir(path))[:64]
        except OSError:
            return ""
        return next((h for n in names if (h := _blastdoor_hook(os.path.join(path, n), False))), "")
    parent = os.path.basename(os.path.dirname(path))
    if parent not in ("hooks", ".husky", "_") or base.endswith(".sample"):
        return ""
    try:
        with open(path, "rb") as fh:
            return path if b"blastdoor" in fh.read(65536) else ""
    except (OSError, ValueError):
        return ""
