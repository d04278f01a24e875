"""Network and remote hosts: curl and wget (what they send, where they save), scp/rsync, ssh and the
commands run in containers and pods (``exec_in``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._argv import COMMANDS, run_argv
from blastdoor.classify.shell._copies import landings
from blastdoor.classify.shell._fetch import curl_output, download, saves
from blastdoor.classify.shell._paths import path_effects
from blastdoor.classify.shell._state import Part
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd


_DATA_OPTS = frozenset(
    ("-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "-F", "--form", "--json")
)


# A container daemon's API socket: what it is asked to run, it runs as root on this host.
_DAEMON_SOCKET = re.compile(r"(docker|containerd|podman|dockershim|crio)\.sock")


def _endpoint_effects(part: Part, url: str, method: str) -> None:
    path = url.split("://", 1)[-1].split("?", 1)[0]
    path = path.split("/", 1)[1] if "/" in path else ""
    from blastdoor.classify.shell._verbs import verb_effects

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
        socket = cmd.value("--unix-socket", "--abstract-unix-socket")
        if socket and _DAEMON_SOCKET.search(socket):
            part.add("privilege", f"HTTP {method} to {socket}: a container daemon runs what it is told, as root")
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
    if not pos or (cmd.has("--dry-run", "-n") and part.effects.keys() == {"read"}):
        return  # nothing to copy, or a dry run (`rsync -n`, `rclone --dry-run`) the KB made a read
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
            landings(part, st, list(sources), dest, rsync=cmd.name == "rsync")


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
        if a in value_opts:
            i += 2
            continue
        if not a.startswith("--") and len(a) > 2:  # a cluster: `-NfR 9000:h:22`, `-p2222`
            takes = next((k for k, ch in enumerate(a[1:], 1) if f"-{ch}" in value_opts), None)
            i += 2 if takes == len(a) - 1 else 1
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
    forward = _remote_forward(args[:i])
    if forward:
        part.add("exfiltrate", f"`ssh {forward}` opens a port on {host} that reaches into this machine")
    start = len(st.parts)
    if remote:
        if None in remote:
            part.add("unknown", "remote command computed at run time")
        else:
            part.add("read", f"runs a command on {host} (classified)")
            child = st.child()
            child.cwd = None
            walk_text(" ".join(r for r in remote if r is not None), child)
        fed = cmd.stdin
        if fed is not None and fed.kind in ("file", "dynamic") and fed.path != "/dev/null":
            what = fed.path or "what the command before it writes"
            part.add("exfiltrate", f"sends its standard input ({what}) to the command it runs on {host}")
    elif cmd.stdin is not None:
        cmd.part.add("read", f"runs commands on {host} from stdin (classified)")
        from blastdoor.classify.shell._argv import Cmd as Command  # (``Cmd`` above is for types only)

        child_cmd = Command(cmd.name, [], st.child(), cmd.stdin, cmd.assigns)
        child_cmd.part = part
        child_cmd.st.cwd = None
        from blastdoor.classify.shell._interpreters import run_stdin  # (it imports this module)

        run_stdin(child_cmd, "shell")
    else:
        part.add("write", f"opens an interactive session on {host}")
    for p in st.parts[start:]:
        p.evidence.setdefault("host", host)
    st.parts.append(part)


def _remote_forward(opts: list[str | None]) -> str | None:
    """The option of a remote (reverse) forward among ssh's options: ``-R``, ``-NfR``, ``-o RemoteForward``."""
    takes_value = COMMANDS["ssh"].get("value", frozenset())
    for k, a in enumerate(opts):
        if a is None or not a.startswith("-") or a.startswith("--"):
            continue
        if a.startswith("-o"):
            value = (opts[k + 1] or "") if a == "-o" and k + 1 < len(opts) else a[2:]
            if value.replace(" ", "").lower().startswith("remoteforward"):
                return "-o RemoteForward"
            continue
        for ch in a[1:]:  # a cluster: letters up to the first that takes a value (the rest is its value)
            if ch == "R":
                return "-R"
            if f"-{ch}" in takes_value:
                break
    return None


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


HANDLERS = {"curl": curl, "wget": wget, "copy_remote": copy_remote, "ssh": ssh, "exec_in": exec_in}
