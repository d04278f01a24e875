"""The Merkle tree of the audit log, as RFC 6962 §2.1 defines it (restated in RFC 9162 §2.1).

    leaf hash  = SHA-256(0x00 || entry bytes)         RFC 6962 §2.1, RFC 9162 §2.1.1
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256("")
    MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Pure functions over lists of 32-byte leaf hashes; nothing here touches a database, so a third party can
check a proof with this module (or any RFC 6962 implementation) alone.

A *frontier* (a "compact range" in RFC 9162 parlance) is the list of roots of the perfect subtrees that
make up a tree of ``size`` leaves, largest first: one per 1-bit of ``size``. It lets a writer append a
leaf and compute the root in O(log n) without reading earlier leaves.
"""

from __future__ import annotations

from hashlib import sha256

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


class ProofError(ValueError):
    """A proof does not verify, or its parameters are impossible."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of one leaf, SHA-256(0x00 || entry)."""
    return sha256(_LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of an interior node, SHA-256(0x01 || left || right)."""
    return sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# -- frontier: append and root in O(log n) --------------------------------------------------------


def frontier_push(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """Append ``leaf`` to a tree of ``size`` leaves whose frontier is ``frontier`` (in place).

    Like a binary counter: every trailing 1-bit of ``size`` is a perfect subtree that the new leaf
    completes into one twice as large.
    """
    h = leaf
    n = size
    while n & 1:
        h = sha256(_NODE + frontier.pop() + h).digest()
        n >>= 1
    frontier.append(h)


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The tree head MTH(D[n]) from its frontier: fold the subtree roots from the right."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1]
    for left in reversed(frontier[:-1]):
        h = sha256(_NODE + left + h).digest()
    return h


def frontier_pack(frontier: Sequence[bytes]) -> bytes:
    return b"".join(frontier)


def frontier_unpack(data: bytes, size: int) -> list[bytes]:
    """The frontier stored as concatenated hashes; its length must match ``size``'s 1-bits."""
    count = bin(size).count("1")
    if len(data) != count * HASH_SIZE:
        raise ValueError(f"frontier of {len(data)} bytes does not fit a tree of size {size}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def frontier_of(leaves: Sequence[bytes]) -> list[bytes]:
    frontier: list[bytes] = []
    for i, leaf in enumerate(leaves):
        frontier_push(frontier, i, leaf)
    return frontier


# -- tree heads -----------------------------------------------------------------------------------


def root(leaves: Sequence[bytes], start: int = 0, end: int | None = None) -> bytes:
    """MTH(D[start:end]) over leaf hashes (RFC 6962 §2.1), in O(n) hashes and O(log n) memory."""
    stop = len(leaves) if end is None else end
    frontier: list[bytes] = []
    for i in range(start, stop):
        frontier_push(frontier, i - start, leaves[i])
    return frontier_root(frontier)


# -- inclusion proofs: RFC 6962 §2.1.1, verification RFC 9162 §2.1.3.2 -----------------------------


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """The audit path PATH(index, D[0:size]) of RFC 6962 §2.1.1, nearest sibling first."""
    n = len(leaves) if size is None else size
    if not 0 <= index < n <= len(leaves):
        raise ProofError(f"no leaf {index} in a tree of size {n}")
    return inclusion_proof_from(lambda a, b: root(leaves, a, b), index, n)


def inclusion_proof_from(mth: Callable[[int, int], bytes], index: int, n: int) -> list[bytes]:
    """``inclusion_proof`` given ``mth(start, end)``, the root of any subtree (e.g. from stored hashes)."""
    if not 0 <= index < n:
        raise ProofError(f"no leaf {index} in a tree of size {n}")
    path: list[bytes] = []
    start, end, m = 0, n, index
    # Walk down from the root; each level contributes the root of the sibling subtree.
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(mth(start + k, end))
            end = start + k
        else:
            path.append(mth(start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root an inclusion proof implies (RFC 9162 §2.1.3.2 steps 2-5)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with root ``expected_root``.

    RFC 9162 §2.1.3.2. Raises ``ProofError`` when it is not.
    """
    if root_from_inclusion(leaf, index, size, path) != expected_root:
        raise ProofError("inclusion proof does not lead to the expected root")


# -- consistency proofs: RFC 6962 §2.1.2, verification RFC 9162 §2.1.4.2 ---------------------------


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int | None = None) -> list[bytes]:
    """PROOF(m, D[0:n]) of RFC 6962 §2.1.2: the tree of ``old_size`` leaves is a prefix of ``new_size``."""
    n = len(leaves) if new_size is None else new_size
    m = old_size
    if not 0 <= m <= n <= len(leaves):
        raise ProofError(f"no consistency proof from size {m} to size {n}")
    return consistency_proof_from(lambda a, b: root(leaves, a, b), m, n)


def consistency_proof_from(mth: Callable[[int, int], bytes], m: int, n: int) -> list[bytes]:
    """``consistency_proof`` given ``mth(start, end)``, the root of any subtree."""
    if not 0 <= m <= n:
        raise ProofError(f"no consistency proof from size {m} to size {n}")
    if m in (0, n):
        return []
    return _subproof(mth, m, 0, n, True)


def _subproof(mth: Callable[[int, int], bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    # SUBPROOF(m, D[start:end], b) of RFC 6962 §2.1.2.
    n = end - start
    if m == n:
        return [] if whole else [mth(start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(mth, m, start, start + k, whole), mth(start + k, end)]
    return [*_subproof(mth, m - k, start + k, end, False), mth(start, start + k)]


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 §2.1.4.2. Raises ``ProofError`` when it is not.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"cannot go from size {old_size} to size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("same size, different roots")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    # Step 1: when old_size is a power of two the old root is itself the first node of the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")
