"""The policy: YAML files -> validated, merged, indexed rules -> decisions.

    load_policy(cwd)            the effective policy for a directory (managed, project, user layers),
                                from the compiled cache when the inputs are unchanged
    compile_files(paths)        compile explicit files (validate, tests)
    decide(policy, action)      the Decision for a classified action (pure)
    explain(policy, action)     the decision plus every rule's trace

Pipeline stages: ``syntax.text_to_document`` -> ``schema.validate_document`` -> ``compile.compile_sources``
-> ``engine.decide``. The package imports no classifier.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from blastdoor.policy.engine import decide, error_decision

if TYPE_CHECKING:
    from collections.abc import Mapping

    from blastdoor.policy.compiled import CompiledPolicy

__all__ = ["compile_files", "decide", "error_decision", "explain", "load_policy"]


def load_policy(
    cwd: str | None = None,
    *,
    project: str | None = None,
    managed: str | None = None,
    user: str | None = None,
    environ: Mapping[str, str] | None = None,
    use_cache: bool = True,
) -> CompiledPolicy:
    """The effective policy for ``cwd``; raises PolicyError for an invalid or unreadable policy."""
    from blastdoor.policy import cache
    from blastdoor.policy.layers import locate, read_source

    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    found = locate(cwd or os.getcwd(), project=project, managed=managed, user=user, environ=env)
    sources = [read_source(role, path) for role, path in found]
    path = ""
    if use_cache:
        path = os.path.join(cache.cache_dir(env), f"policy-{cache.cache_key(sources, home)}.bin")
        cached = cache.load(path)
        if cached is not None:
            return cached
    from blastdoor.policy.compile import compile_sources

    policy = compile_sources(sources, home=home)
    if use_cache:
        cache.store(path, policy)
    return policy


def compile_files(paths: list[str], *, role: str = "project", home: str | None = None) -> CompiledPolicy:
    """Compile the given files as layers of one role each (first file most authoritative)."""
    from blastdoor.policy.compile import compile_sources
    from blastdoor.policy.layers import read_source

    return compile_sources([read_source(role, p) for p in paths], home=home)


def explain(policy: CompiledPolicy, action: Any) -> dict[str, Any]:
    from blastdoor.policy.trace import explain as _explain

    return _explain(policy, action)
