"""schemathesis against the running server: every documented operation answers as openapi.yaml says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.server.harness import Server

# Conformance checks: no 5xx, documented status codes, content types, headers and bodies. (Negative-data
# rejection is left out on purpose: the hook endpoints answer a malformed payload with the harness's own
# deny and 200, which is the protocol, not a missed rejection.)
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_server_conforms_to_its_openapi_document(server: Server, tmp_path: Path) -> None:
    admin = server.add_person("root", "admin")
    server.client.post("/v1/decide", json={"action": {"shell": "rm -rf ./x"}})
    st = str(Path(sys.executable).with_name("st"))
    proc = subprocess.run(
        [
            st,
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Bearer {admin}",
            "--max-examples",
            "20",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "No issues found" in proc.stdout or " passed" in proc.stdout
