"""Where each harness keeps its hook configuration, what blastdoor writes there, and how to find it again.

Pure data transformations (``merged``, ``removed``, ``entries``) plus small file helpers; the CLI
(``blastdoor install``, ``uninstall``, ``coverage``) prints and exits. blastdoor's entries are recognised
by their command (``... hook <harness>``) or, for Claude Code's HTTP hook, by the URL path
``/hook/<harness>``: the user's other hooks and settings are never touched.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import sys
from typing import Any

JSON = Any

TIMEOUT = 30  # seconds the harness waits for the hook; the hook's own watchdog fires earlier (20 s)
CLAUDE_MATCHER = "Bash|Write|Edit|MultiEdit|NotebookEdit|Read|WebFetch|mcp__.*"

# harness -> (project path, user path) relative to the project root / the home directory
PATHS: dict[str, tuple[str, str]] = {
    "claude-code": (".claude/settings.json", ".claude/settings.json"),
    "codex": (".codex/hooks.json", ".codex/hooks.json"),
    "cursor": (".cursor/hooks.json", ".cursor/hooks.json"),
    "gemini": (".gemini/settings.json", ".gemini/settings.json"),
    "kiro": (".kiro/agents/{agent}.json", ".kiro/agents/{agent}.json"),
    "copilot": (".github/hooks/blastdoor.json", ".copilot/hooks/blastdoor.json"),
}
# harness -> (event, matcher or None, is a pre-event)
EVENTS: dict[str, list[tuple[str, str | None]]] = {
    "claude-code": [
        ("PreToolUse", CLAUDE_MATCHER),
        ("PermissionRequest", CLAUDE_MATCHER),
        ("PostToolUse", CLAUDE_MATCHER),
        ("PostToolUseFailure", CLAUDE_MATCHER),
    ],
    "codex": [("PreToolUse", "*"), ("PermissionRequest", "*"), ("PostToolUse", "*")],
    "copilot": [("PreToolUse", "*"), ("PostToolUse", "*")],
    "cursor": [
        ("beforeShellExecution", None),
        ("beforeMCPExecution", None),
        ("beforeReadFile", None),
        ("afterShellExecution", None),
        ("afterMCPExecution", None),
        ("afterFileEdit", None),
    ],
    "gemini": [("BeforeTool", "*"), ("AfterTool", "*")],
    "kiro": [("preToolUse", "*"), ("postToolUse", "*")],
}


def data_home() -> str:
    """Where blastdoor keeps its own files (``$BLASTDOOR_HOME``, else the XDG data directory)."""
    from blastdoor.paths import data_dir

    return data_dir()


def config_path(harness: str, scope: str, *, project: str, agent: str = "default") -> str:
    rel = PATHS[harness][0 if scope == "project" else 1].format(agent=agent)
    root = project if scope == "project" else os.path.expanduser("~")
    return os.path.join(root, rel)


# -- the command -------------------------------------------------------------------------------------

# harness -> the exit code that blocks a tool call (shared/protocols/HOOKS.md): every harness blastdoor
# installs into blocks on 2; anything else from a failed hook lets the tool run in Gemini CLI and Kiro.
BLOCK_EXIT: dict[str, int] = {h: 2 for h in PATHS}
# harness -> the setting in its hook entry that blocks the tool when the hook cannot run at all (its
# interpreter is gone, it crashes before answering, it times out), or None when the harness has none.
FAIL_CLOSED: dict[str, str | None] = {
    "claude-code": '"onFailure": "block"',
    "cursor": '"failClosed": true',
    "codex": None,
    "gemini": None,
    "kiro": None,
    "copilot": None,
}

LAUNCHER_VERSION = 2  # 1: before the config (``blastdoor.hookclient.guarded``; still runs, tests/adapters)
LAUNCHER = """\
# Written by `blastdoor install` (launcher version {version}): starts the hook without `site` (-I -S), which
# saves several ms per tool call, and asks the running server first (the unix socket fixed below), deciding
# in-process when none answers; such a miss also starts the server (`blastdoor serve --idle-exit`) with the
# environment fixed below, so the next calls are served. Re-run `blastdoor install` after moving or
# upgrading blastdoor's environment, or to change that environment ($BLASTDOOR_HOME, $BLASTDOOR_DB, ...).
# When blastdoor cannot be imported (uninstalled, moved, broken), the hook blocks: exit {block}, the code
# every harness reads as "do not run the tool", never 1 (which some harnesses read as go-ahead).
import sys

sys.path[:0] = {paths!r}
CONFIG = {config!r}
try:
    if len(sys.argv) == 3 and sys.argv[1] == "hook":
        from blastdoor.hook.client import launch
    else:
        from blastdoor.cli.main import main
except BaseException as exc:
    why = "%s: %s" % (type(exc).__name__, exc)
    sys.stderr.write("blastdoor: cannot load blastdoor (" + why + "): blocking this tool call\\n")
    sys.exit({block})
if len(sys.argv) == 3 and sys.argv[1] == "hook":
    sys.exit(launch(sys.argv[2], CONFIG))
sys.exit(main(sys.argv[1:]))
"""

# What the server a hook starts keeps of the installing environment (``launcher_config``): where
# blastdoor's data, store and policies are, what previewers run (``PATH``), the user and locale. Never a
# token, credential, key, secret or password, whatever its name's prefix: the launcher is a plain file.
SERVER_ENV = ("HOME", "USER", "LOGNAME", "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
SERVER_ENV_PREFIXES = ("BLASTDOOR_", "XDG_")
_SECRET_WORDS = ("TOKEN", "CREDENTIAL", "SECRET", "PASSWORD", "KEY")
# Not the server's to inherit: they steer a client (which server, whether to ask) or are set per start.
_CLIENT_ONLY = ("BLASTDOOR_SERVER", "BLASTDOOR_SOCKET", "BLASTDOOR_LISTEN", "BLASTDOOR_AGENT", "BLASTDOOR_HOOK_TIMEOUT")


def carries_credentials(value: str) -> bool:
    """Whether ``value`` holds a URL with a password in it (``postgresql://app:pw@db/blastdoor``)."""
    import re

    return re.search(r"://[^/@\s]*:[^/@\s]*@", value) is not None


def server_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the auto-started server judges with: the installing one, filtered (``SERVER_ENV``).

    A value carrying a password in a URL (a ``BLASTDOOR_DB`` such as ``postgresql://app:pw@db/x``) is
    left out like any secret: ``launcher_config`` then starts no server at all, rather than one that
    records to another store.
    """
    env = dict(os.environ if environ is None else environ)
    kept: dict[str, str] = {}
    for key, value in sorted(env.items()):
        if key in _CLIENT_ONLY or any(word in key for word in _SECRET_WORDS) or carries_credentials(value):
            continue
        if key in SERVER_ENV or key.startswith(SERVER_ENV_PREFIXES):
            kept[key] = value
    return kept


def launcher_config(environ: dict[str, str] | None = None) -> dict[str, JSON]:
    """What the launcher fixes at install time: the socket it asks, and how it starts the server."""
    from blastdoor.paths import data_dir

    env = dict(os.environ if environ is None else environ)
    socket = env.get("BLASTDOOR_SOCKET") or os.path.join(data_dir(env), "server.sock")
    config: dict[str, JSON] = {
        "version": LAUNCHER_VERSION,
        "socket": os.path.abspath(socket),
        "python": os.path.abspath(sys.executable),
        "env": server_env(env),
        "idle_exit": 900,
    }
    if any(carries_credentials(v) for k, v in env.items() if k.startswith(SERVER_ENV_PREFIXES)):
        # The server would need the password, and the launcher is a plain file: hooks ask a server
        # the operator runs, or decide in-process. (libpq's ~/.pgpass keeps it out of the URL.)
        config["autostart"] = False
    return config


def launcher_paths() -> list[str]:
    """The import paths the hook needs without ``site``: blastdoor's own and the environment's."""
    import sysconfig

    import blastdoor

    own = os.path.dirname(os.path.dirname(os.path.abspath(blastdoor.__file__)))
    paths = [own]
    for key in ("purelib", "platlib"):
        p = sysconfig.get_paths()[key]
        if p not in paths:
            paths.append(p)
    return paths


def launcher_text(paths: list[str] | None = None, config: dict[str, JSON] | None = None) -> str:
    """The launcher's source, importing blastdoor from ``paths`` (default: this installation's)."""
    return LAUNCHER.format(
        paths=launcher_paths() if paths is None else paths,
        config=launcher_config() if config is None else config,
        version=LAUNCHER_VERSION,
        block=2,
    )


def launcher_path() -> str:
    return os.path.join(data_home(), "bin", "blastdoor-hook.py")


def write_launcher() -> str:
    """Write the launcher (atomically, only when it changed) and return its path."""
    path = launcher_path()
    text = launcher_text()
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return path
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, text)
    return path


def hook_command(harness: str, launcher: str) -> str:
    """The interpreter by absolute path, isolated and without ``site``, running the launcher."""
    return shlex.join([os.path.abspath(sys.executable), "-I", "-S", launcher, "hook", harness])


def is_ours(entry: JSON, harness: str) -> bool:
    """True for a hook entry blastdoor wrote for ``harness`` (command or HTTP)."""
    if not isinstance(entry, dict):
        return False
    command = entry.get("command") or entry.get("bash") or ""
    if isinstance(command, str) and "blastdoor" in command and command.rstrip().endswith(f"hook {harness}"):
        return True
    url = entry.get("url")
    return isinstance(url, str) and url.rstrip("/").endswith((f"/v1/hooks/{harness}", f"/hook/{harness}"))


# -- the entries -------------------------------------------------------------------------------------


# The variable Claude Code's HTTP hook reads its bearer token from: a requester's API token (issue 13:
# the server establishes who asks; over TCP that is a token).
HOOK_TOKEN_VAR = "BLASTDOOR_HOOK_TOKEN"


def _claude_hook(command: str, url: str) -> dict[str, JSON]:
    if url:
        return {
            "type": "http",
            "url": url,
            "headers": {"Authorization": f"Bearer ${HOOK_TOKEN_VAR}"},
            "allowedEnvVars": [HOOK_TOKEN_VAR],
            "timeout": TIMEOUT,
            "onFailure": "block",
        }
    return {"type": "command", "command": command, "timeout": TIMEOUT, "onFailure": "block"}


def entries(harness: str, command: str, *, url: str = "") -> dict[str, list[JSON]]:
    """event -> the entries blastdoor adds under it."""
    out: dict[str, list[JSON]] = {}
    for event, matcher in EVENTS[harness]:
        if harness == "cursor":
            out[event] = [{"command": command, "timeout": TIMEOUT, "failClosed": True}]
        elif harness == "kiro":
            out[event] = [{"command": command, "matcher": matcher}]
        elif harness == "gemini":
            hook = {"type": "command", "command": command, "timeout": TIMEOUT * 1000}
            out[event] = [{"matcher": matcher, "hooks": [hook]}]
        else:
            hook = _claude_hook(command, url if harness == "claude-code" else "")
            out[event] = [{"matcher": matcher, "hooks": [hook]}]
    return out


def _strip(groups: list[JSON], harness: str) -> list[JSON]:
    """The event's entries without blastdoor's (a matcher group left empty goes too)."""
    kept: list[JSON] = []
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            hooks = [h for h in group["hooks"] if not is_ours(h, harness)]
            if hooks:
                kept.append({**group, "hooks": hooks} if len(hooks) != len(group["hooks"]) else group)
            elif not group["hooks"]:
                kept.append(group)
        elif not is_ours(group, harness):
            kept.append(group)
    return kept


def removed(config: dict[str, JSON], harness: str) -> dict[str, JSON]:
    """``config`` without blastdoor's hooks for ``harness`` (everything else kept as it was)."""
    result = copy.deepcopy(config)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = _strip(groups, harness)
        if kept:
            hooks[event] = kept
        elif len(kept) != len(groups):
            del hooks[event]
    return result


def merged(config: dict[str, JSON], harness: str, command: str, *, url: str = "") -> dict[str, JSON]:
    """``config`` with blastdoor's hooks for ``harness``: idempotent, other settings untouched."""
    result = removed(config, harness)
    hooks = result.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError("`hooks` is not an object")
    for event, new in entries(harness, command, url=url).items():
        current = hooks.get(event)
        hooks[event] = [*(current if isinstance(current, list) else []), *new]
    if harness == "cursor":
        result.setdefault("version", 1)
    if harness == "gemini":
        hooks["enabled"] = True  # newer Gemini CLI
        tools = result.setdefault("tools", {})
        if isinstance(tools, dict):
            tools["enableHooks"] = True  # older Gemini CLI
    return result


# -- files ---------------------------------------------------------------------------------------------


def read_json(path: str) -> dict[str, JSON]:
    """The JSON object in ``path`` ({} when the file does not exist); ValueError for anything else."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a JSON object")
    return value


def dump(config: dict[str, JSON]) -> str:
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: str, text: str) -> None:
    import tempfile

    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".blastdoor-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_with_backup(path: str, text: str) -> str | None:
    """Write ``text`` to ``path``, keeping the previous content in ``<path>.blastdoor.bak``."""
    backup = None
    if os.path.exists(path):
        import shutil

        backup = path + ".blastdoor.bak"
        shutil.copy2(path, backup)
    write_atomic(path, text)
    return backup
