"""Exit codes scripts can rely on (documented in ``blastdoor --help`` and docs/CLI.md)."""

from __future__ import annotations

from blastdoor import errors

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

# The one table from an error's kind to the exit code (the nearest listed base class answers).
ERROR_EXIT: dict[type[errors.BlastdoorError], int] = {
    errors.Refused: FAILED,  # blastdoor said no (Forbidden and Conflict too)
    errors.UsageError: USAGE,
    errors.PolicyError: POLICY,
    errors.InputError: INPUT,  # NotFound too: the input names something that does not exist
    errors.Unavailable: STORE,  # the store or another service blastdoor needs
    errors.BlastdoorError: INTERNAL,
}


def exit_for(exc: errors.BlastdoorError) -> int:
    """The exit code for one of blastdoor's errors, from ``ERROR_EXIT``."""
    for kind in type(exc).__mro__:
        code = ERROR_EXIT.get(kind)
        if code is not None:
            return code
    return INTERNAL


TABLE = """\
exit codes:
  0   success; for check/explain: the verdict is allow
  1   a check failed (policy tests, audit verification)
  2   usage error
  3   verdict ask          4   verdict approve          5   verdict deny
  6   invalid or unreadable policy
  7   malformed input (action, payload, plan) or it names something that does not exist
  8   store (or another service blastdoor needs) unavailable
  9   audit verify/prove: consistent, but not vouched for by a trusted key (UNANCHORED)
  70  internal error"""
