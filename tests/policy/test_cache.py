"""The compiled-policy cache's hot path: the same key inputs as the policy hash, without pathlib."""

from __future__ import annotations

import os
from pathlib import Path

from blastdoor.policy import cache, layers
from blastdoor.policy.compiled import policy_hash


def test_the_cache_key_follows_the_policy_hash_home_and_paths(tmp_path: Path) -> None:
    project = tmp_path / "blastdoor.yaml"
    project.write_text("version: 1\nextends: [recommended]\n")
    sources = [layers.read_source("project", str(project)), layers.baseline_source("recommended", "user")]
    assert policy_hash(sources) != policy_hash([])
    assert cache.cache_key(sources, "/h") != cache.cache_key(sources[:1], "/h") != cache.cache_key(sources, "/g")


def test_baseline_files_and_dir_agree() -> None:
    names = [name for name, _ in layers.baseline_files()]
    assert names == sorted(p.name for p in layers.BASELINE_DIR.glob("*.yaml"))
    assert "recommended.yaml" in names
    assert layers.baseline_names() == [n[: -len(".yaml")] for n in names]
    assert os.path.samefile(layers.BASELINE, layers.BASELINE_DIR)


def test_find_project_file_walks_up_through_symlinks(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "blastdoor.yaml").write_text("version: 1\n")
    (tmp_path / "link").symlink_to(tmp_path / "a" / "b")
    real = os.path.realpath(tmp_path / "a" / "blastdoor.yaml")
    assert layers.find_project_file(str(tmp_path / "a" / "b")) == real
    assert layers.find_project_file(str(tmp_path / "link")) == real
    assert layers.find_project_file("/") in (None, "/blastdoor.yaml")


def test_cache_hit_path_imports_no_pathlib_glob_or_tempfile(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "blastdoor.yaml").write_text("version: 1\nextends: [recommended]\n")
    code = (
        "import sys\n"
        "from blastdoor.policy import load_policy\n"
        "load_policy(sys.argv[1])\n"
        "load_policy(sys.argv[1])\n"  # the first call may compile and store; measure a fresh process below
    )
    env = {**os.environ, "BLASTDOOR_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, check=True)
    probe = (
        "import sys\n"
        "from blastdoor.policy import load_policy\n"
        "load_policy(sys.argv[1])\n"
        "print(sorted(m for m in ('pathlib', 'glob', 'tempfile', 'yaml') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], env=env, check=True, capture_output=True, text=True
    )
    assert out.stdout.strip() == "[]"
