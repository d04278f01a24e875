"""RFC 8785 bytes for the common case at a third of the cost, and the exact encoder otherwise.

For a value with no floats and only ASCII string keys, ``json.dumps`` with sorted keys, no spaces and
``ensure_ascii=False`` writes exactly the canonical bytes: strings are escaped by the same
``encode_basestring`` that ``blastdoor.action.canonical`` uses, integers, booleans and null print the
same, and sorting ASCII keys by code point equals sorting them by UTF-16 code unit (RFC 8785 §3.2.3).
Non-integral floats from 1e-4 up to 1e16 print the same in both (shortest round-trip digits, fixed
notation); other floats (ECMAScript number form) and non-ASCII keys (UTF-16 order) go to ``canonical_json``. The caller
states which case holds (the redaction walk finds out for free); a property test checks both agree.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
).encode


def canonical_bytes(value: Any, *, plain: bool) -> bytes:
    """``canonical_json(value)``; ``plain`` promises only ASCII ``str`` keys and no floats but non-integral
    ones in [1e-4, 1e16) (``Redactor.plain`` says whether that holds)."""
    if plain:
        return _dumps(value).encode("utf-8", "strict")
    from blastdoor.action import canonical_json  # floats or non-ASCII keys: rare, and not worth an import up front

    return canonical_json(value)
