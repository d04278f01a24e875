"""The change gate: AI-authored commits get the review and sign-off human ones get, enforced.

    git.py          the commits of a range, read with one ``git log`` (real git, no library)
    provenance.py   who wrote a commit: the audit log, trailers, bot identities (pure)
    rules.py        what a change needs: built-in categories + the policy's ``changes:`` block (pure)
    signoff.py      sign-offs bound to exact commit ids (state + audit events, like break-glass)
    gate.py         a range judged: provenance, classification and sign-offs together

It reads what the core records and is never on the hook's hot path (docs/CHANGE-GATE.md).
"""

from __future__ import annotations
