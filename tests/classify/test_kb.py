"""The knowledge base: every YAML file follows the schema, and the compiled JSON is up to date."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from blastdoor.classify import kbfiles
from blastdoor.classify.shell import _kb


def test_kb_compiles_and_is_current() -> None:
    compiled = _kb.compile_kb()
    with open(_kb.COMPILED, encoding="utf-8") as fh:
        on_disk = fh.read()
    assert kbfiles.render(compiled) == on_disk, "run `python -m blastdoor.classify.shell._kb` to regenerate"


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


def test_kb_cache_round_trips_and_survives_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLASTDOOR_CACHE_DIR", str(tmp_path / "cache"))
    with open(_kb.COMPILED, "rb") as fh:
        cached = _kb.cache_path(fh.read())
    assert cached.startswith(str(tmp_path / "cache"))
    fresh = _kb.load(use_cache=False)
    first = _kb.load()  # parses the JSON and writes the cache
    assert os.path.isfile(cached)
    assert not [n for n in os.listdir(tmp_path / "cache") if n.endswith(".tmp")]
    second = _kb.load()  # from the cache
    assert first == fresh and second == fresh
    for damage in (b"", b"blastdoor-kb-cache-1\n\x00\x01", b"not a cache", b"blastdoor-kb-cache-1\n" + b"N"):
        with open(cached, "wb") as fh:
            fh.write(damage)
        assert _kb.load() == fresh
    # A stale cache for other content is never read: the key is the JSON's hash.
    assert _kb.cache_path(b"{}") != cached


def test_kb_cache_unwritable_is_only_slower(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("BLASTDOOR_CACHE_DIR", str(blocker / "cache"))
    assert _kb.load() == _kb.load(use_cache=False)
