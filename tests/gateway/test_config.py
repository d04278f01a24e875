"""The gateway config: what is accepted, and bad configs reported as FILE:LINE:COLUMN: what is wrong."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from blastdoor.errors import InputError
from blastdoor.gateway import parse_listen
from blastdoor.gateway.config import load_config, parse_config
from tests.gateway.harness import BLASTDOOR


def problems(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(InputError) as err:
        parse_config(text, "/p/mcp.yaml", environ or {})
    return err.value.message


def test_a_claude_style_mcp_json_works_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text("version: 1\n")
    config = tmp_path / ".mcp.json"
    config.write_text(
        '{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "server", "${ROOT}"], "env": {"TOKEN": "${T}"}},'
        ' "remote": {"type": "http", "url": "https://mcp.example.com/mcp",'
        ' "headers": {"Authorization": "Bearer ${T}"}}, "off": {"command": "x", "disabled": true}},'
        ' "policy": "blastdoor.yaml", "store": "audit.db"}'
    )
    c = load_config(str(config), {"ROOT": "/srv", "T": "s3cret"})
    fs, remote = c.servers
    assert (fs.name, fs.command, fs.args, fs.env) == ("fs", "npx", ("-y", "server", "/srv"), {"TOKEN": "s3cret"})
    assert remote.url == "https://mcp.example.com/mcp" and remote.headers == {"Authorization": "Bearer s3cret"}
    assert "s3cret" not in fs.launch + remote.launch  # the launch line reaches the audit log: no env, no headers
    assert c.policy == str(tmp_path / "blastdoor.yaml") and c.store == str(tmp_path / "audit.db")
    assert (c.separator, c.on_change, c.trust_new) == ("__", "withhold", True)


def test_every_problem_is_reported_with_its_location() -> None:
    text = """servers:
  fs:
    comand: npx
  "bad name":
    command: x
  web:
    url: ftp://x
    args: [a]
  env:
    command: x
    env: {A: "${MISSING}"}
pinning: {on_change: sometimes}
timeout: -1
"""
    assert problems(text).splitlines() == [
        "/p/mcp.yaml:3:5: unknown server key `comand` (did you mean `command`?)",
        "/p/mcp.yaml:3:5: server `fs` needs exactly one of `command` (stdio) or `url` (streamable HTTP)",
        "/p/mcp.yaml:4:3: server name `bad name` must be letters, digits, `_`, `-` or `.` (up to 64) without `__`,"
        " the separator of the tool names the gateway lists",
        "/p/mcp.yaml:7:5: `args`, `env` and `cwd` are for stdio servers, not `url` ones",
        "/p/mcp.yaml:7:10: `url` must be an http:// or https:// URL, not `ftp://x`",
        "/p/mcp.yaml:11:14: `${MISSING}` is not set in the gateway's environment",
        "/p/mcp.yaml:12:22: `on_change` must be `withhold` (the default) or `allow`",
        "/p/mcp.yaml:13:10: `timeout` must be a positive number of seconds",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("servers: {}\n", "`servers` must map at least one server"),
        ("[1, 2]\n", "must be a mapping with `servers`"),
        ("servers:\n  a: {command: x}\n  b: [\n", "invalid YAML"),
        ("servers:\n  a__b: {command: x}\n", "without `__`"),
        ("servers:\n  a: {command: x}\nsevrers: 1\n", "unknown top-level key `sevrers` (did you mean `servers`?)"),
        ("servers:\n  a: {command: x, type: sse}\n", "SSE is not"),
        ("servers:\n  a: {command: x}\npolicy: nowhere.yaml\n", "does not exist"),
    ],
)
def test_bad_configs(text: str, message: str) -> None:
    assert message in problems(text)


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert parse_listen(":9000") == ("127.0.0.1", 9000)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    for bad in ("8765", "host:", "host:99999", "host:x"):
        with pytest.raises(Exception, match="HOST:PORT"):
            parse_listen(bad)


def test_the_cli_says_what_is_wrong_and_where(tmp_path: Path) -> None:
    config = tmp_path / "mcp.yaml"
    config.write_text("servers:\n  fs:\n    url: nope\n")
    proc = subprocess.run([BLASTDOOR, "mcp", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 7
    assert f"{config}:3:10: `url` must be an http:// or https:// URL, not `nope`" in proc.stderr
    missing = subprocess.run([BLASTDOOR, "mcp"], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "--config FILE" in missing.stderr


def test_relist_after_defaults_to_ten_seconds_and_takes_zero_but_not_less() -> None:
    base = "servers:\n  s:\n    command: x\n"
    assert parse_config(base, "/tmp/mcp.yaml").relist_after == 10.0
    assert parse_config(base + "pinning:\n  relist_after: 0\n", "/tmp/mcp.yaml").relist_after == 0.0
    with pytest.raises(InputError, match="relist_after"):
        parse_config(base + "pinning:\n  relist_after: -1\n", "/tmp/mcp.yaml")
