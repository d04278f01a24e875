"""The entry envelope spliced from the event's canonical bytes equals RFC 8785 of the whole entry."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from blastdoor.action import canonical_json
from blastdoor.audit.batch import Head, Pending, seal_batch
from blastdoor.audit.events import entry_bytes, format_time
from blastdoor.audit.fastjson import canonical_bytes
from blastdoor.audit.merkle import leaf_hash
from blastdoor.audit.redact import Redactor

SALT = b"s" * 32
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=20,
)
EVENTS = st.dictionaries(st.text(max_size=8), JSONISH, max_size=6).map(lambda d: {**d, "kind": "decision"})
TIMES = st.integers(0, 253402300799 * 10**9)  # up to 9999-12-31T23:59:59Z: fixed-width years


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.integers(0, 2**62), TIMES)
def test_spliced_entry_is_the_canonical_entry(event: dict[str, Any], seq: int, ns: int) -> None:
    red = Redactor(SALT)
    clean = red.event(event)
    body = canonical_bytes(clean, plain=red.plain)
    t = format_time(ns)
    assert entry_bytes(body, seq, t) == canonical_json({"event": clean, "seq": seq, "time": t})


@settings(max_examples=50, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=8), st.integers(0, 1000), TIMES)
def test_sealed_rows_hash_the_canonical_entry(events: list[dict[str, Any]], size: int, ns: int) -> None:
    head = Head(0, [], "", 0, 0.0)
    seal_batch(head, [Pending(b"{}", ("decision", "", "", "", "", ""))] * size, ns)  # any prefix of the tree
    items = []
    for event in events:
        red = Redactor(SALT)
        clean = red.event(event)
        items.append((clean, Pending(canonical_bytes(clean, plain=red.plain), ("decision", "", "", "", "", ""))))
    rows = seal_batch(head, [p for _, p in items], ns)
    for i, ((clean, _), row) in enumerate(zip(items, rows, strict=True)):
        whole = canonical_json({"event": clean, "seq": size + i, "time": row[1]})
        assert row[0] == size + i and row[2] == whole and row[3] == leaf_hash(whole)


@settings(max_examples=200, deadline=None)
@given(TIMES, st.lists(st.integers(-(2 * 10**9), 2 * 10**9), max_size=6))
def test_format_time_agrees_with_datetime_as_its_cached_second_changes(ns: int, steps: list[int]) -> None:
    # format_time keeps the last second's text: times in the same second, the next one and earlier ones
    # (another thread's clock) must all read as datetime writes them.
    import datetime as dt

    for t in [ns, *(min(max(ns + d, 0), 253402300799 * 10**9) for d in steps)]:
        want = (
            dt.datetime.fromtimestamp(t // 10**9, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{t % 10**9 // 1000:06d}Z"
        )
        assert format_time(t) == want
