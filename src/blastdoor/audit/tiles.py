"""Interior hashes in the store, so proofs read O(log n) hashes instead of every leaf.

The store keeps, beside the leaf hashes, the root of every complete, aligned subtree of 2^level leaves
for level >= ``TILE_LEVEL`` (8: 256 leaves, the height of a C2SP tlog-tiles tile): row
``(level, idx)`` is MTH(D[idx * 2^level : (idx + 1) * 2^level]). About n / 128 rows for n leaves. They
are derived data, filled after a checkpoint (``fill``), never on the append path. A wrong row can only
make a proof fail: every proof is checked against the root the entries' signed checkpoint commits to.

``StoredTree(store, size).mth(a, b)`` is then the root of any subtree: a complete one of >= 256 leaves
is one row, a smaller one hashes at most 256 leaf hashes of one tile, and any other range splits into
O(log n) of those.
"""

from __future__ import annotations

from blastdoor.audit.merkle import node_hash, root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TILE_LEVEL = 8
TILE = 1 << TILE_LEVEL
_FILL_CHUNK = 64  # tiles of leaves read per query while filling


def fill(store: Any, size: int) -> int:
    """Store every complete subtree hash of the first ``size`` leaves not stored yet; how many were added."""
    added = 0
    have = store.subtree_count(TILE_LEVEL)
    want = size >> TILE_LEVEL
    while have < want:
        hi = min(want, have + _FILL_CHUNK)
        leaves = store.leaf_range(have * TILE, hi * TILE)
        if len(leaves) != (hi - have) * TILE:
            raise ValueError(f"the store returned {len(leaves)} leaves for tiles {have}..{hi - 1}")
        rows = [(TILE_LEVEL, t, root(leaves, (t - have) * TILE, (t - have + 1) * TILE)) for t in range(have, hi)]
        store.add_subtrees(rows)
        added += len(rows)
        have = hi
    level = TILE_LEVEL + 1
    while size >> level:
        have = store.subtree_count(level)
        want = size >> level
        if have < want:
            below = store.subtree_range(level - 1, 2 * have, 2 * want)
            if len(below) != 2 * (want - have):
                raise ValueError(f"interior hashes of level {level - 1} are missing (another writer is filling?)")
            rows = [(level, i, node_hash(below[2 * (i - have)], below[2 * (i - have) + 1])) for i in range(have, want)]
            store.add_subtrees(rows)
            added += len(rows)
        level += 1
    return added


class StoredTree:
    """Subtree roots of the first ``size`` leaves of a store, from its stored hashes (see the module)."""

    def __init__(self, store: Any, size: int) -> None:
        self.store = store
        self.size = size
        self._tiles: dict[int, list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes | None] = {}

    def _tile(self, t: int) -> list[bytes]:
        leaves = self._tiles.get(t)
        if leaves is None:
            leaves = self._tiles[t] = self.store.leaf_range(t * TILE, min((t + 1) * TILE, self.size))
        return leaves

    def leaf(self, i: int) -> bytes:
        return self._tile(i >> TILE_LEVEL)[i & (TILE - 1)]

    def mth(self, a: int, b: int) -> bytes:
        n = b - a
        if n < TILE and a >> TILE_LEVEL == (b - 1) >> TILE_LEVEL:
            base = (a >> TILE_LEVEL) << TILE_LEVEL
            return root(self._tile(a >> TILE_LEVEL), a - base, b - base)
        if n & (n - 1) == 0 and a % n == 0:
            level = n.bit_length() - 1
            key = (level, a >> level)
            if key not in self._nodes:
                got = self.store.subtree_range(level, key[1], key[1] + 1)
                self._nodes[key] = got[0] if got else None
            stored = self._nodes[key]
            if stored is not None:
                return stored
            if n == TILE:  # not filled yet: hash the tile's leaves
                return root(self._tile(a >> TILE_LEVEL))
            half = n >> 1
            return node_hash(self.mth(a, a + half), self.mth(a + half, b))  # not filled yet: compute
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.mth(a, a + k), self.mth(a + k, b))
