"""The stdio wire's quick parse of a tools/call against the SDK's own parser.

``stdio._plain_request`` reads a client's line with the standard library when it is plainly a JSON-RPC
request; anything else goes to the SDK's model (``jsonrpc_message_adapter``). Whatever it takes, it must
read exactly as the SDK reads it: the same id, method and params, and nothing the SDK would refuse.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blastdoor.gateway.stdio import _plain_request

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _sdk(line: bytes) -> tuple[Any, ...] | None:
    try:
        message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
    except Exception:
        return None
    if not isinstance(message, types.JSONRPCRequest):
        return None
    return (message.id, message.method, message.params)


def _agrees(line: bytes) -> None:
    quick = _plain_request(line)
    if quick is None:
        return  # the SDK reads it
    assert _sdk(line) == (quick["id"], quick["method"], quick.get("params"))


@pytest.mark.parametrize(
    "line",
    [
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"s__echo","arguments":{"message":"hi"}}}',
        b'{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{"a":"\\ud800"}}}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":NaN}}}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":1,"a":2}}}',
        b'{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"x"}}',
        b'{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"x"}}',
        b'{"jsonrpc":"2.0","id":null,"method":"tools/call"}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","result":{}}',
        b'{"jsonrpc":"1.0","id":1,"method":"tools/call"}',
        b'\xef\xbb\xbf{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}} x',
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\xff"}}',
        b'{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/call","params":{"name":"x"}}',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"é","arguments":{"ü":"😀"}}}'.encode(),
    ],
)
def test_a_line_the_quick_parse_takes_reads_as_the_sdk_reads_it(line: bytes) -> None:
    _agrees(line)


def test_the_quick_parse_takes_the_common_call() -> None:
    line = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"s__echo","arguments":{"message":"hi"}}}'
    assert _plain_request(line) == json.loads(line)


@settings(max_examples=300, deadline=None)
@given(
    rid=st.one_of(st.integers(), st.text(max_size=6), st.booleans(), st.floats(), st.none()),
    arguments=_json,
    extra=st.dictionaries(st.sampled_from(["result", "error", "x"]), _json, max_size=1),
)
def test_any_request_the_quick_parse_takes_reads_as_the_sdk_reads_it(rid: Any, arguments: Any, extra: Any) -> None:
    body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "x", "arguments": arguments}}
    for ascii_only in (True, False):
        _agrees(json.dumps({**body, **extra}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))
