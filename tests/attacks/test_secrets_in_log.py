"""Attack: a secret an agent types into a command ends up in the audit log in clear.

A generated corpus (hypothesis) of each kind of secret, embedded in the commands that carry it:
passwords of database, ssh, registry and HTTP clients, cloud CLI configuration, password options,
URLs with credentials, private keys, JWTs, and cloud and SaaS token formats. Each command is
classified, decided and recorded in a real SQLite store; the secret's text must not appear in the
stored bytes (every column of every row, then the database file itself).
"""

from __future__ import annotations

import sqlite3
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import Action
from blastdoor.audit.log import AuditLog
from blastdoor.pipeline import evaluate
from blastdoor.policy import load_policy
from blastdoor.store import open_log

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"


def _s(alphabet: str, lo: int, hi: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=lo, max_size=hi if hi is not None else lo)


# A password: letters and digits with at least one of each (so it reads as one, not as a word).
PASSWORD = _s(ALNUM + "!%^*_", 10, 24).filter(lambda p: any(c.isdigit() for c in p) and any(c.isalpha() for c in p))

# kind -> (strategy of the secret, templates with {s}); neutral templates carry the token formats.
NEUTRAL = [
    "curl -s https://api.example.com/v1/items -d 'k={s}'",
    "echo {s} > /tmp/token.txt",
    "gh api /user --header 'X-Thing: {s}'",
    "node deploy.js {s}",
]
KINDS: dict[str, tuple[st.SearchStrategy[str], list[str]]] = {
    "mysql-p": (PASSWORD, ["mysql -u root -p{s} -h db.internal app", "mysqldump -uroot -p{s} app > dump.sql"]),
    "password-option": (
        PASSWORD,
        ["psql --password={s} -h db", "mysql --password {s} app", "wget --http-password={s} https://x.example/f"],
    ),
    "sshpass": (PASSWORD, ["sshpass -p {s} ssh deploy@host uptime", "sshpass -p'{s}' scp f host:"]),
    "docker-login": (
        PASSWORD,
        ["docker login -u bot -p {s} registry.example.com", "podman login --password {s} quay.io"],
    ),
    "curl-u": (
        PASSWORD,
        ["curl -u admin:{s} https://api.example.com/v1/items", "curl --user 'ci:{s}' -X POST https://x"],
    ),
    "aws-configure": (
        _s(ALNUM + "/+", 40),
        ["aws configure set aws_secret_access_key {s}", "aws configure set aws_session_token {s} --profile prod"],
    ),
    "url-credentials": (
        PASSWORD,
        ["git clone https://bot:{s}@git.example.com/x/y.git", "psql postgresql://app:{s}@db:5432/app -c 'select 1'"],
    ),
    "env-assignment": (PASSWORD, ["DATABASE_PASSWORD={s} ./run.sh", "export API_TOKEN={s}"]),
    "redis-mongo": (PASSWORD, ["redis-cli -a {s} ping", "mongosh -u admin -p {s} --eval 'db.stats()'"]),
    "k8s-literal": (PASSWORD, ["kubectl create secret generic db --from-literal=pw={s}"]),
    "private-key": (
        _s(ALNUM + "+/", 64, 120),
        ["printf '%s' '-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----' > id_rsa"],
    ),
    "jwt": (
        st.builds(lambda a, b, c: f"eyJ{a}.eyJ{b}.{c}", _s(ALNUM, 12, 30), _s(ALNUM, 12, 40), _s(ALNUM + "_-", 20, 43)),
        ["curl -H 'Authorization: Bearer {s}' https://x", *NEUTRAL],
    ),
    "github": (st.builds(lambda t: "ghp_" + t, _s(ALNUM, 36)), NEUTRAL),
    "gitlab": (st.builds(lambda t: "glpat-" + t, _s(ALNUM + "_-", 20)), NEUTRAL),
    "slack": (
        st.builds(lambda a, b, c: f"xoxb-{a}-{b}-{c}", _s(string.digits, 11), _s(string.digits, 12), _s(ALNUM, 24)),
        NEUTRAL,
    ),
    "stripe": (st.builds(lambda t: "sk_live_" + t, _s(ALNUM, 24, 32)), NEUTRAL),
    "sendgrid": (st.builds(lambda a, b: f"SG.{a}.{b}", _s(ALNUM + "_-", 22), _s(ALNUM + "_-", 43)), NEUTRAL),
    "aws-key-id": (st.builds(lambda t: "AKIA" + t, _s(UPPER_DIGITS, 16)), NEUTRAL),
    "twilio": (st.builds(lambda t: "SK" + t, _s(HEX, 32)), NEUTRAL),
    "npm": (st.builds(lambda t: "npm_" + t, _s(ALNUM, 36)), NEUTRAL),
    "openai": (st.builds(lambda t: "sk-" + t, _s(ALNUM, 48)), NEUTRAL),
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AuditLog, Path, Callable[[str], None]]]:
    root = tmp_path_factory.mktemp("secrets")
    (root / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    policy = load_policy(str(root))
    db = root / "audit.db"
    log = open_log(str(db), key_path=root / "audit.key")

    def record(command: str) -> None:
        action, decision = evaluate(policy, Action("shell", raw=command, cwd=str(root)))
        log.record_decision(action, decision)

    try:
        yield log, db, record
    finally:
        log.close()


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])


def _stored_bytes(db: Path) -> bytes:
    """Every column of every row of every table, as the store holds them."""
    out = bytearray()
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    out += value if isinstance(value, bytes) else str(value).encode()
                out += b"\n"
    return bytes(out)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_secret_reaches_the_store_in_clear(
    recorded: tuple[AuditLog, Path, Callable[[str], None]], kind: str
) -> None:
    _, db, record = recorded
    secrets_seen: list[str] = []
    strategy, templates = KINDS[kind]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(secret=strategy, template=st.sampled_from(templates))
    def check(secret: str, template: str) -> None:
        command = template.replace("{s}", secret)
        before = _rows(db)
        record(command)
        assert _rows(db) > before  # the event is in the store: the check below looks at it
        stored = _stored_bytes(db)
        assert secret.encode() not in stored, f"{kind}: {secret!r} stored in clear from {command!r}"
        secrets_seen.append(secret)

    check()
    assert secrets_seen


def test_the_database_file_holds_no_secret_either(
    recorded: tuple[AuditLog, Path, Callable[[str], None]], tmp_path: Path
) -> None:
    """After a checkpoint of the write-ahead log, the file's own bytes hold none of a fixed set."""
    _, db, record = recorded
    fixed = {
        "mysql -u root -pPa55w0rdXYZ1 app": "Pa55w0rdXYZ1",
        "curl -u admin:Hunter2Hunter2 https://x": "Hunter2Hunter2",
        "node deploy.js ghp_" + "Ab1" * 12: "ghp_" + "Ab1" * 12,
        "aws configure set aws_secret_access_key Zx9/Zx9+Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9": "Zx9/Zx9+Zx9Zx9Zx9Zx9",
    }
    for command in fixed:
        record(command)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.glob(db.name + "-*") if p.is_file())
    for secret in fixed.values():
        assert secret.encode() not in raw, secret
