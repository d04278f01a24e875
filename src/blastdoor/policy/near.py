"""Near misses: the name a policy author probably meant (``sre-lead`` -> ``sre-leads``).

Tried in order, first hit wins:

1. the same name up to case and separators (``SRE_Leads``, ``sre leads`` -> ``sre-leads``);
2. the only known name that contains it, or that it contains, as a whole part (``sre`` -> ``sre-leads``
   when no other name has an ``sre`` part; ``prod-eu`` -> ``prod``);
3. the closest spelling (difflib ratio >= 0.6), compared without case and separators.

Nothing is suggested when no candidate is close, or when several are equally plausible.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["did_you_mean", "near_miss"]

_SEPARATORS = re.compile(r"[-_.\s/]+")


def _key(name: str) -> str:
    return _SEPARATORS.sub("", name.casefold())


def _parts(name: str) -> set[str]:
    return {p for p in _SEPARATORS.split(name.casefold()) if p}


def near_miss(word: str, choices: Iterable[str]) -> str | None:
    """The one choice ``word`` most plausibly meant, or None."""
    known = sorted({c for c in choices if c and c != word})
    if not word or not known:
        return None
    key = _key(word)
    same = [c for c in known if _key(c) == key]
    if len(same) == 1:
        return same[0]
    parts = _parts(word)
    if parts:
        overlapping = [c for c in known if parts <= _parts(c) or (_parts(c) and _parts(c) <= parts)]
        if len(overlapping) == 1:
            return overlapping[0]
    by_key: dict[str, list[str]] = {}
    for c in known:
        by_key.setdefault(_key(c), []).append(c)
    close = difflib.get_close_matches(key, list(by_key), n=2, cutoff=0.6)
    if not close or len(by_key[close[0]]) != 1:
        return None
    ratio = [difflib.SequenceMatcher(None, key, c).ratio() for c in close]
    if len(close) == 1 or ratio[0] > ratio[1]:  # a tie is no suggestion
        return by_key[close[0]][0]
    return None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for a near miss, else ``""``: ready to append to a message."""
    near = near_miss(word, choices)
    return f" (did you mean `{near}`?)" if near else ""
