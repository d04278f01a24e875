"""MCP tool pins on both stores: first sight, a change, an approval bound to what the approver saw."""

from __future__ import annotations

from blastdoor.store import migrations, open_store
from blastdoor.store.mcp_pins import CHANGED, NEW, PINNED, ToolPins


def test_pins_follow_a_tool_through_a_change_and_an_approval(store_url: str) -> None:
    store = open_store(store_url)
    pins = ToolPins(store)
    try:
        dialect = migrations.POSTGRES if store_url.startswith("postgresql") else migrations.SQLITE
        assert store.versions()["mcp"] == migrations.latest(dialect)["mcp"]

        assert pins.first_seen("fs", "read_file", "sha256:a", '{"d":"a"}', "t1", trust=True)
        assert not pins.first_seen("fs", "read_file", "sha256:z", '{"d":"z"}', "t1", trust=True)  # already there
        pin = pins.get("fs", "read_file")
        assert pin is not None and (pin.status, pin.digest, pin.seen_digest) == (PINNED, "sha256:a", "")

        assert not pins.saw("fs", "read_file", "sha256:a", '{"d":"a"}', "t2")  # the approved one: no news
        assert pins.saw("fs", "read_file", "sha256:b", '{"d":"b"}', "t2")
        assert not pins.saw("fs", "read_file", "sha256:b", '{"d":"b"}', "t3")  # the same change again: no news
        pin = pins.get("fs", "read_file")
        assert pin is not None and (pin.status, pin.digest, pin.seen_digest) == (CHANGED, "sha256:a", "sha256:b")

        # An approval of a definition other than the pending one changes nothing.
        assert pins.approve("fs", "read_file", by="alice", now="t4", expected="sha256:c") is None
        approved = pins.approve("fs", "read_file", by="alice", now="t4", expected="sha256:b")
        assert approved is not None
        assert (approved.status, approved.digest, approved.definition) == (PINNED, "sha256:b", '{"d":"b"}')
        assert approved.approved_by == "alice" and approved.seen_digest == ""
        assert pins.approve("fs", "read_file", by="alice", now="t5") is None  # nothing pending

        # A server that goes back to the approved definition settles a pending change.
        assert pins.saw("fs", "read_file", "sha256:c", '{"d":"c"}', "t6")
        assert pins.settle("fs", "read_file", "t7")
        pin = pins.get("fs", "read_file")
        assert pin is not None and (pin.status, pin.seen_digest) == (PINNED, "")

        # Without trust on first use a tool waits as `new` until approved.
        assert pins.first_seen("fs", "write_file", "sha256:w", '{"d":"w"}', "t8", trust=False)
        assert pins.get("fs", "write_file").status == NEW  # type: ignore[union-attr]
        assert pins.saw("fs", "write_file", "sha256:w2", '{"d":"w2"}', "t9")
        assert pins.get("fs", "write_file").status == NEW  # type: ignore[union-attr]
        assert pins.approve("fs", "write_file", by="bob", now="t10").digest == "sha256:w2"  # type: ignore[union-attr]

        assert [(p.server, p.tool) for p in pins.all()] == [("fs", "read_file"), ("fs", "write_file")]
        assert set(pins.of_server("fs")) == {"read_file", "write_file"} and pins.of_server("git") == {}
    finally:
        store.close()
