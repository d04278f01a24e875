"""A real git repository with a bare remote, for the change gate's tests (no mocks: git itself)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BLASTDOOR = shutil.which("blastdoor", path=os.path.dirname(sys.executable)) or "blastdoor"

POLICY = """\
version: 1
default: allow
approvers:
  seniors: [sam, sid]
  team: [alice, bob, sam, sid]
changes:
  reviews: 1
  signoff: seniors
  count: 1
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


class Repo:
    """A clone of a bare remote, with the policy and the store outside the tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.remote = root / "remote.git"
        self.work = root / "work"
        self.db = str(root / "store.db")
        self.policy = root / "policy.yaml"
        self.policy.write_text(POLICY)
        git(root, "init", "-q", "--bare", "-b", "main", str(self.remote))
        git(root, "clone", "-q", str(self.remote), str(self.work))
        git(self.work, "config", "user.name", "Hal Human")
        git(self.work, "config", "user.email", "hal@example.com")
        git(self.work, "checkout", "-q", "-b", "main")
        self.write("README.md", "# Demo\n\nThis is teh demo.\n")
        self.commit("initial", author=("Hal Human", "hal@example.com"))
        git(self.work, "push", "-q", "origin", "main")

    @property
    def env(self) -> dict[str, str]:
        return {"BLASTDOOR_DB": self.db, "BLASTDOOR_POLICY": str(self.policy)}

    def write(self, path: str, text: str) -> None:
        full = self.work / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)

    def commit(self, message: str, *, author: tuple[str, str] = ("Hal Human", "hal@example.com")) -> str:
        who = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
        }
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", message, env=who)
        return git(self.work, "rev-parse", "HEAD")

    def blastdoor(self, *args: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
        done = subprocess.run(
            [BLASTDOOR, *args],
            cwd=self.work,
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env, **(extra_env or {})},
            check=False,
            timeout=60,
        )
        return done.returncode, done.stdout, done.stderr

    def review(self, revs: str = "origin/main..HEAD", *more: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.blastdoor("review", revs, "--format", "json", *more)
        assert out.strip(), err
        return code, json.loads(out)

    def hook(self, payload: dict[str, Any]) -> tuple[int, str]:
        done = subprocess.run(
            [BLASTDOOR, "hook", "claude-code"],
            cwd=self.work,
            input=json.dumps(payload).encode(),
            capture_output=True,
            env={**os.environ, **self.env},
            check=False,
            timeout=60,
        )
        return done.returncode, done.stderr.decode()

    def agent_commit(
        self, message: str, call: str, *, author: tuple[str, str] = ("Hal Human", "hal@example.com")
    ) -> str:
        """A commit made the way Claude Code makes one: PreToolUse, the command itself, PostToolUse."""
        command = f"git commit -m {json.dumps(message)}"
        base = {
            "session_id": "sess-1",
            "cwd": str(self.work),
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": call,
        }
        code, err = self.hook({**base, "hook_event_name": "PreToolUse"})
        assert code == 0, err
        sha = self.commit(message, author=author)
        code, err = self.hook(
            {
                **base,
                "hook_event_name": "PostToolUse",
                "tool_response": {"stdout": "", "stderr": "", "interrupted": False},
            }
        )
        assert code == 0, err
        return sha

    def install_pre_receive(self) -> None:
        hook = self.remote / "hooks" / "pre-receive"
        hook.write_text(f"#!/bin/sh\nexec {BLASTDOOR} review --pre-receive\n")
        hook.chmod(0o755)

    def push(self) -> tuple[int, str]:
        done = subprocess.run(
            ["git", "push", "-q", "origin", "HEAD:main"],
            cwd=self.work,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        return done.returncode, done.stderr
