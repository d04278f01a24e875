"""The knowledge base: every YAML file follows the schema, and the compiled JSON is up to date."""

from __future__ import annotations

import pytest

from blastdoor.classify.shell import _kb


def test_kb_compiles_and_is_current() -> None:
    compiled = _kb.compile_kb()
    with open(_kb.COMPILED, encoding="utf-8") as fh:
        on_disk = fh.read()
    assert _kb.render(compiled) == on_disk, "run `python -m blastdoor.classify.shell._kb` to regenerate"


def test_kb_rejects_unknown_effects_and_keys() -> None:
    with pytest.raises(_kb.KBError, match="unknown effect"):
        _kb.compile_documents({"x.yaml": {"commands": {"foo": {"effects": ["explode"]}}}})
    with pytest.raises(_kb.KBError, match="unknown key"):
        _kb.compile_documents({"x.yaml": {"commands": {"foo": {"effect": ["read"]}}}})
    with pytest.raises(_kb.KBError, match="defined twice"):
        _kb.compile_documents({"a.yaml": {"commands": {"foo": {}}}, "b.yaml": {"commands": {"foo": {}}}})


def test_every_handler_named_in_the_kb_exists() -> None:
    from blastdoor.classify.shell._handlers import HANDLERS, WRAPPER_HANDLERS

    kb = _kb.load()

    def walk(entry: dict[str, object]) -> None:
        handler = entry.get("handler")
        if handler is not None:
            assert handler in HANDLERS, handler
        for sub in (entry.get("subs") or {}).values():  # type: ignore[attr-defined]
            walk(sub)
        if "default" in entry:
            walk(entry["default"])  # type: ignore[arg-type]

    for entry in kb["commands"].values():
        walk(entry)
    for w in kb["wrappers"].values():
        if "handler" in w:
            assert w["handler"] in WRAPPER_HANDLERS
