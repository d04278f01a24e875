"""text -> document: parse policy YAML keeping the position of every value and key.

The JSON Schema validator reports paths (``rules/3/match/efects``); the positions map those back to
``file:line:column`` so that a typo points at the character where it is.
"""

from __future__ import annotations

from typing import Any

import yaml

from blastdoor.errors import Location, PolicyError

Path = tuple[str | int, ...]

try:  # the C loader is ten times faster; positions work the same
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class Document:
    """A parsed YAML document: its data plus where each path is in the file."""

    __slots__ = ("data", "file", "keys", "values")

    def __init__(self, file: str, data: Any, values: dict[Path, tuple[int, int]], keys: dict[Path, tuple[int, int]]):
        self.file = file
        self.data = data
        self.values = values  # path -> (line, column) of the value
        self.keys = keys  # path -> (line, column) of the key that introduces the value

    def where(self, path: Path, *, key: bool = False) -> Location:
        """The location of ``path`` (of its key when ``key``), falling back to the nearest parent."""
        probe = tuple(path)
        while True:
            table = self.keys if key and probe in self.keys else self.values
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if not probe:
                return Location(self.file, 1, 1)
            probe = probe[:-1]


def text_to_document(text: str, file: str) -> Document:
    """Parse YAML ``text``; raise :class:`PolicyError` with a location for syntax errors."""
    try:
        loader = _Loader(text)
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
    values: dict[Path, tuple[int, int]] = {}
    keys: dict[Path, tuple[int, int]] = {}
    scalar_loader = yaml.SafeLoader("")
    problems: list[tuple[Location, str]] = []

    def build(n: yaml.Node, path: Path) -> Any:
        values[path] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = scalar_loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                child = (*path, key)
                if key in out:
                    problems.append(
                        (
                            Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                            f"duplicate key `{key}`",
                        )
                    )
                keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = build(value_node, child)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(n.value)]
        return scalar_loader.construct_object(n, deep=True)

    data = {} if node is None else build(node, ())
    if problems:
        raise PolicyError(problems)
    return Document(file, data, values, keys)
