"""The git previewer with a real bare remote: the commits a force push or a deletion takes away."""

from __future__ import annotations

from pathlib import Path

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.preview import Context, preview_action
from tests.preview.conftest import commit, git, snapshot


def _preview(raw: str, cwd: Path):  # type: ignore[no-untyped-def]
    action = classify(Action("shell", raw=raw, cwd=str(cwd)), {})
    made = preview_action(action, Context(cwd=str(cwd), timeout=30))
    assert made is not None, raw
    return made[0]


def test_force_push_lists_the_remote_commits_it_would_lose(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    # Someone else pushed two commits; locally history was rewritten.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    lost = [commit(other, "c.txt", "c\n"), commit(other, "d.txt", "d\n")]
    git(other, "push", "-q", "origin", "main")
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    head_remote = git(remote, "rev-parse", "main")
    before = snapshot(tmp_path)
    for raw in ("git push --force origin main", "git push --force-with-lease origin main", "git push origin +main"):
        p = _preview(raw, repo)
        assert p.ok, p.message
        shas = [i["id"] for i in p.items if i["change"] == "lose_commit"]
        # The two pushed by the other clone and the commit the amend replaced.
        assert set(lost) <= set(shas) and len(shas) == 3
        assert p.summary == {"update_ref": 1, "lose_commit": 3}
        assert head_remote in p.state_token and "git:branch/main" in p.targets
    assert snapshot(tmp_path) == before


def test_deleting_a_remote_branch_loses_only_commits_no_other_ref_has(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feat")
    only = commit(repo, "f.txt", "f\n")
    git(repo, "push", "-q", "origin", "feat")
    git(repo, "checkout", "-q", "main")
    before = snapshot(tmp_path)
    for raw in ("git push origin :feat", "git push --delete origin feat"):
        p = _preview(raw, repo)
        assert p.summary == {"delete_ref": 1, "lose_commit": 1}
        assert [i["id"] for i in p.items if i["change"] == "lose_commit"] == [only]
    assert snapshot(tmp_path) == before


def test_the_state_token_moves_with_the_remote_ref(repo: Path, tmp_path: Path) -> None:
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    first = _preview("git push --force origin main", repo)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(other))
    commit(other, "e.txt", "e\n")
    git(other, "push", "-q", "origin", "main")
    second = _preview("git push --force origin main", repo)
    assert second.state_token != first.state_token and second.digest() != first.digest()


def test_a_program_planted_in_the_repositorys_config_is_never_run_by_a_preview(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    (repo / ".gitattributes").write_text("*.txt filter=evil\n")
    for key, value in (
        ("core.fsmonitor", f"touch {marker}; false"),
        ("filter.evil.clean", f"touch {marker}; cat"),
        ("remote.origin.uploadpack", f"touch {marker}; git-upload-pack"),
        ("include.path", str(tmp_path / "elsewhere")),
    ):
        git(repo, "config", key, value)
        (repo / "a.txt").write_text("changed\n")  # stat-dirty: status would run the filter
        for raw in ("git push --force origin main", "git reset --hard", "rm a.txt"):
            p = _preview(raw, repo)
            assert not p.ok and f"sets `{key.lower()}`" in p.message.lower(), (key, raw, p.message)
        git(repo, "config", "--unset", key)
        assert not marker.exists(), key
