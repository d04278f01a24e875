"""Files: what reading, writing or deleting a path implies, and the harnesses' Read/Write/Edit tools.

Most paths are plain data: reading is ``read``, writing is ``write`` (or ``create``), deleting is
``delete``. Some places are not: git internals and CI configuration run code later, shell rc files and
systemd units too, ssh keys and cloud credentials are secrets, ``/etc`` holds the machine's security
settings, and blastdoor's own policy and audit files (and the harness hook configs that call blastdoor)
are the guard itself: an agent editing them changes what it is allowed to do, which is ``privilege``.

The table below is data: one row per protected place. Patterns are globs over path segments, anchored
at ``~`` (a home directory), ``/`` (the root) or ``**`` (anywhere); ``**`` crosses segments.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.action import Action, Note
from blastdoor.classify.guard import GUARD, PLACES, guard_reason

if TYPE_CHECKING:
    from blastdoor.classify.context import ClassifyContext

__all__ = ["classify_file", "classify_path_access", "guard_of", "normalize_path", "project_marker"]

_E = frozenset[str]
R, W, D = "read", "write", "delete"
_ROOT_HOME = "root's home"
_TEMP_ROOTS = ("/tmp", "/var/tmp", "/private/tmp", "/private/var/tmp", "/dev/shm")

# (pattern, effects when read, effects when written, effects when deleted, why). The base effect of the
# mode (read/write/delete) is always added; these are what comes on top.
_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    # git internals: hooks and config run code later; the object store is history.
    ("**/.git/hooks/**", "", "persist", "", "git hooks run on every commit, checkout or push"),
    ("**/.git/config", "", "persist", "persist", "git config can run code (hooksPath, fsmonitor, aliases)"),
    ("**/.git/info/attributes", "", "persist", "", "git attributes select filters that run code"),
    ("**/.git/**", "", "", "irreversible", "git's own data (objects, refs, index)"),
    ("**/.git", "", "", "irreversible", "the repository's history"),
    ("**/.gitmodules", "", "persist", "", "submodule URLs are fetched and checked out later"),
    ("**/.husky/**", "", "persist", "", "husky git hooks"),
    ("**/.pre-commit-config.yaml", "", "persist", "", "pre-commit hooks run on every commit"),
    ("**/.envrc", "", "persist", "", "direnv runs it on entering the directory"),
    # CI configuration: what runs on the next push, often with deploy credentials.
    ("**/.github/workflows/**", "", "deploy persist", "deploy", "GitHub Actions workflows"),
    ("**/.github/actions/**", "", "deploy persist", "deploy", "GitHub Actions local actions"),
    ("**/.github/CODEOWNERS", "", "privilege", "privilege", "CODEOWNERS decides who must review"),
    ("**/CODEOWNERS", "", "privilege", "privilege", "CODEOWNERS decides who must review"),
    ("**/.gitlab-ci.yml", "", "deploy persist", "deploy", "GitLab CI pipeline"),
    ("**/.gitlab-ci/**", "", "deploy persist", "deploy", "GitLab CI pipeline"),
    ("**/Jenkinsfile", "", "deploy persist", "deploy", "Jenkins pipeline"),
    ("**/.circleci/**", "", "deploy persist", "deploy", "CircleCI pipeline"),
    ("**/.travis.yml", "", "deploy persist", "deploy", "Travis CI pipeline"),
    ("**/azure-pipelines.yml", "", "deploy persist", "deploy", "Azure Pipelines"),
    ("**/bitbucket-pipelines.yml", "", "deploy persist", "deploy", "Bitbucket Pipelines"),
    ("**/.buildkite/**", "", "deploy persist", "deploy", "Buildkite pipeline"),
    ("**/.drone.yml", "", "deploy persist", "deploy", "Drone CI pipeline"),
    ("**/cloudbuild.yaml", "", "deploy persist", "deploy", "Google Cloud Build"),
    ("**/buildspec.yml", "", "deploy persist", "deploy", "AWS CodeBuild"),
    # shell start-up files: whatever goes in runs in every new shell.
    ("~/.bashrc", "", "persist", "persist", "a shell start-up file"),
    ("~/.bash_profile", "", "persist", "persist", "a shell start-up file"),
    ("~/.bash_login", "", "persist", "persist", "a shell start-up file"),
    ("~/.bash_logout", "", "persist", "persist", "a shell start-up file"),
    ("~/.profile", "", "persist", "persist", "a shell start-up file"),
    ("~/.zshrc", "", "persist", "persist", "a shell start-up file"),
    ("~/.zshenv", "", "persist", "persist", "a shell start-up file"),
    ("~/.zprofile", "", "persist", "persist", "a shell start-up file"),
    ("~/.zlogin", "", "persist", "persist", "a shell start-up file"),
    ("~/.kshrc", "", "persist", "persist", "a shell start-up file"),
    ("~/.cshrc", "", "persist", "persist", "a shell start-up file"),
    ("~/.tcshrc", "", "persist", "persist", "a shell start-up file"),
    ("~/.config/fish/**", "", "persist", "persist", "fish shell configuration"),
    ("~/.config/autostart/**", "", "persist", "persist", "desktop autostart entries"),
    ("~/.config/systemd/**", "", "persist", "persist", "user systemd units"),
    ("~/Library/LaunchAgents/**", "", "persist", "persist", "launchd agents"),
    ("~/.gitconfig", "", "persist", "", "git config can run code (aliases, hooksPath, credential helpers)"),
    ("~/.config/git/**", "", "persist", "", "git config can run code"),
    ("~/.ssh/rc", "", "persist", "", "run at every ssh login"),
    # ssh: keys are secrets; authorized_keys and config decide who gets in and what runs.
    ("~/.ssh/authorized_keys*", "", "privilege persist", "privilege", "who may log in with a key"),
    ("~/.ssh/config", "", "privilege persist", "", "ssh client config (ProxyCommand runs code)"),
    ("~/.ssh/known_hosts", "", "privilege", "", "which host keys ssh trusts"),
    ("~/.ssh/*.pub", "", "privilege", "", "an ssh public key"),
    ("~/.ssh/**", "secrets", "privilege", "irreversible", "ssh keys"),
    # credentials of clouds, registries and tools.
    ("~/.aws/credentials", "secrets", "privilege", "", "AWS credentials"),
    ("~/.aws/config", "", "privilege", "", "AWS profiles (credential_process runs code)"),
    ("~/.aws/sso/cache/**", "secrets", "privilege", "", "AWS SSO tokens"),
    ("~/.aws/cli/cache/**", "secrets", "privilege", "", "AWS CLI cached credentials"),
    ("~/.config/gcloud/**", "secrets", "privilege", "", "Google Cloud credentials"),
    ("~/.azure/**", "secrets", "privilege", "", "Azure credentials"),
    ("~/.kube/config", "secrets", "privilege", "", "Kubernetes credentials and contexts"),
    ("~/.kube/**", "secrets", "privilege", "", "Kubernetes credentials"),
    ("~/.docker/config.json", "secrets", "privilege", "", "container registry credentials"),
    ("~/.netrc", "secrets", "privilege", "", "network login credentials"),
    ("~/.git-credentials", "secrets", "privilege", "", "git credentials"),
    ("~/.npmrc", "secrets", "privilege", "", "npm registry tokens"),
    ("~/.pypirc", "secrets", "privilege", "", "PyPI upload credentials"),
    ("~/.gem/credentials", "secrets", "privilege", "", "RubyGems credentials"),
    ("~/.cargo/credentials*", "secrets", "privilege", "", "crates.io credentials"),
    ("~/.config/gh/hosts.yml", "secrets", "privilege", "", "GitHub CLI tokens"),
    ("~/.config/hub", "secrets", "privilege", "", "GitHub tokens"),
    ("~/.vault-token", "secrets", "privilege", "", "a Vault token"),
    ("~/.terraform.d/credentials.tfrc.json", "secrets", "privilege", "", "Terraform Cloud token"),
    ("~/.gnupg/**", "secrets", "privilege", "irreversible", "GnuPG keys"),
    ("~/.password-store/**", "secrets", "privilege", "irreversible", "pass password store"),
    ("~/.config/op/**", "secrets", "privilege", "", "1Password CLI session"),
    # secrets that live in projects, by name.
    ("**/.env", "secrets", "", "", "a dotenv file (secrets by convention)"),
    ("**/.env.*", "secrets", "", "", "a dotenv file (secrets by convention)"),
    ("**/*.env", "secrets", "", "", "an env file (secrets by convention)"),
    ("**/*.pem", "secrets", "privilege", "", "a PEM key or certificate"),
    ("**/*.key", "secrets", "privilege", "", "a private key"),
    ("**/*.p12", "secrets", "privilege", "", "a PKCS#12 key store"),
    ("**/*.pfx", "secrets", "privilege", "", "a PKCS#12 key store"),
    ("**/*.jks", "secrets", "privilege", "", "a Java key store"),
    ("**/*.keystore", "secrets", "privilege", "", "a key store"),
    ("**/id_rsa*", "secrets", "privilege", "", "an ssh private key"),
    ("**/id_dsa*", "secrets", "privilege", "", "an ssh private key"),
    ("**/id_ecdsa*", "secrets", "privilege", "", "an ssh private key"),
    ("**/id_ed25519*", "secrets", "privilege", "", "an ssh private key"),
    ("**/*.tfstate", "secrets", "irreversible", "irreversible", "Terraform state (holds secrets; the truth)"),
    ("**/*.tfstate.backup", "secrets", "", "", "Terraform state backup (holds secrets)"),
    ("**/credentials.json", "secrets", "privilege", "", "a credentials file"),
    ("**/service-account*.json", "secrets", "privilege", "", "a service account key"),
    ("**/secrets.y*ml", "secrets", "", "", "a secrets file"),
    ("**/*.secret", "secrets", "", "", "a secret file"),
    # the machine.
    ("/etc/shadow*", "secrets", "privilege", "privilege", "password hashes"),
    ("/etc/gshadow*", "secrets", "privilege", "privilege", "group password hashes"),
    ("/etc/sudoers", "secrets", "privilege", "privilege", "who may sudo"),
    ("/etc/sudoers.d/**", "secrets", "privilege", "privilege", "who may sudo"),
    ("/etc/ssh/*key*", "secrets", "privilege", "privilege", "host keys"),
    ("/etc/cron*", "", "privilege persist", "privilege", "system cron jobs"),
    ("/etc/cron*/**", "", "privilege persist", "privilege", "system cron jobs"),
    ("/var/spool/cron/**", "", "privilege persist", "privilege", "cron jobs"),
    ("/etc/systemd/**", "", "privilege persist", "privilege", "systemd units"),
    ("/etc/init.d/**", "", "privilege persist", "privilege", "init scripts"),
    ("/etc/rc.local", "", "privilege persist", "privilege", "run at boot"),
    ("/etc/profile", "", "privilege persist", "privilege", "every login shell runs it"),
    ("/etc/profile.d/**", "", "privilege persist", "privilege", "every login shell runs it"),
    ("/etc/bash.bashrc", "", "privilege persist", "privilege", "every bash runs it"),
    ("/etc/zsh/**", "", "privilege persist", "privilege", "every zsh runs it"),
    ("/etc/ld.so.preload", "", "privilege persist", "privilege", "preloaded into every process"),
    ("/etc/**", "", "privilege", "privilege", "system configuration"),
    ("/etc", "", "privilege", "privilege wipe", "system configuration"),
    ("/lib/systemd/**", "", "privilege persist", "privilege", "systemd units"),
    ("/usr/lib/systemd/**", "", "privilege persist", "privilege", "systemd units"),
    ("/Library/LaunchAgents/**", "", "privilege persist", "privilege", "launchd agents"),
    ("/Library/LaunchDaemons/**", "", "privilege persist", "privilege", "launchd daemons"),
    ("/usr/**", "", "privilege", "privilege", "system software"),
    ("/bin/**", "", "privilege", "privilege", "system software"),
    ("/sbin/**", "", "privilege", "privilege", "system software"),
    ("/lib/**", "", "privilege", "privilege", "system libraries"),
    ("/lib64/**", "", "privilege", "privilege", "system libraries"),
    ("/boot/**", "", "privilege", "privilege wipe", "the boot loader and kernel"),
    ("/root/**", "secrets", "privilege", "privilege", _ROOT_HOME),
    ("/proc/*/environ", "secrets", "", "", "a process's environment (often holds credentials)"),
    ("/proc/*/mem", "secrets", "privilege", "", "a process's memory"),
    ("/proc/sys/**", "", "privilege", "", "kernel settings"),
    ("/sys/**", "", "privilege", "", "kernel and device settings"),
    ("/dev/mem", "secrets", "privilege wipe", "", "physical memory"),
    ("/dev/kmem", "secrets", "privilege wipe", "", "kernel memory"),
    ("/dev/port", "secrets", "privilege wipe", "", "I/O ports"),
    ("/var/log/**", "", "privilege", "privilege irreversible", "system logs (audit evidence)"),
)

# Disk devices: writing one destroys a file system. Matched by name prefix under /dev.
_DISK_PREFIXES = ("sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "md", "dm-", "sr", "loop", "mapper/")
# Devices that are not data: writing them is nothing.
_NULL_DEVICES = frozenset(
    {"/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/full", "/dev/random"}
)
# Dotenv files that are templates by convention.
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")

_GLOB_CHARS = frozenset("*?[")

# Compiled form of _RULES: (anchor, segments, required literal segments, effects by mode, why).
_Compiled = tuple[str, tuple[str, ...], frozenset[str], dict[str, frozenset[str]], str]
_compiled: list[_Compiled] | None = None


def _compile() -> list[_Compiled]:
    global _compiled
    if _compiled is None:
        out: list[_Compiled] = []
        rows = [(pattern, "", "privilege guard", "privilege guard", why) for pattern, why in PLACES]
        rows.extend(_RULES)
        for pattern, on_read, on_write, on_delete, why in rows:
            anchor = "~" if pattern.startswith("~/") else "**" if pattern.startswith("**/") else "/"
            body = pattern[2:] if anchor == "~" else pattern[3:] if anchor == "**" else pattern[1:]
            segments = tuple(body.split("/")) if body else ()
            required = frozenset(s for s in segments if s != "**" and not (_GLOB_CHARS & set(s)))
            effects = {
                R: frozenset(on_read.split()),
                W: frozenset(on_write.split()),
                D: frozenset(on_delete.split()),
            }
            out.append((anchor, segments, required, effects, why))
        # Index: a rule with a literal segment can only match a path that has that segment.
        for i, (_anchor, _segments, required, _effects, _why) in enumerate(out):
            if required:
                _INDEX.setdefault(max(required, key=len), []).append(i)
            else:
                _UNINDEXED.append(i)
        _compiled = out
    return _compiled


_INDEX: dict[str, list[int]] = {}
_UNINDEXED: list[int] = []


def _segment_match(pattern: str, name: str) -> bool:
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return pattern == name
    if pattern[0] == "*" and "*" not in pattern[1:] and "?" not in pattern and "[" not in pattern:
        return name.endswith(pattern[1:])  # `*.pem`: the common case, without fnmatch's regex
    from fnmatch import fnmatchcase

    return fnmatchcase(name, pattern)


def _match(segments: tuple[str, ...], parts: list[str], i: int = 0, j: int = 0) -> bool:
    """Glob match of pattern segments against path segments; ``**`` matches zero or more segments."""
    while i < len(segments):
        seg = segments[i]
        if seg == "**":
            if i == len(segments) - 1:
                return True
            return any(_match(segments, parts, i + 1, k) for k in range(j, len(parts) + 1))
        if j >= len(parts) or not _segment_match(seg, parts[j]):
            return False
        i += 1
        j += 1
    return j == len(parts)


def normalize_path(path: str, ctx: ClassifyContext) -> str:
    """``path`` made absolute: ``~`` is ctx.home, relative paths are against ctx.cwd; ``..`` folded."""
    if path == "~" or path.startswith("~/"):
        path = ctx.home + path[1:]
    elif path.startswith("$HOME/") or path == "$HOME" or path.startswith("${HOME}"):
        path = ctx.home + path[len("${HOME}") if path.startswith("${HOME}") else 5 :]
    if not os.path.isabs(path):
        path = os.path.join(ctx.cwd or "/", path)
    path = os.path.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path


def _home_relative(path: str, home: str) -> list[str] | None:
    """The segments of ``path`` below a home directory (ctx.home, /root, /home/<u>, /Users/<u>)."""
    home = home.rstrip("/")
    if home and (path == home or path.startswith(home + "/")):
        rest = path[len(home) + 1 :]
        return rest.split("/") if rest else []
    parts = path.strip("/").split("/")
    if parts and parts[0] == "root":
        return parts[1:]
    if len(parts) >= 2 and parts[0] in ("home", "Users"):
        return parts[2:]
    return None


def _rules_for(path: str, home: str) -> list[tuple[dict[str, frozenset[str]], str, str]]:
    """Every protected-place rule that ``path`` (absolute, normalised) falls under."""
    parts = [p for p in path.split("/") if p]
    under_home = _home_relative(path, home)
    names = set(parts)
    hits: list[tuple[dict[str, frozenset[str]], str, str]] = []
    seen_why: set[str] = set()
    rules = _compile()
    candidates = set(_UNINDEXED)
    for name in names:
        hit = _INDEX.get(name)
        if hit:
            candidates.update(hit)
    for i in sorted(candidates):
        anchor, segments, required, effects, why = rules[i]
        if not required <= names:
            continue
        if anchor == "~":
            if under_home is None or not _match(segments, under_home):
                continue
        elif anchor == "**":
            # Most "anywhere" rules name a file: only the last segment can match them.
            if len(segments) == 1:
                if not parts or not _segment_match(segments[0], parts[-1]):
                    continue
            elif not _match(("**", *segments), parts):
                continue
        elif not _match(segments, parts):
            continue
        if why in seen_why:
            continue
        seen_why.add(why)
        hits.append((effects, why, ("~/" if anchor == "~" else "**/" if anchor == "**" else "/") + "/".join(segments)))
    return hits


def _device(path: str, mode: str) -> tuple[frozenset[str], str] | None:
    if path in _NULL_DEVICES or path.startswith("/dev/fd/"):
        return frozenset(), "not data"
    if path.startswith("/dev/"):
        name = path[5:]
        if name.startswith(_DISK_PREFIXES):
            if mode == R:
                return frozenset({"read", "secrets"}), "reads a raw disk, bypassing file permissions"
            return frozenset({"write", "delete", "irreversible", "wipe"}), "overwrites a raw disk"
    return None


def classify_path_access(path: str, mode: str, ctx: ClassifyContext) -> tuple[frozenset[str], list[Note]]:
    """The effects of touching ``path`` in ``mode`` (``read``, ``write`` or ``delete``), with notes.

    The base effect is the mode itself (``read``, ``write``, ``delete``); protected places add to it.
    A symlink that leads into a protected place counts as that place. Never raises.
    """
    if mode not in (R, W, D):
        return frozenset({"unknown"}), [Note("effect", "unknown", f"unknown file access mode {mode!r}", "files")]
    if not path:
        return frozenset({"unknown"}), [Note("effect", "unknown", "an empty path", "files")]
    if "\x00" in path:
        return frozenset({"unknown"}), [Note("effect", "unknown", "a path with a NUL byte", "files")]
    absolute = normalize_path(path, ctx)
    candidates = [absolute]
    try:
        real = os.path.realpath(absolute)
    except (OSError, ValueError):
        real = absolute
    if real != absolute:
        candidates.append(real)
    effects: set[str] = {mode}
    notes: list[Note] = []
    for candidate in candidates:
        via = "" if candidate == absolute else f" (via symlink to {candidate})"
        device = _device(candidate, mode)
        if device is not None:
            dev_effects, why = device
            if not dev_effects:
                if candidate == absolute and len(candidates) == 1:
                    return frozenset(), [Note("info", candidate, f"{candidate}: {why}", "files")]
                continue
            effects |= dev_effects
            for e in sorted(dev_effects):
                notes.append(Note("effect", e, f"{candidate}: {why}{via}", "files"))
            continue
        if mode != R:
            why_guard = guard_reason(candidate, ctx, whole=mode == D)
            if why_guard:
                for e in ("privilege", GUARD, "irreversible") if mode == D else ("privilege", GUARD):
                    if e not in effects:
                        effects.add(e)
                        notes.append(Note("effect", e, f"{mode} of {candidate}: {why_guard}{via}", "files"))
        if mode == D and candidate == absolute:
            marker = project_marker(candidate, ctx)
            if marker:
                notes.append(Note("target", marker, f"{candidate} is inside a project: not temp scratch", "files"))
        for by_mode, why, pattern in _rules_for(candidate, ctx.home):
            if why == _ROOT_HOME and _project_of(candidate, ctx):
                continue  # a project under /root (dev containers, CI as root) is a project, not a secret
            extra = by_mode[mode]
            if "secrets" in extra and _is_env_template(candidate):
                extra = extra - {"secrets"}
            for e in sorted(extra - effects):
                effects.add(e)
                notes.append(Note("effect", e, f"{mode} of {candidate}: {why} ({pattern}){via}", "files"))
            if not extra and mode != R:
                notes.append(Note("info", candidate, f"{candidate}: {why} ({pattern}){via}", "files"))
            if mode == D and "irreversible" not in effects:
                effects.add("irreversible")
                notes.append(Note("effect", "irreversible", f"deleting {why} cannot be undone{via}", "files"))
    return frozenset(effects), notes


def guard_of(path: str, ctx: ClassifyContext, *, whole: bool = False) -> str:
    """Why a write or delete of ``path`` changes blastdoor or the harness's hooks, or ``""``.

    One answer for every classifier: the guard places of ``classify.guard`` (patterns, blastdoor's
    directories from the environment, its installation) and, when ``whole`` (the path itself is
    deleted or moved away), directories that hold any of them.
    """
    if not path or "\x00" in path:
        return ""
    absolute = normalize_path(path, ctx)
    candidates = [absolute]
    try:
        real = os.path.realpath(absolute)
    except (OSError, ValueError):
        real = absolute
    if real != absolute:
        candidates.append(real)
    for candidate in candidates:
        for by_mode, why, _pattern in _rules_for(candidate, ctx.home):
            if GUARD in by_mode[W]:
                return why
        why = guard_reason(candidate, ctx, whole=whole)
        if why:
            return why
    return ""


# A marker target: a path under a temp directory that belongs to a project (a git work tree or the
# directory the agent works in). Temp-scratch allow rules match paths; this target matches none of
# them, so the project keeps its protection wherever it is checked out.
PROJECT_PREFIX = "project:"

_PROJECT_MEMO: dict[tuple[str, str], str] = {}


def project_marker(path: str, ctx: ClassifyContext) -> str:
    """``project:PATH`` when ``path`` (absolute) is under a temp directory but inside a project, else ``""``."""
    if _in_temp(path) and _project_of(path, ctx):
        return PROJECT_PREFIX + path
    return ""


def _in_temp(path: str) -> bool:
    return any(path.startswith(root + "/") for root in _TEMP_ROOTS)


def _project_of(path: str, ctx: ClassifyContext) -> str:
    """The project ``path`` is inside: the agent's working directory or a git work tree; else ``""``."""
    cwd = (ctx.cwd or "").rstrip("/")
    if cwd and cwd not in _TEMP_ROOTS and cwd != "/" and cwd != ctx.home.rstrip("/") and path.startswith(cwd + "/"):
        return cwd
    folder = os.path.dirname(path)
    key = (folder, cwd)
    found = _PROJECT_MEMO.get(key)
    if found is None:
        found = ""
        current = folder
        while current and current != "/" and current not in _TEMP_ROOTS:
            try:
                if os.path.exists(os.path.join(current, ".git")):
                    found = current
                    break
            except (OSError, ValueError):
                break
            current = os.path.dirname(current)
        if len(_PROJECT_MEMO) > 4096:
            _PROJECT_MEMO.clear()
        _PROJECT_MEMO[key] = found
    return found


def _is_env_template(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith(".env") and name.endswith(_ENV_TEMPLATES)


# The harness tools' operations -> file access mode.
_OPS = {
    "read": R,
    "view": R,
    "open": R,
    "cat": R,
    "list": R,
    "ls": R,
    "glob": R,
    "grep": R,
    "search": R,
    "write": W,
    "edit": W,
    "multiedit": W,
    "multi_edit": W,
    "create": W,
    "append": W,
    "patch": W,
    "replace": W,
    "str_replace": W,
    "insert": W,
    "notebookedit": W,
    "delete": D,
    "remove": D,
    "rm": D,
    "unlink": D,
}


def classify_file(action: Action, ctx: ClassifyContext) -> Action:
    """Classify a ``file`` action: ``args`` = {``path`` | ``file_path``, ``op``, ``content``?}.

    The harnesses' Read/Write/Edit tools become these. Targets are absolute paths; ``create`` is a write
    to a path that does not exist yet.
    """
    args = action.args if isinstance(action.args, dict) else {}
    path = ""
    for key in ("path", "file_path", "filePath", "notebook_path", "target_file", "filename"):
        value = args.get(key)
        if isinstance(value, str) and value:
            path = value
            break
    op_raw = args.get("op") or args.get("operation") or args.get("command")
    if not isinstance(op_raw, str) or not op_raw:
        op_raw = action.operation.split(":", 1)[1] if action.operation.startswith("file:") else ""
    op = op_raw.lower()
    mode = _OPS.get(op)
    if not path or mode is None:
        why = "a file action without a path" if not path else f"unknown file operation {op_raw!r}"
        return action.replace(effects={"unknown"}, notes=[*action.notes, Note("effect", "unknown", why, "files")])
    absolute = normalize_path(path, ctx)
    found, notes = classify_path_access(path, mode, ctx)
    effects = set(found)
    if mode == W:
        exists = True
        if op == "create":
            exists = False
        elif op == "write":
            try:
                exists = os.path.lexists(absolute)
            except (OSError, ValueError):
                exists = True
        if not exists:
            effects.discard("write")
            effects.add("create")
            notes.insert(0, Note("effect", "create", f"{absolute} does not exist yet", "files"))
    if not effects:
        effects = {"read"} if mode == R else {"write"}
    operation = action.operation if action.operation not in ("", "file") else f"file:{op}"
    return action.replace(
        operation=operation,
        effects=effects,
        targets=(absolute,),
        facts={**action.facts, "evidence": {**(action.facts.get("evidence") or {}), "path": absolute}},
        notes=[*action.notes, *notes, Note("target", absolute, f"the file to {op}", "files")],
    )
