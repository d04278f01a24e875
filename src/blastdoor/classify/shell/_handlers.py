"""What the knowledge base data cannot say on its own: named handlers that KB entries point to.

Each handler takes a parsed :class:`Cmd` (effects, targets and evidence from the data already applied)
and refines the part, or replaces it with the parts of the commands it runs. Wrapper handlers unwrap
commands that run other commands with their own argument rules (env, xargs, su, eval, ...).
"""

from __future__ import annotations

import os
import re
import stat
from typing import TYPE_CHECKING, Any

from blastdoor.classify.context import MAX_SCRIPT_BYTES
from blastdoor.classify.shell import _archives, _awk, _containers, _wrappers
from blastdoor.classify.shell._argv import COMMANDS, Cmd, apply_entry, quote, run_argv
from blastdoor.classify.shell._fetch import curl_output, download, http_tool, lftp, saves
from blastdoor.classify.shell._state import DYNAMIC, Part, State, Stdin
from blastdoor.classify.shell._walk import path_effects, walk_text

if TYPE_CHECKING:
    from collections.abc import Callable

# Paths whose recursive removal (or recursive chmod/chown) is catastrophic in scope.
SYSTEM_DIRS = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/usr",
        "/var",
        "/usr/bin",
        "/usr/lib",
        "/usr/lib64",
        "/usr/local",
        "/usr/sbin",
        "/usr/share",
        "/usr/include",
        "/usr/local/bin",
        "/usr/local/lib",
        "/var/lib",
        "/var/log",
        "/var/mail",
        "/var/spool",
        "/var/db",
        "/var/www",
        "/var/backups",
        "/Applications",
        "/Library",
        "/System",
        "/Users",
        "/Volumes",
        "/private",
        "/private/etc",
        "/private/var",
        "/cores",
        "/snap",
        "/mnt",
        "/media",
        "/nix",
        "/nix/store",
        "/efi",
        "/boot/efi",
    ]
)
TEMP_DIRS = ("/tmp", "/var/tmp", "/private/tmp", "/dev/shm")
_GLOB = frozenset("*?[")
_DESTROY = (
    "delete",
    "destroy",
    "purge",
    "remove",
    "erase",
    "wipe",
    "truncate",
    "drop",
    "nuke",
    "expunge",
    "shred",
)
_DESTROY_WORDS = frozenset(
    [
        "del",
        "rm",
        "rmdir",
        "rmdirs",
        "prune",
        "forget",
        "unregister",
        "deregister",
        "revoke",
        "terminate",
        "uninstall",
        "clear",
        "flush",
        "reset",
        "compact",
        "dedupe",
        "cleanup",
        "obliterate",
        "rb",
        "zap",
    ]
)
_READ_WORDS = frozenset(
    [
        "list",
        "ls",
        "get",
        "show",
        "describe",
        "status",
        "info",
        "version",
        "help",
        "check",
        "validate",
        "search",
        "inspect",
        "lookup",
        "whoami",
        "stats",
        "stat",
        "diff",
        "plan",
        "preview",
        "history",
        "logs",
        "log",
        "print",
        "view",
        "cat",
        "find",
        "query",
        "explain",
        "tree",
        "top",
        "ping",
        "health",
        "doctor",
        "diagnose",
        "diagnostic",
        "verify",
        "test",
        "lint",
        "fmt-check",
        "outdated",
        "audit",
        "count",
        "exists",
        "which",
        "about",
        "size",
        "md5sum",
        "sha1sum",
        "hashsum",
        "lsd",
        "lsf",
        "lsjson",
        "lsl",
        "snapshots",
        "dump",
        "mount",
        "config-list",
        "cluster_status",
        "usage",
        "environment",
        "env",
        "whois",
        "me",
        "current",
        "read-only",
        "dry-run",
        "list_users",
        "list_vhosts",
        "list_queues",
        "list_exchanges",
        "list_bindings",
    ]
)
_SECRET_WORDS = frozenset(["reveal", "decrypt", "access"])
_KILL_WORDS = frozenset(["kill", "stop", "halt", "shutdown", "poweroff", "reboot", "suspend", "pause"])
_DEPLOY_WORDS = frozenset(["deploy", "publish", "release", "push", "promote", "rollout", "apply"])
_PRIV_WORDS = frozenset(
    [
        "grant",
        "chmod",
        "chown",
        "permissions",
        "permission",
        "policy",
        "role",
        "roles",
        "acl",
        "acls",
        "iam",
        "passwd",
        "password",
    ]
)
_TOKEN = re.compile(r"[A-Za-z][a-z]*|[a-z]+")


def _tokens(word: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(word)]


def verb_effects(words: list[str]) -> tuple[list[str], str] | None:
    """Effects implied by CLI verbs (``delete``, ``delete-stack``, ``delete_user``, ``--delete``)."""
    found: dict[str, str] = {}
    for word in words:
        if " " in word or len(word) > 64:
            continue  # a message or a description, not a verb
        kinds = _VERB_MEMO.get(word)
        if kinds is None:
            kinds = _word_verbs(word)
            if len(_VERB_MEMO) >= 4096:
                _VERB_MEMO.clear()
            _VERB_MEMO[word] = kinds
        if kinds and kinds[0] == "delete":
            return ["delete", "irreversible"], word
        for kind in kinds:
            found.setdefault(kind, word)
    if found:
        effects = list(found)
        if "deploy" in found or "kill" in found:
            effects.append("write")
        return effects, next(iter(found.values()))
    return None


# word -> what it implies, in _word_verbs's order: ("delete",) or a subset of secrets, kill, deploy,
# privilege. The same few hundred verbs and options come back in every command: one lookup each.
_VERB_MEMO: dict[str, tuple[str, ...]] = {}


def _word_verbs(word: str) -> tuple[str, ...]:
    low = word.lower().lstrip("-")
    toks = _tokens(low)
    if any(d in low for d in _DESTROY) or any(t in _DESTROY_WORDS for t in toks) or low in _DESTROY_WORDS:
        return ("delete",)
    kinds: list[str] = []
    if any(t in _SECRET_WORDS for t in toks):
        kinds.append("secrets")
    if any(t in _KILL_WORDS for t in toks):
        kinds.append("kill")
    if any(t in _DEPLOY_WORDS for t in toks):
        kinds.append("deploy")
    if any(t in ("disable", "archive", "lock", "unlock") for t in toks):
        kinds.append("privilege")
    return tuple(kinds)


def _is_read_word(word: str) -> bool:
    low = word.lower()
    return low in _READ_WORDS or any(t in _READ_WORDS for t in _tokens(low)[:1])


# Options that hand an identity to what a command creates or changes (GCP actAs, Azure managed
# identities, AWS PassRole in other CLIs): the resource then acts with that identity's permissions.
_PASSED_IDENTITY = re.compile(
    r"^--(service-account|assign-identity|identity|mi-system-assigned|mi-user-assigned|"
    r"role|role-arn|[a-z-]+-role-arn|iam-role|instance-profile|iam-instance-profile|run-as-service-account)$"
)


def _passed_identity(cmd: Cmd) -> None:
    part = cmd.part
    if set(part.effects) <= {"read"}:
        return
    for opt, _ in cmd.opts:
        if _PASSED_IDENTITY.match(opt):
            part.add("privilege", f"`{opt}` hands an identity to what `{cmd.name}` creates or changes")
            return


def verbs(cmd: Cmd) -> None:
    """Classify an ``<tool> <noun...> <verb>`` CLI by its verbs (gcloud, az, vault-like tools)."""
    part = cmd.part
    part.effects.clear()
    part.notes.clear()
    words = [w for w in [*cmd.subs, *cmd.pos[:4]] if w is not None]
    opt_words = [o for o, _ in cmd.opts]
    hit = verb_effects(words + opt_words)
    if hit is not None:
        effects, word = hit
        for effect in effects:
            part.add(effect, f"`{word}` is a {effect} verb")
        _passed_identity(cmd)
        return
    if any(_is_read_word(w) for w in words) or (not words and not opt_words):
        part.add("read", f"`{' '.join(words) or cmd.name}` only reports")
        return
    part.add("write", f"`{cmd.name} {' '.join(words)}` changes something (no read-only verb found)")
    _passed_identity(cmd)


# -- generic ---------------------------------------------------------------------------------------


def generic(
    name: str, head: str, args: list[str | None], st: State, stdin: Stdin | None, assigns: dict[str, str | None]
) -> None:
    """A program the KB does not know: local scripts are read, anything else is judged by its verbs."""
    if "/" in head:
        path = st.path(head)
        text = read_script(path, st)
        if text is None:
            # a program named by its path that cannot be read (missing, or not there until the
            # command runs): what it does is not known, whatever its name suggests
            text = "\0" if path in st.written else None
        if text is not None:
            _script(path, text, args, st)
            return
        part = Part("shell", f"shell:{name}", " ".join([head, *(quote(a) for a in args)]), "kb:generic", st.cwd)
        part.target(path)
        part.add("unknown", f"{path} cannot be read (missing or unreadable): what it runs is not known")
        st.parts.append(part)
        return
    part = Part("shell", f"shell:{name}", " ".join([name, *(quote(a) for a in args)]), "kb:generic", st.cwd)
    part.facts["kb"] = "generic"
    cmd = Cmd(name, args, st, stdin, assigns)
    cmd.part = part
    positional = [a for a in args if a is not None and not a.startswith("-")]
    cmd.pos = list(positional)
    cmd.opts = [(a.split("=", 1)[0], None) for a in args if a is not None and a.startswith("-")]
    if any(o in ("--help", "--version", "-h", "-V") for o, _ in cmd.opts) and len(args) == 1:
        part.add("read", "help and version output only")
    else:
        hit = verb_effects([name, *positional[:3], *(o for o, _ in cmd.opts)])
        if hit is not None:
            for effect in hit[0]:
                part.add(effect, f"`{name}` is not in the knowledge base; `{hit[1]}` is a {effect} verb")
            for a in positional[1:]:
                if "/" in a or "." in a:
                    part.target(st.path(a))
        elif positional and _is_read_word(positional[0]):
            part.add(
                "read", f"`{name}` is not in the knowledge base; `{positional[0] if positional else args[0]}` reads"
            )
        else:
            part.add("write", f"`{name}` is not in the knowledge base: assumed to change local files only")
        # An unknown program pointed at absolute paths may change them: protected places count.
        for a in positional:
            if a.startswith("/"):
                path = st.path(a)
                part.target(path)
                path_effects(part, path, "write", st)
    st.parts.append(part)


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


def _script(path: str, text: str, args: list[str | None], st: State, lang: str = "") -> None:
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


def _run_stdin(cmd: Cmd, lang: str) -> bool:
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
    if not _run_stdin(cmd, "shell"):
        part.add("read", f"`{cmd.name}` without input runs nothing")
    cmd.st.parts.append(part)


def _run_file(cmd: Cmd, word: str | None, lang: str) -> None:
    st = cmd.st
    if word is None:
        cmd.part.add("unknown", f"`{cmd.name}` runs a file named at run time")
        st.parts.append(cmd.part)
        return
    path = st.path(word)
    text = read_script(path, st)
    if text is None:
        cmd.part.add("write", f"runs {path}, which does not exist now (it would fail); assumed to change local files")
        cmd.part.target(path)
        if path in st.written:
            cmd.part.add("unknown", f"runs {path}, which this same command writes first")
        st.parts.append(cmd.part)
        return
    _script(path, text, cmd.args[cmd.args.index(word) + 1 :] if word in cmd.args else [], st, lang)


def _interpreter(cmd: Cmd, lang: str) -> None:
    part = cmd.part
    part.effects.clear()
    part.notes.clear()
    args = cmd.args
    codes = _INTERP_CODE[lang]
    values = _INTERP_VALUE[lang]
    if lang in ("perl", "ruby") and any(
        a is not None and a[:1] == "-" and a[1:2] != "-" and "i" in a[1:].split(".", 1)[0] for a in args[:8]
    ):
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
            if entry is not None and module in ("pip", "pip3", "venv", "pytest", "http.server", "json.tool"):
                apply_entry(entry, module, list(rest), cmd.st, cmd.stdin, cmd.assigns)
                return
            local = _local_module(module, cmd.st)
            if local is not None:  # `python -m pkg` of the project's own code: read it
                _script(local, read_script(local, cmd.st) or "\0", list(rest), cmd.st, "python")
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
    if not _run_stdin(cmd, lang):
        part.add("read", f"`{cmd.name}` without code runs nothing (interactive)")
    cmd.st.parts.append(part)


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


# -- filesystem ---------------------------------------------------------------------------------------


def _under(path: str, roots: tuple[str, ...] | list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _temp_roots(st: State) -> list[str]:
    roots = list(TEMP_DIRS)
    tmp = st.lookup("TMPDIR")
    if tmp and tmp.startswith("/") and tmp.rstrip("/") not in SYSTEM_DIRS and tmp.rstrip("/") != st.ctx.home:
        roots.append(os.path.normpath(tmp))
    return roots


def wipe_scope(path: str, st: State) -> bool:
    """Whether removing ``path`` (recursively) removes a whole system, home or root."""
    if path == DYNAMIC:
        return False
    home = st.ctx.home.rstrip("/") or "/"
    base = path
    if _GLOB & set(path):
        # `/*`, `~/*`, `/etc/*`: the glob's directory is what goes
        head = path
        while _GLOB & set(head):
            head = os.path.dirname(head)
        base = head or "/"
    return base in SYSTEM_DIRS or base == home or base == os.path.dirname(home)


# Removers that always remove whole trees (npm's rimraf and del-cli: `rm -rf` for node projects).
_ALWAYS_RECURSIVE = frozenset(("rimraf", "del-cli"))


def rm(cmd: Cmd) -> None:
    """``rm``: recursive removal is irreversible; of /, ~, system dirs it is a wipe."""
    part = cmd.part
    st = cmd.st
    recursive = cmd.has("-r") or cmd.name in _ALWAYS_RECURSIVE
    if not cmd.pos:
        # `rm`, `rm -rf`: "missing operand", nothing is removed (rm never reads operands from stdin;
        # `xargs rm` and `find -exec rm {}` pass theirs as words, unknown ones as computed)
        part.effects.clear()
        part.notes.clear()
        part.add("read", "`rm` without operands removes nothing (missing operand)")
        return
    home = st.ctx.home
    temp = _temp_roots(st)
    for target in list(part.targets):
        if target == DYNAMIC:
            continue
        if recursive and wipe_scope(target, st):
            part.add("wipe", f"recursive removal of {target} destroys a whole system, home or root directory")
            part.add("irreversible", "removed files are gone (no trash)")
        elif st.cwd is not None and target == st.cwd and (target == home or target == "/"):
            part.add("wipe", f"removing the working directory {target}")
        elif not _under(target, [st.cwd] if st.cwd else []) and not _under(target, temp):
            part.add("irreversible", f"removes {target}, outside the working directory and temp dirs")


def find(cmd: Cmd) -> None:
    """``find``: ``-delete`` deletes, ``-exec``/``-execdir``/``-ok`` run commands on what matched."""
    part = cmd.part
    st = cmd.st
    args = cmd.args
    starts: list[str | None] = []
    i = 0
    while i < len(args) and (args[i] is None or not (args[i] or "-").startswith(("-", "(", "!"))):
        starts.append(args[i])
        i += 1
    if not starts:
        starts = ["."]
    paths = [st.path(s) for s in starts]
    for p in paths:
        part.target(p)
    filtered = False
    deletes = False
    while i < len(args):
        a = args[i]
        i += 1
        if a in ("-exec", "-execdir", "-ok", "-okdir"):
            inner: list[str | None] = []
            while i < len(args) and args[i] not in (";", "+"):
                inner.append(args[i])
                i += 1
            i += 1
            substituted: list[str | None] = []
            for w in inner:
                if w is not None and "{}" in w:
                    substituted.append(w.replace("{}", starts[0] or "") if len(starts) == 1 else None)
                else:
                    substituted.append(w)
            if inner:
                before = len(st.parts)
                run_argv(substituted, st.child(), None, {})
                # `{}` stands for every match under the starting points, not the start alone: a
                # command that deletes one file deletes them all (`-exec rm {} ;` is `-delete`)
                if any("delete" in p.effects for p in st.parts[before:]):
                    deletes = True
        elif a == "-delete":
            deletes = True
        elif a in ("-fprint", "-fprint0", "-fprintf", "-fls"):
            if i < len(args):
                part.add("write", f"`find {a}` writes a file")
                part.target(st.path(args[i]))
            i += 1
        elif a in ("-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-newer", "-user", "-group"):
            filtered = True
            i += 1
        elif a in ("-type", "-mtime", "-mmin", "-size", "-perm", "-maxdepth", "-mindepth", "-atime", "-ctime"):
            i += 1
    if deletes:
        part.drop("read")
        part.add("delete", "`find` deletes every match (`-delete`, or `-exec` of a command that deletes)")
        # at every depth of the tree, as `rm -r` does (a name filter narrows it, to every `*.py`)
        part.add("irreversible", "deleted files are gone (no trash), at every depth of the tree")
        if not filtered and any(wipe_scope(p, st) for p in paths):
            part.add("wipe", "`find -delete` without a filter under a system, home or root directory")
    part.command = " ".join(["find", *(quote(a) for a in args)])
    st.parts.append(part)


def _device(path: str) -> bool:
    from blastdoor.classify.shell._walk import _DISK_PREFIXES

    return path.startswith(_DISK_PREFIXES)


def dd(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    for a in cmd.pos:
        if a is None:
            part.add("unknown", "dd operand computed at run time")
            continue
        key, eq, value = a.partition("=")
        if not eq:
            continue
        if key == "of":
            path = st.path(value)
            part.target(path)
            if _device(path):
                part.add("wipe", f"`dd of={path}` overwrites a disk")
                part.add("irreversible", "raw device writes cannot be undone")
            else:
                part.add("write", f"`dd` writes {path}")
                path_effects(part, path, "write", st)
        elif key == "if":
            path = st.path(value)
            part.target(path)
            path_effects(part, path, "read", st)
    if not part.effects:
        part.add("read", "`dd` to standard output")


def disk(cmd: Cmd) -> None:
    """mkfs, wipefs, shred of devices...: a device target is a wipe."""
    part = cmd.part
    for t in part.targets:
        if _device(t) or t in SYSTEM_DIRS:
            part.add("wipe", f"destroys the contents of {t}")


_MODE_WIDE = re.compile(r"^(?:0?[0-7]?[0-7][0-7][2367]|[ugoa]*[+=][rwxXst]*w[rwxXst]*|a?[+=]rwx)$")
_MODE_SETID = re.compile(r"^(?:0?[4-7][0-7]{3}|[ugoa]*[+=][rwxXt]*s[rwxXst]*)$")


def perms(cmd: Cmd) -> None:
    """chmod/chown/chgrp: ownership and permission changes; recursive on system dirs is a wipe."""
    part = cmd.part
    st = cmd.st
    recursive = cmd.has("-R")
    mode = cmd.pos[0] if cmd.pos else None
    targets = [st.path(p) for p in cmd.pos[1:]] or [DYNAMIC]
    part.targets = []
    for t in targets:
        part.target(t)
        path_effects(part, t, "write", st)
    if cmd.name == "chmod":
        if mode is None:
            part.add("unknown", "permission mode computed at run time")
        elif _MODE_SETID.match(mode):
            part.add("privilege", f"`chmod {mode}` sets set-user/group-id: runs as the file's owner")
        elif _MODE_WIDE.match(mode) or mode in ("777", "666", "0777", "a+w", "o+w"):
            part.add("privilege", f"`chmod {mode}` lets every user write")
    if recursive and any(wipe_scope(t, st) for t in targets):
        part.add("wipe", f"recursive `{cmd.name}` of a system, home or root directory breaks the system")
        part.add("irreversible", "old permissions are not recorded anywhere")


# -- git ---------------------------------------------------------------------------------------------

_GIT_RUNS = re.compile(
    r"(?i)^(alias\..*|core\.(pager|editor|sshcommand|hookspath|fsmonitor|askpass|gitproxy)|.*\.(command|program|helper|cmd|textconv|clean|smudge|process)|sequence\.editor|diff\.external)="
)


def git(cmd: Cmd) -> None:
    """Top-level git options: ``-c key=value`` can make git run a command or hooks."""
    part = cmd.part
    for opt, value in cmd.opts:
        if opt != "-c" or value is None:
            continue
        m = _GIT_RUNS.match(value)
        if m is None:
            continue
        key, _, val = value.partition("=")
        if key.lower() == "core.hookspath":
            part.add("persist", f"`git -c {key}` runs hooks from {val or '?'}")
            continue
        text = val[1:] if val.startswith("!") else val
        part.add("read", f"`git -c {key}` runs a command")
        if text:
            walk_text(text, cmd.st.child())
    if part.effects.keys() - {"read"}:
        _git_evidence(cmd)


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
        return
    paths = cmd.pos[cmd.ddash :] if cmd.ddash >= 0 else []
    if cmd.ddash < 0 and cmd.pos:
        # `git checkout .` or `git checkout <file>`: an existing path means paths, not a branch
        cand = cmd.pos[1:] if len(cmd.pos) > 1 else cmd.pos
        paths = [p for p in cand if p is None or p == "." or os.path.exists(_git_path(cmd, p))]
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
        part.effects.clear()
        part.notes.clear()
        part.add("read", "reads git configuration")
        return
    key = next((p for p in cmd.pos if p not in (None, "set", "unset")), "") or ""
    if _GIT_RUNS.match(key + "="):
        part.add("persist", f"git setting `{key}` makes git run a command later")


# -- network -------------------------------------------------------------------------------------------

_DATA_OPTS = frozenset(
    ("-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "-F", "--form", "--json")
)


def _endpoint_effects(part: Part, url: str, method: str) -> None:
    path = url.split("://", 1)[-1].split("?", 1)[0]
    path = path.split("/", 1)[1] if "/" in path else ""
    hit = verb_effects([seg for seg in re.split(r"[/,]", path) if seg])
    if hit is not None and "delete" in hit[0]:
        part.add("delete", f"`{method}` to an endpoint named `{hit[1]}`")
        part.add("irreversible", "a remote deletion cannot be undone from here")
    from blastdoor.classify.shell._fetch import remote_change_effects

    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    for effect, why in remote_change_effects(path, f"`{method}` to {host}"):
        part.add(effect, why)


def curl(cmd: Cmd) -> None:
    part = cmd.part
    st = cmd.st
    method = (cmd.value("-X", "--request") or "").upper()
    sends_file = False
    has_data = False
    for opt, val in cmd.opts:
        if opt in _DATA_OPTS:
            has_data = True
            if val is not None and (val.startswith("@") or (opt in ("-F", "--form") and "=@" in val)):
                ref = val[1:] if val.startswith("@") else val.split("=@", 1)[1].split(";", 1)[0]
                if ref == "-":
                    if cmd.stdin is None or cmd.stdin.kind != "text":
                        sends_file = True
                    continue
                sends_file = True
                path = st.path(ref)
                part.target(path)
                path_effects(part, path, "read", st)
            elif val is None:
                part.add("unknown", "request body computed at run time")
        elif opt in ("-T", "--upload-file"):
            sends_file = True
            if val is not None:
                path = st.path(val)
                part.target(path)
                path_effects(part, path, "read", st)
    curl_output(cmd)
    if not method:
        method = "POST" if has_data else ("PUT" if sends_file else "GET")
    if sends_file:
        part.add("exfiltrate", "uploads local data")
    if method == "DELETE":
        part.add("delete", "HTTP DELETE removes a remote resource")
        part.add("irreversible", "a remote deletion cannot be undone from here")
    elif method in ("POST", "PUT", "PATCH"):
        part.add("write", f"HTTP {method} changes remote state")
    if method != "GET":
        for t in list(part.targets):
            if "://" in t:
                _endpoint_effects(part, t, method)
    for p in cmd.pos:
        if p is not None and "://" not in p and "." in p and "/" not in p.split(".", 1)[0]:
            part.target(p)
            part.evidence.setdefault("host", p.split("/", 1)[0].split(":", 1)[0])


def wget(cmd: Cmd) -> None:
    part = cmd.part
    method = (cmd.value("--method") or "").upper()
    if cmd.has("--post-file", "--body-file"):
        part.add("exfiltrate", "uploads a local file")
        method = method or "POST"
    if cmd.has("--post-data", "--body-data"):
        method = method or "POST"
    download(cmd)
    if method and method != "GET":
        for t in list(part.targets):
            if "://" in t:
                _endpoint_effects(part, t, method)
    if method == "DELETE":
        part.add("delete", "HTTP DELETE removes a remote resource")
        part.add("irreversible", "a remote deletion cannot be undone from here")
    elif method in ("POST", "PUT", "PATCH"):
        part.add("write", f"HTTP {method} changes remote state")


def _remote(word: str | None) -> bool:
    if word is None:
        return False
    if "://" in word:
        return not word.startswith("file://")
    head = word.split("/", 1)[0]
    return ":" in head and not head.startswith(".")


def copy_remote(cmd: Cmd) -> None:
    """scp/rsync/sftp-like copies: local data to a remote host is exfiltration."""
    part = cmd.part
    st = cmd.st
    pos = cmd.pos
    if not pos:
        return
    dest = pos[-1] if len(pos) > 1 else None
    sources = pos[:-1] if len(pos) > 1 else pos
    part.targets = []
    for s in sources:
        if _remote(s):
            assert s is not None
            part.target(s)
        else:
            path = st.path(s)
            part.target(path)
            path_effects(part, path, "read", st)
    if dest is not None:
        if _remote(dest):
            part.target(dest)
            host = dest.split("://", 1)[-1].split(":", 1)[0].split("/", 1)[0].rsplit("@", 1)[-1]
            part.evidence["host"] = host
            if any(not _remote(s) for s in sources):
                part.add("exfiltrate", f"copies local data to {host}")
        elif any(_remote(s) for s in sources):
            # a download: the destination (a file, or a directory receiving the sources' names)
            path = st.path(dest)
            remote_names = [s.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for s in sources if _remote(s) and s]
            saves(part, st, path, f"`{cmd.name}` from a remote host")
            for name in remote_names:  # into `dest` as a directory, when it is one
                if name:
                    st.fetched.add(st.path(dest.rstrip("/") + "/" + name))
        else:
            path = st.path(dest)
            part.target(path)
            part.add("write", f"writes {path}")
            path_effects(part, path, "write", st)


def ssh(cmd: Cmd) -> None:
    """``ssh [opts] host [command...]``: the remote command is classified, with the host as evidence."""
    st = cmd.st
    part = cmd.part
    value_opts = COMMANDS["ssh"].get("value", frozenset())
    args = cmd.args
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        if a is None or not a.startswith("-") or a == "--":
            if a == "--":
                i += 1
            break
        if a in value_opts or (len(a) == 2 and f"{a}" in value_opts):
            i += 2
            continue
        i += 1
    if i >= n or args[i] is None:
        part.add("unknown" if i < n else "read", "ssh to a host named at run time" if i < n else "ssh without host")
        st.parts.append(part)
        return
    host_word = args[i]
    assert host_word is not None
    host = host_word.rsplit("@", 1)[-1]
    remote = args[i + 1 :]
    part.evidence["host"] = host
    part.target(f"host:{host}")
    start = len(st.parts)
    if remote:
        if None in remote:
            part.add("unknown", "remote command computed at run time")
        else:
            part.add("read", f"runs a command on {host} (classified)")
            child = st.child()
            child.cwd = None
            walk_text(" ".join(r for r in remote if r is not None), child)
    elif cmd.stdin is not None:
        cmd.part.add("read", f"runs commands on {host} from stdin (classified)")
        child_cmd = Cmd(cmd.name, [], st.child(), cmd.stdin, cmd.assigns)
        child_cmd.part = part
        child_cmd.st.cwd = None
        _run_stdin(child_cmd, "shell")
    else:
        part.add("write", f"opens an interactive session on {host}")
    for p in st.parts[start:]:
        p.evidence.setdefault("host", host)
    st.parts.append(part)


def _inner_after(args: list[str | None], value_opts: frozenset[str], npos: int) -> list[str | None] | None:
    """The command after ``npos`` positionals (and options), for `docker exec c cmd` and the like."""
    i, n = 0, len(args)
    seen = 0
    while i < n:
        a = args[i]
        if a == "--":
            return args[i + 1 :]
        if seen >= npos:
            return args[i:]
        if a is not None and a.startswith("-") and len(a) > 1:
            opt = a.split("=", 1)[0]
            i += 2 if (opt in value_opts and "=" not in a) else 1
            continue
        seen += 1
        i += 1
    return None


def exec_in(cmd: Cmd) -> None:
    """``docker exec``, ``kubectl exec``, ``doppler run --``: classify the command they run."""
    e = cmd.entry
    npos = 1 if cmd.part.tool in ("docker", "kube") else 0
    if cmd.part.tool == "kube" and "--" in cmd.args:
        inner: list[str | None] | None = cmd.args[cmd.args.index("--") + 1 :]
    else:
        inner = _inner_after(cmd.args[len(cmd.subs) :] if cmd.subs else cmd.args, e.get("value", frozenset()), npos)
    if cmd.subs and cmd.args[: len(cmd.subs)] != cmd.subs:
        inner = _inner_after(cmd.args, e.get("value", frozenset()), npos + len(cmd.subs))
    if not inner:
        return
    cmd.part.drop("read")
    start = len(cmd.st.parts)
    run_argv(inner, cmd.st.child(), cmd.stdin, {})
    for p in cmd.st.parts[start:]:
        for k, v in cmd.part.evidence.items():
            p.evidence.setdefault(k, v)
    if not cmd.part.effects:
        cmd.part.add("read", f"`{cmd.part.op}` runs the command classified next to it")


# -- cloud, containers, infrastructure -----------------------------------------------------------------


def aws(cmd: Cmd) -> None:
    """The generic ``aws`` part delegates to ``classify.aws``."""
    from blastdoor.classify.aws import classify_aws_argv  # no guard: a classifier that cannot run is on_error

    st = cmd.st
    ctx = st.ctx
    environ = dict(ctx.environ)
    for k, v in st.env.items():
        if v is not None:
            environ[k] = v
    for k, v in cmd.assigns.items():
        if v is not None:
            environ[k] = v
    from blastdoor.classify.context import ClassifyContext

    sub = ClassifyContext(environ, ctx.home, st.cwd or ctx.cwd, ctx.depth + st.depth)
    if None in cmd.args:
        cmd.part.add("unknown", "an aws argument is computed at run time")
        return
    try:
        action = classify_aws_argv([a for a in cmd.args if a is not None], sub)
    except Exception as exc:  # classify.aws is next door: a failure there is unknown here, not a crash
        cmd.part.add("unknown", f"the AWS classifier failed: {type(exc).__name__}")
        return
    part = Part.from_action(action, st.cwd, cmd.part.command)
    part.command = cmd.part.command  # one normalisation for every shell part
    st.parts.append(part)
    cmd.part.effects.clear()


def kubectl(cmd: Cmd) -> None:
    part = cmd.part
    ctx = cmd.value("--context") or part.evidence.get("kube_context") or DYNAMIC
    ns = cmd.value("-n", "--namespace") or ("*" if cmd.has("-A", "--all-namespaces") else DYNAMIC)
    if not cmd.subs:
        return
    verb = cmd.subs[-1]
    pos = [p for p in cmd.pos]
    kind = pos[0] if pos else None
    names = pos[1:]
    if kind is not None and "/" in kind:
        kind, _, first = kind.partition("/")
        names = [first, *names]
    if verb == "delete":
        everything = cmd.has("--all") or cmd.has("-A", "--all-namespaces") or kind == "all"
        if kind in ("namespace", "namespaces", "ns", "node", "nodes", "crd", "crds", "pv") or everything:
            part.add("wipe", f"`kubectl delete {kind}{' --all' if everything else ''}` removes everything in it")
        if cmd.has("-f", "--filename", "-k", "--kustomize"):
            part.target(f"k8s:{ctx}/{ns}/?")
    if verb in ("get", "describe") and kind in ("secret", "secrets") and cmd.has("-o", "--output"):
        part.add("secrets", "prints secret values")
    elif verb in ("get",) and kind in ("secret", "secrets"):
        part.add("secrets", "lists secrets (values with -o)")
    if kind is not None and verb in ("delete", "get", "describe", "edit", "patch", "label", "annotate", "scale"):
        for name in names or ["*"]:
            part.target(f"k8s:{ctx}/{ns}/{kind}/{name if name is not None else DYNAMIC}")
    if verb in ("create",) and kind in ("clusterrolebinding", "rolebinding", "clusterrole", "role", "token"):
        part.add("privilege", f"creates a {kind}")


def terraform(cmd: Cmd) -> None:
    from blastdoor.classify.shell._envchain import terraform_workspace

    part = cmd.part
    ws = terraform_workspace(cmd)  # TF_WORKSPACE, a workspace selected earlier, .terraform/environment
    if ws:
        part.evidence["terraform_workspace"] = ws
    targeted = any(o.startswith("-target") for o, _ in cmd.opts)
    if (cmd.subs and cmd.subs[-1] in ("destroy", "destroy-all")) or cmd.has("-destroy"):
        part.add("delete", "destroys managed infrastructure")
        part.add("irreversible", "destroyed resources and their data are gone")
        if not targeted:
            part.add("wipe", "destroys every resource of the configuration (a whole environment)")
    if cmd.subs and cmd.subs[0] in ("workspace",) and len(cmd.subs) > 1 and cmd.pos:
        part.target(f"terraform:workspace/{cmd.pos[0]}")


def sql_cli(cmd: Cmd) -> None:
    """psql/mysql/sqlite3/...: SQL from -c/-e, a file, a positional or stdin goes to ``classify.sql``."""
    part = cmd.part
    st = cmd.st
    dialect = {"psql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite3": "sqlite"}.get(cmd.name)
    texts: list[str | None] = []
    for opt, val in cmd.opts:
        if opt in ("-c", "--command", "-e", "--execute", "--query", "-q", "--sql"):
            texts.append(val)
        elif opt in ("-f", "--file") and val is not None and val != "-":
            text = read_script(st.path(val), st)
            texts.append(None if text in (None, "\0") else text)
    pos = [p for p in cmd.pos]
    for p in pos:
        if p is not None and "://" in p:
            part.evidence["db_url"] = p
    host = cmd.value("-h", "--host")
    if host:
        part.evidence["host"] = host
    if cmd.name == "sqlite3" and len(pos) > 1:
        texts.extend(pos[1:])
        if pos[0] is not None:
            part.target(st.path(pos[0]))
    if not texts and cmd.stdin is not None:
        if cmd.stdin.kind == "text":
            texts.append(cmd.stdin.text)
        elif cmd.stdin.kind == "file":
            text = read_script(cmd.stdin.path, st)
            texts.append(None if text in (None, "\0") else text)
        else:
            texts.append(None)
    if not texts:
        part.add("read", f"`{cmd.name}` without SQL opens an interactive session")
        return
    part.effects.clear()
    part.notes.clear()
    from blastdoor.classify.sql import classify_sql_text  # no guard: a classifier that cannot run is on_error

    evidence = dict(part.evidence)
    for text in texts:
        if text is None:
            part.add("unknown", "SQL computed at run time")
            continue
        try:
            actions = classify_sql_text(text, dialect=dialect, source=f"{cmd.name}")
        except Exception as exc:  # classify.sql is next door: a failure there is unknown here
            part.add("unknown", f"the SQL classifier failed: {type(exc).__name__}")
            continue
        for action in actions:
            sql_part = Part.from_action(action, st.cwd, part.command)
            for k, v in evidence.items():
                sql_part.evidence.setdefault(k, v)
            st.parts.append(sql_part)
    if not part.effects:
        part.add("read", f"`{cmd.name}` runs the SQL classified next to it")


_MONGO_DESTROY = re.compile(r"\b(dropDatabase|drop|deleteMany|deleteOne|remove|findOneAndDelete|dropIndex(?:es)?)\s*\(")
_MONGO_WRITE = re.compile(
    r"\b(insert\w*|update\w*|replaceOne|bulkWrite|createCollection|createIndex|renameCollection)\s*\("
)


def mongo(cmd: Cmd) -> None:
    part = cmd.part
    code = cmd.value("--eval")
    if code is None and cmd.stdin is not None and cmd.stdin.kind == "text":
        code = cmd.stdin.text
    if code is None:
        return
    part.effects.clear()
    part.notes.clear()
    m = _MONGO_DESTROY.search(code)
    if m:
        part.add("delete", f"`{m.group(1)}` removes data")
        part.add("irreversible", "removed documents are gone")
        if m.group(1) == "dropDatabase":
            part.add("wipe", "drops a whole database")
    elif _MONGO_WRITE.search(code):
        part.add("write", "changes documents")
    else:
        part.add("read", "queries only")


_REDIS = {
    "flushall": ("wipe", "delete", "irreversible"),
    "flushdb": ("wipe", "delete", "irreversible"),
    "del": ("delete", "irreversible"),
    "unlink": ("delete", "irreversible"),
    "getdel": ("delete",),
    "expire": ("delete",),
    "shutdown": ("kill",),
    "config": ("privilege",),
    "acl": ("privilege",),
    "debug": ("kill",),
    "eval": ("unknown",),
    "evalsha": ("unknown",),
    "fcall": ("unknown",),
}
_REDIS_READ = frozenset(
    [
        "get",
        "mget",
        "keys",
        "scan",
        "info",
        "ping",
        "exists",
        "ttl",
        "type",
        "strlen",
        "hget",
        "hgetall",
        "hkeys",
        "hlen",
        "lrange",
        "llen",
        "smembers",
        "scard",
        "zrange",
        "zcard",
        "dbsize",
        "monitor",
        "client",
        "time",
        "lastsave",
        "memory",
        "slowlog",
    ]
)


def redis(cmd: Cmd) -> None:
    part = cmd.part
    pos = cmd.pos
    if not pos:
        return
    word = pos[0]
    part.effects.clear()
    part.notes.clear()
    if word is None:
        part.add("unknown", "redis command computed at run time")
        return
    low = word.lower()
    if low in _REDIS:
        for effect in _REDIS[low]:
            part.add(effect, f"redis `{word.upper()}`")
    elif low in _REDIS_READ:
        part.add("read", f"redis `{word.upper()}` reads")
    else:
        part.add("write", f"redis `{word.upper()}` changes data")


def package(cmd: Cmd) -> None:
    """Installs from a URL, a git remote or a tarball run code fetched from the network."""
    for p in cmd.pos:
        if p is not None and (p.startswith(("http://", "https://", "git+", "git://", "ssh://")) or "@http" in p):
            cmd.part.add("remote_exec", f"installs (and runs the install hooks of) code from {p}")


def crontab(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-l"):
        part.effects.clear()
        part.notes.clear()
        part.add("read", "lists the crontab")
    elif cmd.has("-r"):
        part.add("delete", "removes the whole crontab")
        part.add("irreversible", "the removed crontab is not kept")


def build(cmd: Cmd) -> None:
    """make, npm/pnpm/yarn scripts, just, task, tox, nox, pre-commit, honcho: what their files run."""
    from blastdoor.classify.shell._build import run_build

    run_build(cmd)


# -- wrappers with their own argument rules -------------------------------------------------------------


def _w_text(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """eval, watch: the remaining words are joined and run as shell text."""
    value_opts = w.get("value", frozenset())
    i, n = 1, len(words)
    if name != "eval":
        while i < n:
            a = words[i]
            if a is None or not a.startswith("-"):
                break
            if a == "--":
                i += 1
                break
            i += 2 if (a in value_opts and "=" not in a) else 1
    rest = words[i:]
    if not rest:
        part = Part("shell", f"shell:{name}", name, w["source"], st.cwd)
        part.add("read", f"`{name}` without a command runs nothing")
        st.parts.append(part)
        return None
    if None in rest:
        st.unknown(" ".join(quote(x) for x in words), f"`{name}` of text computed at run time")
        return None
    if st.depth >= 8:
        st.unknown(name, "nested evaluation too deep")
        return None
    walk_text(" ".join(x for x in rest if x is not None), st.child())
    return None


def _w_su(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    adds.setdefault("privilege", "`su` runs as another user (root by default)")
    i, n = 1, len(words)
    while i < n:
        a = words[i]
        if a in ("-c", "--command") and i + 1 < n:
            text = words[i + 1]
            if text is None:
                st.unknown("su -c ?", "`su -c` runs text computed at run time")
            else:
                walk_text(text, st.child())
            return None
        if a is not None and a.startswith("--command="):
            walk_text(a.split("=", 1)[1], st.child())
            return None
        i += 2 if a in ("-s", "--shell", "-g", "--group", "-G", "--supp-group") else 1
    part = Part("shell", "shell:su", " ".join(quote(x) for x in words), w["source"], st.cwd)
    part.add("privilege", "opens a shell as another user")
    st.parts.append(part)
    return None


WRAPPER_HANDLERS: dict[str, Any] = {
    "text": _w_text,
    "su": _w_su,
}

WRAPPER_HANDLERS.update(_wrappers.WRAPPER_HANDLERS)  # runners written from their manuals (_wrappers.py)

HANDLERS: dict[str, Callable[[Cmd], None]] = {
    "verbs": verbs,
    "shell": shell,
    "python": python,
    "node": node,
    "ruby": ruby,
    "perl": perl,
    "source": source,
    "rm": rm,
    "find": find,
    "dd": dd,
    "disk": disk,
    "perms": perms,
    "git": git,
    "git_push": git_push,
    "git_checkout": git_checkout,
    "git_restore": git_restore,
    "git_branch": git_branch,
    "git_tag": git_tag,
    "git_config": git_config,
    "curl": curl,
    "wget": wget,
    "copy_remote": copy_remote,
    "ssh": ssh,
    "exec_in": exec_in,
    "aws": aws,
    "kubectl": kubectl,
    "terraform": terraform,
    "sql_cli": sql_cli,
    "mongo": mongo,
    "redis": redis,
    "package": package,
    "crontab": crontab,
    "build": build,
    **_wrappers.HANDLERS,
    **_archives.HANDLERS,
    **_awk.HANDLERS,
    **_containers.HANDLERS,
    "download": download,
    "http_tool": http_tool,
    "lftp": lftp,
}
