"""Exit codes scripts can rely on (documented in ``blastdoor --help`` and docs/CLI.md)."""

from __future__ import annotations

OK = 0  # success; for check/explain/exec: the verdict is allow
FAILED = 1  # a check ran and failed: policy tests, audit verification
USAGE = 2  # bad command-line use
ASK = 3  # verdict ask
APPROVE = 4  # verdict approve
DENY = 5  # verdict deny
POLICY = 6  # the policy is invalid or unreadable
INPUT = 7  # a malformed action, payload or plan
STORE = 8  # the store cannot be read or written
UNANCHORED = 9  # a check found nothing wrong but no trusted key vouched for it (audit verify/prove)
INTERNAL = 70  # a bug in blastdoor (EX_SOFTWARE)

VERDICT_EXIT = {"allow": OK, "ask": ASK, "approve": APPROVE, "deny": DENY}

TABLE = """\
exit codes:
  0   success; for check/explain: the verdict is allow
  1   a check failed (policy tests, audit verification)
  2   usage error
  3   verdict ask          4   verdict approve          5   verdict deny
  6   invalid or unreadable policy
  7   malformed input (action, payload, plan)
  8   store unavailable
  9   audit verify/prove: consistent, but not vouched for by a trusted key (UNANCHORED)
  70  internal error"""
