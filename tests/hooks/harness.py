"""Run the real ``blastdoor hook <harness>`` process as a harness would, in a throwaway project."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))
VERDICTS = ("allow", "ask", "approve", "deny", "revoked")
# The agent of the `revoked` cases: revoked in the store before they run, under a policy that allows.
REVOKED_AGENT = "golden-revoked-agent"
_REQUEST_ID = re.compile(r"req_[0-9a-f]{12}")


# Every known effect: the golden rule matches whatever a classifier concluded (but not `unknown`, which
# always takes the policy's `unknown` verdict), so goldens do not change as classifiers improve.
EFFECTS = (
    "read, write, create, delete, irreversible, wipe, privilege, secrets, exfiltrate, remote_exec, "
    "deploy, persist, kill, guard"
)


def policy_for(verdict: str) -> str:
    """A project policy whose one rule gives ``verdict`` to every family an adapter produces.

    ``revoked``: a policy that allows everything (the agent's revocation must still deny).
    """
    if verdict == "revoked":
        verdict = "allow"
    approvals = "\n    approvals: { count: 2, from: sre-leads }" if verdict == "approve" else ""
    return f"""version: 1
default: {verdict}
unknown: {verdict}
approvers:
  sre-leads: [bob, carol]
rules:
  - id: golden-{verdict}
    match: {{ effects: [{EFFECTS}] }}
    verdict: {verdict}{approvals}
    reason: the golden policy says {verdict}
  - id: golden-{verdict}-tools
    match: {{ tool: [mcp, http, aws] }}
    verdict: {verdict}{approvals}
    reason: the golden policy says {verdict}
"""


def env_for(verdict: str) -> dict[str, str]:
    return {"BLASTDOOR_AGENT": REVOKED_AGENT} if verdict == "revoked" else {}


def revoke_golden_agent() -> None:
    """Revoke ``REVOKED_AGENT`` in the store the hooks of this process's environment use."""
    from blastdoor.services import open_services

    with open_services() as services:
        services.agents.revoke(REVOKED_AGENT, by="golden-tests", reason="kill switch test")


def normalise(value: Any) -> Any:
    """A reply with approval request ids (random) replaced by ``req_ID``."""
    if isinstance(value, str):
        return _REQUEST_ID.sub("req_ID", value)
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def substitute(value: Any, cwd: str) -> Any:
    """Replace ``$CWD`` in every string of a payload with the test project's directory."""
    if isinstance(value, str):
        return value.replace("$CWD", cwd)
    if isinstance(value, list):
        return [substitute(v, cwd) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, cwd) for k, v in value.items()}
    return value


def run_hook(
    harness: str,
    stdin: bytes,
    *,
    cwd: str,
    env: dict[str, str] | None = None,
    prelude: str = "",
    timeout: float = 30,
) -> tuple[int, Any, str]:
    """(exit code, parsed stdout or None, stderr) of one hook process.

    ``prelude`` is test-only Python run in the hook process before blastdoor's main (fault injection:
    a classifier that raises or hangs); without it the installed ``blastdoor`` script runs.
    """
    full_env = {**os.environ, **(env or {})}
    if prelude:
        code = f"{prelude}\nimport sys\nfrom blastdoor.cli.main import main\nsys.exit(main(['hook', {harness!r}]))"
        cmd = [sys.executable, "-c", code]
    else:
        cmd = [BLASTDOOR, "hook", harness]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd, env=full_env, timeout=timeout, check=False)
    out = proc.stdout.decode()
    return proc.returncode, (json.loads(out) if out.strip() else None), proc.stderr.decode()
