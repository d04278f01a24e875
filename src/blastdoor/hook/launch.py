"""Socket activation: the hook starts the per-user server when none answers, once.

On a miss the thin client (``hook.client``) calls ``start_server`` and then decides its own call
in-process; the calls after it find the server and take the served path. The server:

- is ``python -I -m blastdoor serve --listen '' --socket SOCKET --idle-exit SECONDS``: the unix socket
  only (no TCP port is opened behind the user's back), and it exits after SECONDS without a request;
- runs with the environment fixed in the launcher at install time (``adapters.config.server_env``:
  the store, policy and data locations, ``PATH``, the locale; never tokens or credentials), not with
  whatever the calling hook's environment says: the caller's environment still travels with each
  call (``hook.wire``) for classification, as for any server;
- is started at most once at a time: the starter takes ``server.lock`` (``flock``, next to the socket)
  and hands its descriptor to the server, which holds the lock for as long as it lives. A concurrent
  first call finds the lock taken and starts nothing; a server that died (even ``kill -9``) released
  it, so the next miss starts a new one. The lock file holds the server's pid.

Imports only what a miss needs (``fcntl``); ``posix_spawn`` rather than ``subprocess`` (~10 ms to import).
"""

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping

LOCK_NAME = "server.lock"
LOG_NAME = "server.log"
IDLE_EXIT = 900  # seconds without a request before an auto-started server exits


def lock_path(socket: str) -> str:
    """``server.lock`` next to the server's socket."""
    return os.path.join(os.path.dirname(os.path.abspath(socket)), LOCK_NAME)


def server_argv(python: str, socket: str, idle_exit: float) -> "list[str]":
    """The command that starts the server. ``-I``: the project directory (the cwd, which an agent can
    write to) is not on ``sys.path``, nor are ``PYTHON*`` variables read."""
    return [
        python,
        "-I",
        "-m",
        "blastdoor",
        "serve",
        "--listen",
        "",
        "--socket",
        socket,
        "--idle-exit",
        f"{idle_exit:g}",
    ]


def start_server(config: "Mapping[str, object]") -> "int | None":
    """Start the server ``config`` describes, detached; its pid, or None (already starting, or failed).

    Never raises: the calling hook decides its own call in-process whatever happens here.
    """
    try:
        return _start(config)
    except Exception as exc:  # a failed start costs nothing but the served path; say why
        os.write(2, b"blastdoor: could not start the server: " + type(exc).__name__.encode() + b"\n")
        return None


def _start(config: "Mapping[str, object]") -> "int | None":
    import fcntl

    socket, python, env = config.get("socket"), config.get("python"), config.get("env")
    if config.get("autostart") is False:
        return None  # installed with a store password in the environment: never written, never started
    if not isinstance(socket, str) or not isinstance(python, str) or not isinstance(env, dict):
        return None
    idle = config.get("idle_exit", IDLE_EXIT)
    idle_exit = float(idle) if isinstance(idle, int | float) else float(IDLE_EXIT)
    directory = os.path.dirname(os.path.abspath(socket))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(lock_path(socket), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # another call is starting the server, or the server it started holds the lock
        log = os.open(os.path.join(directory, LOG_NAME), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            os.set_inheritable(fd, True)  # the server inherits the locked descriptor: the lock is its own
            environ = {str(k): str(v) for k, v in env.items()}
            environ["BLASTDOOR_SERVER_LOCK_FD"] = str(fd)
            # stdin from /dev/null, stdout and stderr to the log: nothing of the harness's pipes, or the
            # harness would wait for the server's exit to read the hook's reply to its end.
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ]
            pid = os.posix_spawn(
                python, server_argv(python, socket, idle_exit), environ, file_actions=actions, setsid=True
            )
        finally:
            os.close(log)
        os.ftruncate(fd, 0)
        os.write(fd, str(pid).encode())
        return pid
    finally:
        os.close(fd)  # ours only: the server's copy keeps the lock


def server_pid(socket: str) -> "int | None":
    """The pid written in ``server.lock`` by the last start, if any (tests, benches, ``status``)."""
    try:
        with open(lock_path(socket), encoding="ascii") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
