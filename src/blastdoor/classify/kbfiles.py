"""What the knowledge bases (the shell's ``kb/*.yaml``, MCP's ``kb/mcp/*.yaml``) share: reading the YAML
sources, checking their common value shapes, and writing the compiled JSON beside them.

Light on purpose: the shell classifier imports it in the hook's process (``yaml`` only when compiling).
"""

from __future__ import annotations

import json
import os
from typing import Any

from blastdoor.action.effects import EFFECTS


class KBError(ValueError):
    """A knowledge-base file does not follow the schema."""


def effects_list(value: Any, where: str) -> list[str]:
    """``value`` when it is a list of known effects, else KBError naming ``where``."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KBError(f"{where}: expected a list of effects")
    for v in value:
        if v not in EFFECTS:
            raise KBError(f"{where}: unknown effect `{v}`")
    return list(value)


def strings_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KBError(f"{where}: expected a list of strings")
    return list(value)


def read_documents(kb_dir: str) -> dict[str, Any]:
    """Every ``*.yaml`` in ``kb_dir``, parsed, by file name (sorted: compiling is deterministic)."""
    import yaml

    docs: dict[str, Any] = {}
    for fname in sorted(os.listdir(kb_dir)):
        if fname.endswith(".yaml"):
            with open(os.path.join(kb_dir, fname), encoding="utf-8") as fh:
                docs[fname] = yaml.safe_load(fh)
    return docs


def render(compiled: dict[str, Any]) -> str:
    """The compiled knowledge base as the bytes of ``compiled.json`` (stable, so tests can compare)."""
    return json.dumps(compiled, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def write_compiled(kb_dir: str, compiled: dict[str, Any]) -> str:
    """Write ``compiled.json`` into ``kb_dir``; returns its path."""
    text = render(compiled)
    path = os.path.join(kb_dir, "compiled.json")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
