"""The thin hook: hand the harness's payload to the running server over its unix socket.

Run by the launcher ``blastdoor install`` writes (``python -I -S launcher hook HARNESS``), which calls
``launch(harness, config)`` with what it fixed at install time: the socket to ask, and how to start
the server. No site-packages, nothing of blastdoor but ``hook.wire`` (which needs only ``_socket``), so
the process costs little more than the interpreter's own start. The server answers with the same
reply the in-process hook would give, decided with the same policy and recorded in the same store.

When no server answers (no socket, refused, an error, a timeout), the call is decided in-process: it
turns site-packages back on and runs ``blastdoor hook HARNESS`` with the payload it already read. So
the fast path is never the only path, and a dead server never means an unguarded tool call. A launcher
also starts the per-user server on such a miss (``hook.launch``: socket activation, one server per
user through a lock file, exiting when idle), so the calls after the first take the served path.

``$BLASTDOOR_SERVER``: unset (or ``auto``) asks the server and starts it on a miss; ``ask`` asks but
never starts one; ``off`` decides in-process without asking. Imports nothing at module level but
``os``, ``sys`` and ``hook.wire`` (stdlib only).
"""

import os
import sys

if __name__ == "__main__" and not __package__:
    # Run as a script under -I -S: the package is importable from three directories up (src/).
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from blastdoor.hook.wire import ask_server

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping


def run(harness: str, *, enable_site: bool = True, config: "Mapping[str, object] | None" = None) -> int:
    """Read the payload, ask the server, else decide in-process; the exit code for the harness.

    ``config``: the launcher's (``adapters.config.launcher_config``): its ``socket`` is the only one
    asked (the caller's environment cannot point the hook at another server), and a miss starts the
    server it describes. None: the socket comes from the environment and nothing is started (the
    ``blastdoor hook`` script, launchers written before the config existed).
    """
    data = sys.stdin.buffer.read()
    socket = config.get("socket") if config is not None else None
    path = socket if isinstance(socket, str) and socket else None
    reply = ask_server(harness, data, path) if harness else None
    if reply is not None:
        code, out, err = reply
        if out:
            os.write(1, out)
        if err:
            os.write(2, err)
        return code
    if config is not None and harness and os.environ.get("BLASTDOOR_SERVER", "auto") in ("", "auto"):
        from blastdoor.hook.launch import start_server

        start_server(config)  # never raises; this call is decided here either way
    return _in_process(harness, data, enable_site)


def _in_process(harness: str, data: bytes, enable_site: bool) -> int:
    """No server: decide here (``hook.runner``, what ``blastdoor hook`` runs) with the same input;
    ``site`` first when it was off."""
    import io

    if enable_site:
        import site

        site.main()
    os.environ["BLASTDOOR_SERVER"] = "off"  # asked already: the full hook must not ask again
    from blastdoor.adapters import HARNESSES

    if harness not in HARNESSES:
        os.write(2, b"blastdoor: hook needs one harness (" + ", ".join(sorted(HARNESSES)).encode() + b"); blocking\n")
        return 2
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    from blastdoor.hook.runner import main

    return main(harness)


def guarded(harness: str, *, enable_site: bool = True, config: "Mapping[str, object] | None" = None) -> int:
    """``run``, but a crash is a block (exit 2), never an exit that lets the tool run."""
    try:
        return run(harness, enable_site=enable_site, config=config)
    except SystemExit:
        raise
    except BaseException as exc:
        os.write(2, b"blastdoor: the hook client failed: " + type(exc).__name__.encode() + b"; blocking\n")
        return 2


def launch(harness: str, config: "Mapping[str, object]") -> int:
    """The launcher's entry (``LAUNCHER_VERSION`` 2): ``guarded`` without ``site``, with its config."""
    return guarded(harness, enable_site=False, config=config)


if __name__ == "__main__":
    sys.exit(guarded(sys.argv[1] if len(sys.argv) == 2 else ""))
