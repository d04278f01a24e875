"""The sealed head: every commit batch leaves a MAC over the log's size and root in the head row.

A hook process appends one event and exits; signing an Ed25519 checkpoint there would import
``cryptography`` (tens of milliseconds) on every tool call. Instead every durable append, in every
process, writes a keyed MAC (BLAKE2b-256, RFC 7693) of the origin, size and root into the head row, in
the same transaction as the entries. The seal key lives beside the signing key (``audit.key.seal``,
mode 0600, never in the database), so whoever can write the database but not read the key directory
cannot delete or edit the tail and reset the head to match: ``verify`` recomputes the root at the
head's size and checks the seal.

What a seal cannot do: it is not publicly verifiable (checkpoints are, for outsiders), and an older head
row copied back with its older entries (a whole-database rollback) carries a valid older seal. A
witness or an append-only export of checkpoints catches that (``blastdoor.audit.witness``).

Only ``hashlib`` here (``hmac`` would import ``warnings``): the hook imports this module.
"""

from __future__ import annotations

from hashlib import blake2b

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from collections.abc import Callable

    from blastdoor.audit.verify import Report

_TAG = b"blastdoor.audit.head/v1\n"


def seal_key_id(key: bytes) -> bytes:
    """4 bytes naming a seal key (so a head sealed by another server's key is told apart from a forgery)."""
    kid = _key_ids.get(key)
    if kid is None:
        kid = blake2b(b"blastdoor.audit.seal-key/v1", key=key[:64], digest_size=4).digest()
        if len(_key_ids) < 16:  # a process holds one key, two across a rotation
            _key_ids[key] = kid
    return kid


_key_ids: dict[bytes, bytes] = {}


def seal(key: bytes, origin: str, size: int, root: bytes) -> bytes:
    """The seal of a head: the key's id, then keyed BLAKE2b-256 over a tag, the origin, the size and the root."""
    mac = blake2b(_TAG + f"{origin}\n{size}\n".encode() + root, key=key[:64], digest_size=32).digest()
    return seal_key_id(key) + mac


class HeadClaim:
    """What the head row said before the entries were read (``size``, ``root``, ``seal``), the size it
    said after (``later_size``: appends that ran during the read), and the seal key (None: unchecked)."""

    __slots__ = ("key", "later", "origin", "root", "seal", "size")

    def __init__(
        self,
        size: int,
        root: bytes,
        seal: bytes,
        *,
        key: bytes | None,
        origin: str,
        later: Callable[[], int] | None = None,
    ) -> None:
        self.size = size
        self.root = root
        self.seal = seal
        self.key = key
        self.origin = origin
        self.later = later  # the head's size read again once the entries were read

    def sizes(self) -> set[int]:
        return {self.size}

    def check(self, report: Report, roots: dict[int, bytes], good: list[int]) -> None:
        """Add a problem to ``report`` for each way the entries and this head disagree."""
        last_good = max((s for s in good if s <= self.size), default=0)
        later_size = self.size
        if self.later is not None:
            try:
                later_size = max(self.size, self.later())
            except Exception as exc:  # a head that cannot be read again is a failure, not a crash
                report.add(self.size, f"cannot read the head again: {exc}")
                return
        if report.size < self.size:
            report.add(
                report.size,
                f"the head says {self.size} entries were acknowledged but the log has {report.size}:"
                " the tail was deleted",
            )
            return
        if report.size > later_size:
            report.add(
                later_size,
                f"entries past the head (it says {later_size}, the log has {report.size}):"
                " the head was reset, or entries were inserted behind the log's back",
            )
            return
        if roots.get(self.size) != self.root:
            report.add(last_good, f"the head's root at size {self.size} does not match the entries (edited)")
            return
        if self.key is None:
            return  # no seal key here (an auditor with verifier keys only): the head vouches for nothing
        import hmac

        # The entries agree with the head, so what a forged head hides is what came after it: the tail.
        if self.size == 0 and not self.seal:
            return  # nothing was ever appended: nothing to vouch for
        if not self.seal:
            report.add(self.size, "the head is not sealed (reset by hand, or never written by this version)")
        elif len(self.seal) == 36 and self.seal[:4] != seal_key_id(self.key):
            # Another server on a shared store wrote last, with its own seal key: not ours to check.
            report.unchecked.append(
                f"the head was sealed by another seal key ({self.seal[:4].hex()}): verify where that key lives"
            )
        elif not hmac.compare_digest(self.seal, seal(self.key, self.origin, self.size, self.root)):
            report.add(self.size, "the head's seal does not match: the tail was cut and the head reset to match")
        else:
            report.anchor(self.size, "the sealed head (local seal key)")
