"""Interior hashes (audit/tiles.py): proofs from O(log n) stored hashes equal proofs from every leaf."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.audit import merkle
from blastdoor.audit.batch import Pending
from blastdoor.audit.tiles import StoredTree, fill
from blastdoor.store import open_store


def _store_with(url: str, n: int):  # type: ignore[no-untyped-def]
    store = open_store(url)
    done = 0
    while done < n:
        k = min(500, n - done)
        store.append(
            [Pending(b'{"kind":"decision","i":%d}' % (done + i), ("decision",) * 6) for i in range(k)], time.time_ns
        )
        done += k
    return store


class Reads:
    """Counts what a proof reads from the store."""

    def __init__(self, store) -> None:  # type: ignore[no-untyped-def]
        self.store = store
        self.leaves = 0
        self.nodes = 0

    def leaf_range(self, a: int, b: int) -> list[bytes]:
        got = self.store.leaf_range(a, b)
        self.leaves += len(got)
        return got

    def subtree_range(self, level: int, lo: int, hi: int) -> list[bytes]:
        got = self.store.subtree_range(level, lo, hi)
        self.nodes += len(got)
        return got


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_proofs_from_stored_hashes_match_proofs_from_leaves(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "t.db"
    if not path.exists():
        store = _store_with(str(path), 2600)
        fill(store, 700)
        fill(store, 1900)  # filled in steps, and partly: the rest of the tree is computed from leaves
        store.close()
    store = open_store(str(path))
    try:
        leaves = store.leaf_range(0, 2600)
        n = data.draw(st.integers(1, 2600))
        i = data.draw(st.integers(0, n - 1))
        m = data.draw(st.integers(0, n))
        tree = StoredTree(store, n)
        assert tree.mth(0, n) == merkle.root(leaves, 0, n)
        assert merkle.inclusion_proof_from(tree.mth, i, n) == merkle.inclusion_proof(leaves, i, n)
        assert merkle.consistency_proof_from(tree.mth, m, n) == merkle.consistency_proof(leaves, m, n)
    finally:
        store.close()


def test_a_proof_reads_log_n_hashes(store_url: str) -> None:
    n = 5000
    store = _store_with(store_url, n)
    try:
        fill(store, n)
        reads = Reads(store)
        tree = StoredTree(reads, n)
        path = merkle.inclusion_proof_from(tree.mth, 1234, n)
        merkle.verify_inclusion(tree.leaf(1234), 1234, n, path, merkle.root(store.leaf_range(0, n)))
        # One tile of leaves for the entry, one for the right edge; one stored hash per level above.
        assert reads.leaves <= 2 * 256 and reads.nodes <= 2 * n.bit_length()
    finally:
        store.close()
