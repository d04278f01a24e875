"""Downloaders: where a fetched file lands, what that place means, and running it afterwards.

A download written to a file is a ``write`` and ``create`` of its destination; a destination that
changes what runs later (shell start-up files, ``~/.ssh``, cron, git hooks: ``classify.files``; a
directory on ``PATH``: here) escalates. The destination is remembered for the rest of the input, so a
later ``sh file``, ``./file`` or ``file`` (from a ``PATH`` directory) is ``remote_exec``: code fetched from
the network runs.

Where each tool puts its file, from its manual: wget ``-O``/``--output-document`` or ``-P``/
``--directory-prefix`` + the URL's last segment; curl ``-o``/``--output``, ``-O`` (the URL's name,
``--output-dir``); aria2c ``-o``/``--out`` and ``-d``/``--dir``; axel ``-o``/``--output`` (a file or a
directory); FreeBSD fetch ``-o``; HTTPie ``--download`` (``-o``/``--output``, else the URL's name);
lftp's ``get``/``pget``/``mget``/``mirror`` (download) and ``put``/``mput``/``mirror -R`` (upload).
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._state import DYNAMIC

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd
    from blastdoor.classify.shell._state import Part, State

__all__ = ["curl_output", "download", "fetched_run", "http_tool", "lftp", "remote_change_effects", "saves", "url_name"]

# Directories whose programs run by name: a file dropped there changes what later commands run.
_SYSTEM_BIN = ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/opt/homebrew/bin")
_HOME_BIN = (".local/bin", "bin", ".cargo/bin", "go/bin", ".npm-global/bin", ".bun/bin", ".deno/bin")
# Programs that run the file they are given (so a downloaded file handed to them runs fetched code).
RUNS_FILE = frozenset(
    (
        "sh",
        "bash",
        "zsh",
        "dash",
        "ksh",
        "mksh",
        "fish",
        "busybox",
        "source",
        ".",
        "python",
        "python3",
        "python2",
        "pypy3",
        "node",
        "nodejs",
        "deno",
        "bun",
        "perl",
        "ruby",
        "php",
        "lua",
        "Rscript",
        "osascript",
        "pwsh",
        "powershell",
        "msiexec",
        "dpkg",
        "rpm",
        "installer",
    )
)


def url_name(url: str | None) -> str | None:
    """The file name a downloader derives from a URL (its last path segment, else ``index.html``)."""
    if url is None:
        return None
    rest = url.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    _, slash, path = rest.partition("/")
    name = path.rsplit("/", 1)[-1] if slash else ""
    return name or "index.html"


def _bin_dirs(st: State) -> list[str]:
    home = st.ctx.home.rstrip("/")
    dirs = list(_SYSTEM_BIN) + [f"{home}/{d}" for d in _HOME_BIN]
    path_var = st.lookup("PATH")
    if path_var:
        dirs.extend(d.rstrip("/") for d in path_var.split(":") if d.startswith("/"))
    return dirs


def _in_bin_dir(path: str, st: State) -> bool:
    return posixpath.dirname(path) in _bin_dirs(st)


def saves(part: Part, st: State, path: str, how: str) -> None:
    """``part`` writes a download to ``path``: write, create, what the place means, remembered."""
    from blastdoor.classify.shell._paths import path_effects

    part.add("write", f"{how} saves a download to {path}")
    part.add("create", f"{how} creates {path}")
    part.target(path)
    if path == DYNAMIC:
        part.add("unknown", f"{how} saves to a file named at run time")
        return
    path_effects(part, path, "write", st)
    if _in_bin_dir(path, st):
        part.add(
            "persist", f"{path} is in a directory on PATH: later commands named `{posixpath.basename(path)}` run it"
        )
        if not path.startswith(st.ctx.home.rstrip("/") + "/"):
            part.add("privilege", f"{posixpath.dirname(path)} is a system program directory")
    st.written.add(path)
    st.fetched.add(path)


def _into(st: State, directory: str | None, name: str | None) -> str:
    if name is None:
        return DYNAMIC
    if name.startswith("/"):
        return st.path(name)
    if directory is None:
        return st.path(name)
    return st.path(directory.rstrip("/") + "/" + name)


def _urls(cmd: Cmd) -> list[str | None]:
    return [p for p in cmd.pos if p is None or "://" in p or re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", p)]


def download(cmd: Cmd) -> None:
    """wget, aria2c, axel, fetch: the files they save (``-`` is standard output: nothing saved)."""
    part = cmd.part
    st = cmd.st
    name = cmd.name
    if name == "wget" and cmd.has("--spider"):
        part.drop("write")
        return
    out_opts = {
        "wget": ("-O", "--output-document"),
        "aria2c": ("-o", "--out"),
        "axel": ("-o", "--output"),
        "fetch": ("-o", "--output"),
    }.get(name, ("-o", "--output"))
    dir_opts = {"wget": ("-P", "--directory-prefix"), "aria2c": ("-d", "--dir")}.get(name, ())
    output = cmd.value(*out_opts)
    directory = cmd.value(*dir_opts) if dir_opts else None
    if output == "-":
        part.drop("write")
        return
    if cmd.has("-i", "--input-file"):
        part.add("write", f"`{name}` saves every URL listed in a file")
        part.add("create", f"`{name}` creates files named by the listed URLs")
        part.add("unknown", "the URLs (and so the files) are read at run time")
    if output is not None or (cmd.has(*out_opts) and output is None):
        if name == "axel" and output is not None and output.endswith("/"):
            for url in _urls(cmd) or [None]:
                saves(part, st, _into(st, output, url_name(url)), f"`{name}`")
            return
        saves(part, st, _into(st, directory, output), f"`{name} {out_opts[0]}`")
        return
    urls = _urls(cmd)
    for url in urls:
        saves(part, st, _into(st, directory, url_name(url)), f"`{name}`")
    if not urls and cmd.pos:
        saves(part, st, DYNAMIC, f"`{name}`")


def curl_output(cmd: Cmd) -> None:
    """curl ``-o``/``--output``, ``-O``/``--remote-name`` (with ``--output-dir``)."""
    part = cmd.part
    st = cmd.st
    directory = cmd.value("--output-dir")
    outputs = [v for o, v in cmd.opts if o in ("-o", "--output")]
    for out in outputs:
        if out == "-":
            continue
        saves(part, st, _into(st, directory, out), "`curl -o`")
    if cmd.has("-O", "--remote-name", "--remote-name-all"):
        urls = _urls(cmd)
        for url in urls[len(outputs) :] or ([] if urls else [None]):
            saves(part, st, _into(st, directory, url_name(url)), "`curl -O`")


def http_tool(cmd: Cmd) -> None:
    """HTTPie/xh: the method and endpoint verbs, and ``--download``/``--output`` saving the body."""
    from blastdoor.classify.shell._verbs import verbs

    verbs(cmd)
    part = cmd.part
    method = next((p for p in cmd.pos if p is not None and p.isupper() and p.isalpha()), "")
    has_items = any(p is not None and ("=" in p or ":=" in p) and "://" not in p for p in cmd.pos)
    method = method or ("POST" if has_items else "GET")
    if method != "GET":
        for url in _urls(cmd):
            if url is None:
                continue
            rest = url.split("://", 1)[-1]
            host, _, path = rest.partition("/")
            for effect, why in remote_change_effects(path.split("?", 1)[0], f"`{method}` to {host}"):
                part.add(effect, why)
    output = cmd.value("-o", "--output")
    if cmd.has("-d", "--download"):
        urls = _urls(cmd)
        name = output if output is not None else url_name(urls[0] if urls else None)
        saves(part, cmd.st, _into(cmd.st, None, name), f"`{cmd.name} --download`")
    elif output is not None:
        saves(part, cmd.st, _into(cmd.st, None, output), f"`{cmd.name} --output`")


_LFTP_UP = frozenset(("put", "mput", "reput"))
_LFTP_DOWN = frozenset(("get", "pget", "mget", "get1", "reget", "torrent"))
_LFTP_DELETE = frozenset(("rm", "mrm", "rmdir"))
_LFTP_READ = frozenset(
    ("open", "user", "set", "cd", "lcd", "ls", "cls", "dir", "pwd", "bye", "exit", "quit", "find", "du")
)


def lftp(cmd: Cmd) -> None:
    """lftp: its ``-c``/``-e`` commands say whether it uploads, downloads or deletes (else: unknown)."""
    part = cmd.part
    st = cmd.st
    script = cmd.value("-c", "-e")
    if script is None:
        part.add("exfiltrate", "an interactive lftp session can upload local files")
        part.add("write", "an interactive lftp session can download files")
        return
    for stmt in re.split(r"[;\n&|]+", script):
        home = st.ctx.home.rstrip("/")
        words = [home + w[1:] if w == "~" or w.startswith("~/") else w for w in stmt.split()]
        if not words:
            continue
        verb = words[0]
        if verb in _LFTP_UP or (verb == "mirror" and ("-R" in words or "--reverse" in words)):
            part.add("exfiltrate", f"lftp `{verb}` uploads local files")
            part.add("write", f"lftp `{verb}` changes files on the server")
        elif verb in _LFTP_DELETE:
            part.add("delete", f"lftp `{verb}` deletes files on the server")
            part.add("irreversible", "a remote deletion cannot be undone from here")
        elif verb in _LFTP_DOWN or verb == "mirror":
            args = [w for w in words[1:] if not w.startswith("-")]
            out = words[words.index("-o") + 1] if "-o" in words[:-1] else None
            if verb == "mirror":
                target = args[1] if len(args) > 1 else "."
                saves(part, st, st.path(target), "lftp `mirror`")
            elif out is not None:
                saves(part, st, st.path(out), f"lftp `{verb}`")
            else:
                for a in args or [None]:
                    local = url_name(a) if a and "://" in a else (a or "").rsplit("/", 1)[-1] or None
                    saves(part, st, _into(st, None, local), f"lftp `{verb}`")
        elif verb in _LFTP_READ:
            part.add("read", f"lftp `{verb}`")
        else:
            part.add("unknown", f"lftp command `{verb}` is not understood")
    if not part.effects:
        part.add("read", "lftp runs no transfer")


# Verb groups of the MCP vocabulary (kb/mcp/verbs.yaml) that say an endpoint changes who may do what,
# sends something to other people or moves money: an RPC-style name (`chat.postMessage`, `sendMail`).
_REMOTE_VERB_GROUPS = frozenset(("send", "pay", "share", "invite", "privilege"))


def remote_change_effects(path: str, how: str) -> list[tuple[str, str]]:
    """Effects of a request that changes ``path`` on a remote API, from the names in the path.

    The same vocabulary as MCP tool names: objects such as ``password``, ``api_key``, ``members``,
    ``collaborators``, ``permissions``, ``sharing``, ``payments``, ``refunds``, ``transfers``,
    ``messages`` (REST: ``POST /v1/refunds``), and verbs such as ``postMessage``, ``sendMail``, ``invite``
    (RPC: ``POST /api/chat.postMessage``).
    """
    from blastdoor.classify.mcp_kb import load_kb, main_verb, split_words

    verbs = load_kb()["verbs"]
    objects = verbs.get("objects") or {}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for segment in re.split(r"[/,;&=]", path):
        if not segment or len(segment) > 64:
            continue
        words = split_words(segment)
        hits: list[tuple[str, str, list[str]]] = []
        for i, word in enumerate(words):
            group = objects.get("words", {}).get(word)
            if group is None and i + 1 < len(words):
                group = objects.get("pairs", {}).get(f"{word} {words[i + 1]}")
            if group is not None:
                spec = objects["groups"][group]
                hits.append((word, spec["why"], spec["change"]))
        for word, group in main_verb(words, verbs):
            if group in _REMOTE_VERB_GROUPS:
                spec = verbs["groups"][group]
                hits.append((word, spec["why"], spec["effects"]))
        for word, why, effects in hits:
            for effect in effects:
                if effect not in seen:
                    seen.add(effect)
                    out.append((effect, f"{how}: {why} (`{word}` in the path)"))
    return out


def fetched_run(name: str, head: str, args: list[str | None], st: State) -> str | None:
    """The downloaded file this command line runs, if any (``./f``, ``sh f``, a name in a PATH dir)."""
    if "/" in head:
        path = st.path(head)
        return path if path in st.fetched else None
    for path in st.fetched:
        if posixpath.basename(path) == name and _in_bin_dir(path, st):
            return path
    if name in RUNS_FILE:
        for a in args:
            if a is not None and not a.startswith("-") and st.path(a) in st.fetched:
                return st.path(a)
    return None
