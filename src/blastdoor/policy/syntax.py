"""text -> document: parse policy YAML keeping the node tree, so any path maps back to a position.

The JSON Schema validator reports paths (``rules/3/match/efects``); :meth:`Document.where` walks the
YAML node tree along such a path to ``file:line:column``, so that a typo points at the character where
it is. Positions are looked up only when asked for (an error to report, a rule's line): recording one
for every node of a 100,000-rule file cost as much as parsing it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from blastdoor.errors import Location, PolicyError

Path = tuple[str | int, ...]

try:  # the C loader is ten times faster; positions work the same
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_IMPLICIT_FIRST = frozenset(_Loader.yaml_implicit_resolvers)


class _PolicyLoader(_Loader):  # type: ignore[misc]
    """The C loader, with PyYAML's tag resolution short-cut for the common case.

    The C composer calls back into Python to resolve the tag of every node (a third of the parse).
    A plain scalar whose first character starts no implicit type (``deny``, ``aws:ec2:*``, ``r12``)
    or any quoted scalar is a string: answer that at once; everything else goes to PyYAML's resolver.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and (not implicit[0] or (value and value[0] not in _IMPLICIT_FIRST)):
            return _STR
        return super().resolve(kind, value, implicit)

    # Path resolvers (none are registered) are what these two maintain, once per node.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


# The short-cut is exact only while no path or catch-all resolver exists (PyYAML registers none).
_FAST_LOADER = not _Loader.yaml_path_resolvers and None not in _IMPLICIT_FIRST


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a policy's object graph is built.

    Parsing and compiling allocate millions of objects and free almost none, so every allocation
    threshold sets off a collection that walks all of them again: with the collector on, compile time
    grew with the square of the rule count. Nothing built here needs the cycle collector (reference
    counting frees it); nested pauses leave the collector to the outermost one. The switch is the
    process's: in a server, other threads run without collections for the length of a compile (half a
    second at 10,000 rules), and a compile that starts while another holds the pause may end
    with the collector back on, which only makes it slower.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Document:
    """A parsed YAML document: its data plus the node tree it came from (for positions)."""

    __slots__ = ("_keyer", "_root", "data", "file")

    def __init__(self, file: str, data: Any, root: yaml.Node | None, keyer: Any = None) -> None:
        self.file = file
        self.data = data
        self._root = root
        self._keyer = keyer

    def _key_of(self, node: yaml.Node) -> str:
        if node.tag == _STR and isinstance(node, yaml.ScalarNode):
            return str(node.value)
        return _as_key(self._keyer.construct_object(node, deep=True))

    def item_lines(self, name: str) -> list[int]:
        """The line of each item of the top-level list ``name`` (one walk for all of them)."""
        root = self._root
        if isinstance(root, yaml.MappingNode):
            for k, v in root.value:
                if self._key_of(k) == name and isinstance(v, yaml.SequenceNode):
                    return [item.start_mark.line + 1 for item in v.value]
        return []

    def where(self, path: Path, *, key: bool = False) -> Location:
        """The location of ``path`` (of its key when ``key``), falling back to the nearest parent."""
        node = self._root
        if node is None:
            return Location(self.file, 1, 1)
        key_node: yaml.Node | None = None  # the key that introduces ``node``, when a mapping holds it
        for step in path:
            child: yaml.Node | None = None
            child_key: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                for k, v in node.value:
                    if self._key_of(k) == step:
                        child, child_key = v, k
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                child = node.value[step]
            if child is None:
                break
            node, key_node = child, child_key
        mark = key_node.start_mark if key and key_node is not None else node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)


def _as_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    return str(key).lower() if isinstance(key, bool) else str(key)


def text_to_document(text: str, file: str) -> Document:
    """Parse YAML ``text``; raise :class:`PolicyError` with a location for syntax errors."""
    with gc_paused():
        return _text_to_document(text, file)


def _text_to_document(text: str, file: str) -> Document:
    try:
        loader = (_PolicyLoader if _FAST_LOADER else _Loader)(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise PolicyError([(Location(file, line, col), f"invalid YAML: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise PolicyError([(Location(file), f"invalid YAML: {exc}")]) from exc
    scalar_loader = yaml.SafeLoader("")
    construct = scalar_loader.construct_object
    problems: list[tuple[Location, str]] = []
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode

    # Plain strings (nearly every scalar of a policy) are taken straight from the node; any other
    # tag goes through PyYAML's safe constructor, as ``yaml.safe_load`` would.
    def build(n: yaml.Node) -> Any:
        cls = n.__class__
        if cls is scalar:
            return n.value if n.tag == _STR else construct(n, deep=True)
        if cls is mapping:
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                if key_node.tag == _STR and key_node.__class__ is scalar:
                    key = key_node.value
                else:
                    key = _as_key(construct(key_node, deep=True))
                if key in out:
                    mark = key_node.start_mark
                    problems.append((Location(file, mark.line + 1, mark.column + 1), f"duplicate key `{key}`"))
                out[key] = build(value_node)
            return out
        return [build(item) for item in n.value]

    data = {} if node is None else build(node)
    if problems:
        raise PolicyError(problems)
    return Document(file, data, node, scalar_loader)
