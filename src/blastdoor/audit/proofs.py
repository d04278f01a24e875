"""Check an inclusion proof document (``blastdoor audit prove``) with no database.

The document carries the entry bytes, its index, the tree size, the audit path and, when one covered
the entry, the signed checkpoint. Checking re-hashes the entry (RFC 6962 §2.1), walks the path to the
root (RFC 9162 §2.1.3.2), and checks that root against the checkpoint and its signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.audit import checkpoint as cp
from blastdoor.audit.merkle import ProofError, leaf_hash, verify_inclusion

if TYPE_CHECKING:
    from collections.abc import Iterable


def check_inclusion(proof: dict[str, Any], trusted: Iterable[cp.Verifier] = ()) -> str:
    """Raise ``ProofError`` unless ``proof`` holds; returns a one-line description of what was proven.

    With ``trusted`` keys, the proof must carry a checkpoint signed by one of them. Without, only the
    hashes were checked (see ``check_inclusion_anchored``, which says so).
    """
    return check_inclusion_anchored(proof, trusted)[0]


def check_inclusion_anchored(proof: Any, trusted: Iterable[cp.Verifier] = ()) -> tuple[str, bool]:
    """``check_inclusion``, and whether a trusted key vouched for the root (False: hashes only)."""
    if not isinstance(proof, dict):
        raise ProofError("malformed proof document: not a JSON object")
    try:
        entry = str(proof["entry"]).encode("utf-8")
        seq = int(proof["seq"])
        size = int(proof["size"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        root = bytes.fromhex(proof["root"])
        claimed = bytes.fromhex(str(proof["leaf_hash"])) if proof.get("leaf_hash") else None
        note = proof.get("checkpoint")
        if note is not None and not isinstance(note, str):
            raise TypeError("checkpoint is not a string")
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofError(f"malformed proof document: {exc}") from exc
    leaf = leaf_hash(entry)
    if claimed is not None and claimed != leaf:
        raise ProofError("the entry does not hash to the proof's leaf hash")
    verify_inclusion(leaf, seq, size, path, root)
    keys = list(trusted)
    if note:
        try:
            c, signers = cp.open_checkpoint(note, keys) if keys else (cp.peek_checkpoint(note), [])
        except cp.NoteError as exc:
            raise ProofError(f"checkpoint: {exc}") from exc
        if c.size != size or c.root != root:
            raise ProofError("the proof's root is not the checkpoint's")
        if proof.get("origin") and c.origin != proof["origin"]:
            raise ProofError("the checkpoint is for another log")
        if not signers:
            return (
                f"entry {seq} hashes into a tree of size {size} with root {root.hex()}; NOT checked: the"
                " checkpoint's signature (no trusted key: pass --trust)",
                False,
            )
        who = ", ".join(f"{v.name}+{v.id:08x}" for v in signers)
        return f"entry {seq} is in the log `{c.origin}` of size {size} (checkpoint signed by {who})", True
    if keys:
        raise ProofError("the proof has no signed checkpoint to check against the trusted key")
    return (
        f"entry {seq} hashes into a tree of size {size} with root {root.hex()}; NOT checked: no signed"
        " checkpoint in the proof, and no trusted key",
        False,
    )
