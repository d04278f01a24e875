"""Printing the whole environment prints the credentials in it: ``env``, ``printenv``, ``env | grep``.

Before, ``printenv GITHUB_TOKEN`` asked while ``env | grep -i token`` was a plain read.
"""

from __future__ import annotations

import pytest

from blastdoor.action import Action
from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.shell import classify_shell


def _effects(cmd: str, environ: dict[str, str]) -> set[str]:
    ctx = ClassifyContext({"HOME": "/home/u", **environ}, "/home/u", "/home/u/project")
    return set(classify_shell(Action("shell", raw=cmd, cwd="/home/u/project"), ctx).effects)


DUMPS = [
    "env",
    "printenv",
    "env | grep -i token",
    "printenv | sort",
    "sudo env",
    "env -0",
    "set",
    "set | grep TOKEN",
    "export",
    "export -p",
    "declare -x",
    "typeset -p",
]


@pytest.mark.parametrize("cmd", DUMPS)
def test_a_dump_of_an_environment_holding_a_credential_is_a_secrets_read(cmd: str) -> None:
    assert "secrets" in _effects(cmd, {"GITHUB_TOKEN": "ghp_x", "PATH": "/usr/bin"}), cmd


@pytest.mark.parametrize("cmd", DUMPS)
def test_a_dump_of_an_environment_without_one_is_a_read(cmd: str) -> None:
    assert "secrets" not in _effects(cmd, {"PATH": "/usr/bin", "LANG": "C.UTF-8"}), cmd


def test_a_credential_this_input_sets_counts() -> None:
    assert "secrets" in _effects("export DB_PASSWORD=hunter2; env", {"PATH": "/usr/bin"})
    assert "secrets" in _effects("T=$GITHUB_TOKEN; export T; env", {"GITHUB_TOKEN": "x"})


@pytest.mark.parametrize("cmd", ["set -e", "set -o pipefail", "export A=1", "declare -x FOO", "printenv HOME"])
def test_setting_options_or_naming_a_plain_variable_prints_no_credential(cmd: str) -> None:
    assert "secrets" not in _effects(cmd, {"GITHUB_TOKEN": "ghp_x"}), cmd
