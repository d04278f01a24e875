"""Walk a bash syntax tree and hand every simple command that can run to the argv classifier.

Everything that runs is visited: lists, pipelines, subshells, brace groups, ``$(...)``, backticks,
process substitution, function bodies (even if never called: conservative), if/for/while/case, and
redirections (a write to ``/dev/sda`` is an effect). Heredoc and here-string bodies become the stdin
of the command they feed, so an interpreter or a database CLI reading them is classified by content.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

import tree_sitter
import tree_sitter_bash

from blastdoor.classify.credentials import credential_variable
from blastdoor.classify.shell import _guard, _sends, _statements, _words
from blastdoor.classify.shell._chunks import SPLIT_FROM
from blastdoor.classify.shell._chunks import chunks as cut_pipeline
from blastdoor.classify.shell._envcode import RUNS_LATER, runs_later
from blastdoor.classify.shell._paths import has_content, path_effects
from blastdoor.classify.shell._state import DYNAMIC, Part, State, Stdin

if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Node

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))

# Redirect targets that are not files anyone cares about.
_HARMLESS_DEVICES = frozenset(
    ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/zero", "/dev/random")
)
_DISK_PREFIXES = (
    "/dev/sd",
    "/dev/hd",
    "/dev/vd",
    "/dev/xvd",
    "/dev/nvme",
    "/dev/disk",
    "/dev/mmcblk",
    "/dev/md",
    "/dev/dm-",
    "/dev/mapper/",
    "/dev/rdisk",
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
    "/dev/loop",
    "/dev/root",
)
_WRITE_OPS = frozenset((">", ">>", ">|", "&>", "&>>", "<>", ">&"))
_STATEMENT_SKIP = frozenset(("comment", "heredoc_body", "heredoc_start", "heredoc_end", "file_descriptor"))


_astral: Any = None


def parse(text: str) -> Node:
    """The syntax tree of ``text``.

    Characters beyond the Basic Multilingual Plane become U+FFFD first: tree-sitter-bash 0.25 (with
    tree-sitter 0.26) corrupts memory and segfaults, after some repeats, on inputs such as ``{`` followed
    by U+10FFFD (found by fuzzing). Bash's syntax is ASCII, so any non-ASCII character is an ordinary
    word character either way: the tree's shape is the same, only such characters read as U+FFFD in the
    classified words (the action's raw text keeps them).
    """
    global _astral
    if not text.isascii():
        if _astral is None:
            _astral = re.compile("[\U00010000-\U0010ffff]")
        text = _astral.sub("\ufffd", text)
    return _PARSER.parse(text.encode("utf-8", "surrogatepass")).root_node


def walk_text(text: str, st: State) -> None:
    """Classify every command of a shell text into ``st.parts``.

    A long pipeline is parsed in chunks of ``CHUNK_STAGES`` stages: tree-sitter-bash's parse of one
    pipeline grows with the square of its stages when they carry short options (`sort -u | sort -u
    ...`: 20,000 stages took seconds). Chunks keep the work linear; each chunk's first stage reads
    what the previous chunk's last stage writes, as in one pipeline.
    """
    chunks = cut_pipeline(text) if len(text) >= SPLIT_FROM else None
    if chunks is None:
        root = parse(text)
        _check_syntax(root, text, st)
        visit(root, st)
        return
    carry: Stdin | None = None
    for chunk in chunks:
        root = parse(chunk)
        _check_syntax(root, chunk, st)
        children = root.named_children
        for i, child in enumerate(children):
            stdin = carry if i == 0 else None
            if child.type == "pipeline":
                _pipeline(child, st, stdin)
            elif child.type == "command":
                _command(child, st, stdin, ())
            elif child.type == "redirected_statement":
                _redirected(child, st, stdin)
            else:
                visit(child, st)
        last = children[-1] if children else None
        if last is not None and last.type == "pipeline" and last.named_children:
            last = last.named_children[-1]
        carry = _producer(last, st) if last is not None else Stdin("dynamic")


def _check_syntax(root: Node, text: str, st: State) -> None:
    if root.has_error:
        from blastdoor.classify.shell._syntax import harmless_error

        # `ls |`, `echo "unterminated`, `for`: bash runs nothing of an incomplete command; the
        # complete commands around the error are still classified below.
        if not harmless_error(root, root.text or b""):
            st.unknown(text[:200], "the shell text does not parse: blastdoor cannot be sure what runs")


def visit(node: Node, st: State) -> None:
    t = node.type
    if t == "command":
        _command(node, st, None, ())
    elif t == "pipeline":
        _pipeline(node, st)
    elif t == "redirected_statement":
        _redirected(node, st)
    elif t == "variable_assignment":
        _assign(node, st, export=True)
    elif t in ("declaration_command", "unset_command"):
        _guard_names(node, st)
        _statements.lists_variables(node, st)
        for child in node.named_children:
            if child.type == "variable_assignment":
                _assign(child, st, export=True)
            else:
                _substitutions(child, st)
    elif t == "subshell" or t in ("command_substitution", "process_substitution"):
        sub = st.child(depth=0)
        for child in node.named_children:
            visit(child, sub)
    elif t in _STATEMENT_SKIP:
        return
    elif t in ("word", "string", "raw_string", "concatenation", "simple_expansion", "expansion", "number"):
        _substitutions(node, st)
    elif t in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
        _redirect(node, st)
    elif t == "function_definition":
        _statements.fork_bomb(node, st)
        for child in node.named_children:
            visit(child, st)
    else:
        for child in node.named_children:
            visit(child, st)


def _split_word(node: Node, st: State) -> list[str | None]:
    # bash sets IFS itself at start: only an IFS this input set counts
    return _words.split(node, st.lookup, st.ctx.home, st.env.get("IFS", " \t\n"))


def _assign(node: Node, st: State, *, export: bool) -> tuple[str, str | None] | None:
    name_node = node.child_by_field_name("name")
    value_node = node.child_by_field_name("value")
    before = len(st.parts)
    if value_node is not None:
        _substitutions(value_node, st)
    if name_node is None:
        return None
    name = _words.text(name_node)
    carries = _sends.carried(st.parts[before:]) if value_node is not None else None
    value = "" if value_node is None else _words.word(value_node, st.lookup, st.ctx.home)
    if name.startswith(_guard.PREFIX):
        _guard.changed(st, [name], _words.text(node))
    if name in RUNS_LATER:
        runs_later(name, value, _words.text(node), st)
    if export:
        st.env[name] = value
        if value_node is not None and any(_credential(n, st) for n in _words.expanded_names(value_node)):
            st.credentials.add(name)
        else:
            st.credentials.discard(name)
        if carries is not None:
            st.carriers[name] = carries
        else:
            st.carriers.pop(name, None)
    return name, value


def _credential(name: str, st: State) -> bool:
    return name in st.credentials or credential_variable(name)


# Commands that print their arguments: expanding a credential there puts it in the agent's context.
_PRINTS_ARGS = frozenset(("shell:echo", "shell:printf", "shell:print"))


def _prints_credential(node: Node, parts: list[Part], st: State) -> None:
    """``echo $GITHUB_TOKEN``: the same secrets read as ``printenv GITHUB_TOKEN``, by another spelling."""
    printers = [p for p in parts if p.op in _PRINTS_ARGS]
    if not printers or b"$" not in (node.text or b""):
        return
    names = [n for n in _words.expanded_names(node) if _credential(n, st)]
    if names:
        for part in printers:
            part.add("secrets", f"`{part.op[6:]}` prints ${names[0]}, a variable that holds a credential")


def _guard_names(node: Node, st: State) -> None:
    """``export``/``declare``/``unset`` of a ``BLASTDOOR_*`` name without a value (``_assign`` does the rest)."""
    named = [_words.text(c) for c in node.named_children if c.type in ("variable_name", "word")]
    names = _guard.guard_names(named)
    if names:
        how = "unsets" if node.type == "unset_command" else "exports"
        _guard.changed(st, names, _words.text(node), how)


def _substitutions(node: Node, st: State) -> None:
    """Visit the commands hidden inside an argument: ``$(...)``, backticks, ``<(...)``."""
    if node.type in ("command_substitution", "process_substitution"):
        visit(node, st)
        return
    if node.child_count == 0:
        return
    for child in node.children:
        ct = child.type
        if ct in ("command_substitution", "process_substitution"):
            visit(child, st)
        elif child.child_count:
            _substitutions(child, st)


def _pipeline(node: Node, st: State, first: Stdin | None = None) -> None:
    previous: Node | None = None
    for child in node.named_children:
        stdin = _producer(previous, st) if previous is not None else first
        if child.type == "command":
            _command(child, st, stdin, ())
        elif child.type == "redirected_statement":
            _redirected(child, st, stdin)
        else:
            visit(child, st)
        previous = child


def _producer(node: Node, st: State) -> Stdin:
    """What a pipeline stage writes to the next one, when that is knowable without running it."""
    heredoc = None
    extra: list[str | None] = []
    if node.type == "redirected_statement":
        for r in node.children_by_field_name("redirect"):
            heredoc = _heredoc_text(r, st) if r.type in ("heredoc_redirect", "herestring_redirect") else heredoc
            extra.extend(_redirect_args(r, st, visit=False))
        body = node.child_by_field_name("body")
        if body is None:
            return Stdin("dynamic")
        node = body
    if node.type != "command":
        return Stdin("dynamic")
    words = _argv(node, st) + extra
    if not words or words[0] is None:
        return Stdin("dynamic")
    name = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if name in ("echo", "printf") and None not in args:
        plain = [a for a in args if a is not None and not (name == "echo" and a in ("-n", "-e", "-E"))]
        if name == "printf" and plain:
            fmt, rest = plain[0], plain[1:]
            text = fmt.replace("%s", rest[0]) if rest and fmt.count("%") == 1 else " ".join(plain)
            return Stdin("text", _words.decode_ansi(text))
        return Stdin("text", " ".join(plain))
    if name == "cat" and heredoc is not None and not args:
        return Stdin("text", heredoc)
    if name == "cat" and len(args) == 1 and args[0] is not None:
        return Stdin("file", path=st.path(args[0]))
    if name in ("curl", "wget", "fetch", "http", "https", "xh", "aria2c", "nc", "ncat", "socat"):
        return Stdin("network")
    return Stdin("dynamic")


def _heredoc_text(node: Node, st: State) -> str | None:
    if node.type == "herestring_redirect":
        for child in node.named_children:
            value = _words.word(child, st.lookup, st.ctx.home)
            return None if value is None else value + "\n"
        return None
    body = None
    strip_tabs = False
    start = end = -1
    for child in node.children:
        ct = child.type
        if ct == "heredoc_body":
            body = _words.text(child)
        elif ct == "<<-":
            strip_tabs = True
        elif ct == "heredoc_start":
            start = child.end_byte
        elif ct == "heredoc_end":
            end = child.start_byte
    if not body and start >= 0 and end > start:
        # tree-sitter sometimes parses a body line as arguments: take the raw lines instead.
        raw = node.text or b""
        base = node.start_byte
        nl = raw.find(b"\n", start - base)
        if 0 <= nl < end - base:
            body = raw[nl + 1 : end - base].decode("utf-8", "replace")
    if body is None:
        return ""
    if strip_tabs:
        body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
    return body


def _redirected(node: Node, st: State, stdin: Stdin | None = None) -> None:
    body = node.child_by_field_name("body")
    heredoc_stdin = stdin
    consumers: list[Node] = []
    redirects: list[Node] = []
    heredoc_args: list[str | None] = []
    for r in node.children_by_field_name("redirect"):
        if r.type in ("heredoc_redirect", "herestring_redirect"):
            text = _heredoc_text(r, st)
            heredoc_stdin = Stdin("text", text) if text is not None else Stdin("dynamic")
            heredoc_args.extend(_redirect_args(r, st, visit=False))
            redirects.extend(_nested_redirects(r))
            # `cat <<EOF | sh`: the pipeline after the heredoc start consumes the fed command's output.
            consumers.extend(c for c in r.named_children if c.type in ("pipeline", "command", "list"))
            _substitutions(r, st)  # an unquoted heredoc body expands $(...)
        else:
            redirects.append(r)
    # `> file`, `: > file`: a redirection with nothing (or nothing but `:`/`true`) to write empties it
    empties = body is None or (body.type == "command" and _words.text(body).strip() in (":", "true"))
    if body is not None:
        if body.type == "command":
            # (an emptying redirection is judged below, as such, not as the command's own)
            _command(body, st, heredoc_stdin, [] if empties else redirects, heredoc_args)
            redirects = redirects if empties else []
        else:
            visit(body, st)
    for r in redirects:
        _redirect(r, st, empties=empties)
    for consumer in consumers:
        stages = consumer.named_children if consumer.type == "pipeline" else [consumer]
        fed = _producer_from(body, heredoc_stdin, st) if body is not None else Stdin("dynamic")
        previous: Node | None = None
        for stage in stages:
            stdin_now = fed if previous is None else _producer(previous, st)
            if stage.type == "command":
                _command(stage, st, stdin_now, ())
            elif stage.type == "redirected_statement":
                _redirected(stage, st, stdin_now)
            else:
                visit(stage, st)
            previous = stage


def _producer_from(body: Node, fed: Stdin | None, st: State) -> Stdin:
    words = _argv(body, st) if body.type == "command" else []
    if words and words[0] is not None and words[0].rsplit("/", 1)[-1] in ("cat", "tee") and fed is not None:
        return fed
    return Stdin("dynamic")


def _argv(node: Node, st: State) -> list[str | None]:
    words: list[str | None] = []
    for child in node.named_children:
        ct = child.type
        if ct == "command_name":
            inner = child.named_children
            words.append(_words.word(inner[0], st.lookup, st.ctx.home) if inner else None)
        elif (
            ct in ("variable_assignment", "file_redirect", "heredoc_redirect", "herestring_redirect") or ct == "comment"
        ):
            continue
        else:
            words.append(_words.word(child, st.lookup, st.ctx.home))
    return words


def _command(
    node: Node,
    st: State,
    stdin: Stdin | None,
    redirects: tuple[Node, ...] | list[Node],
    extra: list[str | None] | None = None,
) -> None:
    assigns: dict[str, str | None] = {}
    words: list[str | None] = []
    own_redirects: list[Node] = list(redirects)
    sent: list[tuple[Node, str | None]] = []  # each argument, and the local data it carries (_sends)
    for child in node.named_children:
        ct = child.type
        if ct == "variable_assignment":
            pair = _assign(child, st, export=False)
            if pair is not None:
                assigns[pair[0]] = pair[1]
        elif ct == "command_name":
            inner = child.named_children
            if inner:
                _substitutions(child, st)
                words.extend(_split_word(inner[0], st))
            else:
                words.append(None)
        elif ct in ("file_redirect",):
            own_redirects.append(child)
            words.extend(_redirect_args(child, st))
        elif ct in ("heredoc_redirect", "herestring_redirect"):
            text = _heredoc_text(child, st)
            stdin = Stdin("text", text) if text is not None else Stdin("dynamic")
            _substitutions(child, st)
            words.extend(_redirect_args(child, st, visit=False))
            for nested in _nested_redirects(child):
                own_redirects.append(nested)
                words.extend(_redirect_args(nested, st, visit=False))
        elif ct == "comment":
            continue
        else:
            before = len(st.parts)
            _substitutions(child, st)
            sent.append((child, _sends.carrier_of(child, st.parts[before:], st)))
            words.extend(_split_word(child, st))
    for r in redirects:
        # `rm >/dev/null -rf /`: tree-sitter hangs the words after a redirection's target on the
        # redirection; bash passes them to the command (a redirection may stand anywhere).
        words.extend(_redirect_args(r, st))
    if extra:
        words.extend(extra)  # `rm <<EOF -rf /`: the words after a heredoc's delimiter
    if stdin is None:
        for r in own_redirects:  # `psql < drop.sql`, `sh < x.sh`: the program reads that file (last wins)
            stdin = _stdin_file(r, st) or stdin
    if not words:
        # Only assignments: they stay in effect for the rest of this input.
        st.env.update(assigns)
    else:
        start = len(st.parts)
        _run_argv()(words, st, stdin, assigns)
        _prints_credential(node, st.parts[start:], st)
        _sends.judge_sent(sent, st.parts[start:])
    for r in own_redirects:
        _redirect(r, st)


@cache
def _run_argv() -> Callable[[list[str | None], State, Stdin | None, dict[str, str | None]], None]:
    # _argv loads the knowledge base: imported on the first command, then kept (an import statement
    # per simple command costs about a microsecond).
    from blastdoor.classify.shell._argv import run_argv

    return run_argv


def _redirect_args(node: Node, st: State, *, visit: bool = True) -> list[str | None]:
    """The command's own arguments that follow a redirection's target (``> /dev/null -rf /``); their
    ``$(...)`` are classified unless ``visit`` is false (a second look at a command already walked)."""
    if node.type == "heredoc_redirect":
        # `rm <<EOF -rf /`: the words between the delimiter and the end of the line are arguments
        out_h: list[str | None] = []
        started = False
        raw = node.text or b""
        line_end = -1
        for child in node.named_children:
            ct = child.type
            if ct == "heredoc_start":
                started = True
                nl = raw.find(b"\n", child.end_byte - node.start_byte)
                line_end = node.start_byte + nl if nl >= 0 else node.end_byte
                continue
            if started and child.end_byte > line_end:
                break  # a body line tree-sitter took for words (see _heredoc_text): not arguments
            if not started or ct == "file_redirect":
                continue  # a redirection on the heredoc's line: see _nested_redirects
            if ct in ("heredoc_body", "heredoc_end", "pipeline", "command", "list", "ERROR"):
                break
            if visit:
                _substitutions(child, st)
            out_h.append(_words.word(child, st.lookup, st.ctx.home))
        return out_h
    if node.type != "file_redirect":
        return []
    out: list[str | None] = []
    seen_dest = False
    for child in node.named_children:
        if child.type == "file_descriptor":
            continue
        if not seen_dest:
            seen_dest = True
            continue
        if visit:
            _substitutions(child, st)
        out.append(_words.word(child, st.lookup, st.ctx.home))
    return out


def _nested_redirects(node: Node) -> list[Node]:
    """``cat <<EOF > ~/.bashrc``: tree-sitter puts a redirection that follows a heredoc's delimiter
    inside the heredoc redirect; it redirects the command all the same."""
    return [c for c in node.named_children if c.type == "file_redirect"]


def _stdin_file(node: Node, st: State) -> Stdin | None:
    """The file an input redirection (``< path``, ``0< path``) gives the command, else None."""
    if node.type != "file_redirect":
        return None
    op = ""
    dest: Node | None = None
    fd: bytes | None = None
    for child in node.children:
        if not child.is_named:
            op = child.type
        elif child.type == "file_descriptor":
            fd = child.text
        elif dest is None:
            dest = child
    if op != "<" or dest is None or fd not in (None, b"0"):
        return None
    value = _words.word(dest, st.lookup, st.ctx.home)
    return Stdin("file", path=st.path(value)) if value is not None else Stdin("dynamic")


def _redirect(node: Node, st: State, *, empties: bool = False) -> None:
    op = ""
    dest: Node | None = None
    for child in node.children:
        if not child.is_named:
            op = child.type
        elif child.type != "file_descriptor" and dest is None:
            dest = child
    if node.type != "file_redirect" or dest is None:
        _substitutions(node, st)
        return
    _substitutions(dest, st)
    value = _words.word(dest, st.lookup, st.ctx.home)
    if op in (">&", "<&") and value is not None and (value.isdigit() or value == "-"):
        return  # fd duplication: 2>&1
    write = op in _WRITE_OPS
    path = st.path(value)
    if path in _HARMLESS_DEVICES or path.startswith("/dev/fd/"):
        return
    text = f"{op} {value if value is not None else '?'}"
    part = Part("shell", "shell:redirect", text, "kb:shell", st.cwd)
    part.target(path)
    if path == DYNAMIC:
        part.add("write" if write else "read", "redirection to a file named at run time")
        if write:
            part.add("unknown", "redirection target computed at run time")
    elif write and path.startswith(_DISK_PREFIXES):
        part.add("wipe", f"writing straight to the device {path} destroys the disk's contents")
        part.add("irreversible", "raw device writes cannot be undone")
    elif write:
        part.add("write", f"redirection writes to {path}")
        path_effects(part, path, "write", st)
        if empties and op in (">", ">|", "&>") and has_content(path):
            part.add("delete", f"`{op} {value}` with nothing written empties {path}: its content is gone")
    else:
        part.add("read", f"redirection reads {path}")
        path_effects(part, path, "read", st)
    if write and path != DYNAMIC:
        st.written.add(path)
    st.parts.append(part)
