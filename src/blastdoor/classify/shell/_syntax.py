"""Syntax errors that cannot hide a command: ``ls |``, ``echo "unterminated``, ``for``, ``if true; then``.

Bash reads a whole command before it runs any of it, so an incomplete or invalid command runs nothing
(``bash -c 'ls |'``: a syntax error, no ``ls``). tree-sitter recovers a tree around the error; every
complete command in it is still classified. The error itself is harmless when nothing in it could be a
command bash would run: keywords and operators (``for``, ``|``, ``&&``, ``)``), a missing token, a
number, or an unterminated quote that runs to the end of the text (whatever follows the quote is string
text to bash too, since no closing quote exists). Anything else in an error (a bare word, an expansion,
a heredoc that tree-sitter could not place) keeps the input ``unknown``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["harmless_error"]

# Named nodes inside an error that the walker classifies as commands (so they are judged anyway).
_STATEMENTS = frozenset(
    (
        "command",
        "pipeline",
        "list",
        "redirected_statement",
        "subshell",
        "compound_statement",
        "if_statement",
        "elif_clause",
        "else_clause",
        "for_statement",
        "c_style_for_statement",
        "while_statement",
        "case_statement",
        "function_definition",
        "negated_command",
        "test_command",
        "variable_assignment",
        "declaration_command",
        "command_substitution",
        "process_substitution",
        "comment",
    )
)
_QUOTES = ("'", '"', "`")


def _unterminated_quote(node: Node, data: bytes) -> bool:
    """``node`` starts an unterminated quote: it reaches the end and no closing quote follows."""
    start = node.start_byte
    if node.end_byte < len(data.rstrip()):
        return False
    # The quote character that opens it: the node's own first byte, or the token just before it.
    text = data[start:]
    if text[:1].decode("ascii", "replace") in _QUOTES:
        quote = text[:1]
        return quote not in text[1:]
    prev = node.prev_sibling
    if prev is not None and not prev.is_named and prev.type in _QUOTES:
        return prev.type.encode() not in data[prev.end_byte :]
    return False


def _error_is_harmless(node: Node, data: bytes) -> bool:
    for child in node.children:
        if child.is_missing:
            continue
        if not child.is_named:
            continue  # keywords and operators: `for`, `then`, `|`, `)`, `$((`
        t = child.type
        if t in _STATEMENTS or t == "number":
            if child.has_error and not harmless_error(child, data):
                return False
            continue
        if t == "ERROR":
            if child.child_count == 0:
                if not _unterminated_quote(child, data):
                    return False
                continue
            if not _error_is_harmless(child, data):
                return False
            continue
        if t == "string_content" and _unterminated_quote(child, data):
            continue
        return False
    return True


def harmless_error(root: Node, data: bytes) -> bool:
    """Whether every syntax error under ``root`` (the tree of ``data``) is one that runs nothing."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            parent = node.parent
            if parent is not None and parent.type in ("heredoc_redirect", "herestring_redirect"):
                return False  # tree-sitter lost its way on the heredoc's line, where commands can follow
            if not _error_is_harmless(node, data):
                return False
            continue  # its statements were checked to be statements; the walker classifies them
        if node.has_error:
            stack.extend(node.children)
    return True
