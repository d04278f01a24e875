"""The S3-compatible export anchor against moto's server (a real S3 API emulator, started here on
127.0.0.1): checkpoints land as objects that are never overwritten, and verify reads the latest back
to catch a database restored from an older copy."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from blastdoor.audit import checkpoint as cp
from blastdoor.audit import s3anchor
from blastdoor.audit.log import AuditLog
from blastdoor.audit.witness import load_anchors, publish
from blastdoor.store import open_log

BIN = Path(sys.executable).parent
CREDS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
}
BUCKET = "audit-anchor"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.05)  # polling the port until it answers (no fixed wait)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture()
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    urllib.request.urlopen(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10).close()
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("s3", endpoint_url=moto_url)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture()
def anchored(s3: Any, moto_url: str, tmp_path: Path) -> Iterator[tuple[AuditLog, Path, Path]]:
    key = tmp_path / "keys" / "audit.key"
    key.parent.mkdir()
    Path(str(key) + ".anchors").write_text(f"s3 s3://{BUCKET}/prod/ {moto_url}\n")
    db = tmp_path / "audit.db"
    log = open_log(str(db), key_path=key, checkpoint_every=10, checkpoint_interval=3600)
    yield log, db, key
    log.close()


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append({"kind": "decision", "agent_id": "a", "verdict": "allow", "n": i})


def _objects(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_checkpoints_land_in_the_bucket_and_anchor_verify(anchored: Any, s3: Any) -> None:
    log, _, _ = anchored
    _fill(log, 25)
    keys = _objects(s3)
    assert keys and all(k.startswith("prod/") and k.endswith(".checkpoint") for k in keys), keys
    sizes = [int(k.rsplit("/", 1)[1].split(".")[0]) for k in keys]
    assert sizes == sorted(sizes) and sizes[-1] == max(s for s, _, _ in log.store.checkpoints())
    report = log.verify()
    assert report.status == "ok", report.summary()
    assert any(a.startswith("checkpoints held by s3 s3://audit-anchor/prod/") for a in report.anchors), report.anchors
    assert not report.warnings


def test_an_exported_checkpoint_is_never_overwritten(anchored: Any, s3: Any, moto_url: str) -> None:
    log, _, key = anchored
    _fill(log, 12)
    note = log.store.checkpoints()[-1][2]
    c = cp.peek_checkpoint(note)
    name = s3anchor.object_key("prod", c.origin, c.size)
    before = s3.get_object(Bucket=BUCKET, Key=name)["Body"].read()
    assert before == note.encode()
    s3anchor.put(f"s3://{BUCKET}/prod", moto_url, note)  # the same checkpoint again: a retry, fine
    # A fork at that size, signed by the log's own key (whoever holds the database and the key):
    forged = cp.Checkpoint(c.origin, c.size, bytes(32)).sign([log.keys.signer()])
    errors = publish(load_anchors(str(key) + ".anchors"), forged, log.consistency)
    assert len(errors) == 1 and "already holds another checkpoint" in errors[0], errors
    assert s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() == before
    # The bucket itself refuses the overwrite (If-None-Match: *), not only our check before it:
    with pytest.raises(Exception, match=r"PreconditionFailed|412"):
        s3.put_object(Bucket=BUCKET, Key=name, Body=forged.encode(), IfNoneMatch="*")


def test_a_database_restored_from_an_older_copy_fails_verify(anchored: Any, tmp_path: Path) -> None:
    log, db, key = anchored
    _fill(log, 12)
    log.checkpoint()
    old = tmp_path / "old.db"
    shutil.copy(db, old)  # the owner's backup, taken while the log was at this size
    for suffix in ("-wal", "-shm"):
        if Path(str(db) + suffix).exists():
            shutil.copy(str(db) + suffix, str(old) + suffix)
    _fill(log, 15)
    log.checkpoint()
    grown = log.size()
    log.close()
    for suffix in ("", "-wal", "-shm"):
        if Path(str(old) + suffix).exists():
            shutil.copy(str(old) + suffix, str(db) + suffix)
        else:
            Path(str(db) + suffix).unlink(missing_ok=True)
    restored = open_log(str(db), key_path=key, checkpoint_on_close=False)
    try:
        assert restored.size() < grown
        report = restored.verify()
    finally:
        restored.close()
    assert report.status == "FAILED", report.summary()
    assert "truncated or rolled back" in report.summary() and report.first_bad == report.size


def test_an_unreachable_bucket_is_said_plainly(s3: Any, moto_url: str, tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    Path(str(key) + ".anchors").write_text(f"s3 s3://no-such-bucket/x {moto_url}\n")
    log = open_log(str(tmp_path / "a.db"), key_path=key, checkpoint_every=10**6)
    try:
        _fill(log, 3)
        with pytest.warns(RuntimeWarning, match="audit anchor: s3 s3://no-such-bucket/x: cannot write"):
            log.checkpoint()
        report = log.verify()
    finally:
        log.close()
    assert report.status == "UNANCHORED", report.summary()
    assert any("no-such-bucket" in u for u in report.unchecked), report.unchecked


@pytest.mark.parametrize("line", ["s3 bucket/prefix", "s3 s3:///prefix", "s3 s3://b/p http://e extra"])
def test_a_malformed_s3_line_is_refused(tmp_path: Path, line: str) -> None:
    path = tmp_path / "anchors"
    path.write_text(line + "\n")
    with pytest.raises(cp.NoteError):
        load_anchors(str(path))
