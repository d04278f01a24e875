"""An MCP tool named like `delete_repository` gets the delete effect, however its words are joined."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.action import Action
from blastdoor.classify.dispatch import classify_action

NOUNS = ["repository", "repo", "user", "bucket", "table", "branch", "project", "record", "file", "webhook"]


def _effects(tool: str, server: str = "acme") -> set[str]:
    action = classify_action(Action("mcp", f"mcp:{server}/{tool}", args={}), {}, environ={}, home="/nonexistent")
    return set(action.effects)


@pytest.mark.parametrize(
    "name",
    [
        "delete_repository",
        "deleteRepository",
        "DeleteRepository",
        "delete-repository",
        "repository_delete",
        "repositories.delete",
        "deleterepository",
        "DELETEREPOSITORY",
        "repositorydelete",
        "getanddeleterepository",
    ],
)
def test_every_spelling_of_delete_repository_deletes(name: str) -> None:
    assert "delete" in _effects(name)


@given(
    st.sampled_from(["delete", "remove", "destroy", "drop", "purge", "wipe", "erase"]),
    st.sampled_from(NOUNS),
    st.sampled_from(["_", "-", ".", "", "CAMEL"]),
    st.booleans(),
)
def test_a_destructive_verb_is_found_whatever_joins_it(verb: str, noun: str, sep: str, verb_first: bool) -> None:
    # Metamorphic: the effects of `verb_noun` do not depend on how the words are joined or ordered.
    words = [verb, noun] if verb_first else [noun, verb]
    if sep == "CAMEL":
        name = words[0] + words[1][:1].upper() + words[1][1:]
    else:
        name = sep.join(words)
    assert "delete" in _effects(name), name
    assert _effects(name) >= _effects(f"{verb}_{noun}") - {"read"}


def test_a_run_together_name_never_reads_as_a_mere_read() -> None:
    # `get` glued to a noun is not cut out: without separators a read is not believed, so it stays unknown.
    assert _effects("getrepository") == {"unknown"}
    assert _effects("get_repository") == {"read"}  # with separators the name is read as before
