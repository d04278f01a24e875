"""The dcg corpus holds the line: catch, false-block, bypass and crashes (bench/corpus.py)."""

from __future__ import annotations

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Loaded from its file rather than by putting bench/ on sys.path: bench/mcp.py would then shadow the
# `mcp` SDK for every test module collected after this one.
_spec = importlib.util.spec_from_file_location("corpus", os.path.join(ROOT, "bench", "corpus.py"))
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


@pytest.mark.slow
def test_dcg_corpus_thresholds() -> None:
    dcg = corpus.default_dcg()
    # The corpus is kept in the repository (tests/corpora/dcg): a missing one is a broken checkout, not a skip.
    assert os.path.isdir(dcg), f"no dcg corpus at {dcg}"
    exceptions = corpus.load_exceptions(os.path.join(ROOT, "bench", "corpus_exceptions.yaml"))
    assert len(exceptions) <= 15
    result = corpus.score(corpus.load_cases(dcg), exceptions)
    assert result["dcg_catch"] >= 0.99
    assert result["dcg_false_block"] <= 0.03
    assert result["bypass_catch"] == 1.0
    assert result["crashes"] == 0
    # Speed is the bench's business (bench/corpus.py reports slow inputs); a timed assertion here would
    # fail whenever the machine is busy.
