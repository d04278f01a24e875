"""Each module of the change gate lists its public functions and classes in ``__all__``, and only names it has."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["git", "provenance", "rules", "signoff", "gate", "render", "stats"]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_the_public_functions_and_classes(name: str) -> None:
    module = importlib.import_module(f"blastdoor.review.{name}")
    listed = set(module.__all__)
    assert all(hasattr(module, n) for n in listed), listed - set(dir(module))
    defined = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined == listed - {n for n in listed if not callable(getattr(module, n))}
