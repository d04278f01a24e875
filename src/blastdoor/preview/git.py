"""The git previewer: what a force push or a remote branch deletion would take from the remote.

For each ref pushed: the remote ref's current commit (read with ``git ls-remote``, the state token:
an approval holds only while the remote ref is still there), the commit that would replace it, and
the commits the remote would lose (reachable from the remote ref today and not from what replaces
it, or, for a deletion, from no other ref of the remote). Nothing is fetched or written: the commits
are listed in the remote repository itself when it is a local path, else from what the local
repository already knows of the remote (a preview that cannot tell says so: "no preview available").
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from blastdoor.action.preview import Preview
from blastdoor.preview._git import GitError, git, toplevel, z

if TYPE_CHECKING:
    from collections.abc import Sequence

    from blastdoor.action import Action
    from blastdoor.preview import Context

KIND = "git"
MAX_COMMITS = 100_000
_VALUE_OPTS = frozenset(("--repo", "--receive-pack", "--exec", "-o", "--push-option", "--signed"))
_UNPREVIEWED = frozenset(("--all", "--mirror", "--tags", "--branches", "--prune"))


class GitPreviewer:
    """``Previewer`` for ``git push --force`` / ``--force-with-lease`` / ``+ref`` / deletions."""

    kind = KIND

    def applies(self, part: Action, argv: Sequence[str]) -> bool:
        return part.operation == "git:push" and "irreversible" in part.effects

    def preview(self, part: Action, argv: Sequence[str], ctx: Context) -> Preview:
        cwd, args = _split(argv, part.cwd or ctx.cwd)
        top = toplevel(cwd, timeout=ctx.timeout)
        if top is None:
            raise ValueError(f"{cwd} is not inside a git repository")
        deleting = False
        words: list[str] = []
        i = 0
        while i < len(args):
            w = args[i]
            if w in _UNPREVIEWED:
                raise ValueError(f"`git push {w}` is not previewed")
            if w in ("-d", "--delete"):
                deleting = True
            elif w in _VALUE_OPTS:
                i += 1
            elif not w.startswith("-") or w == "-":
                words.append(w)
            i += 1
        remote = words[0] if words else _default_remote(top, ctx)
        specs = words[1:] or [git(["symbolic-ref", "--short", "HEAD"], cwd=top, timeout=ctx.timeout).strip()]
        url = _remote_url(top, remote, ctx)
        remote_dir = _local_repo(url, top)
        items: list[dict[str, object]] = []
        summary: dict[str, int] = {}
        tokens: list[str] = []
        targets = [f"git:remote/{remote}"]
        for spec in specs:
            src, dst = _refspec(spec.lstrip("+"), deleting)
            branch = dst.removeprefix("refs/heads/")
            targets.append(f"git:branch/{branch}")
            old = _ls_remote(top, remote, dst, ctx)
            tokens.append(f"{dst}@{old or 'absent'}")
            if not old:
                summary["create_ref"] = summary.get("create_ref", 0) + 1
                continue
            new = (
                ""
                if src == ""
                else git(["rev-parse", "--verify", src + "^{commit}"], cwd=top, timeout=ctx.timeout).strip()
            )
            summary["delete_ref" if not new else "update_ref"] = (
                summary.get("delete_ref" if not new else "update_ref", 0) + 1
            )
            lost = _lost(top, remote_dir, remote, dst, old, new, ctx)
            if lost:
                summary["lose_commit"] = summary.get("lose_commit", 0) + len(lost)
            items.append(
                {
                    "change": "delete_ref" if not new else "update_ref",
                    "id": f"git:branch/{branch}",
                    "from": old,
                    "to": new,
                }
            )
            items.extend(_describe(remote_dir or top, lost, branch, ctx))
        return Preview(
            KIND,
            summary=summary,
            items=items,
            targets=targets,
            state_token=f"{url} " + " ".join(tokens),
            facts={"remote": remote, "url": url},
        )


def _split(argv: Sequence[str], cwd: str) -> tuple[str, list[str]]:
    """(the directory git runs in, the words after ``push``)."""
    words = list(argv[1:])
    while words and words[0] != "push":
        if words[0] == "-C" and len(words) > 1:
            cwd = os.path.join(cwd, words[1])
            words = words[2:]
        elif words[0] in ("-c", "--git-dir", "--work-tree"):
            words = words[2:]
        else:
            words = words[1:]
    rest = words[1:]
    # The classifier's normal form may carry `-C dir` after the subcommand.
    out: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] == "-C" and i + 1 < len(rest):
            cwd = os.path.join(cwd, rest[i + 1])
            i += 2
            continue
        out.append(rest[i])
        i += 1
    return cwd, out


def _default_remote(top: str, ctx: Context) -> str:
    try:
        branch = git(["symbolic-ref", "--short", "HEAD"], cwd=top, timeout=ctx.timeout).strip()
        return git(["config", f"branch.{branch}.remote"], cwd=top, timeout=ctx.timeout).strip() or "origin"
    except GitError:
        return "origin"


def _remote_url(top: str, remote: str, ctx: Context) -> str:
    try:
        return git(["remote", "get-url", "--push", remote], cwd=top, timeout=ctx.timeout).strip()
    except GitError:
        return remote  # a URL or path given directly


def _local_repo(url: str, top: str) -> str:
    """The remote's directory when it is a local path (or file:// URL), else ''."""
    path = url.removeprefix("file://")
    if "://" in path or (":" in path and not path.startswith("/") and not path.startswith(".")):
        return ""
    full = os.path.normpath(os.path.join(top, path))
    return full if os.path.isdir(full) else ""


def _refspec(spec: str, deleting: bool) -> tuple[str, str]:
    """(local source, full remote ref); an empty source deletes."""
    if deleting:
        src, dst = "", spec
    elif ":" in spec:
        src, dst = spec.split(":", 1)
    else:
        src, dst = spec, spec
    if src and not dst:
        dst = src
    if dst == "HEAD" or not dst:
        raise ValueError(f"cannot tell which remote ref `{spec}` updates")
    if not dst.startswith("refs/"):
        dst = "refs/heads/" + dst
    return src, dst


def _ls_remote(top: str, remote: str, ref: str, ctx: Context) -> str:
    for line in git(["ls-remote", remote, ref], cwd=top, timeout=ctx.timeout).splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return ""


def _has(repo: str, sha: str, ctx: Context) -> bool:
    try:
        git(["cat-file", "-e", sha + "^{commit}"], cwd=repo, timeout=ctx.timeout)
        return True
    except GitError:
        return False


def _rev_list(repo: str, args: list[str], ctx: Context) -> list[str]:
    return git(["rev-list", f"--max-count={MAX_COMMITS}", *args], cwd=repo, timeout=ctx.timeout).split()


def _lost(top: str, remote_dir: str, remote: str, dst: str, old: str, new: str, ctx: Context) -> list[str]:
    """Commits reachable from ``old`` that the remote keeps no longer (newest first)."""
    if remote_dir:
        if new:
            kept = set(_rev_list(top, [new], ctx))
            return [c for c in _rev_list(remote_dir, [old], ctx) if c not in kept]
        # --exclude patterns are relative to the namespace of the option that follows them.
        return _rev_list(
            remote_dir, [old, "--not", f"--exclude={dst.removeprefix('refs/heads/')}", "--branches", "--tags"], ctx
        )
    if not _has(top, old, ctx):
        raise ValueError(
            f"the remote's {dst} is at {old[:12]}, which this repository does not have: `git fetch {remote}` "
            "first, so the preview can list the commits it would lose"
        )
    if new:
        return _rev_list(top, [old, "--not", new], ctx)
    tracking = f"{remote}/{dst.removeprefix('refs/heads/')}"
    return _rev_list(top, [old, "--not", f"--exclude={tracking}", f"--remotes={remote}"], ctx)


def _describe(repo: str, shas: list[str], branch: str, ctx: Context) -> list[dict[str, object]]:
    if not shas:
        return []
    shown = shas[:200]
    out = git(["show", "-s", "--format=%H%x00%an%x00%s%x00", *shown], cwd=repo, timeout=ctx.timeout)
    fields = z(out.replace("\n", ""))
    items: list[dict[str, object]] = []
    for j in range(0, len(fields) - 2, 3):
        items.append(
            {
                "change": "lose_commit",
                "id": fields[j],
                "author": fields[j + 1],
                "subject": fields[j + 2],
                "branch": branch,
            }
        )
    return items + [{"change": "lose_commit", "id": s, "branch": branch} for s in shas[200:]]
