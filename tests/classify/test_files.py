"""Files: the effects of touching a path, and the harnesses' Read/Write/Edit tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.classify.context import ClassifyContext
from blastdoor.classify.files import classify_file, classify_path_access, normalize_path

HOME = "/home/u"
CWD = "/home/u/proj"


@pytest.fixture
def ctx() -> ClassifyContext:
    return ClassifyContext({}, HOME, CWD)


CASES = [
    # (path, mode, effects exactly)
    ("src/app.py", "write", {"write"}),
    ("src/app.py", "read", {"read"}),
    ("src/app.py", "delete", {"delete"}),
    ("/tmp/scratch", "write", {"write"}),
    (".git/hooks/pre-commit", "write", {"write", "persist"}),
    (".git/config", "write", {"write", "persist"}),
    (".git/objects/ab/cdef", "delete", {"delete", "irreversible"}),
    (".github/workflows/ci.yml", "write", {"write", "deploy", "persist"}),
    (".gitlab-ci.yml", "write", {"write", "deploy", "persist"}),
    ("Jenkinsfile", "write", {"write", "deploy", "persist"}),
    (".circleci/config.yml", "write", {"write", "deploy", "persist"}),
    ("~/.bashrc", "write", {"write", "persist"}),
    ("~/.zshrc", "write", {"write", "persist"}),
    ("~/.profile", "write", {"write", "persist"}),
    ("~/.bashrc", "read", {"read"}),
    ("/root/.bashrc", "write", {"write", "persist", "privilege"}),
    ("/home/other/.zshrc", "write", {"write", "persist"}),
    ("~/.ssh/id_ed25519", "read", {"read", "secrets"}),
    ("~/.ssh/authorized_keys", "write", {"write", "privilege", "persist"}),
    ("~/.ssh/config", "write", {"write", "privilege", "persist"}),
    ("~/.aws/credentials", "read", {"read", "secrets"}),
    ("~/.aws/credentials", "write", {"write", "privilege"}),
    ("~/.config/gcloud/application_default_credentials.json", "read", {"read", "secrets"}),
    ("~/.azure/accessTokens.json", "read", {"read", "secrets"}),
    ("~/.kube/config", "read", {"read", "secrets"}),
    ("~/.docker/config.json", "read", {"read", "secrets"}),
    (".env", "read", {"read", "secrets"}),
    (".env.production", "read", {"read", "secrets"}),
    (".env.example", "read", {"read"}),
    ("certs/server.pem", "read", {"read", "secrets"}),
    ("deploy/id_rsa", "read", {"read", "secrets"}),
    ("/etc/hosts", "write", {"write", "privilege"}),
    ("/etc/hosts", "read", {"read"}),
    ("/etc/shadow", "read", {"read", "secrets"}),
    ("/etc/sudoers.d/agent", "write", {"write", "privilege"}),
    ("/etc/cron.d/job", "write", {"write", "privilege", "persist"}),
    ("/etc/systemd/system/x.service", "write", {"write", "privilege", "persist"}),
    ("~/.config/systemd/user/x.service", "write", {"write", "persist"}),
    ("/var/spool/cron/crontabs/u", "write", {"write", "privilege", "persist"}),
    ("blastdoor.yaml", "write", {"write", "privilege", "guard"}),
    ("~/.config/blastdoor/policy.yaml", "write", {"write", "privilege", "guard"}),
    ("~/.config/blastdoor/audit.db", "delete", {"delete", "privilege", "irreversible", "guard"}),
    (".claude/settings.json", "write", {"write", "privilege", "guard"}),
    ("~/.claude/settings.json", "write", {"write", "privilege", "guard"}),
    (".cursor/hooks.json", "write", {"write", "privilege", "guard"}),
    (".mcp.json", "write", {"write", "privilege", "guard"}),
    ("/dev/sda", "write", {"write", "delete", "irreversible", "wipe"}),
    ("/dev/nvme0n1", "write", {"write", "delete", "irreversible", "wipe"}),
    ("/dev/null", "write", set()),
    ("../../../etc/passwd", "write", {"write", "privilege"}),
    ("src/../.git/hooks/post-checkout", "write", {"write", "persist"}),
]


@pytest.mark.parametrize(("path", "mode", "effects"), CASES, ids=[f"{c[1]}:{c[0]}" for c in CASES])
def test_path_table(path: str, mode: str, effects: set[str], ctx: ClassifyContext) -> None:
    found, notes = classify_path_access(path, mode, ctx)
    assert set(found) == effects, [str(n) for n in notes]
    for extra in effects - {mode}:
        assert any(n.kind == "effect" and n.value == extra for n in notes), extra


def test_bad_input_is_unknown(ctx: ClassifyContext) -> None:
    assert classify_path_access("x", "chmod", ctx)[0] == {"unknown"}
    assert classify_path_access("", "read", ctx)[0] == {"unknown"}
    assert classify_path_access("a\x00b", "write", ctx)[0] == {"unknown"}


def test_normalize(ctx: ClassifyContext) -> None:
    assert normalize_path("~/x", ctx) == "/home/u/x"
    assert normalize_path("a/../b", ctx) == "/home/u/proj/b"
    assert normalize_path("/a//b/", ctx) == "/a/b"
    assert normalize_path("$HOME/.bashrc", ctx) == "/home/u/.bashrc"


def test_symlink_into_a_protected_place(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "proj").mkdir(parents=True)
    (home / ".bashrc").write_text("")
    os.symlink(home / ".bashrc", home / "proj" / "innocent.txt")
    ctx = ClassifyContext({}, str(home), str(home / "proj"))
    effects, _ = classify_path_access("innocent.txt", "write", ctx)
    assert "persist" in effects


def test_blastdoor_home_from_env(tmp_path: Path) -> None:
    ctx = ClassifyContext({"BLASTDOOR_HOME": str(tmp_path / "bd")}, str(tmp_path), str(tmp_path))
    effects, _ = classify_path_access(str(tmp_path / "bd" / "audit.sqlite"), "delete", ctx)
    assert {"privilege", "irreversible"} <= effects


def test_classify_file_tool(tmp_path: Path) -> None:
    (tmp_path / "exists.py").write_text("x")
    home = str(tmp_path / "home")

    def run(args: dict[str, str]) -> Action:
        return classify(Action("file", args=args, cwd=str(tmp_path)), environ={}, home=home)

    new = run({"file_path": "new.py", "op": "write"})
    assert new.effects == {"create"}
    assert new.targets == (str(tmp_path / "new.py"),)
    assert new.operation == "file:write"
    old = run({"path": "exists.py", "op": "edit"})
    assert old.effects == {"write"}
    read = run({"path": "exists.py", "op": "read"})
    assert read.effects == {"read"}
    gone = run({"path": "exists.py", "op": "delete"})
    assert gone.effects == {"delete"}
    rc = run({"path": "~/.bashrc", "op": "edit"})
    assert rc.effects == {"write", "persist"}
    assert rc.targets == (str(tmp_path / "home" / ".bashrc"),)


def test_classify_file_without_path_or_op_is_unknown(ctx: ClassifyContext) -> None:
    assert classify_file(Action("file", args={"op": "write"}), ctx).effects == {"unknown"}
    assert classify_file(Action("file", args={"path": "x", "op": "chmod"}), ctx).effects == {"unknown"}


def test_classify_file_env_by_path() -> None:
    action = Action("file", args={"path": "/srv/prod/app/config.yml", "op": "write"})
    result = classify(action, {"prod": {"paths": ["/srv/prod/**"]}}, environ={}, home="/nonexistent")
    assert result.env == "prod"
    assert result.facts["evidence"]["path"] == "/srv/prod/app/config.yml"


# -- the project is the project wherever it lives (#14.8) ----------------------------------------------


def _recommended(cwd: Path) -> object:
    from blastdoor.policy import load_policy

    (cwd / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    return load_policy(str(cwd))


def _verdict(policy: object, command: str, cwd: Path) -> str:
    from blastdoor.pipeline import evaluate

    _, decision = evaluate(policy, Action("shell", raw=command, cwd=str(cwd)))  # type: ignore[arg-type]
    return decision.verdict


def test_a_checkout_under_tmp_keeps_its_protection(tmp_path: Path) -> None:
    """`rm -rf ./src` in a git checkout under /tmp (CI runners) is not temp scratch."""
    import subprocess

    assert str(tmp_path).startswith("/tmp/")
    repo = tmp_path / "checkout"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    policy = _recommended(repo)
    assert _verdict(policy, "rm -rf ./src", repo) == "ask"
    assert _verdict(policy, "find ./src -name '*.py' -delete", repo) == "ask"
    assert _verdict(policy, "rm notes.txt", repo) == "allow"  # one file in the project: routine
    # Scratch that is not a project stays scratch.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert _verdict(policy, f"rm -rf {scratch}/build-output", repo) == "allow"


def test_a_temp_directory_that_is_the_agents_project_keeps_its_protection(tmp_path: Path) -> None:
    project = tmp_path / "work"
    (project / "src").mkdir(parents=True)
    policy = _recommended(project)
    assert _verdict(policy, "rm -rf src", project) == "ask"


def test_a_project_under_roots_home_is_not_secret() -> None:
    ctx = ClassifyContext({}, "/root", "/root/app")
    effects, _ = classify_path_access("/root/app/README.md", "read", ctx)
    assert effects == {"read"}
    # Root's own credentials stay secret, and outside the project root's home is still root's.
    assert "secrets" in classify_path_access("/root/.ssh/id_ed25519", "read", ctx)[0]
    other = ClassifyContext({}, "/home/u", "/home/u/proj")
    assert "secrets" in classify_path_access("/root/notes.txt", "read", other)[0]
