"""Kept for code written before ``blastdoor/hook/``: the wire format is ``blastdoor.hook.wire``."""

from blastdoor.hook.wire import (
    CLIENT_HOST,
    CREDENTIAL,
    CREDENTIAL_FILE,
    DEFAULT_TIMEOUT,
    MAX_CREDENTIAL,
    MAX_REPLY,
    SOCKET_NAME,
    ask_server,
    encode_reply,
    parse_reply,
    parse_request,
    socket_path,
    timeout_seconds,
)

__all__ = [
    "CLIENT_HOST",
    "CREDENTIAL",
    "CREDENTIAL_FILE",
    "DEFAULT_TIMEOUT",
    "MAX_CREDENTIAL",
    "MAX_REPLY",
    "SOCKET_NAME",
    "ask_server",
    "encode_reply",
    "parse_reply",
    "parse_request",
    "socket_path",
    "timeout_seconds",
]
