"""``blastdoor hook <harness>``: the command a harness runs before (and after) each tool call.

Dispatched by ``cli.main`` before argparse is built: a hook is a fresh process per tool call, and the
parser with every command module costs more than the decision. ``register`` only documents it.
"""

from __future__ import annotations

import sys
from typing import Any

from blastdoor.adapters import HARNESSES

_DESCRIPTION = """\
Read one hook call of HARNESS as JSON on stdin, decide it with the effective policy (the layers found
from the payload's cwd), record the decision in the audit log, and answer in the harness's own format.
Post-tool events record the outcome, linked to the decision by the harness's call id.

Fails closed: malformed input, an unreadable policy, an audit log that cannot be written (for anything
but a plain read), an internal error or no decision within $BLASTDOOR_HOOK_TIMEOUT seconds (default 20)
all answer deny with exit 2, which every harness treats as "block". Where a harness cannot express a
verdict (Codex and Gemini have no "ask" from a hook; none has "approve"), it becomes deny with plain
instructions for the agent. `blastdoor coverage` lists each harness's gaps.

You rarely run this yourself: `blastdoor install HARNESS` writes it into the harness's configuration.

environment:
  BLASTDOOR_DB            the audit store (default $BLASTDOOR_HOME/blastdoor.db)
  BLASTDOOR_HOOK_TIMEOUT  seconds before the hook denies on its own (default 20)
  BLASTDOOR_AGENT         the agent id to record (default HARNESS:USER@HOST)"""

_EXAMPLES = """\
examples:
  echo '{"hook_event_name": "PreToolUse", "session_id": "s1", "cwd": "/src/app",
         "tool_name": "Bash", "tool_input": {"command": "rm -rf build"}, "tool_use_id": "t1"}' \\
    | blastdoor hook claude-code
  echo '{"hook_event_name": "beforeShellExecution", "command": "ls", "cwd": "/src/app",
         "conversation_id": "c1", "generation_id": "g1"}' | blastdoor hook cursor

exit codes:
  0   the reply on stdout carries the verdict (allow, ask, deny in the harness's format)
  2   blocked: deny with the reason on stderr (Kiro's deny, and every failure)"""


def register(sub: Any) -> None:
    import argparse

    p = sub.add_parser(
        "hook",
        help="answer one harness hook call (stdin JSON -> the harness's reply)",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("harness", choices=sorted(HARNESSES), help="the harness whose protocol to speak")
    p.set_defaults(func=lambda args: run([args.harness]))


def run(argv: list[str]) -> int:
    """The fast path: ``argv`` is what follows ``hook``. Exit 2 (block) on a usage error too."""
    if len(argv) != 1 or argv[0] not in HARNESSES:
        if argv and argv[0] in ("-h", "--help"):
            return -1  # let argparse print the help
        known = ", ".join(sorted(HARNESSES))
        print(f"blastdoor: hook needs one harness ({known}); blocking", file=sys.stderr)
        return 2
    from blastdoor.hook.runner import main

    return main(argv[0])
