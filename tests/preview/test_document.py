"""The Preview document: its JSON form, its RFC 8785 digest, combining, and failed previews."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from blastdoor.action.canonical import digest
from blastdoor.action.preview import MAX_ITEMS, NO_PREVIEW, Preview, combine, short_text, what_moved

items = st.lists(st.fixed_dictionaries({"change": st.sampled_from(["delete", "update"]), "id": st.text()}), max_size=5)


@given(items, st.dictionaries(st.sampled_from(["delete", "update", "lose_commit"]), st.integers(0, 10**9)))
def test_round_trip_and_digest_is_the_canonical_json_of_the_document(
    its: list[dict[str, str]], summary: dict[str, int]
) -> None:
    p = Preview("files", summary=summary, items=its, targets=[i["id"] for i in its], state_token="t")
    again = Preview.from_dict(p.to_dict())
    assert again == p and again.digest() == p.digest() == digest(p.to_dict())
    assert p.changes == sum(summary.values())


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_any_change_in_counts_or_state_changes_the_digest(a: int, b: int) -> None:
    base = Preview("sql", summary={"delete_rows": a}, state_token="s")
    assert (Preview("sql", summary={"delete_rows": b}, state_token="s").digest() == base.digest()) == (a == b)
    assert Preview("sql", summary={"delete_rows": a}, state_token="s2").digest() != base.digest()


def test_items_are_capped_but_counted() -> None:
    p = Preview("files", summary={"delete": 500}, items=[{"id": str(i)} for i in range(500)])
    assert len(p.items) == MAX_ITEMS and p.total_items == 500


def test_a_failed_preview_says_no_preview_available_and_a_failed_part_fails_the_whole() -> None:
    bad = Preview.unavailable("sql", "connection refused")
    assert not bad.ok and NO_PREVIEW in bad.short() and "connection refused" in bad.short()
    both = combine([Preview("files", summary={"delete": 1}), bad])
    assert not both.ok and both.kind == "files+sql"
    timed = Preview.unavailable("git", "timed out after 5 s", timed_out=True)
    assert timed.status == "timeout"


def test_short_form_and_what_moved() -> None:
    p = Preview("files", summary={"delete": 3}, facts={"bytes": 12000, "tracked": 2, "uncommitted": 1}, state_token="x")
    assert short_text(p.to_dict()) == "files: 3 delete (12.0 kB, 2 tracked, 1 uncommitted)"
    q = Preview("files", summary={"delete": 4}, state_token="y")
    assert "moved" in what_moved(p.to_dict(), q.to_dict())


def test_a_preview_that_does_not_finish_in_time_is_a_timeout_never_a_hang(tmp_path: object) -> None:
    import os
    from pathlib import Path

    from blastdoor.action import Action
    from blastdoor.preview import Context, bounded

    fifo = Path(str(tmp_path)) / "never-written"
    os.mkfifo(fifo)

    class Stuck:
        """A previewer whose read blocks forever: opening a FIFO nobody writes to."""

        kind = "stuck"

        def applies(self, part: Action, argv: object) -> bool:
            return True

        def preview(self, part: Action, argv: object, ctx: Context) -> Preview:
            with open(fifo, "rb") as fh:
                fh.read()
            return Preview("stuck")

    p = bounded(Stuck(), Action("shell"), [], Context(timeout=0.2))  # type: ignore[arg-type]
    assert p.status == "timeout" and "timed out after 0.2 s" in p.message
    with open(fifo, "wb"):  # release the worker thread
        pass


def test_the_timeout_setting() -> None:
    from blastdoor.preview import DEFAULT_TIMEOUT, configured_timeout

    assert configured_timeout({"BLASTDOOR_PREVIEW_TIMEOUT": "2.5"}) == 2.5
    for bad in ("", "soon", "-1", "0", "100000"):
        assert configured_timeout({"BLASTDOOR_PREVIEW_TIMEOUT": bad}) == DEFAULT_TIMEOUT
