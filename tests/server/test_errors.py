"""Errors carry their kind: the API and the CLI answer by kind, from one table each, never by wording."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor import errors
from blastdoor.approvals.requests import ApprovalClosed, ApprovalRefused
from blastdoor.cli import exits
from blastdoor.server import api

BLASTDOOR = str(Path(sys.executable).with_name("blastdoor"))

KINDS = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.BlastdoorError)]

WANTED = {
    errors.NotFound: (404, "not_found", exits.INPUT),
    errors.Conflict: (409, "conflict", exits.FAILED),
    errors.Forbidden: (403, "forbidden", exits.FAILED),
    errors.Refused: (403, "refused", exits.FAILED),
    errors.InputError: (400, "bad_input", exits.INPUT),
    errors.UsageError: (400, "bad_input", exits.USAGE),
    errors.StoreError: (503, "store_unavailable", exits.STORE),
    errors.Unavailable: (503, "unavailable", exits.STORE),
    errors.BlastdoorError: (500, "error", exits.INTERNAL),
}


def _make(kind: type[errors.BlastdoorError], message: str) -> errors.BlastdoorError:
    if kind is errors.PolicyError:
        return errors.PolicyError([(errors.Location("p.yaml", 1, 1), message)])
    return kind(message)


def test_every_kind_has_an_answer_in_both_tables() -> None:
    assert set(KINDS) >= set(WANTED)
    for kind in KINDS:
        exc = _make(kind, "x")
        nearest = next(k for k in kind.__mro__ if k in WANTED)
        status, code, exit_code = WANTED[nearest]
        err = api.translate(exc)
        assert (err.status, err.code) == (status, code), kind
        assert exits.exit_for(exc) == (exits.POLICY if kind is errors.PolicyError else exit_code), kind


@given(st.text(max_size=40), st.sampled_from(sorted(WANTED, key=lambda k: k.__name__)))
def test_the_wording_of_a_message_never_changes_its_status(message: str, kind: type[errors.BlastdoorError]) -> None:
    # Metamorphic: a message starting with "no " (the old 404 test) is answered like any other of its kind.
    for text in (message, "no " + message, "not " + message):
        err = api.translate(kind(text))
        assert err.status == WANTED[kind][0] and err.message == text


def test_approval_refusals_keep_their_own_code_and_closed_is_a_conflict() -> None:
    refused = api.translate(ApprovalRefused("self", "alice asked for this"))
    assert (refused.status, refused.code) == (403, "self")
    closed = api.translate(ApprovalClosed("closed", "request req_1 is denied, not pending"))
    assert (closed.status, closed.code) == (409, "closed")
    assert isinstance(ApprovalClosed("closed", "x"), ApprovalRefused)  # callers catching refusals still do


def test_a_foreign_exception_is_an_internal_error_without_its_text() -> None:
    err = api.translate(KeyError("secret-looking detail"))
    assert err.status == 500 and "secret-looking" not in err.message


def test_a_subclass_defined_elsewhere_is_answered_by_its_nearest_kind() -> None:
    class NoSuchWidget(errors.NotFound):
        pass

    assert api.translate(NoSuchWidget("there is no widget")).status == 404
    assert exits.exit_for(NoSuchWidget("x")) == exits.INPUT


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["approvals", "show", "req_000000000000"], exits.INPUT, "no approval request"),
        (["people", "remove", "nobody"], exits.INPUT, "no person"),
    ],
)
def test_the_cli_exits_by_kind(tmp_path: Path, args: list[str], code: int, said: str) -> None:
    env = {"BLASTDOOR_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([BLASTDOOR, *args], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert said in proc.stderr


def test_a_second_person_of_the_same_name_is_a_conflict(tmp_path: Path) -> None:
    env = {"BLASTDOOR_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    add = [BLASTDOOR, "people", "add", "root", "--role", "admin"]
    first = subprocess.run(add, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    again = subprocess.run(add, env={**env, "BLASTDOOR_TOKEN": token}, capture_output=True, text=True, timeout=60)
    assert again.returncode == exits.FAILED and "already exists" in again.stderr
