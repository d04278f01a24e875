"""`blastdoor exec`: deny runs nothing, allow runs the same argv and records exit code and outcome."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hooks.harness import BLASTDOOR, policy_for

# Test-only: whatever the verdict, the child process is never started; a canary file says it was tried.
NEVER_RUN = """
import blastdoor.adapters.exec as e, os
def refuse(*a, **k):
    open(os.environ['CANARY'], 'w').close()
    raise SystemExit(99)
e.subprocess.Popen = refuse
"""


def _exec(args: list[str], cwd: Path, prelude: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    if prelude:
        code = f"{prelude}\nimport sys\nfrom blastdoor.cli.main import main\nsys.exit(main(['exec', *sys.argv[1:]]))"
        cmd = [sys.executable, "-c", code, *args]
    else:
        cmd = [BLASTDOOR, "exec", *args]
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def _outcomes() -> list[dict[str, object]]:
    from blastdoor.audit.log import Query
    from blastdoor.store import open_log

    with open_log(checkpoint_on_close=False) as log:
        return log.search(Query(kind="outcome"), newest_first=False)


def test_rm_rf_root_is_denied_without_running(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    proc = _exec(["--", "rm", "-rf", "/"], tmp_path, NEVER_RUN, CANARY=str(canary))
    assert proc.returncode == 5, proc.stderr
    assert "deny" in proc.stderr and not canary.exists()


def test_a_denied_canary_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("deny"))
    target = tmp_path / "keep-me"
    target.write_text("x")
    proc = _exec(["--", "rm", "-f", str(target)], tmp_path)
    assert proc.returncode == 5 and target.exists(), proc.stderr


def test_ls_runs_and_its_outcome_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "marker").write_text("")
    proc = _exec(["--", "ls", str(tmp_path)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "marker" in proc.stdout
    outcome = _outcomes()[-1]
    event = outcome.get("event", outcome)
    assert event["outcome"]["exit_code"] == 0 and "duration_ms" in event["outcome"]  # type: ignore[index,operator]


def test_the_exit_code_and_argv_pass_through(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("allow"))
    proc = _exec(["--", sys.executable, "-c", "import sys; print(sys.argv[1]); sys.exit(7)", "a b;$(x)"], tmp_path)
    assert proc.returncode == 7 and proc.stdout == "a b;$(x)\n"
    event = _outcomes()[-1]
    assert event.get("event", event)["outcome"]["exit_code"] == 7  # type: ignore[index]


def test_killed_by_a_signal_is_128_plus_n(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("allow"))
    proc = _exec(["--", sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"], tmp_path)
    assert proc.returncode == 128 + 15


def test_ask_without_a_terminal_refuses(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("ask"))
    target = tmp_path / "keep-me"
    target.write_text("x")
    proc = subprocess.run(
        [BLASTDOOR, "exec", "--", "rm", "-f", str(target)],
        cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL, start_new_session=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 3 and target.exists() and "no terminal" in proc.stderr


def test_approve_files_a_request_and_gives_up_when_nobody_approves(tmp_path: Path) -> None:
    (tmp_path / "blastdoor.yaml").write_text(policy_for("approve"))
    target = tmp_path / "keep-me"
    target.write_text("x")
    proc = _exec(["--wait", "0.5", "--", "rm", "-f", str(target)], tmp_path)
    assert proc.returncode == 4 and target.exists()
    assert "2 approvals from `sre-leads`" in proc.stderr
    assert "timed out waiting" in proc.stderr
    pending = _pending()
    assert len(pending) == 1 and pending[0].command == f"rm -f {target}"
    # The identical command again finds the same pending request instead of filing a second one.
    again = _exec(["--wait", "0", "--", "rm", "-f", str(target)], tmp_path)
    assert again.returncode == 4 and pending[0].id in again.stderr
    assert [r.id for r in _pending()] == [pending[0].id]


def test_approve_waits_runs_once_approved_and_consumes_the_approval(tmp_path: Path) -> None:
    from blastdoor.approvals import Person
    from blastdoor.services import open_services

    (tmp_path / "blastdoor.yaml").write_text(policy_for("approve"))
    target = tmp_path / "remove-me"
    target.write_text("x")
    cmd = [BLASTDOOR, "exec", "--wait", "60", "--", "rm", "-f", str(target)]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        import time

        deadline = time.monotonic() + 30
        while not _pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        (request,) = _pending()
        assert target.exists()  # nothing ran while the request is pending
        with open_services() as services:
            services.approvals.approve(request.id, Person("bob"))
            assert target.exists()  # one of two approvals is not enough
            services.approvals.approve(request.id, Person("carol"))
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert not target.exists()
    assert "approved by bob, carol" in err
    with open_services() as services:
        assert services.approvals.get(request.id).status == "consumed"
    # Used once: the identical command needs a new request.
    target.write_text("x")
    again = _exec(["--wait", "0", "--", "rm", "-f", str(target)], tmp_path)
    assert again.returncode == 4 and target.exists() and request.id not in again.stderr


def _pending() -> list:  # type: ignore[type-arg]
    from blastdoor.services import open_services

    with open_services(checkpoint_on_close=False) as services:
        return services.approvals.find(status="pending")
