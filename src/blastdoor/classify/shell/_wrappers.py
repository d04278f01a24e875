"""Runners whose argument rules data cannot say: the command they run is classified, never the runner.

Each wrapper handler takes the words of the whole command (``words[0]`` is the runner) and returns the
argv it runs (the caller classifies it, adding the wrapper's effects), or None when it handled the line
itself (text run by a shell, a runner that runs nothing). Written from the tools' manuals: GNU xargs
and env (coreutils), flock, script, runuser, setpriv, unshare, nsenter (util-linux), BusyBox/Toybox,
GNU parallel, systemd-run, aws-vault. Command handlers at the end run what ``uv run``, ``poetry run``
and ``npx`` of local code run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.classify.shell._argv import assign, quote, run_argv
from blastdoor.classify.shell._state import Part, State, Stdin
from blastdoor.classify.shell._walk import walk_text

if TYPE_CHECKING:
    from collections.abc import Callable

    Wrapper = Callable[
        [dict[str, Any], str, list[str | None], State, Stdin | None, dict[str, str | None], dict[str, str]],
        list[str | None] | None,
    ]


def _part(w: dict[str, Any], name: str, words: list[str | None], st: State, effect: str, why: str) -> None:
    part = Part("shell", f"shell:{name}", " ".join(quote(x) for x in words), w.get("source", "kb:shell"), st.cwd)
    part.add(effect, why)
    st.parts.append(part)


def shell_text(text: str | None, name: str, st: State) -> None:
    """Shell text a runner hands to ``sh -c``."""
    if text is None:
        st.unknown(f"{name} ?", f"`{name}` runs a command computed at run time")
    elif st.depth >= 8:
        st.unknown(name, "nested commands too deep")
    else:
        walk_text(text, st.child())


def options(
    words: list[str | None],
    start: int,
    value: frozenset[str],
    optional: frozenset[str] = frozenset(),
    *,
    stop_at_positional: bool = True,
) -> tuple[int, list[tuple[str, str | None]]]:
    """GNU getopt for one runner: (index of the first non-option word, [(option, value)]).

    ``value`` options take the rest of a short cluster or the next word (``-w 5``, ``-w5``, ``--wait=5``,
    ``--wait 5``); ``optional`` ones take only an attached value (``-i{}``, ``--replace=X``).
    """
    opts: list[tuple[str, str | None]] = []
    i, n = start, len(words)
    while i < n:
        a = words[i]
        if a is None or a == "-" or not a.startswith("-"):
            if stop_at_positional:
                break
            i += 1
            continue
        if a == "--":
            i += 1
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            if eq:
                opts.append((name, val))
                i += 1
            elif name in value:
                opts.append((name, words[i + 1] if i + 1 < n else None))
                i += 2
            else:
                opts.append((name, None))
                i += 1
            continue
        j = 1
        i += 1
        while j < len(a):
            flag = "-" + a[j]
            rest = a[j + 1 :]
            if flag in value:
                if rest:
                    opts.append((flag, rest))
                else:
                    opts.append((flag, words[i] if i < n else None))
                    i += 1
                break
            if flag in optional:
                opts.append((flag, rest or None))
                break
            opts.append((flag, None))
            j += 1
    return i, opts


# -- wrappers ------------------------------------------------------------------------------------------


def multicall(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """BusyBox and Toybox: ``busybox APPLET ARGS`` runs the applet (``busybox sh -c ...`` a shell)."""
    rest = words[1:]
    if not rest or rest[0] in ("--list", "--list-full", "--help", "-h", "--version"):
        _part(w, name, words, st, "read", f"`{name}` lists its applets")
        return None
    if rest[0] == "--install":
        _part(w, name, words, st, "write", f"`{name} --install` creates a link per applet")
        return None
    return rest


_XARGS_VALUE = frozenset(
    (
        "-I",
        "-E",
        "-L",
        "-n",
        "-P",
        "-s",
        "-d",
        "-a",
        "--arg-file",
        "--delimiter",
        "--max-args",
        "--max-procs",
        "--max-chars",
        "--process-slot-var",
    )
)
_XARGS_OPTIONAL = frozenset(("-i", "-e", "-l"))


def xargs(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """GNU/BSD xargs: every option form (``-I{}``, ``-I {}``, ``-i``, ``--replace[=R]``, ``-n1``, ``-0``...).

    The command (``echo`` by default) gets arguments read from stdin: with a replace string, each word
    holding it is computed; otherwise computed arguments are appended.
    """
    i, opts = options(words, 1, _XARGS_VALUE, _XARGS_OPTIONAL)
    replace: str | None = None
    for opt, val in opts:
        if opt in ("-I",):
            replace = val if val is not None else "{}"
        elif opt in ("-i", "--replace"):
            replace = val or "{}"
    inner = words[i:] or ["echo"]
    if replace:
        return _filled(inner, replace)
    return [*inner, None]


COMPUTED_WORD = "${__blastdoor_computed_argument}"  # in shell text: a value the walker sees as computed


def _filled(words: list[str | None], placeholder: str) -> list[str | None]:
    """Words with ``placeholder`` replaced by arguments read at run time: a word holding it is computed;
    inside shell text (the word after ``-c``) only the placeholder is."""
    out: list[str | None] = []
    for k, x in enumerate(words):
        if x is None or placeholder not in x:
            out.append(x)
        elif k and words[k - 1] == "-c":
            out.append(x.replace(placeholder, COMPUTED_WORD))
        else:
            out.append(None)
    return out


def env(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """GNU env: ``-i``, ``-u NAME``, ``-C DIR``, ``-S 'cmd args'`` (also attached), ``NAME=value``, ``--``."""
    value = frozenset(("-u", "--unset", "-C", "--chdir", "-S", "--split-string", "-a", "--argv0"))
    optional: frozenset[str] = frozenset()
    i, n = 1, len(words)
    while i < n:
        a = words[i]
        if a is None:
            break
        if a.startswith("-") and a not in ("-", "--"):
            j, opts = options(words, i, value, optional)
            for opt, val in opts:
                if opt in ("-C", "--chdir"):
                    st.cwd = st.path(val) if val else None
                elif opt in ("-S", "--split-string"):
                    if val is None:
                        st.unknown("env -S ?", "`env -S` runs a command computed at run time")
                        return None
                    rest = " ".join(quote(x) for x in words[j:])
                    shell_text(val + (" " + rest if rest else ""), "env -S", st)
                    return None
            i = j
            continue
        if a == "--":
            i += 1
            break
        if a == "-":  # -i
            i += 1
            continue
        if "=" in a and not a.startswith("="):
            assign(a, st, assigns)
            i += 1
            continue
        break
    inner = words[i:]
    if not inner:
        _part(w, name, words, st, "read", "prints the environment")
        from blastdoor.classify.shell._handlers import prints_environment  # (it imports this module)

        prints_environment(st.parts[-1], st)
        return None
    return inner


def flock(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """util-linux flock: ``flock [opts] FILE CMD ARGS``, ``flock [opts] FILE -c TEXT``, ``flock FD``."""
    value = frozenset(("-w", "--wait", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"))
    i, opts = options(words, 1, value)
    for opt, val in opts:
        if opt in ("-c", "--command"):
            shell_text(val, "flock -c", st)
            return None
    if i >= len(words):
        _part(w, name, words, st, "read", "`flock` without a command only takes a lock")
        return None
    i += 1  # the lock file or descriptor
    j, opts = options(words, i, value)
    for opt, val in opts:
        if opt in ("-c", "--command"):
            shell_text(val, "flock -c", st)
            return None
    inner = words[j:]
    if not inner:
        _part(w, name, words, st, "read", "`flock FD` only takes a lock")
        return None
    return inner


def script(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """util-linux script: ``script [opts] [FILE]`` records a shell; ``-c TEXT`` runs TEXT instead."""
    value = frozenset(
        (
            "-c",
            "--command",
            "-E",
            "--echo",
            "-I",
            "--log-in",
            "-O",
            "--log-out",
            "-B",
            "--log-io",
            "-T",
            "--log-timing",
            "-m",
            "--logging-format",
            "-o",
            "--output-limit",
        )
    )
    _end, opts = options(words, 1, value, frozenset(("-t", "--timing")), stop_at_positional=False)
    files = [x for x in words[1:] if x is not None and not x.startswith("-")]
    ran = False
    for opt, val in opts:
        if opt in ("-c", "--command"):
            shell_text(val, "script -c", st)
            ran = True
    log = [v for o, v in opts if o in ("-I", "-O", "-B", "-T", "--log-in", "--log-out", "--log-io", "--log-timing")]
    targets = [*log, *(f for f in files if f not in {v for _, v in opts})] or ["typescript"]
    part = Part("shell", "shell:script", " ".join(quote(x) for x in words), w.get("source", "kb:shell"), st.cwd)
    for t in targets:
        if t != "/dev/null":
            part.target(st.path(t))
            part.add("write", f"`script` writes the session log {t}")
    if not ran:
        part.add("unknown", "`script` without -c opens an interactive shell")
    if part.effects:
        st.parts.append(part)
    return None


def runuser(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """util-linux runuser (and sg): ``runuser -u USER [--] CMD`` or su-style ``runuser [-l] USER -c TEXT``."""
    adds.setdefault("privilege", f"`{name}` runs the command as another user")
    value = frozenset(
        (
            "-u",
            "--user",
            "-g",
            "--group",
            "-G",
            "--supp-group",
            "-s",
            "--shell",
            "-c",
            "--command",
            "-w",
            "--whitelist-environment",
            "--session-command",
        )
    )
    i, opts = options(words, 1, value)
    user_form = any(o in ("-u", "--user") for o, _ in opts)
    for opt, val in opts:
        if opt in ("-c", "--command", "--session-command"):
            shell_text(val, f"{name} -c", st)
            return None
    if user_form:
        inner = words[i:]
        if not inner:
            _part(w, name, words, st, "privilege", f"`{name}` opens a shell as another user")
            return None
        return inner
    # su-style: USER, then more options (-c) or the shell's own arguments
    rest = words[i + 1 :] if i < len(words) else []
    if name == "sg" and rest:
        j, opts2 = options(words, i + 1, value)
        for opt, val in opts2:
            if opt in ("-c", "--command"):
                shell_text(val, "sg -c", st)
                return None
        return words[j:] or None
    j, opts2 = options(words, i + 1, value)
    for opt, val in opts2:
        if opt in ("-c", "--command", "--session-command"):
            shell_text(val, f"{name} -c", st)
            return None
    _part(w, name, words, st, "privilege", f"`{name}` opens a shell as another user")
    return None


def parallel(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """GNU parallel: ``parallel [opts] CMD ::: ARGS`` (CMD with ``{}`` filled in) or, with no CMD, every
    argument after ``:::`` is a command; ``::::`` and stdin give arguments blastdoor cannot see."""
    seps = (":::", "::::", ":::+", "::::+")
    value = frozenset(w.get("value", ()))
    i, _opts = options(words, 1, value)
    template: list[str | None] = []
    while i < len(words) and words[i] not in seps:
        template.append(words[i])
        i += 1
    groups: list[tuple[str, list[str | None]]] = []
    while i < len(words):
        sep = str(words[i])
        i += 1
        args: list[str | None] = []
        while i < len(words) and words[i] not in seps:
            args.append(words[i])
            i += 1
        groups.append((sep, args))
    if not template:
        if not groups:
            st.unknown(" ".join(quote(x) for x in words), "`parallel` runs commands read from stdin")
            return None
        for sep, args in groups:
            if sep.startswith("::::"):
                st.unknown(" ".join(quote(x) for x in words), "`parallel` runs commands read from a file")
                continue
            for cmd in args:
                shell_text(cmd, "parallel", st)
        return None
    if len(template) == 1 and template[0] is not None and " " in template[0]:
        text = template[0]
        literal = [a for _, g in groups for a in g]
        if groups and all(s in (":::", ":::+") for s, _ in groups) and None not in literal and "{" in text:
            for a in literal:
                assert a is not None
                shell_text(text.replace("{}", quote(a)), "parallel", st)
            return None
        shell_text(text, "parallel", st)
        return None
    literal = [a for _, g in groups for a in g]
    placeholder = any(x is not None and "{" in x for x in template[1:])
    if groups and all(s == ":::" for s, _ in groups) and None not in literal and len(groups) == 1:
        # one literal argument list: one command per argument, `{}` filled in or the argument appended
        for a in groups[0][1][:64]:
            assert a is not None
            argv = [x.replace("{}", a) if x is not None else None for x in template]
            run_argv(argv if placeholder else [*argv, a], st.child(), None, dict(assigns))
        return None
    filled = (
        _filled(template, "{}")
        if not any(x is not None and "{" in x and "{}" not in x for x in template)
        else [None if (x is not None and "{" in x) else x for x in template]
    )
    if not placeholder:
        filled.append(None)  # the arguments are appended
    return filled


_SYSTEMD_RUN_VALUE = frozenset(
    (
        "-u",
        "--unit",
        "-p",
        "--property",
        "--description",
        "--slice",
        "-E",
        "--setenv",
        "--uid",
        "--gid",
        "-M",
        "--machine",
        "-H",
        "--host",
        "--nice",
        "--working-directory",
        "-d",
        "--on-active",
        "--on-boot",
        "--on-startup",
        "--on-unit-active",
        "--on-unit-inactive",
        "--on-calendar",
        "--on-clock-change",
        "--on-timezone-change",
        "--path-property",
        "--socket-property",
        "--timer-property",
        "--service-type",
        "--expand-environment",
        "--shell",
    )
)


def systemd_run(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """systemd-run: the command runs as a transient unit (as root unless ``--user``); timers persist."""
    i, opts = options(words, 1, _SYSTEMD_RUN_VALUE)
    names = {o for o, _ in opts}
    if names & {"-H", "--host", "-M", "--machine"}:
        st.unknown(" ".join(quote(x) for x in words), "`systemd-run` on another machine or container")
        return None
    if any(o.startswith("--on-") or o == "--timer-property" for o in names):
        adds.setdefault("persist", "`systemd-run --on-...` schedules the command to run later")
    else:
        adds.setdefault("persist", "`systemd-run` starts a transient unit that may outlive the session")
    if "--user" not in names:
        adds.setdefault("privilege", "`systemd-run` runs the command as a system service (root)")
    inner = words[i:]
    if not inner:
        _part(w, name, words, st, "read", "`systemd-run` without a command")
        return None
    return inner


def aws_vault(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """``aws-vault exec PROFILE [--] CMD``: CMD runs with PROFILE's credentials (its environment)."""
    sub_at = next((k for k, x in enumerate(words[1:], 1) if x is None or not x.startswith("-")), len(words))
    sub = words[sub_at] if sub_at < len(words) else None
    if sub != "exec":
        effect = "read" if sub in ("list", "ls", "--help", "--version", None) else "secrets"
        _part(
            w,
            name,
            words,
            st,
            effect,
            f"`aws-vault {sub}` {'lists profiles' if effect == 'read' else 'handles credentials'}",
        )
        return None
    value = frozenset(
        ("-d", "--duration", "-t", "--mfa-token", "-j", "--json", "--region", "--prompt", "--backend", "--stdout")
    )
    i, _opts = options(words, sub_at + 1, value)
    if i >= len(words):
        _part(w, name, words, st, "secrets", "`aws-vault exec` without a profile")
        return None
    profile = words[i]
    assigns["AWS_PROFILE"] = profile
    assigns["AWS_VAULT"] = profile
    adds.setdefault("secrets", f"`aws-vault exec` hands {profile or 'a profile'}'s credentials to the command")
    rest = words[i + 1 :]
    if rest and rest[0] == "--":
        rest = rest[1:]
    if not rest:
        _part(w, name, words, st, "secrets", "`aws-vault exec` opens a shell with the profile's credentials")
        return None
    return rest


def nix_shell(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """``nix-shell --run TEXT`` / ``--command TEXT``: TEXT runs in a shell."""
    for k, x in enumerate(words):
        if x in ("--run", "--command") and k + 1 < len(words):
            shell_text(words[k + 1], name, st)
            return None
    _part(w, name, words, st, "write", "`nix-shell` builds an environment and opens a shell")
    return None


def watch(
    w: dict[str, Any],
    name: str,
    words: list[str | None],
    st: State,
    stdin: Stdin | None,
    assigns: dict[str, str | None],
    adds: dict[str, str],
) -> list[str | None] | None:
    """procps watch: the words are joined and run by ``sh -c`` (quoting is lost, as in watch), or run as
    an argv with ``-x``/``--exec``."""
    value = frozenset(("-n", "--interval", "-q", "--equexit"))
    i, opts = options(words, 1, value)
    rest = words[i:]
    if not rest:
        _part(w, name, words, st, "read", "`watch` without a command runs nothing")
        return None
    if any(o in ("-x", "--exec") for o, _ in opts):
        return rest
    if None in rest:
        st.unknown(" ".join(quote(x) for x in words), "`watch` of text computed at run time")
        return None
    shell_text(" ".join(x for x in rest if x is not None), "watch", st)
    return None


WRAPPER_HANDLERS: dict[str, Wrapper] = {
    "watch": watch,
    "multicall": multicall,
    "xargs": xargs,
    "env": env,
    "flock": flock,
    "script": script,
    "runuser": runuser,
    "parallel": parallel,
    "systemd_run": systemd_run,
    "aws_vault": aws_vault,
    "nix_shell": nix_shell,
}
