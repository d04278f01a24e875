"""The wire between a hook process and the running server's unix socket (stdlib only, no blastdoor).

Format (``POST /v1/hook-client/HARNESS``, ``application/x-blastdoor-hook``): the caller's environment
as ``KEY=VALUE`` entries separated by NUL, an empty entry, then the payload bytes. The reply
(``application/x-blastdoor-hook-reply``): ``EXIT\\nSTDERR_LENGTH\\n`` then STDERR then STDOUT.

Both halves live here: the client's (``ask_server``, ``parse_reply``) and the server's
(``parse_request``, ``encode_reply``; ``server/api.py`` only routes to them), so a change to the format
is one file's change.

Imports nothing at module level but ``os`` (already loaded by the interpreter): the thin hook
(``blastdoor.hook.client``) runs it in a process that must cost little more than the interpreter.
"""

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~2 ms at every hook call)
if TYPE_CHECKING:
    import _socket

SOCKET_NAME = "server.sock"
CLIENT_HOST = "BLASTDOOR_CLIENT_HOST"  # adapters._base.CALLER_HOST: the client's host name
# The agent's credential (identity/credentials.py): the token, or a file holding it. The client reads the
# file and sends the token, so the server never opens a file a caller names.
CREDENTIAL = b"BLASTDOOR_AGENT_CREDENTIAL"
CREDENTIAL_FILE = b"BLASTDOOR_AGENT_CREDENTIAL_FILE"
MAX_CREDENTIAL = 8192
# Seconds before a hook denies on its own; below the timeout the installer writes into each harness (30 s).
DEFAULT_TIMEOUT = 20.0


def socket_path(env: "dict[str, str] | os._Environ[str]") -> str:
    """``$BLASTDOOR_SOCKET``, else ``server.sock`` in blastdoor's data directory (``paths.data_dir``)."""
    explicit = env.get("BLASTDOOR_SOCKET")
    if explicit:
        return explicit
    home = env.get("BLASTDOOR_HOME")
    if not home:
        base = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".local", "share")
        home = os.path.join(base, "blastdoor")
    return os.path.join(home, SOCKET_NAME)


def timeout_seconds(env: "dict[str, str] | os._Environ[str]") -> float:
    """``BLASTDOOR_HOOK_TIMEOUT`` (seconds), else the default; nonsense falls back to the default."""
    try:
        value = float(env.get("BLASTDOOR_HOOK_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


MAX_REPLY = 16 * 1024 * 1024  # bytes: a reply larger than this is not a reply


def ask_server(harness: str, data: bytes, path: "str | None" = None) -> "tuple[int, bytes, bytes] | None":
    """(exit code, stdout, stderr) from the running server, or None when it cannot answer.

    ``path``: the socket to ask; None reads it from the environment (``socket_path``). The installed
    launcher passes the path fixed at install time, so the caller's environment cannot choose the server.
    One deadline covers the whole call (connect, send, every read): half the hook's budget, so a
    stuck server, or one that trickles a byte at a time, still leaves time to decide in-process.
    """
    env = os.environ
    if env.get("BLASTDOOR_SERVER", "") == "off":
        return None
    if path is None:
        path = socket_path(env)
    try:
        import _socket
        import time

        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except (ImportError, OSError):
        return None
    deadline = time.monotonic() + max(1.0, timeout_seconds(env) * 0.5)
    try:
        sock.settimeout(0.5)  # a socket file with nobody listening must not cost the hook its budget
        sock.connect(path)
        environ = [k + b"=" + v for k, v in os.environb.items() if b"\0" not in v and k != CREDENTIAL_FILE]
        credential = _credential(os.environb)
        if credential:
            environ.append(CREDENTIAL + b"=" + credential)
        environ.append(CLIENT_HOST.encode() + b"=" + os.uname().nodename.encode())
        body = b"\0".join(environ) + b"\0\0" + data
        head = (
            f"POST /v1/hook-client/{harness} HTTP/1.1\r\nHost: blastdoor\r\n"
            f"Content-Type: application/x-blastdoor-hook\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        _settle(sock, deadline, time.monotonic())
        sock.sendall(head.encode() + body)
        chunks = []
        size = 0
        while True:
            _settle(sock, deadline, time.monotonic())
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_REPLY:
                return None
    except OSError:
        return None
    finally:
        sock.close()
    return parse_reply(b"".join(chunks))


def _credential(envb: "os._Environ[bytes]") -> bytes:
    """The token to present: ``$BLASTDOOR_AGENT_CREDENTIAL``, else the file's content, else b''.

    A file that cannot be read is presented as a token that cannot verify, so the caller is refused,
    never silently judged as whoever it claims to be.
    """
    token = envb.get(CREDENTIAL, b"")
    if token:
        return b""  # already in the environment sent
    path = envb.get(CREDENTIAL_FILE, b"")
    if not path:
        return b""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, MAX_CREDENTIAL + 1)
        finally:
            os.close(fd)
    except OSError:
        return b"unreadable-credential-file"
    data = data.strip()
    if not data or len(data) > MAX_CREDENTIAL or b"\0" in data:
        return b"unusable-credential-file"
    return data


def _settle(sock: "_socket.socket", deadline: float, now: float) -> None:
    """Give the next socket operation what is left of the deadline; none left is a timeout."""
    left = deadline - now
    if left <= 0:
        raise TimeoutError("the server did not answer within the hook's deadline")
    sock.settimeout(left)


def parse_reply(raw: bytes) -> "tuple[int, bytes, bytes] | None":
    """The (exit, stdout, stderr) of a server reply; None for anything but a complete 200 reply."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith((b"HTTP/1.1 200 ", b"HTTP/1.0 200 ")):
        return None
    length = -1
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked or (length >= 0 and len(body) != length):
        return None
    first, _, rest = body.partition(b"\n")
    second, _, rest = rest.partition(b"\n")
    try:
        code, err_len = int(first), int(second)
    except ValueError:
        return None
    if err_len > len(rest):
        return None
    return code, rest[err_len:], rest[:err_len]


# -- the server's half -------------------------------------------------------------------------------


def parse_request(body: bytes) -> "tuple[dict[str, str], bytes] | None":
    """The (environment, payload) of a client's request body; None when it is not in this format.

    The environment is the caller's word: the server uses it to classify (``AWS_PROFILE``, ``HOME``),
    never to choose the policy or who asks (``server/api.py`` overrides ``USER``/``LOGNAME``).
    """
    head, sep, payload = body.partition(b"\0\0")
    if not sep:
        return None
    environ: dict[str, str] = {}
    for entry in head.split(b"\0"):
        key, eq, value = entry.partition(b"=")
        if eq:
            environ[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return environ, payload


def encode_reply(exit_code: int, stdout: str, stderr: str) -> bytes:
    """The reply body ``parse_reply`` reads: ``EXIT\\nSTDERR_LENGTH\\n`` then STDERR then STDOUT."""
    err = stderr.rstrip("\n").encode() + b"\n" if stderr else b""
    return f"{exit_code}\n{len(err)}\n".encode() + err + stdout.encode()
