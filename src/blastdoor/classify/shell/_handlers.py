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
from blastdoor.classify.shell import (
    _archives,
    _containers,
    _copies,
    _databases,
    _editors,
    _git,
    _git_trees,
    _infra,
    _patches,
    _remote,
    _wrappers,
)
from blastdoor.classify.shell._argv import COMMANDS, Cmd, apply_entry, quote, run_argv
from blastdoor.classify.shell._fetch import download, http_tool, lftp
from blastdoor.classify.shell._state import DYNAMIC, Part, State, Stdin
from blastdoor.classify.shell._walk import path_effects, walk_text
from blastdoor.classify.shell._words import credential_variable

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
    _script(path, text, rest, st, lang)


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


def printenv(cmd: Cmd) -> None:
    """``printenv NAME...``: the named variables' values; a credential's name makes it a secrets read."""
    for name in cmd.pos:
        if name is None:
            cmd.part.add("unknown", "`printenv` of a variable named at run time")
        elif credential_variable(name):
            cmd.part.add("secrets", f"`printenv {name}` prints a variable that holds a credential")


def rm(cmd: Cmd) -> None:
    """``rm``: recursive removal is irreversible; of /, ~, system dirs it is a wipe."""
    part = cmd.part
    st = cmd.st
    recursive = cmd.has("-r") or cmd.name in _ALWAYS_RECURSIVE
    if not cmd.pos:
        # `rm`, `rm -rf`: "missing operand", nothing is removed (rm never reads operands from stdin;
        # `xargs rm` and `find -exec rm {}` pass theirs as words, unknown ones as computed)
        part.only("read", "`rm` without operands removes nothing (missing operand)")
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


def package(cmd: Cmd) -> None:
    """Installs from a URL, a git remote or a tarball run code fetched from the network."""
    for p in cmd.pos:
        if p is not None and (p.startswith(("http://", "https://", "git+", "git://", "ssh://")) or "@http" in p):
            cmd.part.add("remote_exec", f"installs (and runs the install hooks of) code from {p}")


def crontab(cmd: Cmd) -> None:
    part = cmd.part
    if cmd.has("-l"):
        part.only("read", "lists the crontab")
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
    "printenv": printenv,
    "find": find,
    "dd": dd,
    "disk": disk,
    "perms": perms,
    "package": package,
    "crontab": crontab,
    "build": build,
    **_wrappers.HANDLERS,
    **_git.HANDLERS,
    **_git_trees.HANDLERS,
    **_remote.HANDLERS,
    **_infra.HANDLERS,
    **_databases.HANDLERS,
    **_archives.HANDLERS,
    **_editors.HANDLERS,
    **_patches.HANDLERS,
    **_copies.HANDLERS,
    **_containers.HANDLERS,
    "download": download,
    "http_tool": http_tool,
    "lftp": lftp,
}
