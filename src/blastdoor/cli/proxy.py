"""``blastdoor proxy``: a reverse proxy in front of a service, for third-party HTTP agents."""

from __future__ import annotations

import argparse
from typing import Any

DESCRIPTION = """\
A reverse proxy for a service that lets HTTP agents in under blastdoor's rules: every request must
carry an enrolled agent's credential (header Blastdoor-Agent-Credential, from `blastdoor agents
enrol`), is judged as an action (tool `http`, operation `http:METHOD`, the path and JSON body fields
as args, the upstream URL as target) by the policy, and is recorded in the audit log. Only an allow
is forwarded; anything else is a 403 with the reason. A revoked agent or withdrawn credential is cut
off at its next request, in every proxy on the same store (docs/IDENTITY.md)."""

EPILOG = """\
examples:
  blastdoor proxy --upstream http://127.0.0.1:9000 --listen 127.0.0.1:8788

exit codes: 0 stopped, 2 usage, 6 invalid policy, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "proxy",
        help="a reverse proxy where HTTP agents identify, are judged and can be cut off",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--upstream", required=True, metavar="URL", help="the service behind the proxy")
    p.add_argument("--listen", default="127.0.0.1:8788", metavar="HOST:PORT", help="default 127.0.0.1:8788")
    p.add_argument("--policy", metavar="FILE", help="the policy (default: the project's, found upward)")
    p.add_argument("--db", metavar="URL", help="the store (default: $BLASTDOOR_DB, else $BLASTDOOR_HOME/blastdoor.db)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from blastdoor.errors import InputError
    from blastdoor.policy import load_policy
    from blastdoor.server.proxy import build_proxy
    from blastdoor.services import open_services

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--listen must be HOST:PORT, got `{args.listen}`")
    policy = load_policy(os.getcwd(), project=args.policy)
    with open_services(args.db or None) as services:
        app = build_proxy(args.upstream, policy, services)
        uvicorn.run(app, host=host, port=int(port), log_level="warning")
    return 0
