"""``blastdoor``: the command-line entry point. Parses, dispatches, renders errors, exits."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from blastdoor.cli import exits

if TYPE_CHECKING:
    import argparse

# Each module exposes register(subparsers); its handlers return an exit code.
COMMAND_MODULES = (
    "blastdoor.cli.decide",
    "blastdoor.cli.policy",
    "blastdoor.cli.audit",
    "blastdoor.cli.hook",
    "blastdoor.cli.install",
    "blastdoor.cli.exec",
    "blastdoor.cli.coverage",
    "blastdoor.cli.approvals",
    "blastdoor.cli.break_glass",
    "blastdoor.cli.agents",
    "blastdoor.cli.lease",
    "blastdoor.cli.limits",
    "blastdoor.cli.proxy",
    "blastdoor.cli.people",
    "blastdoor.cli.serve",
    "blastdoor.cli.mcp",
    "blastdoor.cli.inventory",
    "blastdoor.cli.review",
    "blastdoor.cli.drill",
    "blastdoor.cli.boundary",
    "blastdoor.cli.evidence",
)

DESCRIPTION = """\
blastdoor: an action boundary for AI agents.

Every action an agent wants to take is classified (what it does, to what, in which environment) and
judged by a policy kept as code: allow, ask (the operator confirms), approve (other people must
approve) or deny. Policy layers: the managed file (/etc/blastdoor/policy.yaml or
$BLASTDOOR_MANAGED_POLICY), the project's blastdoor.yaml (found upward from the working directory, or
$BLASTDOOR_POLICY) and the user's ~/.config/blastdoor/policy.yaml ($BLASTDOOR_USER_POLICY)."""


def build_parser() -> argparse.ArgumentParser:
    import argparse
    import importlib

    from blastdoor import __version__

    parser = argparse.ArgumentParser(
        prog="blastdoor",
        description=DESCRIPTION,
        epilog=exits.TABLE + "\n\nRun `blastdoor COMMAND --help` for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"blastdoor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from blastdoor.errors import BlastdoorError

    args_list = sys.argv[1:] if argv is None else argv
    if args_list and args_list[0] == "hook":
        # The hot path: a fresh process per tool call, dispatched before argparse and the other commands.
        from blastdoor.cli.hook import run

        fast = run(args_list[1:])
        if fast >= 0:
            return fast
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        code: int = args.func(args)
    except BlastdoorError as exc:
        print(f"blastdoor: {exc.diagnostics()}", file=sys.stderr)
        return exits.exit_for(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return exits.OK
    except Exception:  # a bug: say so plainly, keep the traceback for the report
        import traceback

        traceback.print_exc()
        print("blastdoor: internal error (this is a bug; the traceback is above)", file=sys.stderr)
        return exits.INTERNAL
    return code


if __name__ == "__main__":
    sys.exit(main())
