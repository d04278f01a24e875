"""What a statement does beyond the commands in it: a declaration that lists every variable
(``export -p``: the credentials among them), a function that starts itself over and over (a fork bomb).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blastdoor.classify.shell import _words
from blastdoor.classify.shell._state import Part

if TYPE_CHECKING:
    from tree_sitter import Node

    from blastdoor.classify.shell._state import State

__all__ = ["fork_bomb", "lists_variables"]


def lists_variables(node: Node, st: State) -> None:
    """``export``, ``export -p``, ``declare -x``: a listing of the variables, their values included."""
    keyword = node.children[0].type if node.children else ""
    operands = [c for c in node.named_children if c.type != "comment"]
    if keyword not in ("export", "declare", "typeset", "readonly") or any(
        c.type != "word" or not _words.text(c).startswith("-") for c in operands
    ):
        return
    from blastdoor.classify.shell._handlers import prints_environment  # (it imports this module)

    part = Part("shell", "shell:export", _words.text(node), "kb:shell", st.cwd)
    part.add("read", f"`{_words.text(node)}` lists the variables and their values")
    prints_environment(part, st)
    st.parts.append(part)


def fork_bomb(node: Node, st: State) -> None:
    """``:(){ :|:& };:``: a function that starts itself more than once per call, or in the background or
    a pipeline, multiplies processes until the machine can start no more (its body is walked as usual)."""
    name_node = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    if name_node is None or body is None:
        return
    name = _words.text(name_node)
    calls = 0
    spawned = False
    stack = [body]
    while stack:
        n = stack.pop()
        stack.extend(n.children)
        command = n.parent
        if n.type != "command_name" or _words.text(n) != name or command is None:
            continue
        calls += 1
        outer = command.parent if command.parent is not None and command.parent.type == "pipeline" else command
        after = outer.next_sibling
        spawned = spawned or outer is not command or (after is not None and after.type == "&")
    if calls >= 2 or (calls and spawned):
        how = "twice" if calls >= 2 else "in the background"
        part = Part("shell", "shell:function", _words.text(node)[:200], "kb:shell", st.cwd)
        why = f"`{name}` starts itself {how} on every call (a fork bomb): processes multiply until the host stops"
        part.add("kill", why)
        part.target("host:this machine")
        st.parts.append(part)
