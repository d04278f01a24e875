"""``blastdoor inventory``: which AI agents run here, what they may do, and which could delete production."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from blastdoor.cli import exits

DESCRIPTION = """\
Find the configuration of AI coding agents in repositories and in a home directory, and say what each
may do without asking, whether blastdoor's hook guards it (installed and failing closed), which
credentials it can reach and which of those are production, with a risk tier per agent (1 critical ..
4 low) and the reasons written out.

Read: Claude Code (managed, user and project settings, .mcp.json), Codex (config.toml with profiles,
.rules, hooks.json), Cursor (cli-config.json, hooks.json, mcp.json), Gemini CLI (settings.json, policy
TOML), Kiro (.kiro/agents/*.json, .kiro/settings/mcp.json), VS Code / Copilot (settings.json, mcp.json,
.github/hooks), Claude Desktop, Windsurf, Continue, Cline, Roo Code, Aider, Goose and opencode; agent
binaries on PATH and VS Code extensions. Credentials (names and places, never values): AWS profiles, SSO
sessions and keys, kubeconfig contexts, gcloud and az configurations, database URLs in .env files,
~/.netrc, SSH keys and hosts, gh tokens. Production is what the active policy's `environments` say
(the same globs as `env: prod` in a rule); without any, names that say prod.

PATHS are repositories or directories holding them (searched 4 levels deep); default: the current
directory. Every finding has a stable id, a severity, the file and line, and a fix. A malformed file is
a finding, never a crash.

--write-register FILE writes a YAML register of the agents (owner, review date, vendor and data handling
fields are yours and kept on rewrite); --register FILE diffs this scan against it: a new agent, a widened
permission or a newly reachable production credential is a finding. --submit URL sends the report to
the blastdoor server (your API token: --token-file FILE or $BLASTDOOR_TOKEN); its /inventory page shows
every machine's agents. See docs/INVENTORY.md."""

EPILOG = """\
examples:
  blastdoor inventory                                   this repository and your home
  blastdoor inventory --format markdown > inventory.md
  blastdoor inventory . --format sarif > inventory.sarif  for code scanning
  blastdoor inventory --json --home "$HOME" .
  blastdoor inventory --write-register agents.yaml
  blastdoor inventory --register agents.yaml --fail-on high

exit codes:
  0   done (no finding at or above --fail-on)     1   a finding at or above --fail-on
  2   usage error      7   unreadable register     8   the server could not be reached"""


def register(sub: Any) -> None:
    from blastdoor.inventory.model import SEVERITIES

    p = sub.add_parser(
        "inventory",
        help="which AI agents run here, what they may do, and which reach production",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="repositories or directories of them (default: .)")
    p.add_argument("--home", metavar="DIR", help="the home directory to read (default: yours)")
    p.add_argument("--format", choices=("table", "json", "sarif", "markdown"), default="table", help="output format")
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITIES,
        help=f"exit 1 on a finding this severe: {', '.join(SEVERITIES)}",
    )
    p.add_argument("--write-register", metavar="FILE", help="write the register of agents found (YAML)")
    p.add_argument("--register", metavar="FILE", help="diff against this register; changes are findings")
    p.add_argument("--submit", metavar="URL", help="send the report to the blastdoor server at URL")
    p.add_argument(
        "--token-file", metavar="FILE", help="with --submit: a file holding your API token (default: $BLASTDOOR_TOKEN)"
    )
    p.add_argument("--system-root", metavar="DIR", default="/", help=argparse.SUPPRESS)
    p.set_defaults(func=run_inventory)


def _environments(cwd: str) -> dict[str, Any]:
    from blastdoor.errors import BlastdoorError
    from blastdoor.policy import load_policy

    try:
        return dict(load_policy(cwd).environments)
    except BlastdoorError as exc:
        print(f"blastdoor: the policy cannot be read ({exc.message}); using the default environments", file=sys.stderr)
        return {}


def _token(args: argparse.Namespace) -> str:
    from blastdoor.errors import InputError

    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise InputError(f"cannot read --token-file {args.token_file}: {exc.strerror}") from exc
    return os.environ.get("BLASTDOOR_TOKEN", "")


def run_inventory(args: argparse.Namespace) -> int:
    from blastdoor.errors import InputError
    from blastdoor.inventory import register as reg
    from blastdoor.inventory import render, scan
    from blastdoor.inventory.model import at_least

    paths = args.paths or [os.getcwd()]
    for path in paths:
        if not os.path.isdir(path):
            raise InputError(f"no such directory: {path}")
    home = args.home or os.path.expanduser("~")
    report = scan(paths, home=home, environments=_environments(os.path.abspath(paths[0])), system=args.system_root)
    if args.register:
        try:
            data, text = reg.load(args.register)
        except OSError as exc:
            raise InputError(f"cannot read --register {args.register}: {exc.strerror}") from exc
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        report.findings.extend(reg.diff(report, data, text, os.path.abspath(args.register)))
    if args.write_register:
        previous: dict[str, Any] | None = None
        if os.path.exists(args.write_register):
            try:
                previous = reg.load(args.write_register)[0]
            except (OSError, ValueError) as exc:
                raise InputError(f"{exc}: not overwritten") from exc
        tmp = args.write_register + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(reg.dump(reg.entries(report, previous)))
        os.replace(tmp, args.write_register)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "sarif":
        from blastdoor.inventory.sarif import to_sarif

        print(json.dumps(to_sarif(report), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        sys.stdout.write(render.markdown(report))
    else:
        print(render.table(report))
    if args.submit:
        from blastdoor.inventory.submit import submit

        answer = submit(args.submit, report.to_dict(), _token(args))
        print(f"submitted to {args.submit}: {answer.get('host', report.host)}", file=sys.stderr)
    if args.fail_on and any(at_least(f.severity, args.fail_on) for f in report.findings):
        return exits.FAILED
    return exits.OK
