"""Stream editors: the files sed and awk read or edit in place, and the commands their scripts run.

sed (POSIX, GNU sed's manual): the script is the first operand unless ``-e``/``--expression`` or
``-f``/``--file`` give it; every other operand is a file, read, or edited in place with ``-i``/
``--in-place`` (so each is judged as a write of that place: ``sed -i ... /etc/shadow`` is privilege,
``... .claude/settings.json`` the guard). GNU sed's ``e`` command and the ``e`` flag of ``s`` run shell
commands; ``w FILE`` and the ``w`` flag of ``s`` write a file.

awk programs (POSIX awk, gawk, mawk) act on the system through four forms (POSIX "Output Statements"
and "Input Functions", gawk's manual for ``|&`` and ``-i inplace``): ``system(expr)`` runs ``expr``
with ``sh -c``; ``print ... | expr`` and gawk's ``print ... |& expr`` pipe into a command; ``expr |
getline`` reads a command's output; ``print ... > expr`` and ``>> expr`` write a file. A string literal
there is classified as what it is (shell text, a path); anything computed (``system("rm " $1)``,
``> $2``) is not known here and says so. The program is the first operand, or the files of
``-f``/``--file``; the other operands are files it reads (``VAR=value`` operands are assignments).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._argv import quote
from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

__all__ = ["HANDLERS"]

# what follows the operator: a whole string literal closed by `)`, `;`, `}` or the line's end, or
# anything else (an expression computed at run time)
_LIT = r'"(?P<lit>(?:[^"\\\n]|\\.)*)"'
_OPERAND = rf"(?:{_LIT}\s*(?=[);}}\n]|$)|(?P<computed>\S))"
_SYSTEM = re.compile(rf"\bsystem\s*\(\s*{_OPERAND}")
_PIPE_TO = re.compile(rf"\bprintf?\b(?P<data>[^;{{}}\n]*?)(?<![|])\|&?(?![|])\s*{_OPERAND}")
_LITERAL = re.compile(rf"\s*\(?\s*{_LIT}\s*\)?\s*")
# programs that run what they read: text printed into them is code
_RUNS_INPUT = frozenset(
    ("sh", "bash", "zsh", "dash", "ksh", "ash", "busybox", "python", "python3", "perl", "ruby", "node")
)
_FROM_CMD = re.compile(rf"(?:{_LIT}|(?P<computed>[A-Za-z_$][\w$]*))\s*\|&?\s*getline\b")
_WRITE_TO = re.compile(rf"\bprintf?\b[^;{{}}\n]*?(?<![<>=!])>>?(?!=)\s*{_OPERAND}")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "/": "/"}
_MAX_PROGRAM = 64 * 1024


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _program(cmd: Cmd) -> str | None:
    """The program text: the ``-f`` files joined, else the first operand (None: computed or unreadable)."""
    files = [v for o, v in cmd.opts if o in ("-f", "--file")]
    if files:
        texts = []
        for name in files:
            path = cmd.st.path(name)
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    texts.append(fh.read(_MAX_PROGRAM))
            except (OSError, ValueError):
                return None
        return "\n".join(texts)
    return cmd.pos[0] if cmd.pos else ""


def _operands(cmd: Cmd, files: list[str | None], mode: str) -> None:
    """The files a stream editor reads (or edits in place): targets judged in that mode."""
    part = cmd.part
    st = cmd.st
    part.targets.clear()  # the KB put every operand there, the script or program text included
    for name in files:
        if name is None:
            part.target(DYNAMIC)
            continue
        if name == "-" or (cmd.name != "sed" and "=" in name and not name.startswith(("/", "."))):
            continue  # standard input; an awk `VAR=value` assignment
        path = st.path(name)
        part.target(path)
        path_effects(part, path, mode, st)


def awk(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    program = _program(cmd)
    given = any(o in ("-f", "--file") for o, _ in cmd.opts)
    _operands(cmd, list(cmd.pos if given else cmd.pos[1:]), "write" if "write" in part.effects else "read")
    if program is None:
        part.add("unknown", f"the `{cmd.name}` program is computed at run time or cannot be read")
        return
    if "system" not in program and "|" not in program and ">" not in program:
        return  # the common case: a program that only reads and prints
    for found, how in ((_SYSTEM, "system()"), (_PIPE_TO, "print |"), (_FROM_CMD, "| getline")):
        for m in found.finditer(program):
            if m.group("computed") is not None or m.group("lit") is None:
                part.add("unknown", f"`{cmd.name}` {how} runs a command computed at run time")
            elif st.depth >= 8:
                part.add("unknown", "nested commands too deep")
            else:
                part.add("read", f"`{cmd.name}` {how} runs shell text (classified next to it)")
                text = _unescape(m.group("lit"))
                data = m.groupdict().get("data")
                words = text.split()
                if data is not None and words and words[0].rsplit("/", 1)[-1] in _RUNS_INPUT:
                    # `print "rm -rf /" | "sh"`: what is printed is the program that command runs
                    literal = _LITERAL.fullmatch(data)
                    if literal is None:
                        part.add("unknown", f"`{cmd.name}` pipes text computed at run time into `{text}`")
                        continue
                    text = f"printf '%s\\n' {quote(_unescape(literal.group('lit')))} | {text}"
                walk_text(text, st.child())
    for m in _WRITE_TO.finditer(program):
        if m.group("computed") is not None or m.group("lit") is None:
            part.add("write", f"`{cmd.name}` prints into a file named at run time")
            part.add("unknown", f"`{cmd.name}` writes a file whose name is computed at run time")
            part.target(DYNAMIC)
            continue
        name = _unescape(m.group("lit"))
        if name in ("/dev/stdout", "/dev/stderr", "-"):
            continue
        path = st.path(name)  # awk expands nothing: `~/x` is a directory named `~`
        part.add("write", f"`{cmd.name}` prints into {path}")
        part.target(path)
        path_effects(part, path, "write", st)


# GNU sed: the `e` command (`e`, `e COMMAND`, after an address) and the `e` flag of `s` run commands;
# `w FILE` and the `w` flag of `s` write one (found in the script's text, as the manual spells them).
_SED_EXEC = re.compile(r"(?:^|[;\n{}]|[0-9/$]\s*)\s*e(?:\s+(?P<cmd>[^;\n}]*))?\s*(?:$|[;\n}])")
_SED_S_FLAGS = re.compile(
    r"\bs(?P<d>[^\w\s\\])(?:\\.|(?!(?P=d)).)*(?P=d)(?:\\.|(?!(?P=d)).)*(?P=d)(?P<flags>[gpIiMme0-9]*)"
)
_SED_WRITE = re.compile(r"(?:^|[;\n{}]|[0-9/$gpIiMm]\s*)\s*[wW]\s+(?P<file>[^\n;}]+)")


def sed(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    scripts = [v for o, v in cmd.opts if o in ("-e", "--expression")]
    files = [v for o, v in cmd.opts if o in ("-f", "--file")]
    operands = list(cmd.pos)
    if not scripts and not files and operands:
        scripts.append(operands.pop(0))
    _operands(cmd, operands, "write" if "write" in part.effects else "read")
    for name in files:
        if name is None:
            scripts.append(None)
            continue
        try:
            with open(st.path(name), encoding="utf-8", errors="replace") as fh:
                scripts.append(fh.read(_MAX_PROGRAM))
        except (OSError, ValueError):
            scripts.append(None)
    for script in scripts:
        if script is None:
            part.add("unknown", "the sed script is computed at run time or cannot be read")
            continue
        if "e" not in script and "w" not in script.lower():
            continue
        for m in _SED_EXEC.finditer(script):
            command = (m.group("cmd") or "").strip()
            if command and st.depth < 8:
                part.add("read", "sed's `e` command runs shell text (classified next to it)")
                walk_text(command, st.child())
            else:
                part.add("unknown", "sed's `e` runs the pattern space as a shell command")
        for m in _SED_S_FLAGS.finditer(script):
            if "e" in m.group("flags"):
                part.add("unknown", "the `e` flag of sed's `s` runs the result as a shell command")
        for m in _SED_WRITE.finditer(script):
            name = m.group("file").strip()
            if name in ("/dev/stdout", "/dev/stderr"):
                continue
            path = st.path(name)
            part.add("write", f"sed's `w` writes {path}")
            part.target(path)
            path_effects(part, path, "write", st)


HANDLERS = {"awk": awk, "sed": sed}
