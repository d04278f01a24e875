"""The incident drill, through the CLI, with a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from blastdoor.cli import exits
from blastdoor.cli.main import main
from blastdoor.errors import Conflict, InputError
from blastdoor.governance.scenario import builtin_scenarios, scenario_from_data

PROD = """\
version: 1
extends: [recommended]
environments:
  prod:
    aws_accounts: ["111122223333"]
"""
NO_PROD = """\
version: 1
extends: [recommended]
"""


class Receiver:
    """A webhook receiver: a real HTTP server that keeps every body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                outer.bodies.append(json.loads(data))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    yield r
    r.close()


def _drill(tmp_path: Path, policy: str, capsys: Any, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    path = tmp_path / "blastdoor.yaml"
    path.write_text(policy)
    code = main(["drill", "incident-stack-recreate", "--policy", str(path), "--no-cache", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_the_incident_is_stopped_detected_and_contained(tmp_path: Path, capsys: Any, receiver: Receiver) -> None:
    code, results = _drill(tmp_path, PROD, capsys, "--webhook", receiver.url)
    assert code == 0
    (r,) = results
    steps = {s["step"]: s for s in r["steps"]}
    assert steps[1]["verdict"] == "allow"
    assert r["stopped_at"] == 2, "the sequence stops at the delete"
    assert steps[2]["verdict"] in ("deny", "approve") and steps[3]["verdict"] in ("deny", "approve")
    assert not steps[3]["reached"]
    assert r["detection"]["recorded"] and all(s["recorded"] for s in r["steps"])
    assert r["detection"]["alerts_delivered"] >= 1
    assert receiver.bodies and receiver.bodies[0]["type"] == "blastdoor.approval.requested"
    assert receiver.bodies[0]["request"]["agent_id"] == "drill-agent-operator"
    c = r["containment"]
    assert c["tested"] and c["held"] and c["rule"] == "agent.revoked" and c["step"] == 3
    assert r["recovery"]["recoverable"] and r["passed"]


def test_without_the_prod_account_the_drill_fails(tmp_path: Path, capsys: Any) -> None:
    code, results = _drill(tmp_path, NO_PROD, capsys)
    assert code == 1
    (r,) = results
    assert not r["passed"]
    recreate = r["steps"][2]
    assert recreate["must"] == "stop" and recreate["verdict"] not in ("deny", "approve")
    assert any("step 3" in f for f in r["failures"])


def test_a_dead_webhook_is_a_detection_failure(tmp_path: Path, capsys: Any) -> None:
    r = Receiver()
    url = r.url
    r.close()  # nobody listens there any more
    code, results = _drill(tmp_path, PROD, capsys, "--webhook", url)
    assert code == 1
    assert results[0]["detection"]["alerts_failed"] >= 1


def test_builtin_scenarios_load_and_the_incident_comes_first() -> None:
    found = builtin_scenarios()
    assert found[0].id == "incident-stack-recreate"
    assert len({s.id for s in found}) == len(found) >= 6
    assert all(any(step.must for step in s.steps) for s in found), "every scenario checks something"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"id": "x", "agent": {"id": "a"}, "steps": []}, "steps"),
        ({"id": "x", "steps": [{"action": {"shell": "ls"}}]}, "agent.id"),
        ({"id": "x", "agent": {"id": "a"}, "steps": [{"action": {"shell": "ls"}, "must": "maybe"}]}, "steps[0]"),
        ({"id": "x", "agent": {"id": "a"}, "steps": [{"action": {"nope": 1}}]}, "steps[0]: action"),
        ({"id": "x", "agent": {"id": "a"}, "steps": [{"action": {"shell": "ls"}}], "extra": 1}, "extra"),
    ],
)
def test_bad_scenarios_say_where(data: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as err:
        scenario_from_data(data, "s.yaml")
    assert words in str(err.value) and "s.yaml" in str(err.value)


def test_every_builtin_scenario_holds_under_the_baseline(tmp_path: Path, capsys: Any) -> None:
    # The scenarios are policy regression tests: the recommended baseline (with the prod account named)
    # must stop each of them where it says, and revoking the agent must deny a step the policy would
    # otherwise let through.
    path = tmp_path / "blastdoor.yaml"
    path.write_text(PROD)
    code = main(["drill", "--policy", str(path), "--no-cache", "--json"])
    results = json.loads(capsys.readouterr().out)
    assert code == 0, [r["failures"] for r in results if not r["passed"]]
    assert {r["scenario"]["id"] for r in results} == {s.id for s in builtin_scenarios()}
    for r in results:
        c = r["containment"]
        if c["tested"]:
            probe = r["steps"][c["step"] - 1]
            assert probe["verdict"] != "deny", "the probe is a step the policy alone would not deny"
            assert c["rule"] == "agent.revoked"


def test_a_drill_never_undoes_a_real_revocation(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # The scenario's agent is revoked for real in this store: the drill would only test the kill switch,
    # and restoring the agent afterwards would undo the revocation. It refuses, and the agent stays revoked.
    monkeypatch.setenv("BLASTDOOR_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "log.db")
    assert main(["agents", "revoke", "drill-agent-operator", "-m", "incident 7", "--db", db]) == 0
    path = tmp_path / "blastdoor.yaml"
    path.write_text(PROD)
    code = main(["drill", "incident-stack-recreate", "--policy", str(path), "--no-cache", "--db", db])
    assert code == exits.exit_for(Conflict("x"))
    assert "is revoked" in capsys.readouterr().err
    assert main(["agents", "list", "--json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["status"] for a in listed if a["id"] == "drill-agent-operator"] == ["revoked"]


def test_a_drill_reads_only_what_the_scenario_states(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    # This machine's AWS config would place profile `operator` in the prod account; the scenario does not
    # say so, so the drill must not know it (the same drill decides the same everywhere).
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile operator]\naws_account_id = 111122223333\n")
    monkeypatch.setenv("HOME", str(home))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "id: s\nagent: { id: drill-a }\nenviron: { AWS_PROFILE: operator }\nsteps:\n"
        "  - action: { shell: 'aws cloudformation create-stack --stack-name shop --template-body file://t.yaml' }\n"
    )
    path = tmp_path / "blastdoor.yaml"
    path.write_text(PROD)
    assert main(["drill", str(scenario), "--policy", str(path), "--no-cache", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert r["steps"][0]["env"] != "prod" and r["steps"][0]["verdict"] != "approve"
    # stated in the scenario, the account is prod
    scenario.write_text(scenario.read_text().replace("AWS_PROFILE: operator", "AWS_ACCOUNT_ID: '111122223333'"))
    assert main(["drill", str(scenario), "--policy", str(path), "--no-cache", "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert r["steps"][0]["env"] == "prod" and r["steps"][0]["verdict"] == "approve"


def test_alerts_go_to_the_server_configs_webhooks(tmp_path: Path, capsys: Any, receiver: Receiver) -> None:
    config = tmp_path / "server.yaml"
    config.write_text(f"public_url: https://inbox.example.com\nwebhooks:\n  - url: {receiver.url}\n")
    code, (r,) = _drill(tmp_path, PROD, capsys, "--config", str(config))
    assert code == 0 and r["detection"]["alerts_delivered"] == 1
    (body,) = receiver.bodies
    assert body["url"].startswith("https://inbox.example.com/requests/")
    assert body["request"]["id"] == r["steps"][2]["request_id"]
