"""``blastdoor serve``: the long-lived process: decisions, approvals, the web inbox, the audit viewer."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DESCRIPTION = """\
Run the blastdoor server: decisions over HTTP (127.0.0.1:8787 by default) and over a unix socket
(the hooks' fast path: `blastdoor hook` and the thin hook client ask it first and decide in-process
when it is not running), the approvals API and web inbox, the audit viewer, the agents page and the
kill switch, /healthz, /metrics (Prometheus) and /openapi.json.

Each call is judged by the policy its working directory sees (managed, project and user layers, as
the hooks do), or by --policy for all of them. The store is the embedded SQLite file by default
($BLASTDOOR_HOME/blastdoor.db), or --db postgresql://... to share one control plane between servers.

Settings come from --config FILE (YAML: listen, socket, db, policy, public_url, webhooks,
checkpoint_interval), then the environment (BLASTDOOR_LISTEN, BLASTDOOR_SOCKET, BLASTDOOR_DB,
BLASTDOOR_POLICY, BLASTDOOR_PUBLIC_URL), then these flags."""

EPILOG = """\
examples:
  blastdoor serve
  blastdoor serve --listen 0.0.0.0:8787 --db postgresql://blastdoor@db/blastdoor
  blastdoor serve --config /etc/blastdoor/server.yaml
  blastdoor people add root --role admin     then sign in to http://127.0.0.1:8787/ with the token

exit codes: 0 stopped cleanly, 2 usage, 6 invalid policy, 7 bad configuration, 8 store unavailable."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the server: decisions, approvals, web inbox",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="FILE", help="server settings (YAML)")
    p.add_argument("--listen", metavar="HOST:PORT", help="HTTP address (default 127.0.0.1:8787; '' for none)")
    p.add_argument("--socket", metavar="PATH", help="unix socket (default $BLASTDOOR_HOME/server.sock; '' for none)")
    p.add_argument("--db", metavar="URL", help="the store: a path, sqlite:///PATH or postgresql://...")
    p.add_argument("--policy", metavar="FILE", help="judge every call by this project policy")
    p.add_argument("--public-url", metavar="URL", help="the URL people reach the inbox at (links in webhooks)")
    p.add_argument(
        "--idle-exit",
        metavar="SECONDS",
        type=float,
        default=0,
        help="exit after SECONDS without a request (the server a hook starts uses 900; default: never)",
    )
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from blastdoor.server.app import serve
    from blastdoor.server.config import ServerConfig
    from blastdoor.services import open_services

    _keep_start_lock()

    config = ServerConfig.load(
        args.config,
        listen=args.listen,
        socket=args.socket,
        db=args.db,
        policy=args.policy,
        public_url=args.public_url,
    )
    if config.policy:
        from blastdoor.policy import load_policy

        load_policy(project=config.policy)  # a broken policy stops the start, with its error
    services = open_services(config.db)

    def ready(cfg: ServerConfig) -> None:
        where = [f"http://{cfg.listen}"] if cfg.listen else []
        if cfg.socket:
            where.append(f"unix:{cfg.socket}")
        print(f"blastdoor: serving on {' and '.join(where)}", file=sys.stderr, flush=True)

    serve(config, services, log_level=args.log_level, ready=ready, idle_exit=max(0.0, args.idle_exit))
    return 0


def _keep_start_lock() -> None:
    """A server a hook started (``hook/launch.py``) holds ``server.lock`` through an inherited descriptor:
    keep it to this process (never handed to a previewer's child, which could outlive the server)."""
    import os

    fd = os.environ.pop("BLASTDOOR_SERVER_LOCK_FD", "")
    if fd.isdigit():
        try:
            os.set_inheritable(int(fd), False)
        except OSError:
            pass  # not a descriptor of ours: nothing to keep
