"""Variables that make a program run code: ``GIT_SSH_COMMAND='rm -rf ~' git fetch``.

Setting one (an assignment before a command, ``export``, ``env NAME=value``) is judged by what its
value makes run, as a function's body or an alias's is: as if it ran now, whether or not the program it
is set for gets to use it.

- **commands** (shell text a program runs): git's ``GIT_SSH_COMMAND``, ``GIT_PAGER``, ``GIT_EDITOR``,
  ``GIT_SEQUENCE_EDITOR``, ``GIT_PROXY_COMMAND``; ``PAGER``, ``MANPAGER``, ``EDITOR``, ``VISUAL``,
  ``SUDO_EDITOR``; ``RSYNC_RSH``, ``CVS_RSH``; less's ``LESSOPEN``/``LESSCLOSE`` (``|cmd %s``);
  ``FZF_DEFAULT_COMMAND``; bash's ``PROMPT_COMMAND``;
- **programs** (a path run as one): ``GIT_SSH``, ``GIT_EXTERNAL_DIFF``, ``GIT_ASKPASS``, ``SSH_ASKPASS``,
  ``SUDO_ASKPASS``;
- **native code** loaded into every program that starts: ``LD_PRELOAD``, ``LD_AUDIT``,
  ``DYLD_INSERT_LIBRARIES`` (``unknown``: blastdoor cannot read it);
- **interpreter options** that load code first: ``NODE_OPTIONS`` (``--require``/``--import``/
  ``--loader``), ``RUBYOPT`` (``-r``), ``PERL5OPT`` (``-M``/``-m``/``-e``?), and the JVM's
  ``JAVA_TOOL_OPTIONS``/``_JAVA_OPTIONS``/``JDK_JAVA_OPTIONS`` (``-javaagent:``): a local file is read
  and judged, an agent jar is ``unknown``;
- **start-up files**: ``BASH_ENV``/``ENV``, sourced by every later non-interactive shell: ``persist``;
- **proxies** (``HTTPS_PROXY``, ``ALL_PROXY``, ...) set to another host: everything the programs send,
  their credentials included, passes through it: ``exfiltrate``. A proxy inherited from the agent's
  environment is the operator's, and not judged.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from blastdoor.classify.shell._state import Part

if TYPE_CHECKING:
    from blastdoor.classify.shell._state import State

__all__ = ["RUNS_LATER", "runs_later"]

_COMMANDS = frozenset(
    (
        "PROMPT_COMMAND",
        "GIT_SSH_COMMAND",
        "GIT_PAGER",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
        "GIT_PROXY_COMMAND",
        "PAGER",
        "MANPAGER",
        "EDITOR",
        "VISUAL",
        "SUDO_EDITOR",
        "RSYNC_RSH",
        "CVS_RSH",
        "LESSOPEN",
        "LESSCLOSE",
        "FZF_DEFAULT_COMMAND",
    )
)
_PROGRAMS = frozenset(("GIT_SSH", "GIT_EXTERNAL_DIFF", "GIT_ASKPASS", "SSH_ASKPASS", "SUDO_ASKPASS"))
_NATIVE = frozenset(("LD_PRELOAD", "LD_AUDIT", "DYLD_INSERT_LIBRARIES"))
_OPTIONS = frozenset(("NODE_OPTIONS", "RUBYOPT", "PERL5OPT", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"))
_STARTUP = frozenset(("BASH_ENV", "ENV"))
# Proxies set by the input: everything the programs after it send (their credentials too) goes there.
_PROXIES = frozenset(
    ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "FTP_PROXY", "ftp_proxy")
)
RUNS_LATER = _COMMANDS | _PROGRAMS | _NATIVE | _OPTIONS | _STARTUP | _PROXIES

# Interpreter options that load a file or module before the program: option -> the interpreter.
_PRELOADS = {
    "--require": "node",
    "-r": "node",
    "--import": "node",
    "--loader": "node",
    "--experimental-loader": "node",
}


def runs_later(name: str, value: str | None, text: str, st: State) -> None:
    """Judge setting ``name`` (one of ``RUNS_LATER``) to ``value`` (None: computed at run time)."""
    from blastdoor.classify.shell._walk import walk_text  # (it imports this module)

    part = Part("shell", "shell:export", text, "kb:shell", st.cwd)
    if value is None:
        part.add("unknown", f"`{name}` set to a value computed at run time: a program runs what it says")
        st.parts.append(part)
        return
    if not value.strip():
        return  # set to nothing: nothing runs
    if name in _COMMANDS:
        if name in ("LESSOPEN", "LESSCLOSE"):
            value = value.lstrip("|").replace("%s", "file")
        walk_text(value, st.child())  # judged as if run now, as a function's body is
    elif name in _PROGRAMS:
        walk_text(shlex.quote(value), st.child())
    elif name in _NATIVE:
        part.add(
            "unknown", f"`{name}={value}` loads native code into the programs that start: blastdoor cannot read it"
        )
        part.target(st.path(value))
        st.parts.append(part)
    elif name in _OPTIONS:
        _options(name, value, part, st)
    elif name in _PROXIES:
        from blastdoor.classify.hosts import loopback, url_host

        host = url_host(value if "://" in value else f"http://{value}")
        if host is not None and not loopback(host):
            part.add("exfiltrate", f"`{name}={value}`: what the programs after it send goes through {host}")
            st.parts.append(part)
    else:
        part.add("persist", f"`{name}={value}`: every later non-interactive shell sources {value} first")
        part.target(st.path(value))
        st.parts.append(part)


def _options(name: str, value: str, part: Part, st: State) -> None:
    """``NODE_OPTIONS='--require ./x.js'``, ``RUBYOPT=-r./x``, ``JAVA_TOOL_OPTIONS=-javaagent:x.jar``."""
    from blastdoor.classify.shell._walk import walk_text

    try:
        words = shlex.split(value)
    except ValueError:
        part.add("unknown", f"`{name}` holds options blastdoor cannot split")
        st.parts.append(part)
        return
    for k, word in enumerate(words):
        opt, eq, attached = word.partition("=")
        loaded: str | None = None
        if name == "NODE_OPTIONS" and opt in _PRELOADS:
            loaded = attached if eq else (words[k + 1] if k + 1 < len(words) else None)
        elif name == "RUBYOPT" and word.startswith("-r") and len(word) > 2:
            loaded = word[2:]
        elif name == "PERL5OPT" and word.startswith(("-M", "-m", "-e", "-E")):
            part.add("unknown", f"`{name}={value}`: perl loads or runs that before every script")
        elif "JAVA" in name and word.startswith(("-javaagent:", "-agentpath:", "-agentlib:")):
            part.add("unknown", f"`{name}` loads a JVM agent into every Java program: {word}")
        if loaded and loaded.startswith((".", "/", "~")):
            walk_text(
                f"node {shlex.quote(loaded)}" if name == "NODE_OPTIONS" else f"ruby {shlex.quote(loaded)}", st.child()
            )
    if part.effects:
        st.parts.append(part)
