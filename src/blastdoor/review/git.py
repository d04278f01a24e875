"""The commits of a range, read from a real repository with one ``git log`` call.

Commits and fields are separated by markers with a random nonce, fresh for every call: a commit
message is the agent's to write, and one holding a fixed separator could forge a record (another
commit's id in front of this one's files). The changed files come from ``--numstat -z`` so that any
path (spaces, newlines, non-ASCII) reads back exactly.
"""

from __future__ import annotations

import os
import secrets
import subprocess

from blastdoor.errors import InputError

__all__ = ["Commit", "FileChange", "git", "read_range", "rev_list"]

_FIELDS = ("%H", "%T", "%P", "%an", "%ae", "%cn", "%ce", "%G?", "%ct", "%B")
ZERO = "0" * 40


class FileChange:
    """One path a commit touches, with its added and deleted line counts (None for binary files)."""

    __slots__ = ("added", "deleted", "path")

    def __init__(self, path: str, added: int | None, deleted: int | None) -> None:
        self.path = path
        self.added = added
        self.deleted = deleted

    @property
    def lines(self) -> int:
        return (self.added or 0) + (self.deleted or 0)


class Commit:
    """One commit as ``git log`` shows it."""

    __slots__ = (
        "author_email",
        "author_name",
        "committer_email",
        "committer_name",
        "files",
        "id",
        "message",
        "parents",
        "signature",
        "time",
        "tree",
    )

    def __init__(
        self,
        id: str,
        *,
        tree: str = "",
        parents: tuple[str, ...] = (),
        author_name: str = "",
        author_email: str = "",
        committer_name: str = "",
        committer_email: str = "",
        signature: str = "N",
        time: int = 0,
        message: str = "",
        files: tuple[FileChange, ...] = (),
    ) -> None:
        self.id = id
        self.tree = tree
        self.parents = parents
        self.author_name = author_name
        self.author_email = author_email
        self.committer_name = committer_name
        self.committer_email = committer_email
        self.signature = signature  # git's %G?: N none, G good, B bad, U/X/Y/R/E other
        self.time = time
        self.message = message
        self.files = files

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)


def git(repo: str, *args: str, stdin: str | None = None) -> str:
    """Run git in ``repo``; its stdout, or InputError naming the command and git's own message."""
    try:
        done = subprocess.run(
            ["git", "-C", repo, *args],
            input=stdin.encode("utf-8") if stdin is not None else None,
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except OSError as exc:
        raise InputError(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"`git {' '.join(args)}` failed in {repo}: {said[-1] if said else done.returncode}")
    return done.stdout.decode("utf-8", "surrogateescape")


def rev_list(repo: str, *revs: str) -> list[str]:
    """Commit ids of ``revs`` (git rev-list syntax), oldest first."""
    out = git(repo, "rev-list", "--reverse", *revs, "--")
    return out.split()


def read_range(repo: str, *revs: str) -> list[Commit]:
    """The commits of ``revs`` (``base..head``, or ``NEW --not --all`` in a hook), oldest first."""
    nonce = secrets.token_hex(8)
    record, field = f"\x1e{nonce}\x1e", f"\x1f{nonce}\x1f"
    fmt = f"%x1e{nonce}%x1e" + f"%x1f{nonce}%x1f".join(_FIELDS) + f"%x1f{nonce}%x1f"
    out = git(repo, "log", "--reverse", "--no-renames", "--no-color", f"--format={fmt}", "--numstat", "-z", *revs, "--")
    commits: list[Commit] = []
    for chunk in out.split(record)[1:]:
        fields = chunk.split(field)
        if len(fields) != 11:
            raise InputError(f"unexpected `git log` output for {' '.join(revs)}")
        cid, tree, parents, an, ae, cn, ce, sig, ct, body = fields[:10]
        files: list[FileChange] = []
        rest = fields[10].lstrip("\n\0")
        for entry in rest.split("\0"):
            entry = entry.strip("\n")
            if not entry:
                continue
            added, _, tail = entry.partition("\t")
            deleted, _, path = tail.partition("\t")
            files.append(
                FileChange(path, int(added) if added.isdigit() else None, int(deleted) if deleted.isdigit() else None)
            )
        commits.append(
            Commit(
                cid,
                tree=tree,
                parents=tuple(parents.split()),
                author_name=an,
                author_email=ae,
                committer_name=cn,
                committer_email=ce,
                signature=sig or "N",
                time=int(ct) if ct.isdigit() else 0,
                message=body,
                files=tuple(files),
            )
        )
    return commits
