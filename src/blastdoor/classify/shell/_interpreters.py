"""Shells and interpreters: the scripts, ``-c`` strings and standard input they run, classified as code.

``sh script.sh``, ``bash -c '...'``, ``python fix.py``, ``node -e '...'``, ``ruby``/``perl -e``, ``source``:
each reads text blastdoor can read too (a local file, a literal, a here-document), and that text is what
the command does. The file's shebang picks the language when the command does not; local modules a
Python program imports are read along with it. A script that cannot be read here (missing, binary,
too large, written by this same input) is ``unknown``.
"""

from __future__ import annotations

import os
import stat

from blastdoor.classify.context import MAX_SCRIPT_BYTES
from blastdoor.classify.shell._argv import COMMANDS, Cmd, apply_entry, quote
from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import DYNAMIC, Part, State
from blastdoor.classify.shell._walk import walk_text


def read_script(path: str, st: State) -> str | None:
    """The text of a local script, or None when it is missing, binary or too large."""
    if path == DYNAMIC:
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "\0"  # /dev/stdin, a FIFO, a directory: not a file blastdoor can read (unknown)
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCRIPT_BYTES + 1)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    if len(data) > MAX_SCRIPT_BYTES or b"\0" in data[:4096]:
        return "\0"
    return data.decode("utf-8", "replace")


def _shebang_lang(text: str) -> str:
    first = text.split("\n", 1)[0]
    if not first.startswith("#!"):
        return "shell"
    for lang, keys in (
        ("python", ("python",)),
        ("node", ("node", "deno", "bun", "tsx", "ts-node")),
        ("ruby", ("ruby",)),
        ("perl", ("perl",)),
    ):
        if any(k in first for k in keys):
            return lang
    if any(k in first for k in ("sh", "bash", "zsh", "dash", "ksh")):
        return "shell"
    return "other"


def run_script(path: str, text: str, args: list[str | None], st: State, lang: str = "") -> None:
    part = Part("shell", "shell:script", " ".join([quote(path), *(quote(a) for a in args)]), "kb:shell", st.cwd)
    part.target(path)
    if path in st.written:
        part.add("unknown", f"runs {path}, which this same command writes first")
        st.parts.append(part)
        return
    if text == "\0":
        part.add("unknown", f"{path} is binary or larger than the script limit")
        st.parts.append(part)
        return
    lang = lang or _shebang_lang(text)
    if st.depth + 1 > 8:
        part.add("unknown", "scripts nested too deep")
        st.parts.append(part)
        return
    if lang == "shell":
        part.add("read", f"runs the shell script {path} (its commands are classified)")
        st.parts.append(part)
        child = st.child()
        child.cwd = st.cwd
        walk_text(text, child)
        return
    if lang == "other":
        part.add("unknown", f"{path} runs under an interpreter blastdoor does not read")
        st.parts.append(part)
        return
    from blastdoor.classify.shell._code import analyse

    part.op = f"shell:{lang}"
    if lang == "node":
        from blastdoor.classify.code import language_of

        lang = {"typescript": "typescript", "tsx": "tsx"}.get(language_of(path), "node")
    st.parts.append(part)
    analyse(lang, text, st.child(), part, base_dir=os.path.dirname(path))


# -- shells and interpreters -------------------------------------------------------------------------


def run_stdin(cmd: Cmd, lang: str) -> bool:
    """Classify what an interpreter reads on stdin; False when there is nothing on stdin."""
    stdin = cmd.stdin
    part = cmd.part
    if stdin is None:
        return False
    if stdin.kind == "network":
        part.add("remote_exec", f"`{cmd.name}` runs code piped in from the network")
        return True
    if stdin.kind == "dynamic":
        part.add("unknown", f"`{cmd.name}` runs code produced at run time by the previous command")
        return True
    text = stdin.text
    if stdin.kind == "file":
        read = read_script(stdin.path, cmd.st)
        if read is None or read == "\0":
            part.add("unknown", f"`{cmd.name}` runs {stdin.path}, which blastdoor cannot read")
            return True
        text = read
    _run_code(cmd, lang, text)
    return True


def _run_code(cmd: Cmd, lang: str, text: str) -> None:
    part = cmd.part
    if lang == "shell":
        part.add("read", f"`{cmd.name}` runs shell code (its commands are classified)")
        walk_text(text, cmd.st.child())
        return
    from blastdoor.classify.shell._code import analyse

    analyse(lang, text, cmd.st.child(), part)


_SHELL_VALUE = frozenset(("-o", "+o", "-O", "+O", "--rcfile", "--init-file"))
_INTERP_CODE = {"python": ("-c",), "node": ("-e", "--eval", "-p", "--print"), "ruby": ("-e",), "perl": ("-e", "-E")}
_INTERP_VALUE = {
    "python": frozenset(("-W", "-X", "--check-hash-based-pycs")),
    "node": frozenset(("-r", "--require", "--import", "--loader", "--experimental-loader", "--input-type")),
    "ruby": frozenset(("-r", "-I", "-C", "-E", "-F")),
    "perl": frozenset(("-I", "-M", "-m", "-x", "-0", "-l", "-C")),
}


def shell(cmd: Cmd) -> None:
    """bash/sh/zsh/dash/ksh: ``-c text``, a script file, or code on stdin."""
    part = cmd.part
    part.effects.clear()
    part.notes.clear()
    args = cmd.args
    i, n = 0, len(args)
    code_next = False
    while i < n:
        a = args[i]
        if a is None:
            part.add("unknown", "shell option computed at run time")
            cmd.st.parts.append(part)
            return
        if a == "--" or a == "-":
            i += 1
            break
        if a in _SHELL_VALUE:
            i += 2
            continue
        if a.startswith(("-", "+")) and len(a) > 1:
            if not a.startswith("--") and "c" in a[1:]:
                code_next = True
            i += 1
            continue
        break
    rest = args[i:]
    if code_next:
        if not rest or rest[0] is None:
            part.add("unknown", f"`{cmd.name} -c` runs text computed at run time")
        else:
            part.add("read", f"`{cmd.name} -c` runs shell code (its commands are classified)")
            if cmd.st.depth >= 8:
                part.add("unknown", "nested shells too deep")
            else:
                walk_text(rest[0], cmd.st.child())
        cmd.st.parts.append(part)
        return
    if rest:
        _run_file(cmd, rest[0], "shell")
        return
    if not run_stdin(cmd, "shell"):
        part.add("read", f"`{cmd.name}` without input runs nothing")
    cmd.st.parts.append(part)


def _run_file(cmd: Cmd, word: str | None, lang: str) -> None:
    st = cmd.st
    if word is None:
        cmd.part.add("unknown", f"`{cmd.name}` runs a file named at run time")
        st.parts.append(cmd.part)
        return
    path = st.path(word)
    rest = cmd.args[cmd.args.index(word) + 1 :] if word in cmd.args else []
    if lang == "python" and os.path.basename(path) == "manage.py":
        # Django's manage.py runs a management command: judged as `django-admin COMMAND` would be
        apply_entry(COMMANDS["django-admin"], "django-admin", list(rest), st, cmd.stdin, cmd.assigns)
    text = read_script(path, st)
    if text is None:
        cmd.part.target(path)
        if path in st.written:
            cmd.part.add("unknown", f"runs {path}, which this same command writes first")
        else:
            cmd.part.add("unknown", f"runs {path}, which cannot be read now: what it would do is not known")
        st.parts.append(cmd.part)
        return
    run_script(path, text, rest, st, lang)


def _interpreter(cmd: Cmd, lang: str) -> None:
    part = cmd.part
    part.effects.clear()
    part.notes.clear()
    args = cmd.args
    codes = _INTERP_CODE[lang]
    values = _INTERP_VALUE[lang]
    inplace = lang in ("perl", "ruby") and any(
        a is not None and a[:1] == "-" and a[1:2] != "-" and "i" in a[1:].split(".", 1)[0] for a in args[:8]
    )
    if inplace:
        part.add("write", f"`{cmd.name} -i` edits its file operands in place")
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        if a is None:
            part.add("unknown", "interpreter argument computed at run time")
            cmd.st.parts.append(part)
            return
        if a in codes or (lang in ("perl", "ruby") and a.startswith("-") and a[-1:] in ("e", "E") and len(a) <= 4):
            if i + 1 >= n or args[i + 1] is None:
                part.add("unknown", f"`{cmd.name} {a}` runs code computed at run time")
            else:
                code = args[i + 1]
                assert code is not None
                _run_code(cmd, lang, code)
                if lang in ("perl", "ruby"):
                    # `perl -pi -e CODE FILE...`, `perl -ne CODE FILE`: the operands are files it edits or reads
                    for w in args[i + 2 :]:
                        if w is not None and w.startswith("-"):
                            continue
                        path = cmd.st.path(w)
                        part.target(path)
                        path_effects(part, path, "write" if inplace else "read", cmd.st)
            cmd.st.parts.append(part)
            return
        if lang == "python" and a.startswith("-c") and len(a) > 2:
            _run_code(cmd, lang, a[2:])
            cmd.st.parts.append(part)
            return
        if lang == "python" and (a == "-m" or a.startswith("-m")):
            module = a[2:] if len(a) > 2 else (args[i + 1] if i + 1 < n else None)
            rest = args[i + 2 :] if len(a) == 2 else args[i + 1 :]
            if module is None:
                part.add("unknown", "`python -m` of a module named at run time")
                cmd.st.parts.append(part)
                return
            entry = COMMANDS.get(module)
            if entry is not None and module in _KB_MODULES:
                apply_entry(entry, module, list(rest), cmd.st, cmd.stdin, cmd.assigns)
                return
            local = _local_module(module, cmd.st)
            if local is not None:  # `python -m pkg` of the project's own code: read it
                run_script(local, read_script(local, cmd.st) or "\0", list(rest), cmd.st, "python")
                return
            part.add("write", f"`python -m {module}` runs a module (assumed to change local files only)")
            cmd.st.parts.append(part)
            return
        if a == "-":
            break
        if a.startswith("-"):
            i += 2 if a in values else 1
            continue
        _run_file(cmd, a, lang)
        return
    if not run_stdin(cmd, lang):
        part.add("read", f"`{cmd.name}` without code runs nothing (interactive)")
    cmd.st.parts.append(part)


# Modules whose command-line the knowledge base describes (``python -m http.server`` serves files).
_KB_MODULES = frozenset(("pip", "pip3", "venv", "pytest", "http.server", "SimpleHTTPServer", "json.tool"))


def _local_module(module: str, st: State) -> str | None:
    """The file ``python -m module`` runs when it is the project's own code (in the working directory)."""
    if st.cwd is None or not module.replace(".", "").replace("_", "").isalnum():
        return None
    base = os.path.join(st.cwd, *module.split("."))
    for path in (base + ".py", os.path.join(base, "__main__.py")):
        if os.path.isfile(path):
            return path
    return None


def python(cmd: Cmd) -> None:
    _interpreter(cmd, "python")


def node(cmd: Cmd) -> None:
    _interpreter(cmd, "node")


def ruby(cmd: Cmd) -> None:
    _interpreter(cmd, "ruby")


def perl(cmd: Cmd) -> None:
    _interpreter(cmd, "perl")


def source(cmd: Cmd) -> None:
    """``source file`` / ``. file``: the file's commands run in this shell."""
    if not cmd.pos:
        cmd.part.add("unknown", "`source` without a file")
        cmd.st.parts.append(cmd.part)
        return
    cmd.part.effects.clear()
    cmd.part.notes.clear()
    _run_file(cmd, cmd.pos[0], "shell")
