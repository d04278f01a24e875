"""The thin hook: hand the harness's payload to the running server over its unix socket.

Run as ``python -I -S .../blastdoor/hookclient.py HARNESS``, or through the launcher ``blastdoor
install`` writes: no site-packages, nothing of blastdoor but ``hookwire`` (which needs only
``_socket``), so the process costs little more than the interpreter's own start. The server answers
with the same reply the in-process hook would give, decided with the same policy and recorded in the
same store.

When no server answers (no socket, refused, an error, a timeout), it falls back to deciding in-process:
it turns site-packages back on and runs ``blastdoor hook HARNESS`` with the payload it already read.
So the fast path is never the only path, and a dead server never means an unguarded tool call.

The wire format is in ``blastdoor.hookwire``. Imports nothing at module level but ``os``, ``sys`` and
``hookwire`` (stdlib only).
"""

import os
import sys

if __name__ == "__main__" and not __package__:
    # Run as a script under -I -S: the package is importable from this file's grandparent directory.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from blastdoor.hookwire import ask_server


def run(harness: str, *, enable_site: bool = True) -> int:
    """Read the payload, ask the server, else decide in-process; the exit code for the harness."""
    data = sys.stdin.buffer.read()
    reply = ask_server(harness, data) if harness else None
    if reply is not None:
        code, out, err = reply
        if out:
            os.write(1, out)
        if err:
            os.write(2, err)
        return code
    return _in_process(harness, data, enable_site)


def _in_process(harness: str, data: bytes, enable_site: bool) -> int:
    """No server: decide here (``blastdoor hook``) with the same input; ``site`` first when it was off."""
    import io

    if enable_site:
        import site

        site.main()
    os.environ["BLASTDOOR_SERVER"] = "off"  # asked already: the full hook must not ask again
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    from blastdoor.cli.main import main as blastdoor_main

    return blastdoor_main(["hook", harness] if harness else ["hook"])


def guarded(harness: str, *, enable_site: bool = True) -> int:
    """``run``, but a crash is a block (exit 2), never an exit that lets the tool run."""
    try:
        return run(harness, enable_site=enable_site)
    except SystemExit:
        raise
    except BaseException as exc:
        os.write(2, b"blastdoor: the hook client failed: " + type(exc).__name__.encode() + b"; blocking\n")
        return 2


if __name__ == "__main__":
    sys.exit(guarded(sys.argv[1] if len(sys.argv) == 2 else ""))
