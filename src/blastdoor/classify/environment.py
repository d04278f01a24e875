"""Environment resolution: which environment (prod, staging, ...) an action touches, and why.

Classifiers put what they find under ``facts["evidence"]`` with singular keys (``aws_profile``,
``kube_context``, ``db_url``, ...). The policy's ``environments`` section lists globs under the plural
keys (``aws_profiles: ["prod*"]``, see ``ENVIRONMENT_KEYS``). An action is in an environment when any
of its evidence matches any glob of that environment, so ``env: prod`` means the same for every tool.

Also here: cheap readers of the evidence that lives in files (the kube context, the terraform
workspace, the git branch and remote). They read small files, never run a subprocess.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from blastdoor.action import Action, Note
from blastdoor.classify import ENVIRONMENT_KEYS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from blastdoor.classify.context import ClassifyContext

__all__ = [
    "env_rank",
    "git_branch",
    "git_hooks_dir",
    "git_remote",
    "git_remotes",
    "kube_context",
    "kube_namespace",
    "resolve_environments",
    "terraform_workspace",
]

# Environments whose name says production win over any other match.
PRODUCTION_NAMES = frozenset({"prod", "production", "prd", "live"})
UNKNOWN_ENV = "unknown"
# Globs from a built-in baseline are stored under `baseline:<key>` (policy.compile.BASELINE_ENV_PREFIX):
# they are read only when no environment the team declared matches the action's evidence.
BASELINE_PREFIX = "baseline:"
# `name:WORD` patterns match WORD as a name token of the value (see name_tokens).
NAME_PATTERN = "name:"
# A token after one of these is not the environment it names: `pre-prod`, `non-prod`, `not-live`.
_NEGATING = frozenset({"pre", "non", "not", "no"})
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

_matchers: dict[tuple[str, bool], Callable[[str], bool]] = {}


def _matcher(pattern: str, path: bool) -> Callable[[str], bool]:
    """A compiled glob. Value globs: ``*`` matches anything. Path globs: a trailing ``/**`` also matches
    the directory itself, and ``~`` is not expanded (environments name absolute paths)."""
    key = (pattern, path)
    hit = _matchers.get(key)
    if hit is None:
        if not path and pattern.startswith(NAME_PATTERN) and len(pattern) > len(NAME_PATTERN):
            word = pattern[len(NAME_PATTERN) :].lower()
            hit = lambda s, word=word: word in name_tokens(s)  # noqa: E731
        elif not any(c in pattern for c in "*?["):
            if path and pattern != "/":
                base = pattern.rstrip("/")
                hit = lambda s, base=base: s == base or s.startswith(base + "/")  # noqa: E731
            else:
                hit = pattern.__eq__
        else:
            from fnmatch import fnmatchcase

            if path and pattern.endswith("/**"):
                base = pattern[:-3]

                def hit(s: str, base: str = base, pattern: str = pattern) -> bool:
                    return fnmatchcase(s, base) or fnmatchcase(s, pattern)
            else:
                hit = lambda s, pattern=pattern: fnmatchcase(s, pattern)  # noqa: E731
        _matchers[key] = hit
    return hit


@lru_cache(maxsize=1024)
def name_tokens(value: str) -> frozenset[str]:
    """The words an environment name is made of, lower-case, without a trailing number.

    Separators are anything not a letter or digit, and camelCase boundaries: ``prod-eu``,
    ``eu_prod``, ``db.prod.example.com``, ``myAppProd`` and ``prd1`` all hold a production word;
    ``product`` and ``preprod`` do not. A word right after ``pre``, ``non``, ``not`` or ``no`` is left
    out: ``pre-prod`` and ``non-prod`` are not production.
    """
    words: list[str] = []
    for chunk in _TOKEN_SPLIT.split(value):
        if not chunk:
            continue
        if chunk.islower() or chunk.isupper() or chunk.isdigit():
            pieces = [chunk]
        else:
            pieces = _CAMEL.findall(chunk) or [chunk]
        for piece in pieces:
            low = piece.lower()
            stripped = low.rstrip("0123456789")
            words.append(stripped or low)
    out: set[str] = set()
    for i, w in enumerate(words):
        if i and words[i - 1] in _NEGATING:
            continue
        out.add(w)
    return frozenset(out)


def _singular(key: str) -> str:
    """``aws_profiles`` -> ``aws_profile``, ``git_branches`` -> ``git_branch``."""
    if key.endswith("ches"):
        return key[:-2]
    return key[:-1] if key.endswith("s") else key


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str) and v]
    return []


def env_rank(name: str, order: Sequence[str]) -> int:
    """How significant an environment is: production first, then definition order; unknown last."""
    if name in PRODUCTION_NAMES:
        return 0
    if name in order:
        return 1 + order.index(name)
    return 10_000


_Entry = tuple[str, str, str, tuple[str, ...], str]
# A stage's entries, the evidence keys they read, and whether one of them is ``paths`` (which reads the
# action's absolute targets too): a part whose evidence has none of those keys skips the stage whole.
_Stage = tuple[tuple[_Entry, ...], frozenset[str], bool]
_PLANS: dict[int, tuple[Mapping[str, Mapping[str, Any]], tuple[_Stage, ...]]] = {}


def _plan(environments: Mapping[str, Mapping[str, Any]]) -> tuple[_Stage, ...]:
    """The (environment, key, evidence key, patterns, prefix) entries that have patterns, per stage (the
    team's own, then the baseline's defaults): worked out once per environments mapping, not per part."""
    hit = _PLANS.get(id(environments))
    if hit is not None and hit[0] is environments:
        return hit[1]
    stages: list[_Stage] = []
    for prefix in ("", BASELINE_PREFIX):
        entries: list[_Entry] = []
        for env_name, definition in environments.items():
            if not isinstance(definition, dict):
                continue
            for key in ENVIRONMENT_KEYS:
                patterns = tuple(_values(definition.get(prefix + key)))
                if patterns:
                    entries.append((env_name, key, _singular(key), patterns, prefix))
        keys = frozenset(e[2] for e in entries)
        stages.append((tuple(entries), keys, any(e[1] == "paths" for e in entries)))
    plan = tuple(stages)
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(environments)] = (environments, plan)  # the mapping is kept: its id is never reused meanwhile
    return plan


def _match_one(
    subject: Action, environments: Mapping[str, Mapping[str, Any]], order: Sequence[str]
) -> tuple[str, list[Note]]:
    evidence = subject.facts.get("evidence") if isinstance(subject.facts, dict) else None
    evidence = evidence if isinstance(evidence, dict) else {}
    matched: dict[str, list[Note]] = {}
    # The team's own environments first; the baseline's default names only when none of them matched.
    for stage, keys, reads_paths in _plan(environments):
        if keys.isdisjoint(evidence) and not (reads_paths and any(t.startswith("/") for t in subject.targets)):
            continue  # no evidence this stage reads: nothing in it can match
        for env_name, key, singular, patterns, prefix in stage:
            values = _values(evidence.get(singular))
            if key == "paths":
                values = [*values, *(t for t in subject.targets if t.startswith("/"))]
            for value in values:
                for pattern in patterns:
                    if _matcher(pattern, key == "paths")(value):
                        where = f"{env_name}.{key}" + (" (the baseline's default names)" if prefix else "")
                        text = f"{singular} {value!r} matches {where} {pattern!r}"
                        matched.setdefault(env_name, []).append(Note("env", env_name, text, "environment"))
                        break
        if matched:
            break
    if not matched:
        return UNKNOWN_ENV, []
    best = min(matched, key=lambda n: env_rank(n, order))
    notes = matched[best]
    others = [n for n in matched if n != best]
    if others:
        notes = [
            *notes,
            Note("env", best, f"also matches {', '.join(others)}; {best} is the more significant", "environment"),
        ]
    return best, notes


def resolve_environments(action: Action, environments: Mapping[str, Mapping[str, Any]]) -> Action:
    """Set ``env`` on every part and on the action from its evidence, with ``env`` notes saying why.

    When several environments match, one named prod/production wins, else the first defined. The
    action's own env is the most significant env among itself and its parts.
    """
    if not environments:
        return action
    order = list(environments)
    parts = []
    for part in action.parts:
        env, notes = _match_one(part, environments, order)
        if env == UNKNOWN_ENV and part.env != UNKNOWN_ENV:
            parts.append(part)
            continue
        if env != UNKNOWN_ENV and part.env != UNKNOWN_ENV and env_rank(part.env, order) < env_rank(env, order):
            env = part.env
        parts.append(part.replace(env=env, notes=[*part.notes, *notes]) if notes or env != part.env else part)
    own_env, own_notes = _match_one(action, environments, order)
    candidates = [own_env, action.env, *(p.env for p in parts)]
    best = min(candidates, key=lambda n: env_rank(n, order) if n != UNKNOWN_ENV else 10_001)
    notes = list(action.notes)
    if own_notes:
        notes.extend(own_notes)
    elif best != UNKNOWN_ENV and best != action.env:
        for p in parts:
            if p.env == best:
                notes.extend(n for n in p.notes if n.kind == "env")
                break
    return action.replace(env=best, parts=parts, notes=notes)


# -- evidence that lives in files ------------------------------------------------------------------


def _read_small(path: str, limit: int = 64 * 1024) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(limit)
    except (OSError, ValueError):
        return ""


def _flag(argv: Sequence[str], *names: str) -> str:
    """The value of the last ``--name value`` / ``--name=value`` / ``-n value`` in argv."""
    found = ""
    for i, tok in enumerate(argv):
        if tok == "--":
            break
        for name in names:
            if tok == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif tok.startswith(name + "=") and name.startswith("--"):
                found = tok[len(name) + 1 :]
    return found


def _kubeconfig_paths(ctx: ClassifyContext, argv: Sequence[str]) -> list[str]:
    explicit = _flag(argv, "--kubeconfig")
    if explicit:
        return [_expand(explicit, ctx)]
    env = ctx.environ.get("KUBECONFIG", "")
    if env:
        return [_expand(p, ctx) for p in env.split(os.pathsep) if p]
    return [os.path.join(ctx.home, ".kube", "config")]


def _expand(path: str, ctx: ClassifyContext) -> str:
    if path == "~" or path.startswith("~/"):
        path = ctx.home + path[1:]
    return path if os.path.isabs(path) else os.path.join(ctx.cwd, path)


def _yaml_top_scalar(text: str, key: str) -> str:
    """A top-level ``key: value`` of a kubeconfig, without a YAML parser (pyyaml costs ~20 ms)."""
    prefix = key + ":"
    for line in text.splitlines():
        if line.startswith(prefix):
            value = line[len(prefix) :].split(" #", 1)[0].strip()
            return value.strip("\"'")
    return ""


def kube_context(argv: Sequence[str], ctx: ClassifyContext) -> str:
    """The kube context a kubectl/helm command uses: ``--context`` (``--kube-context`` for helm), else
    the ``current-context`` of the first kubeconfig that sets one (``--kubeconfig``, ``KUBECONFIG``,
    ``~/.kube/config``). ``""`` when none is found."""
    flag = _flag(argv, "--context", "--kube-context")
    if flag:
        return flag
    for path in _kubeconfig_paths(ctx, argv):
        current = _yaml_top_scalar(_read_small(path, 1024 * 1024), "current-context")
        if current:
            return current
    return ""


def kube_namespace(argv: Sequence[str], ctx: ClassifyContext) -> str:
    """The namespace from ``-n``/``--namespace``, else ``""`` (the context's default, not resolved)."""
    return _flag(argv, "-n", "--namespace")


def terraform_workspace(ctx: ClassifyContext) -> str:
    """``TF_WORKSPACE``, else the workspace recorded in ``<TF_DATA_DIR or .terraform>/environment``,
    else ``default`` (terraform's own default)."""
    env = ctx.environ.get("TF_WORKSPACE", "")
    if env:
        return env
    data_dir = ctx.environ.get("TF_DATA_DIR") or ".terraform"
    recorded = _read_small(os.path.join(_expand(data_dir, ctx), "environment"), 4096).strip()
    return recorded or "default"


def _git_dir(ctx: ClassifyContext) -> str:
    """The git directory for ctx.cwd: ``GIT_DIR``, else the nearest ``.git`` (dir, or file pointing on)."""
    env = ctx.environ.get("GIT_DIR", "")
    if env:
        return _expand(env, ctx)
    here = os.path.abspath(ctx.cwd or "/")
    for _ in range(64):
        candidate = os.path.join(here, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):
            text = _read_small(candidate, 4096).strip()
            if text.startswith("gitdir:"):
                target = text[7:].strip()
                return target if os.path.isabs(target) else os.path.normpath(os.path.join(here, target))
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return ""


def git_branch(ctx: ClassifyContext) -> str:
    """The checked-out branch (from ``HEAD``), the commit id when detached, ``""`` outside a repository."""
    git_dir = _git_dir(ctx)
    if not git_dir:
        return ""
    head = _read_small(os.path.join(git_dir, "HEAD"), 4096).strip()
    if head.startswith("ref:"):
        ref = head[4:].strip()
        return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
    return head


def git_remote(ctx: ClassifyContext, name: str = "origin") -> str:
    """The URL of remote ``name`` from the repository's config, ``""`` when there is none."""
    return (git_remotes(ctx) or {}).get(name, "")


def _common_git_dir(ctx: ClassifyContext) -> str:
    """The git directory that holds the config and hooks (a worktree's ``commondir``), ``""`` outside."""
    git_dir = _git_dir(ctx)
    common = _read_small(os.path.join(git_dir, "commondir"), 4096).strip() if git_dir else ""
    if common:
        return common if os.path.isabs(common) else os.path.normpath(os.path.join(git_dir, common))
    return git_dir


def git_remotes(ctx: ClassifyContext) -> dict[str, str] | None:
    """Every remote's URL from the repository's config (the first ``url`` of each); None outside a
    repository."""
    git_dir = _common_git_dir(ctx)
    if not git_dir:
        return None
    remotes: dict[str, str] = {}
    for header, key, value in _config_entries(git_dir):
        m = _REMOTE_SECTION.match(header.replace("'", '"'))
        if m is not None and key == "url":
            remotes.setdefault(m.group(1), value)
    return remotes


def _config_entries(git_dir: str) -> Iterator[tuple[str, str, str]]:
    """(section header as written, key lower-cased, value) of each ``key = value`` line of a repository's
    config, read once, in order."""
    header = ""
    for line in _read_small(os.path.join(git_dir, "config")).splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped
        elif header and "=" in stripped:
            key, _, value = stripped.partition("=")
            yield header, key.strip().lower(), value.strip()


_REMOTE_SECTION = re.compile(r'^\[\s*remote\s+"([^"]*)"\s*\]')


# The remotes whose host is where a repository's code lives: sending it elsewhere sends it out.
_HOME_REMOTES = ("origin", "upstream")


def local_git_url(dest: str) -> bool:
    """A repository on this machine: ``/srv/r.git``, ``../r``, ``file:///srv/r.git``."""
    return dest.startswith(("/", "./", "../", "~", "file://")) or dest in (".", "..")


def repo_owner(url: str) -> tuple[str, str]:
    """Who holds a git URL's repository: its host (lower-cased, no user or port) and the first segment of
    its path when the path has more (``github.com/acme/app.git``: acme), else ``""``."""
    if "://" in url:
        authority, _, path = url.split("://", 1)[1].partition("/")
        authority = authority.rsplit("@", 1)[-1]
        host = authority[1:].split("]", 1)[0] if authority.startswith("[") else authority.split(":", 1)[0]
    else:
        host_part, _, path = url.partition(":")
        host = host_part.rsplit("@", 1)[-1]
    segments = [s for s in path.split("/") if s]
    return host.lower(), (segments[0].lower() if len(segments) > 1 else "")


def home_owners(remotes: dict[str, str]) -> set[tuple[str, str]]:
    """Where a repository lives: (host, owner) of its ``origin`` and ``upstream`` remotes, of every remote
    when it has neither; local remotes do not count."""
    home = {repo_owner(u) for name, u in remotes.items() if name in _HOME_REMOTES and not local_git_url(u)}
    return home or {repo_owner(u) for u in remotes.values() if not local_git_url(u)}


def lives_at(home: set[tuple[str, str]], host: str, owner: str) -> bool:
    """Whether ``host``/``owner`` is where the repository with these ``home_owners`` lives."""
    return (host, owner) in home or (host, "") in home


def git_hooks_dir(ctx: ClassifyContext) -> str | None:
    """The directory git runs this repository's hooks from: ``core.hooksPath`` (relative to the work
    tree's top) when set, else ``hooks`` in the common git directory; None outside a repository."""
    git_dir = _common_git_dir(ctx)
    if not git_dir:
        return None
    hooks_path = ""
    for header, key, value in _config_entries(git_dir):
        if key == "hookspath" and header.strip("[] ").lower() == "core":
            hooks_path = value.strip('"')
    if not hooks_path:
        return os.path.join(git_dir, "hooks")
    if hooks_path.startswith("~/"):
        return os.path.join(ctx.home, hooks_path[2:])
    top = os.path.dirname(git_dir) if os.path.basename(git_dir) == ".git" else (ctx.cwd or "/")
    return os.path.normpath(os.path.join(top, hooks_path))
