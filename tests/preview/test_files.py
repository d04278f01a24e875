"""The files previewer on real files and real git: counts, bytes, tracked, uncommitted; nothing changes."""

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


def test_rm_r_counts_files_bytes_tracked_and_uncommitted_and_deletes_nothing(repo: Path) -> None:
    d = repo / "src"
    d.mkdir()
    (d / "one.py").write_text("x" * 100)
    (d / "two.py").write_text("y" * 50)
    git(repo, "add", "src")
    git(repo, "commit", "-q", "-m", "src")
    (d / "two.py").write_text("y" * 60)  # modified: work lost
    (d / "new.py").write_text("z" * 7)  # untracked: work lost
    (d / "deep").mkdir()
    (d / "deep" / "x.bin").write_bytes(b"\0" * 1000)
    before = snapshot(repo)
    p = _preview("rm -rf src", repo)
    assert p.ok and p.kind == "files"
    assert p.summary == {"delete": 4}
    assert p.facts["bytes"] == 100 + 60 + 7 + 1000
    assert (p.facts["tracked"], p.facts["uncommitted"]) == (2, 3)
    assert p.items[0]["id"].endswith("x.bin")  # largest first
    assert snapshot(repo) == before


def test_git_clean_fdx_lists_untracked_and_ignored_and_deletes_nothing(repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\n")
    commit(repo, ".gitignore", "build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.o").write_bytes(b"o" * 10)
    (repo / "notes.txt").write_text("n" * 3)
    before = snapshot(repo)
    p = _preview("git clean -fdx", repo)
    assert p.summary == {"delete": 2} and p.facts["bytes"] == 13 and p.facts["tracked"] == 0
    assert {Path(i["id"]).name for i in p.items} == {"out.o", "notes.txt"}
    assert snapshot(repo) == before
    # Without -x the ignored build output stays: the dry run reads the same flags.
    assert _preview("git clean -fd", repo).summary == {"delete": 1}


def test_git_reset_hard_and_checkout_dot_count_the_changes_they_discard(repo: Path) -> None:
    (repo / "a.txt").write_text("edited\n")
    (repo / "b.txt").write_text("edited too\n")
    git(repo, "add", "b.txt")  # staged changes are lost by reset --hard as well
    before = snapshot(repo)
    reset = _preview("git reset --hard", repo)
    assert reset.summary == {"discard": 2} and reset.facts["uncommitted"] == 2
    checkout = _preview("git checkout -- .", repo)
    assert checkout.summary == {"discard": 1}  # only the unstaged change of a.txt
    assert snapshot(repo) == before


def test_find_delete_lists_what_find_matches_without_deleting(tmp_path: Path) -> None:
    for name in ("a.o", "b.o", "c.c"):
        (tmp_path / name).write_text(name)
    before = snapshot(tmp_path)
    p = _preview("find . -name '*.o' -delete", tmp_path)
    assert p.summary == {"delete": 2} and sorted(Path(i["id"]).name for i in p.items) == ["a.o", "b.o"]
    assert snapshot(tmp_path) == before


def test_find_with_exec_is_not_run_for_a_preview(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    p = _preview(f"find . -delete -exec touch {marker} ;", tmp_path)
    assert not p.ok and "-exec" in p.message and not marker.exists()


def test_the_state_token_moves_when_a_file_changes(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("1")
    first = _preview("rm -r d", tmp_path)
    (tmp_path / "d" / "f").write_text("22")
    assert _preview("rm -r d", tmp_path).digest() != first.digest()
