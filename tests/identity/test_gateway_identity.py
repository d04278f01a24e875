"""The MCP gateway presents the agent's credential from its environment (issue 16, item 1)."""

from __future__ import annotations

from pathlib import Path

from blastdoor.services import open_services
from tests.gateway.harness import Project, bank, text

POLICY = """version: 1
default: allow
unknown: allow
rules:
  - id: strangers-pay-nobody
    match: { agent: unknown-agent, operation: "mcp:bank/send_money" }
    verdict: deny
    reason: an unknown agent pays nobody
"""


class WithCredential(Project):
    def __init__(self, path: Path, credential: str) -> None:
        super().__init__(path, {"bank": bank(BANK_LEDGER=str(path / "ledger.jsonl"))}, POLICY, agent="gw-agent")
        self.credential = credential

    def env(self) -> dict[str, str]:
        extra = {"BLASTDOOR_AGENT_CREDENTIAL_FILE": self.credential} if self.credential else {}
        return {**super().env(), **extra}


def _pay(p: Project) -> str:
    result = p.session(lambda c: c.call_tool("bank__send_money", {"recipient": "UK12", "amount": 5}))
    return "denied" if result.is_error and "unknown agent" in text(result) else "paid"


def test_gateway_is_its_agent_only_with_the_credential(tmp_path: Path) -> None:
    plain = WithCredential(tmp_path, "")
    home = Path(plain.env()["BLASTDOOR_HOME"])
    with open_services(str(plain.store), key_path=str(home / "audit.key")) as svc:
        token = svc.agents.credentials.enrol("gw-agent", by="alice").token
    cred = tmp_path / "gw.jwt"
    cred.write_text(token)
    assert _pay(plain) == "denied"
    assert _pay(WithCredential(tmp_path, str(cred))) == "paid"
    agents = [e["agent"] for e in plain.events("decision")]
    assert agents[0]["id"] == "unknown-agent" and agents[-1] == {**agents[-1], "id": "gw-agent", "verified": True}
