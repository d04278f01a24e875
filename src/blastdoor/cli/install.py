"""``blastdoor install`` and ``blastdoor uninstall``: put blastdoor's hook into a harness's config."""

from __future__ import annotations

import argparse
import os
from typing import Any

from blastdoor.adapters import HARNESSES
from blastdoor.cli import exits
from blastdoor.errors import InputError

_INSTALL_DESCRIPTION = """\
Write blastdoor's hook into HARNESS's configuration: merged into the existing file (other hooks and
settings are kept), with a backup of the previous file (<file>.blastdoor.bak), idempotent (running it
again changes nothing), and fail-closed wherever the harness has a switch for it (Claude Code
"onFailure": "block", Cursor "failClosed": true). The hook runs the current interpreter by absolute path
with -I -S through a small launcher in $BLASTDOOR_HOME/bin, which starts faster than the `blastdoor` script.

files (project scope / user scope):
  claude-code  .claude/settings.json              ~/.claude/settings.json
  codex        .codex/hooks.json                  ~/.codex/hooks.json
  cursor       .cursor/hooks.json                 ~/.cursor/hooks.json
  gemini       .gemini/settings.json              ~/.gemini/settings.json
  kiro         .kiro/agents/AGENT.json            ~/.kiro/agents/AGENT.json
  copilot      .github/hooks/blastdoor.json       ~/.copilot/hooks/blastdoor.json

With --http, Claude Code sends `Authorization: Bearer $BLASTDOOR_HOOK_TOKEN`: put a requester's token
(`blastdoor people add claude-hook --role requester`) in the environment Claude Code starts in.

Run `blastdoor coverage` afterwards: it lists what each harness really enforces."""

_INSTALL_EXAMPLES = """\
examples:
  blastdoor install claude-code                      # this project's .claude/settings.json
  blastdoor install claude-code --scope user
  blastdoor install claude-code --http http://127.0.0.1:8787/v1/hooks/claude-code   # via `blastdoor serve`
  blastdoor install cursor --print                   # show the file it would write, change nothing
  blastdoor install kiro --kiro-agent reviewer
  blastdoor uninstall claude-code"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("harness", choices=sorted(HARNESSES), help="the harness to configure")
    p.add_argument("--scope", choices=("project", "user"), default="project", help="which config (default: project)")
    p.add_argument("--project", metavar="DIR", help="the project root (default: the current directory)")
    p.add_argument("--kiro-agent", metavar="NAME", default="default", help="Kiro agent config (default: default)")
    p.add_argument("--print", dest="print_only", action="store_true", help="print the result, write nothing")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "install",
        help="add blastdoor's hook to a harness's configuration",
        description=_INSTALL_DESCRIPTION,
        epilog=_INSTALL_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p)
    p.add_argument(
        "--http",
        metavar="URL",
        default="",
        help="Claude Code only: an HTTP hook to the running server instead of a command",
    )
    p.set_defaults(func=run_install)
    u = sub.add_parser(
        "uninstall",
        help="remove blastdoor's hook from a harness's configuration",
        description="Remove blastdoor's entries from HARNESS's configuration, keeping everything else "
        "(and a backup, <file>.blastdoor.bak).",
        epilog="examples:\n  blastdoor uninstall claude-code\n  blastdoor uninstall cursor --scope user --print",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(u)
    u.set_defaults(func=run_uninstall)


def _path(args: argparse.Namespace) -> str:
    from blastdoor.adapters.config import config_path

    return config_path(args.harness, args.scope, project=args.project or os.getcwd(), agent=args.kiro_agent)


def _read(path: str) -> dict[str, Any]:
    from blastdoor.adapters.config import read_json

    try:
        return read_json(path)
    except ValueError as exc:
        raise InputError(
            f"cannot read `{path}`: {exc}", hints=["fix or move the file; blastdoor does not overwrite it"]
        ) from exc


def _apply(args: argparse.Namespace, path: str, before: dict[str, Any], after: dict[str, Any]) -> int:
    from blastdoor.adapters.config import dump, write_with_backup

    if args.print_only:
        print(f"# {path}")
        print(dump(after), end="")
        return exits.OK
    if after == before:
        print(f"{path}: unchanged")
        return exits.OK
    backup = write_with_backup(path, dump(after))
    print(f"{path}: updated" + (f" (previous version in {backup})" if backup else ""))
    return exits.OK


def run_install(args: argparse.Namespace) -> int:
    from blastdoor.adapters import config

    if args.http and args.harness != "claude-code":
        raise InputError("--http is for claude-code only", hints=["other harnesses run the command hook"])
    path = _path(args)
    before = _read(path)
    launcher = config.launcher_path() if args.print_only else config.write_launcher()
    after = config.merged(before, args.harness, config.hook_command(args.harness, launcher), url=args.http)
    return _apply(args, path, before, after)


def run_uninstall(args: argparse.Namespace) -> int:
    from blastdoor.adapters import config

    path = _path(args)
    if not os.path.exists(path):
        print(f"{path}: not there, nothing to remove")
        return exits.OK
    before = _read(path)
    return _apply(args, path, before, config.removed(before, args.harness))
