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

    With ``trusted`` keys, the proof must carry a checkpoint signed by one of them.
    """
    try:
        entry = str(proof["entry"]).encode("utf-8")
        seq = int(proof["seq"])
        size = int(proof["size"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        root = bytes.fromhex(proof["root"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProofError(f"malformed proof document: {exc}") from exc
    leaf = leaf_hash(entry)
    if proof.get("leaf_hash") and bytes.fromhex(proof["leaf_hash"]) != leaf:
        raise ProofError("the entry does not hash to the proof's leaf hash")
    verify_inclusion(leaf, seq, size, path, root)
    keys = list(trusted)
    note = proof.get("checkpoint")
    if note:
        try:
            c, signers = cp.open_checkpoint(note, keys) if keys else (cp.peek_checkpoint(note), [])
        except cp.NoteError as exc:
            raise ProofError(f"checkpoint: {exc}") from exc
        if c.size != size or c.root != root:
            raise ProofError("the proof's root is not the checkpoint's")
        if proof.get("origin") and c.origin != proof["origin"]:
            raise ProofError("the checkpoint is for another log")
        who = ", ".join(f"{v.name}+{v.id:08x}" for v in signers) or "unchecked signature"
        return f"entry {seq} is in the log `{c.origin}` of size {size} (checkpoint signed by {who})"
    if keys:
        raise ProofError("the proof has no signed checkpoint to check against the trusted key")
    return f"entry {seq} is in a tree of size {size} with root {root.hex()} (no checkpoint yet)"
