"""Find every documented example and run it the way a reader would.

Where examples live:
- ```` ```sh ```` blocks in README.md and docs/*.md: the blocks of one page are one shell session, run top
  to bottom in a fresh sandbox, as a reader working through the page would. Lines run as written
  (bash), so `export`, `cd`, `$(...)` and files made by one line for the next work as they would.
  Blocks in any other language (``text``, ``yaml``, ``console``...) are not run, nor is a block
  right after a ``<!-- examples: not run (why) -->`` line (the README's set-up: CI runs it itself).
- the ``examples:`` section of every ``blastdoor COMMAND --help``: each command's examples are one
  session in a fresh sandbox, one line after the other (an example's trailing description, after two or
  more spaces, is prose and is cut off).

What an example must do: finish (or, for a server or a command that waits for approvals, become ready),
never end in a usage error (2), an internal error (70), a shell "command not found" (127) or a Python
traceback, and, where the line says so with a trailing ``# exit: N`` comment, exit with exactly N.

The sandbox: its own HOME, BLASTDOOR_HOME, store and socket; the working directory is an empty git
repository (``project/``); the server listens on a free port. Nothing is shared between sandboxes.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FORBIDDEN_EXITS = {2: "usage error", 70: "internal error", 127: "command not found"}
EXPECT = re.compile(r"#\s*exit:\s*(\d+)")
LINE_TIMEOUT = 90.0


@dataclass
class Example:
    """One line to run, where it was written, and what it must exit with (None: any but the forbidden)."""

    where: str
    line: str
    expect: int | None = None


@dataclass
class Session:
    """Examples that run one after the other in one sandbox."""

    name: str
    examples: list[Example] = field(default_factory=list)


def _strip_comment(line: str) -> tuple[str, int | None]:
    m = EXPECT.search(line)
    expect = int(m.group(1)) if m else None
    # A comment starts at " #" outside quotes; shlex finds where the words end.
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
    except ValueError:
        return line.strip(), expect
    if not words:
        return "", expect
    cut = line.find(" #")
    while cut != -1:
        head = line[:cut]
        try:
            if shlex.split(head, comments=False) and head.count("'") % 2 == 0 and head.count('"') % 2 == 0:
                return head.rstrip(), expect
        except ValueError:
            pass
        cut = line.find(" #", cut + 1)
    return line.strip(), expect


def markdown_sessions(paths: list[Path]) -> list[Session]:
    sessions = []
    for path in paths:
        rel = path.relative_to(ROOT)
        session = Session(str(rel))
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            fence = lines[i].strip()
            if fence.startswith("```"):
                lang = fence[3:].strip()
                start = i + 1
                j = start
                while j < len(lines) and not lines[j].strip().startswith("```"):
                    j += 1
                skipped = i > 0 and lines[i - 1].strip().startswith("<!-- examples: not run")
                if lang in ("sh", "bash", "shell") and not skipped:
                    for k in range(start, j):
                        text, expect = _strip_comment(lines[k])
                        if text and not text.startswith("#"):
                            session.examples.append(Example(f"{rel}:{k + 1}", text, expect))
                i = j + 1
                continue
            i += 1
        if session.examples:
            sessions.append(session)
    return sessions


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(" ".join(path), parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_parsers(sub, (*path, name)))
    return found


def help_sessions() -> list[Session]:
    from blastdoor.cli.main import build_parser

    sessions = []
    for path, parser in _parsers(build_parser()):
        epilog = parser.epilog or ""
        lines = epilog.splitlines()
        if "examples:" not in [ln.strip() for ln in lines]:
            continue
        start = [ln.strip() for ln in lines].index("examples:") + 1
        where = f"blastdoor {path} --help".replace("  ", " ")
        session = Session(where)
        # An example starts two spaces in; deeper lines continue it (a JSON payload over several lines).
        pieces: list[str] = []
        for raw in lines[start:]:
            if raw and not raw.startswith(" "):
                break  # the next section (exit codes: ...)
            if raw.startswith("   ") and pieces:
                pieces[-1] += "\n" + raw.strip()
            elif raw.strip():
                pieces.append(re.split(r"\s{2,}", raw.strip())[0])  # cut the trailing description
        for piece in pieces:
            if "blastdoor" not in piece:
                continue
            command, expect = _strip_comment(piece)
            session.examples.append(Example(where, command, expect))
        if session.examples:
            sessions.append(session)
    return sessions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandbox(base: Path, *, policy: bool = False) -> tuple[Path, dict[str, str]]:
    """A fresh HOME and project; with ``policy``, the project already has `blastdoor init`'s starter."""
    home = base / "home"
    project = base / "project"
    home.mkdir()
    project.mkdir()
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "USER": "dev",
        "LANG": "C.UTF-8",
        "BLASTDOOR_HOME": str(home / ".blastdoor"),
        "BLASTDOOR_MANAGED_POLICY": "none",
        "BLASTDOOR_LISTEN": f"127.0.0.1:{_free_port()}",
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", "init", "-q", "-b", "main", str(project)], check=True, env=env)
    if policy:
        subprocess.run([str(BIN / "blastdoor"), "init"], cwd=project, env=env, check=True, capture_output=True)
    return project, env


def _pending(env: dict[str, str], cwd: Path) -> bool:
    out = subprocess.run(
        [str(BIN / "blastdoor"), "approvals", "list", "--json"], cwd=cwd, env=env, capture_output=True, text=True
    )
    return out.returncode == 0 and '"pending"' in out.stdout


def _ready(example: Example, env: dict[str, str], cwd: Path) -> bool:
    """A long-running example is fine once it is ready: a server listening, an approval request filed."""
    words = example.line.split()
    if "serve" in words:
        return Path(env["BLASTDOOR_HOME"], "server.sock").exists()
    if "exec" in words:
        return _pending(env, cwd)
    if "proxy" in words and "--listen" in words:
        host, _, port = words[words.index("--listen") + 1].rpartition(":")
        with socket.socket() as probe:
            return probe.connect_ex((host, int(port))) == 0
    if "-f" in words or "--follow" in words:
        return Path(env["BLASTDOOR_HOME"], "blastdoor.db").exists()
    return False


def run_example(example: Example, env: dict[str, str], cwd: Path) -> str | None:
    """Run one example; None when it did what it must, else what went wrong."""
    proc = subprocess.Popen(
        ["bash", "-c", example.line],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + LINE_TIMEOUT
    ready = False
    while proc.poll() is None and time.monotonic() < deadline:
        if _ready(example, env, cwd):
            ready = True
            break
        try:
            proc.wait(timeout=0.05)  # returns as soon as the process ends
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        out, err = proc.communicate(timeout=30)
        return None if ready else f"still running after {LINE_TIMEOUT:.0f} s\n{out}\n{err}"
    out, err = proc.communicate()
    code = proc.returncode
    if "Traceback (most recent call last)" in err:
        return f"raised (exit {code}):\n{err}"
    if example.expect is not None and code != example.expect:
        return f"exit {code}, the example says {example.expect}\n{out}\n{err}"
    if example.expect is None and code in FORBIDDEN_EXITS:
        return f"exit {code} ({FORBIDDEN_EXITS[code]})\n{out}\n{err}"
    return None
