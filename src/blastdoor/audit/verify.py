"""Verify a log, or an exported bundle, with no trust in whoever stored it.

One pass over the entries in sequence order checks, for each entry:

1. the sequence is contiguous from 0 (a gap or a repeat names the first missing or misplaced number);
2. the stored leaf hash equals SHA-256(0x00 || entry bytes) (a changed byte names its entry);
3. the entry bytes end with the entry's own ``"seq"`` and ``"time"`` (a row moved or renumbered shows);
4. time never goes backwards;
5. with ``deep``: the bytes parse as JSON, are canonical (RFC 8785), and match the indexed columns.

Then every checkpoint (stored, bundled or exported by hand): its signature by a trusted key, its origin,
and its root against the root recomputed at its size. A checkpoint larger than the log means the log
was truncated or rolled back; a root that differs means entries before it were rewritten, and the first
bad entry lies after the last checkpoint that still matches. ``checkpoint`` events inside the log name
every checkpoint ever signed, so deleting stored checkpoints shows too.

Trust: the caller's verifier keys are the anchors. A ``key.rotated`` event passes trust between its two
keys only when a later checkpoint (one that covers the event) is signed by both the old and the new key,
and one of them is already trusted: the old key's owner consented to the new key and the new key's owner
holds it. Without that, anyone who can write to the database (or submit events) could insert a rotation
to a key of their own and sign what they like with it. A log that rotated its key verifies with the
newest key alone, or with the oldest. Pure: rows and notes in, a report out.
"""

from __future__ import annotations

import json
from hashlib import sha256
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from blastdoor.action import canonical_json
from blastdoor.audit import checkpoint as cp
from blastdoor.audit.events import CHECKPOINT, CHECKPOINT_VERSION, KEY_ROTATED, checkpoint_event, index_of
from blastdoor.audit.merkle import frontier_root
from blastdoor.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from blastdoor.audit.seal import HeadClaim

# (seq, time (text, or its ASCII bytes), entry bytes, stored leaf hash or None, indexed columns or None)
Row = tuple[int, "str | bytes", bytes, "bytes | None", "tuple[str, ...] | None"]

_PREFIX = b'{"event":'
_KIND = b'"kind":"'
_KIND_LEN = len(_KIND)
_KEY_KIND = KEY_ROTATED.encode() + b'"'
_CP_KIND = CHECKPOINT.encode() + b'"'
# The fields of a checkpoint event as the log writes it (``events.checkpoint_event``).
_CHECKPOINT_FIELDS = checkpoint_event(0, "", ()).keys()
_SUFFIX = b',"seq":%d,"time":"%s"}'  # events.entry_suffix, as a template (checked by the tests)
_BEFORE_ALL = b"\x00"  # the time before the first entry: above only the empty time, which is malformed
_FIRST_KEY = len(b'{"event":{"')  # where the event's first key starts
_K = ord("k")
_KIND_WITHIN = 96  # '{"event":{"key_ids":[' + up to four 10-byte key ids + '],"kind":"checkpoint"'


class Problem:
    """One thing wrong, at a sequence number (the first entry that cannot be trusted)."""

    __slots__ = ("message", "seq")

    def __init__(self, seq: int, message: str) -> None:
        self.seq = seq
        self.message = message

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.message}"


class Report:
    """What ``verify`` found.

    ``ok``: no problem at all. ``anchored``: every entry is also covered by a signature of a trusted key
    (a checkpoint, or the sealed head), so ``ok`` means more than "consistent with itself".
    ``status`` is ``ok``, ``UNANCHORED`` (consistent, but not all of it vouched for by a trusted key:
    ``unchecked`` says what was not) or ``FAILED``.
    """

    def __init__(self) -> None:
        self.size = 0
        self.root = b""
        self.problems: list[Problem] = []
        self.checkpoints = 0
        self.checked_sizes: list[int] = []
        self.warnings: list[str] = []
        self.anchored_size = 0  # entries [0, anchored_size) are covered by a trusted signature
        self.anchors: list[str] = []  # what vouched for them (checkpoints, the sealed head, a witness)
        self.unchecked: list[str] = []  # what could not be checked, in words

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def anchored(self) -> bool:
        return bool(self.anchors) and self.anchored_size >= self.size and not self.unchecked

    @property
    def status(self) -> str:
        if self.problems:
            return "FAILED"
        return "ok" if self.anchored else "UNANCHORED"

    def anchor(self, size: int, what: str) -> None:
        self.anchored_size = max(self.anchored_size, size)
        if what not in self.anchors:
            self.anchors.append(what)

    def finish(self) -> None:
        """Name the part of the log no trusted signature covers (call once everything was checked)."""
        if self.problems or (self.anchors and self.anchored_size >= self.size):
            return
        if self.size == 0:
            self.unchecked.append("the log is empty: no trusted signature vouches for it (truncated to nothing?)")
        elif self.anchored_size == 0:
            self.unchecked.append(f"no trusted signature covers any of the {self.size} entries")
        else:
            self.unchecked.append(
                f"entries {self.anchored_size}..{self.size - 1} are not covered by a trusted signature"
            )

    @property
    def first_bad(self) -> int | None:
        """The first sequence number that cannot be trusted, or None."""
        return min((p.seq for p in self.problems), default=None)

    def add(self, seq: int, message: str) -> None:
        self.problems.append(Problem(seq, message))

    def summary(self) -> str:
        if not self.ok:
            first = min(self.problems, key=lambda p: p.seq)
            return f"FAILED at seq {first.seq}: {first.message}"
        checked = f"{self.size} entries hash-chained, {self.checkpoints} checkpoints verified, root {self.root.hex()}"
        if self.anchored:
            return f"ok: {checked}; vouched for by {'; '.join(self.anchors)}"
        return f"UNANCHORED: {checked}; NOT checked: {'; '.join(self.unchecked)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "anchored": self.anchored,
            "anchored_size": self.anchored_size,
            "anchors": self.anchors,
            "unchecked": self.unchecked,
            "size": self.size,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "first_bad_seq": self.first_bad,
            "problems": [{"seq": p.seq, "message": p.message} for p in sorted(self.problems, key=lambda p: p.seq)],
            "warnings": self.warnings,
        }


def verify_entries(
    rows: Iterable[Row],
    *,
    checkpoints: Sequence[str] = (),
    external: Sequence[str] = (),
    trusted: Iterable[cp.Verifier] = (),
    origin: str = "",
    deep: bool = False,
    complete: bool = True,
    head: HeadClaim | None = None,
) -> Report:
    """Check entries (in seq order) and signed checkpoint notes; see the module docstring.

    ``checkpoints`` are the ones stored with the log (``complete``: all that were ever signed),
    ``external`` ones exported earlier and kept elsewhere, ``trusted`` the anchor verifier keys,
    ``head`` what the store's head row claims (checked against the entries, and its seal when a key is
    given). Never raises on bad input: whatever cannot be read or parsed is a problem at its seq.
    """
    report = Report()
    stored = [_peek(n, report, "stored") for n in checkpoints]
    exported = [_peek(n, report, "exported") for n in external]
    wanted = {c.size for c in stored + exported if c is not None}
    if head is not None:
        wanted.update(head.sizes())
    roots: dict[int, bytes] = {0: frontier_root([])} if 0 in wanted else {}
    rotations: list[tuple[int, str, str]] = []
    cp_events: list[tuple[int, int, str, tuple[str, ...] | None]] = []

    frontier: list[bytes] = []
    expected = 0
    prefix = _PREFIX
    plen = len(prefix)
    suffix = _SUFFIX
    prev = _BEFORE_ALL
    hash_ = sha256  # locals: this loop is verify's whole cost
    push = frontier.append
    pop = frontier.pop
    first_key, k = _FIRST_KEY, _K
    sizes = iter(sorted(s for s in wanted if s > 0))
    want = next(sizes, -1)
    it: Iterator[Row] = iter(rows)
    row: Any = None
    again: Any = None  # the last row ``_check_row`` handed back: an error on it is the row's own
    text_times = False
    while True:
        try:
            # The fast path: every check on every entry, as few Python operations as they allow, in runs
            # that end where a root is wanted (no test per entry). Anything odd (a type, a mismatch) goes to
            # ``_check_row``, which names the problem or hands back the row in the types this loop expects.
            for row in it if want < 0 else islice(it, want - expected):
                seq, t, body, leaf, index = row
                h = hash_(b"\x00" + body).digest()
                # Values, not Python types, beyond what the operations demand: a text time fails ``<``
                # (``_check_row`` encodes it), an int-like seq or bytes-like time equal to what the entry
                # itself says names that entry (the stores hand over ints and bytes).
                if (
                    seq != expected
                    or t < prev  # also an empty time: the first ``prev`` is above it
                    or (leaf != h and leaf is not None)
                    or not body.endswith(suffix % (expected, t))
                    or body[:plen] != prefix  # a slice compares faster than startswith
                ):
                    raise _Odd
                if deep and not _deep_ok(seq, body, index, report):
                    break
                # Checkpoint and key-rotation events as the log writes them (``events.checkpoint_event``,
                # ``key_event``) have a first key starting with "k" ("key_ids", "kind"), and at most the key
                # ids before their ``"kind":"`` (keys sort), so that lies in the first ``_KIND_WITHIN``
                # bytes: one byte compare for every entry, a bounded scan for few. An event of either kind
                # shaped otherwise was not written by the log (callers cannot write these kinds), and
                # unrecognised it passes no trust.
                if body[first_key] == k:
                    i = body.find(_KIND, 0, _KIND_WITHIN) + _KIND_LEN
                    if i >= _KIND_LEN and (body.startswith(_CP_KIND, i) or body.startswith(_KEY_KIND, i)):
                        bad = _special(seq, body, t, prev, rotations, cp_events)
                        if bad:
                            report.add(seq, bad)
                            break
                prev = t
                # merkle.frontier_push, inlined
                n = expected
                while n & 1:
                    h = hash_(b"\x01" + pop() + h).digest()
                    n >>= 1
                push(h)
                expected += 1
            if expected == want and not report.problems:
                roots[expected] = frontier_root(frontier)
                want = next(sizes, -1)
                continue
            break
        except StoreError as exc:
            report.add(expected, f"cannot read the entry: {exc}")
            break
        except Exception as exc:  # a malformed row is a failed verification, not a crash
            # Raised further down than this loop (no Python function it calls raises): by the rows' source.
            if row is None or (exc.__traceback__ is not None and exc.__traceback__.tb_next is not None):
                report.add(expected, f"cannot read the entry: {exc}")
                break
            if row is again:
                report.add(expected, f"malformed entry row: {exc}")
                break
            try:
                fixed = _check_row(row, expected, prev, report)
            except Exception as inner:
                report.add(expected, f"malformed entry row: {inner}")
                break
            if fixed is None:
                break
            again = fixed
            it = chain((fixed,), it)
            if not text_times and row[1].__class__ is str:  # PostgreSQL and bundles: encode the rest on the way in
                text_times = True
                it = map(_time_bytes, it)
    report.size = expected
    report.root = frontier_root(frontier)
    if report.problems:
        return report  # the tree past a broken entry means nothing; checkpoints would only repeat it

    anchors = set(trusted)
    if not anchors and (stored or exported):
        report.unchecked.append("checkpoint signatures: no trusted verifier key (pass --trust)")
    good_sizes: list[int] = []
    if anchors:
        every = [(c.size, n) for c, n in zip([*stored, *exported], [*checkpoints, *external], strict=True) if c]
        keys = _rotated_keys(rotations, every, anchors)
        good_sizes = _check_signed(stored, checkpoints, keys, roots, origin, report, "stored")
        _check_signed(exported, external, keys, roots, origin, report, "exported", good_sizes)
    else:  # unsigned, the checkpoints still say whether the log was truncated or forked since
        for what, group in (("stored", stored), ("exported", exported)):
            for c in group:
                if c is not None:
                    _check_one(c, roots, origin, report, what, good_sizes, anchor=False)
    stored_sizes = {c.size for c in stored if c is not None}
    for seq, size, root_hex, _ in cp_events:
        if complete and size not in stored_sizes:
            report.add(seq, f"the checkpoint at size {size} recorded here is missing from the store")
        elif size in roots and roots[size].hex() != root_hex:
            report.add(_after(good_sizes, size), f"checkpoint event at seq {seq} disagrees with the log")
    if head is not None:
        head.check(report, roots, sorted(good_sizes))
    # A checkpoint is signed before its own ``checkpoint`` event is appended, so a log (or bundle) that
    # ends in checkpoint events restating verified checkpoints is covered to its end: only events exactly
    # as the log writes them (no signature covers them yet, so nothing else in them may pass as vouched;
    # their time is their predecessor's, which a signature covers, checked in ``_special``).
    signers = _signer_ids(stored, checkpoints)
    restating = {
        seq
        for seq, size, root_hex, ids in cp_events
        if ids and size in good_sizes and roots[size].hex() == root_hex and set(ids) <= signers.get(size, set())
    }
    if report.anchored_size:
        while report.anchored_size < report.size and report.anchored_size in restating:
            report.anchored_size += 1
    report.finish()
    return report


def _time_bytes(row: Any) -> Any:
    """A row with a text time, its time as bytes (as ``_check_row`` encodes it); any other row as it is."""
    try:
        t = row[1]
        if t.__class__ is str:
            return (row[0], t.encode("ascii", "replace"), row[2], row[3], row[4])
    except Exception:
        pass
    return row


class _Odd(Exception):
    """An entry the fast path does not take as it is: ``_check_row`` looks at it."""


def _check_row(row: Any, expected: int, prev: bytes, report: Report) -> Row | None:
    """One entry checked the slow way: the row in the types verify's loop expects (bytes-like values made
    bytes, a text time encoded), or None once the problem is reported at its sequence number."""
    seq, time, body, leaf, index = row
    if body.__class__ is not bytes:
        if not isinstance(body, (bytearray, memoryview)):
            report.add(expected, f"entry is stored as {type(body).__name__}, not bytes (rewritten)")
            return None
        body = bytes(body)
    if leaf is not None and leaf.__class__ is not bytes:
        leaf = bytes(leaf) if isinstance(leaf, (bytearray, memoryview)) else b""
    # The time as bytes: SQLite hands it over so, PostgreSQL as text (ASCII when it is a time at all).
    t = time if time.__class__ is bytes else time.encode("ascii", "replace") if isinstance(time, str) else b""
    if seq.__class__ is not int or not t:
        report.add(expected, "entry has a malformed sequence number or time")
        return None
    if seq != expected:
        if seq > expected:
            report.add(expected, f"missing: the next entry present is seq {seq}")
        else:
            report.add(seq, f"out of order: seq {seq} appears after seq {expected - 1}")
        return None
    if leaf is not None and leaf != sha256(b"\x00" + body).digest():
        report.add(seq, "entry bytes do not match their leaf hash (the entry was edited)")
        return None
    if not body.startswith(_PREFIX) or not body.endswith(_SUFFIX % (seq, t)):
        report.add(seq, "entry does not carry its own seq and time (moved, renumbered or edited)")
        return None
    if t < prev:
        report.add(seq, f"time goes backwards ({t.decode(errors='replace')} after {prev.decode(errors='replace')})")
        return None
    return (seq, t, body, leaf, index)


def _signer_ids(stored: Sequence[cp.Checkpoint | None], notes: Sequence[str]) -> dict[int, set[str]]:
    """Per checkpoint size, the key ids (as the log writes them) of the signatures on its stored note."""
    out: dict[int, set[str]] = {}
    for c, note in zip(stored, notes, strict=True):
        if c is not None:
            try:
                out.setdefault(c.size, set()).update(f"{s.id:08x}" for s in cp.split_note(note)[1])
            except cp.NoteError:
                continue
    return out


def _peek(note: str, report: Report, what: str) -> cp.Checkpoint | None:
    try:
        return cp.peek_checkpoint(note)
    except cp.NoteError as exc:
        report.add(0, f"malformed {what} checkpoint: {exc}")
        return None


def _deep_ok(seq: int, body: bytes, index: tuple[str, ...] | None, report: Report) -> bool:
    try:
        problem = _deep_problem(body, index)
    except Exception as exc:
        problem = f"malformed entry: {exc}"
    if problem:
        report.add(seq, problem)
        return False
    return True


def _deep_problem(body: bytes, index: tuple[str, ...] | None) -> str:
    try:
        entry = json.loads(body)
    except ValueError:
        return "entry is not valid JSON"
    if canonical_json(entry) != body:
        return "entry is not in canonical (RFC 8785) form"
    event = entry.get("event")
    if not isinstance(event, dict):
        return "entry has no event object"
    if index is not None and tuple(index) != index_of(event):
        return "indexed columns do not match the entry (edited to hide it from search)"
    return ""


def _special(
    seq: int,
    body: bytes,
    time: bytes,
    prev: bytes,
    rotations: list[tuple[int, str, str]],
    cps: list[tuple[int, int, str, tuple[str, ...] | None]],
) -> str:
    """Collect a key rotation, or a checkpoint event with its key ids (None: not as the log writes it);
    a problem (non-empty) for a current checkpoint event whose time is not its predecessor's, or for a
    malformed one (verify's loop calls this: nothing in it may raise)."""
    try:
        return _collect(seq, body, time, prev, rotations, cps)
    except Exception as exc:
        return f"malformed entry: {exc}"


def _collect(
    seq: int,
    body: bytes,
    time: bytes,
    prev: bytes,
    rotations: list[tuple[int, str, str]],
    cps: list[tuple[int, int, str, tuple[str, ...] | None]],
) -> str:
    try:
        entry = json.loads(body)
        event = entry["event"]
    except (ValueError, KeyError, TypeError):
        return ""
    kind = event.get("kind")
    if kind == KEY_ROTATED:
        rotations.append((seq, str(event.get("old_key", "")), str(event.get("new_key", ""))))
    elif kind == CHECKPOINT and isinstance(event.get("size"), int):
        ids = event.get("key_ids")
        # The log writes a checkpoint event (``events.CHECKPOINT_VERSION``) with the time of the entry
        # before it, which a signature covers once the event is the log's last entry: one with a time of
        # its own was not written so. Version 1 events (older logs) took the clock's time: read, but they
        # restate nothing (their time would be vouched by nothing, and a tail rewritten as one could move it).
        current = event.get("v") == CHECKPOINT_VERSION
        if current and time != prev:  # both as stored: the entry's bytes end with ``time`` (checked before)
            return "checkpoint event does not carry the time of the entry before it (its time was moved)"
        exact = (
            current
            and event.keys() == _CHECKPOINT_FIELDS
            and isinstance(ids, list)
            and all(isinstance(i, str) for i in ids)
        )
        cps.append((seq, int(event["size"]), str(event.get("root", "")), tuple(ids) if exact else None))
    return ""


def _after(good_sizes: list[int], size: int) -> int:
    """The first seq not covered by a checkpoint that matched, below ``size``."""
    return max((s for s in good_sizes if s < size), default=0)


def _signed_by(note: str, key: cp.Verifier) -> bool:
    try:
        cp.open_note(note, (key,))
    except cp.NoteError:
        return False
    return True


def _rotated_keys(
    rotations: Sequence[tuple[int, str, str]], notes: Sequence[tuple[int, str]], anchors: set[cp.Verifier]
) -> set[cp.Verifier]:
    """The anchors, plus the keys of every rotation vouched for by both its keys (see the module docstring).

    A rotation at ``seq`` counts only with a checkpoint of size > ``seq`` (it covers the event) that
    carries valid signatures by the old and the new key while one of the two is trusted already; a
    fixpoint, since one rotation's keys can make the next one's trusted. Whether that checkpoint also
    matches the log is ``_check_one``'s business: a mismatch fails verification anyway.
    """
    trusted = set(anchors)
    waiting: list[tuple[int, cp.Verifier, cp.Verifier]] = []
    for seq, old_text, new_text in rotations:
        try:
            waiting.append((seq, cp.Verifier.parse(old_text), cp.Verifier.parse(new_text)))
        except cp.NoteError:
            continue  # a rotation that names no key passes no trust
    progress = True
    while progress and waiting:
        progress = False
        for rotation in list(waiting):
            seq, old, new = rotation
            if old not in trusted and new not in trusted:
                continue
            if any(size > seq and _signed_by(note, old) and _signed_by(note, new) for size, note in notes):
                trusted.update((old, new))
                waiting.remove(rotation)
                progress = True
    return trusted


def _check_signed(
    parsed: Sequence[cp.Checkpoint | None],
    notes: Sequence[str],
    trusted: set[cp.Verifier],
    roots: dict[int, bytes],
    origin: str,
    report: Report,
    what: str,
    prior_good: Sequence[int] = (),
) -> list[int]:
    good: list[int] = list(prior_good)
    unsigned: list[tuple[cp.Checkpoint, str]] = []
    for c, note in zip(parsed, notes, strict=True):
        if c is None:
            continue
        try:
            cp.open_note(note, trusted)
        except cp.NoteError as exc:
            unsigned.append((c, str(exc)))
            continue
        _check_one(c, roots, origin, report, what, good)
    for c, why in unsigned:  # after the good ones: the first bad entry lies past the last that matched
        report.add(_after(good, c.size), f"{what} checkpoint at size {c.size}: {why}")
    return sorted(good)


def _check_one(
    c: cp.Checkpoint,
    roots: dict[int, bytes],
    origin: str,
    report: Report,
    what: str,
    good: list[int],
    *,
    anchor: bool = True,
) -> None:
    if origin and c.origin != origin:
        report.add(0, f"{what} checkpoint is for another log (`{c.origin}`, this log is `{origin}`)")
        return
    if c.size > report.size:
        report.add(
            report.size,
            f"{what} checkpoint covers {c.size} entries but the log has {report.size}: truncated or rolled back",
        )
        return
    if roots.get(c.size) != c.root:
        report.add(_after(good, c.size), f"{what} checkpoint at size {c.size} does not match the log's root")
        return
    if not anchor:
        return
    report.checkpoints += 1
    report.checked_sizes.append(c.size)
    good.append(c.size)
    report.anchor(c.size, f"{what} checkpoints signed by a trusted key")


def parse_bundle(text: str) -> tuple[str, list[Row], list[str], tuple[int, str] | None]:
    """The origin, entries (as rows), checkpoint notes of an exported bundle (or JSON lines), and the
    first line that is none of those as ``(seq it stands for, message)``: reading stops there."""
    origin = ""
    rows: list[Row] = []
    notes: list[str] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        at = rows[-1][0] + 1 if rows else 0
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                raise TypeError("not a JSON object")
            if "checkpoint" in doc:
                if not isinstance(doc["checkpoint"], str):
                    raise TypeError("checkpoint is not a string")
                notes.append(doc["checkpoint"])
            elif "blastdoor_bundle" in doc:
                origin = str(doc.get("origin", ""))
            else:
                seq, time = doc["seq"], doc["time"]
                if type(seq) is not int or not isinstance(time, str):
                    raise TypeError("seq or time of the wrong type")
                rows.append((seq, time, canonical_json(doc), None, None))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            return origin, rows, notes, (at, f"bundle line {n}: not an entry, checkpoint or header ({exc})")
    return origin, rows, notes, None
