"""The policy's `identity:` block: where only a credential establishes who the agent is."""

from __future__ import annotations

import pytest

from blastdoor.errors import PolicyError
from blastdoor.pipeline import evaluate
from tests.identity.helpers import action, policy

BASE = """version: 1
default: allow
unknown: allow
environments:
  prod: { paths: ["/srv/prod/**"] }
  staging: { paths: ["/srv/staging/**"] }
rules:
  - id: deployer-may-delete-in-prod
    match: { agent: ci-deployer, env: prod, effects: [delete] }
    verdict: allow
  - id: prod-deletes-need-a-person
    match: { env: prod, effects: [delete] }
    verdict: ask
  - id: strangers-never-delete-in-prod
    match: { agent: unknown-agent, env: prod, effects: [delete] }
    verdict: deny
"""
IDENTITY = """identity:
  verified: [prod]
"""


def _judged(extra: str, command: str, *, verified: bool, agent: str = "ci-deployer") -> tuple[str, str, list[str]]:
    pol = policy(extra, base=BASE)
    act = action(agent, command)
    act.agent.verified = verified  # the pipeline's identity step sets it; the engine only reads it
    _, d = evaluate(pol, act, environ={})
    return d.verdict, d.rule, list(d.reasons)


def test_unverified_in_a_verified_environment_is_judged_as_unknown_agent() -> None:
    verdict, rule, reasons = _judged(IDENTITY, "rm /srv/prod/db/dump", verified=False)
    assert (verdict, rule) == ("deny", "strangers-never-delete-in-prod")
    assert any("judged as unknown-agent" in r for r in reasons)


def test_verified_agent_is_itself() -> None:
    assert _judged(IDENTITY, "rm /srv/prod/db/dump", verified=True)[:2] == ("ask", "prod-deletes-need-a-person")


def test_other_environments_keep_the_claimed_id() -> None:
    assert _judged(IDENTITY, "rm /srv/staging/x", verified=False)[0] == "allow"


def test_without_the_block_the_claim_stands() -> None:
    # Without `identity:`, rules about the claimed id apply (the pipeline still unmasks enrolled ids).
    verdict, rule, _ = _judged("", "rm /srv/prod/db/dump", verified=False)
    assert (verdict, rule) == ("ask", "prod-deletes-need-a-person")


def test_unverified_floor() -> None:
    extra = "identity:\n  verified: [prod]\n  unverified: approve\n"
    verdict, rule, _ = _judged(extra, "cat /srv/prod/db/readme", verified=False)
    assert (verdict, rule) == ("approve", "identity.unverified")
    assert _judged(extra, "cat /srv/prod/db/readme", verified=True)[0] == "allow"


def test_compound_action_is_judged_part_by_part() -> None:
    verdict, rule, _ = _judged(IDENTITY, "ls /srv/staging && rm /srv/prod/db/dump", verified=False)
    assert (verdict, rule) == ("deny", "strangers-never-delete-in-prod")


def test_glob_environments() -> None:
    extra = "identity:\n  verified: ['pro*']\n"
    assert _judged(extra, "rm /srv/prod/db/dump", verified=False)[0] == "deny"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("identity:\n  verified: []\n", "18:13: [] should be non-empty"),
        ("identity:\n  verifed: [prod]\n", "verified"),
        ("identity:\n  verified: [prod]\n  unverified: allow\n", "allow"),
    ],
)
def test_bad_blocks_are_clear_errors(block: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        policy(block, base=BASE)
    assert message in str(err.value)


def test_layers_merge_strictly() -> None:
    from blastdoor.policy.compile import compile_sources
    from blastdoor.policy.layers import Source

    managed = Source("managed", "<m>", "version: 1\nidentity:\n  verified: [prod]\n  unverified: ask\n")
    project = Source("project", "<p>", BASE + "identity:\n  verified: [staging]\n  unverified: deny\n")
    pol = compile_sources([managed, project], home="/h")
    assert pol.identity == {"verified": ("prod", "staging"), "unverified": "deny"}
    # and it survives the disk cache's plain-data round trip
    from blastdoor.policy.compiled import CompiledPolicy

    assert CompiledPolicy.from_data(pol.to_data()).identity == pol.identity
