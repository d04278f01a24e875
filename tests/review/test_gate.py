"""What an agent's change needs, and the sign-off that lets exactly the reviewed commits through a
self-hosted remote's pre-receive hook."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from blastdoor.services import open_services
from tests.review.repo import Repo, git


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"


def test_terraform_by_an_agent_needs_the_seniors(repo: Repo) -> None:
    repo.write("infra/main.tf", 'resource "aws_s3_bucket" "b" {}\n')
    repo.agent_commit("add a bucket", "toolu_tf")
    code, report = repo.review()
    need = report["commits"][0]["need"]
    assert need["verdict"] == "signoff" and need["signoff"] == {"seniors": 1}
    assert any(r["rule"] == "builtin.infrastructure" and r["path"] == "infra/main.tf" for r in need["reasons"])
    assert code == 4


def test_a_readme_typo_by_an_agent_needs_one_review(repo: Repo) -> None:
    repo.write("README.md", "# Demo\n\nThis is the demo.\n")
    repo.commit("fix a typo" + CLAUDE)
    code, report = repo.review()
    need = report["commits"][0]["need"]
    assert need["verdict"] == "review" and need["reviews"] == 1 and need["signoff"] == {}
    assert code == 4


@pytest.mark.parametrize("path", ["blastdoor.yaml", "sub/blastdoor.yaml", ".claude/settings.json", "CODEOWNERS"])
def test_an_agent_editing_its_guard_is_denied(repo: Repo, path: str) -> None:
    repo.write(path, "default: allow\n")
    repo.agent_commit("relax the rules", "toolu_guard")
    code, report = repo.review()
    assert report["commits"][0]["need"]["verdict"] == "deny"
    assert report["verdict"] == "deny" and code == 5
    # No sign-off is filed for it: nothing lifts a deny.
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--request", "--json")
    assert code == 5 and "request" not in json.loads(out)


def test_the_same_edits_by_a_person_need_nothing_here(repo: Repo) -> None:
    repo.write("infra/main.tf", "# x\n")
    repo.write("blastdoor.yaml", "version: 1\n")
    repo.commit("human infra change")
    code, report = repo.review()
    assert code == 0 and report["verdict"] == "pass"


def test_the_policy_adds_rules_and_a_policy_rule_can_deny(repo: Repo) -> None:
    repo.policy.write_text(
        repo.policy.read_text()
        + "  rules:\n    - id: payments\n      paths: ['services/payments/**']\n      verdict: signoff\n"
        + "      from: team\n      count: 2\n    - id: vendored\n      paths: ['vendor/**']\n      verdict: deny\n"
    )
    repo.write("services/payments/charge.py", "x = 1\n")
    repo.commit("charge" + CLAUDE)
    code, report = repo.review()
    assert report["commits"][0]["need"]["signoff"] == {"team": 2} and code == 4
    repo.write("vendor/lib.py", "y = 2\n")
    repo.commit("patch vendor" + CLAUDE)
    code, report = repo.review()
    assert code == 5


def test_an_unknown_signoff_group_is_a_policy_error(repo: Repo) -> None:
    repo.policy.write_text(repo.policy.read_text().replace("signoff: seniors", "signoff: senoirs"))
    code, _, err = repo.blastdoor("review", "HEAD")
    assert code == 6 and "senoirs" in err and "seniors" in err


def _person(repo: Repo, name: str) -> Path:
    with open_services(repo.db) as services:
        token = services.people.add(name, "approver")
    path = repo.root / f"{name}.token"
    path.write_text(token)
    return path


def test_signoff_lets_exactly_the_reviewed_commits_through_pre_receive(repo: Repo) -> None:
    sam, alice, bob = _person(repo, "sam"), _person(repo, "alice"), _person(repo, "bob")
    repo.install_pre_receive()
    repo.write("infra/main.tf", "# bucket\n")
    repo.agent_commit("add a bucket", "toolu_a", author=("alice", "alice@example.com"))
    repo.write("README.md", "# Demo\n\nThis is the demo.\n")
    repo.commit("typo" + CLAUDE, author=("alice", "alice@example.com"))

    code, err = repo.push()
    assert code != 0 and "change gate" in err

    code, out, err = repo.blastdoor("review", "origin/main..HEAD", "--request", "--format", "json")
    assert code == 4, err
    request = json.loads(out)["request"]
    assert request["need"]["signoff"] == {"seniors": 1} and len(request["commits"]) == 2

    # The commits' author cannot sign them off, even as an approver.
    code, _, err = repo.blastdoor("review", "--signoff", request["id"], "--token-file", str(alice))
    assert code == 1 and "cannot sign them off" in err
    # Someone outside the seniors counts as a review but not as the seniors' sign-off.
    code, out, _ = repo.blastdoor("review", "--signoff", request["id"], "--token-file", str(bob), "--json")
    assert code == 0 and json.loads(out)["status"] == "pending"
    assert repo.push()[0] != 0
    code, out, _ = repo.blastdoor("review", "--signoff", request["id"], "--token-file", str(sam), "--json")
    assert code == 0 and json.loads(out)["status"] == "approved"

    code, report = repo.review()
    assert code == 0 and report["verdict"] == "pass"
    code, err = repo.push()
    assert code == 0, err

    # A commit added after the sign-off is in no review: refused.
    repo.write("app.py", "print(1)\n")
    late = repo.agent_commit("one more thing", "toolu_late")
    code, err = repo.push()
    assert code != 0 and late[:12] in err
    code, report = repo.review()
    assert code == 4 and [c["id"] for c in report["commits"] if c["status"] != "pass"] == [late]


def test_a_signoff_does_not_cover_a_stricter_need(repo: Repo) -> None:
    # Signed off under one review; the same commit id does not pass once the policy asks for more.
    sam = _person(repo, "sam")
    repo.write("ops/deploy.py", "x = 1\n")
    repo.commit("deploy" + CLAUDE)
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--request", "--json")
    assert code == 4
    request = json.loads(out)["request"]
    assert repo.blastdoor("review", "--signoff", request["id"], "--token-file", str(sam))[0] == 0
    assert repo.review()[0] == 0
    repo.policy.write_text(
        repo.policy.read_text() + "  rules:\n    - id: ops\n      paths: ['ops/**']\n      verdict: signoff\n"
        "      from: seniors\n      count: 2\n"
    )
    assert repo.review()[0] == 4


def test_sarif_and_markdown(repo: Repo) -> None:
    repo.write("infra/main.tf", "# x\n")
    repo.commit("infra" + CLAUDE)
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--format", "sarif")
    sarif = json.loads(out)
    result = sarif["runs"][0]["results"][0]
    assert sarif["version"] == "2.1.0" and result["ruleId"] == "builtin.infrastructure"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf"
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--format", "markdown")
    assert code == 4 and "needs-review" in out and "`seniors`" in out


def test_pre_push_refuses_locally_before_anything_leaves(repo: Repo) -> None:
    repo.write("infra/main.tf", "# x\n")
    sha = repo.commit("infra" + CLAUDE)
    remote = subprocess.run(
        ["git", "rev-parse", "origin/main"], cwd=repo.work, capture_output=True, text=True, check=True
    ).stdout.strip()
    code, _, err = repo.blastdoor("review", "--pre-push", stdin=f"refs/heads/main {sha} refs/heads/main {remote}\n")
    assert code == 4 and sha[:12] in err
    code, _, err = repo.blastdoor("review", "--pre-push", stdin="garbage line\n")
    assert code == 2  # a hook input it cannot read refuses the push


def test_an_agent_deleting_the_policy_is_denied(repo: Repo) -> None:
    repo.write("blastdoor.yaml", "version: 1\n")
    repo.commit("add policy")
    git(repo.work, "rm", "-q", "blastdoor.yaml")
    repo.agent_commit("remove the policy", "toolu_rm")
    code, report = repo.review("HEAD~1..HEAD")
    assert code == 5 and report["commits"][0]["need"]["verdict"] == "deny"


def test_a_user_layer_cannot_set_changes(repo: Repo, tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    user.write_text("version: 1\nchanges:\n  reviews: 0\n")
    code, _, err = repo.blastdoor("review", "HEAD", extra_env={"BLASTDOOR_USER_POLICY": str(user)})
    assert code == 6 and "user layer" in err


def test_stats_show_the_reviewers_load(repo: Repo) -> None:
    sam = _person(repo, "sam")
    repo.write("notes.txt", "mine\n")
    repo.commit("human notes")
    repo.write("infra/main.tf", "# x\n")
    repo.commit("infra" + CLAUDE)
    repo.write("README.md", "# Demo\n\nThis is the demo.\n")
    repo.commit("typo" + CLAUDE)
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--request", "--json")
    assert code == 4
    assert repo.blastdoor("review", "--signoff", json.loads(out)["request"]["id"], "--token-file", str(sam))[0] == 0
    code, out, err = repo.blastdoor("review", "--stats", "7d", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["commits"] == 4 and figures["ai_authored"] == 2 and figures["ai_share"] == 0.5
    assert figures["needed_signoff"] == 1 and figures["needed_review"] == 1
    assert figures["reviews_filed"] == 1 and figures["reviews_pending"] == 0
    assert figures["groups"]["seniors"]["signed_off"] == 1 and figures["median_wait_s"] is not None
    code, _, err = repo.blastdoor("review", "--stats", "lately")
    assert code == 7 and "bad period" in err


def test_the_author_is_known_by_the_local_part_of_their_email_too(repo: Repo) -> None:
    alice = _person(repo, "alice")
    repo.write("README.md", "# Demo\n\nThis is the demo.\n")
    repo.commit("typo" + CLAUDE, author=("Alice Smith", "alice@corp.example"))
    code, out, _ = repo.blastdoor("review", "origin/main..HEAD", "--request", "--json")
    assert code == 4
    code, _, err = repo.blastdoor("review", "--signoff", json.loads(out)["request"]["id"], "--token-file", str(alice))
    assert code == 1 and "cannot sign them off" in err


def test_a_message_cannot_forge_a_record_of_the_log_output(repo: Repo) -> None:
    # Separator characters in the message, then a fake "commit" (the initial commit's id, a person,
    # no files) meant to take this commit's files: the parse must still see this commit's own files.
    initial = git(repo.work, "rev-parse", "origin/main")
    fake = "\x1f".join([initial, "t", "", "Hal", "hal@example.com", "Hal", "hal@example.com", "N", "1", "x"])
    message = f"harmless\x1f\n\x1e{fake}\x1f\n" + CLAUDE
    repo.write("blastdoor.yaml", "default: allow\n")
    git(repo.work, "add", "-A")
    (repo.root / "msg").write_bytes(message.encode())
    git(repo.work, "commit", "-q", "--cleanup=verbatim", "-F", str(repo.root / "msg"))
    code, report = repo.review()
    assert [c["files"] for c in report["commits"]] == [["blastdoor.yaml"]]
    assert code == 5
