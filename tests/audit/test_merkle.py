"""The Merkle tree against an independent implementation (pymerkle, RFC 6962 mode) and its own proofs."""

from __future__ import annotations

import random
import warnings

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blastdoor.audit import merkle as m


def _oracle(n: int) -> tuple[object, list[bytes]]:
    # RFC 6962 configuration: SHA-256, and security left on (its 0x00 / 0x01 leaf and node prefixes).
    tree = pymerkle.InmemoryTree(algorithm="sha256", disable_security=False)
    assert tree.leaf_prefix == b"\x00" and tree.node_prefix == b"\x01"
    leaves = []
    for i in range(n):
        data = b"entry %d" % i
        tree.append_entry(data)
        leaves.append(m.leaf_hash(data))
    return tree, leaves


def _root(tree: object, size: int) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return tree.get_state(size)  # type: ignore[attr-defined,no-any-return]


def test_roots_and_frontier_agree_with_pymerkle_for_sizes_1_to_300() -> None:
    tree, leaves = _oracle(300)
    frontier: list[bytes] = []
    for n in range(1, 301):
        m.frontier_push(frontier, n - 1, leaves[n - 1])
        assert tree.get_leaf(n) == leaves[n - 1]  # type: ignore[attr-defined]
        assert m.root(leaves, 0, n) == _root(tree, n), n
        assert m.frontier_root(frontier) == _root(tree, n), n


def test_inclusion_proofs_agree_with_pymerkle() -> None:
    tree, leaves = _oracle(300)
    for n in [*list(range(1, 40)), 64, 65, 127, 128, 129, 255, 256, 257, 300]:
        root = _root(tree, n)
        for i in range(n):
            path = m.inclusion_proof(leaves, i, n)
            m.verify_inclusion(leaves[i], i, n, path, root)
            theirs = tree.prove_inclusion(i + 1, n)  # type: ignore[attr-defined]
            # pymerkle's path is the leaf followed by the RFC 6962 audit path, nearest sibling first.
            assert theirs.path[1:] == path, (i, n)


def test_consistency_proofs_agree_with_pymerkle() -> None:
    tree, leaves = _oracle(300)
    for n in [1, 2, 3, 7, 8, 9, 31, 64, 100, 255, 256, 300]:
        for k in range(1, n + 1):
            proof = m.consistency_proof(leaves, k, n)
            m.verify_consistency(k, n, _root(tree, k), _root(tree, n), proof)
            theirs = tree.prove_consistency(k, n)  # type: ignore[attr-defined]
            pymerkle.verify_consistency(_root(tree, k), _root(tree, n), theirs)
            # pymerkle's consistency path uses its own layout (not RFC 6962 §2.1.2's), so only the
            # roots it proves are compared: ours must lead to the same old and new roots.


@pytest.mark.parametrize("seed", range(3))
def test_random_larger_sizes(seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.randrange(1000, 5000)
    tree, leaves = _oracle(n)
    assert m.frontier_root(m.frontier_of(leaves)) == _root(tree, n)
    for _ in range(20):
        i = rnd.randrange(n)
        size = rnd.randrange(i + 1, n + 1)
        path = m.inclusion_proof(leaves, i, size)
        assert tree.prove_inclusion(i + 1, size).path[1:] == path  # type: ignore[attr-defined]
        k = rnd.randrange(1, size + 1)
        m.verify_consistency(k, size, _root(tree, k), _root(tree, size), m.consistency_proof(leaves, k, size))


def test_rfc_edge_cases() -> None:
    assert m.root([]) == m.EMPTY_ROOT
    leaves = [m.leaf_hash(b"x")]
    assert m.root(leaves) == leaves[0]
    assert m.inclusion_proof(leaves, 0) == []
    m.verify_consistency(0, 1, m.EMPTY_ROOT, leaves[0], [])
    with pytest.raises(m.ProofError):
        m.inclusion_proof(leaves, 1)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.data())
def test_tampered_proofs_fail(n: int, data: st.DataObject) -> None:
    leaves = [m.leaf_hash(b"%d" % i) for i in range(n)]
    i = data.draw(st.integers(0, n - 1))
    root = m.root(leaves)
    path = m.inclusion_proof(leaves, i)
    m.verify_inclusion(leaves[i], i, n, path, root)
    if path:
        j = data.draw(st.integers(0, len(path) - 1))
        bad = list(path)
        bad[j] = bytes(32)
        with pytest.raises(m.ProofError):
            m.verify_inclusion(leaves[i], i, n, bad, root)
        with pytest.raises(m.ProofError):
            m.verify_inclusion(leaves[i], i, n, path[:-1], root)
    with pytest.raises(m.ProofError):
        m.verify_inclusion(m.leaf_hash(b"other"), i, n, path, root)
    k = data.draw(st.integers(1, n))
    proof = m.consistency_proof(leaves, k)
    m.verify_consistency(k, n, m.root(leaves, 0, k), root, proof)
    if proof:
        with pytest.raises(m.ProofError):
            m.verify_consistency(k, n, m.root(leaves, 0, k), root, [bytes(32), *proof[1:]])
