"""Denial memory (issue 16, item 3): a denial is remembered by what it would have done, not its text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blastdoor.action import Action
from blastdoor.action.shorthand import action_from_spec
from blastdoor.pipeline import DENIAL_REMEMBERED, DENIALS_PAUSED, decide_and_record
from tests.identity.helpers import policy, services

POLICY = """version: 1
default: allow
unknown: allow
environments:
  prod: { paths: ["/srv/prod/**"] }
rules:
  - id: no-rm-rf-in-prod
    match: { operation: "shell:rm", env: prod }
    verdict: deny
denials:
  remember: true
  pause_after: 4
"""
ROUTES = [
    "find /srv/prod/db -delete",
    "python3 -c \"import shutil; shutil.rmtree('/srv/prod/db')\"",
]


def _act(command: str, session: str = "s1", agent: str = "ci-bot") -> Action:
    spec: dict[str, Any] = {"shell": command, "cwd": "/srv", "agent": {"id": agent, "session": session}}
    return action_from_spec(spec)


def _decide(svc: Any, command: str, text: str = POLICY, **kw: str) -> tuple[str, str]:
    _, d = decide_and_record(policy(base=text), _act(command, **kw), svc.log, "c", agents=svc.agents, environ={})
    return d.verdict, d.rule


@pytest.mark.parametrize("route", ROUTES)
def test_another_route_to_a_denied_effect_is_denied(store_url: str, tmp_path: Path, route: str) -> None:
    with services(store_url, tmp_path) as svc:
        assert _decide(svc, route)[0] == "allow"  # before any denial, the policy alone decides
        assert _decide(svc, "rm -rf /srv/prod/db") == ("deny", "no-rm-rf-in-prod")
        assert _decide(svc, route) == ("deny", DENIAL_REMEMBERED)
        # Only that target, only that session, only that agent.
        assert _decide(svc, "find /srv/prod/web -delete")[0] == "allow"
        assert _decide(svc, route, session="s2")[0] == "allow"
        assert _decide(svc, route, agent="other-bot")[0] == "allow"
        assert _decide(svc, "cat /srv/prod/db/readme")[0] == "allow"  # a plain read is not that effect


def test_without_remember_only_the_policy_decides(tmp_path: Path) -> None:
    text = POLICY.replace("remember: true", "remember: false")
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        _decide(svc, "rm -rf /srv/prod/db", text)
        assert _decide(svc, ROUTES[0], text)[0] == "allow"


def test_a_run_of_denials_pauses_the_session_until_resumed(tmp_path: Path) -> None:
    with services(str(tmp_path / "s.db"), tmp_path) as svc:
        for i in range(4):
            assert _decide(svc, f"rm -rf /srv/prod/t{i}")[0] == "deny"
        assert _decide(svc, "touch /srv/prod/new") == ("deny", DENIALS_PAUSED)
        assert _decide(svc, "cat /srv/prod/x")[0] == "allow"  # plain reads still run
        assert _decide(svc, "touch /srv/prod/new", session="s2")[0] == "allow"
        from blastdoor.limits.memory import Memory

        assert Memory(svc.store, svc.log).resume("ci-bot", by="alice") == ["s1"]
        assert _decide(svc, "touch /srv/prod/new")[0] == "allow"
        kinds = [e["event"]["kind"] for e in svc.log.entries()]
        assert "agent.paused" in kinds and "agent.resumed" in kinds


def test_layers_merge_strictly() -> None:
    from blastdoor.policy.compile import compile_sources
    from blastdoor.policy.layers import Source

    a = Source("managed", "<m>", "version: 1\ndenials: { pause_after: 10 }\n")
    b = Source("project", "<p>", "version: 1\ndenials: { remember: true, pause_after: 3 }\n")
    assert compile_sources([a, b], home="/h").denials == {"remember": True, "pause_after": 3}
