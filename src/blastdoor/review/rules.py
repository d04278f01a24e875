"""What an AI-authored change needs: the built-in categories and the policy's ``changes:`` rules.

Verdicts, weakest to strongest: ``allow`` (nothing), ``review`` (N reviews by any approver),
``signoff`` (N people of a named group), ``deny`` (no sign-off lifts it: an agent editing its own
guard). A commit's requirement combines every rule that matches one of its paths: the strongest
verdict wins, and the needs add up per group (the largest count asked of each). The built-in
``guard`` category is a deny no policy lifts; the other built-in categories ask for the policy's
``signoff`` group (or, when the policy names none, one review more than the default, at least two).

Human commits need nothing here: the gate is about holding AI-authored ones to the human bar.
Pure: no git, no store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blastdoor.policy.glob import path_matcher

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from blastdoor.review.git import Commit

__all__ = ["CATEGORIES", "Need", "Rules", "judge", "merge_needs"]

JSON = Any
ORDER = ("allow", "review", "signoff", "deny")

# (category, verdict, globs, reason). Globs are path globs relative to the repository root; a pattern
# without a slash matches the file name in any directory.
CATEGORIES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "guard",
        "deny",
        (
            "blastdoor.yaml",
            "blastdoor.yml",
            ".blastdoor/**",
            ".claude/settings.json",
            ".claude/settings.local.json",
            ".claude/hooks/**",
            ".cursor/hooks.json",
            ".cursor/hooks/**",
            ".gemini/settings.json",
            ".codex/**",
            ".kiro/hooks/**",
            ".kiro/settings/**",
            ".github/hooks/**",
            ".githooks/**",
            ".husky/**",
            "CODEOWNERS",
            ".github/CODEOWNERS",
            "docs/CODEOWNERS",
        ),
        "an agent may not change its own guard (blastdoor's policy, harness hooks, code owners)",
    ),
    (
        "infrastructure",
        "signoff",
        (
            "*.tf",
            "*.tfvars",
            "*.tf.json",
            "*.hcl",
            "terraform/**",
            "infra/**",
            "infrastructure/**",
            "Pulumi*.yaml",
            "cdk.json",
            "*.bicep",
            "cloudformation/**",
            "k8s/**",
            "kubernetes/**",
            "helm/**",
            "charts/**",
            "kustomization.yaml",
            "ansible/**",
        ),
        "infrastructure as code",
    ),
    (
        "ci",
        "signoff",
        (
            ".github/workflows/**",
            ".github/actions/**",
            ".gitlab-ci.yml",
            ".gitlab/**",
            ".circleci/**",
            "Jenkinsfile",
            ".buildkite/**",
            "azure-pipelines.yml",
            ".drone.yml",
            "bitbucket-pipelines.yml",
            ".pre-commit-config.yaml",
        ),
        "CI/CD configuration",
    ),
    (
        "iam",
        "signoff",
        ("iam/**", "*.rego", "*.cedar", "auth/**", "authn/**", "authz/**", "security/**", "*policy*.json"),
        "identity, access and auth",
    ),
    (
        "migrations",
        "signoff",
        ("migrations/**", "migrate/**", "alembic/**", "db/migrate/**", "*.sql", "schema.prisma"),
        "database migrations",
    ),
    ("secrets", "signoff", (".env", ".env.*", "*.pem", "*.key", "secrets/**"), "secrets and keys"),
)


def _matcher(glob: str) -> Callable[[str], bool]:
    """A path glob; one without ``/`` matches in any directory, one with ``/`` anywhere below too."""
    if glob.startswith("/"):
        return path_matcher(glob[1:])
    return path_matcher("**/" + glob)


class Need:
    """What one commit (or a range) needs: a verdict, reviews by anyone, sign-offs per group, why."""

    __slots__ = ("groups", "reasons", "reviews", "verdict")

    def __init__(self) -> None:
        self.verdict = "allow"
        self.reviews = 0
        self.groups: dict[str, int] = {}
        self.reasons: list[dict[str, str]] = []

    def raise_to(self, verdict: str) -> None:
        if ORDER.index(verdict) > ORDER.index(self.verdict):
            self.verdict = verdict

    def to_dict(self) -> dict[str, JSON]:
        return {
            "verdict": self.verdict,
            "reviews": self.reviews,
            "signoff": dict(sorted(self.groups.items())),
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: dict[str, JSON]) -> Need:
        need = cls()
        need.verdict = str(data.get("verdict", "allow"))
        need.reviews = int(data.get("reviews", 0))
        need.groups = {str(k): int(v) for k, v in (data.get("signoff") or {}).items()}
        need.reasons = list(data.get("reasons") or [])
        return need

    def covers(self, other: Need) -> bool:
        """Whether a sign-off meeting ``self`` also meets ``other`` (a stricter need is not covered)."""
        if other.verdict == "deny":
            return False
        return self.reviews >= other.reviews and all(self.groups.get(g, 0) >= n for g, n in other.groups.items())


class Rules:
    """The built-in categories and the policy's ``changes`` rules, compiled once per policy."""

    __slots__ = ("config", "items")

    def __init__(self, config: dict[str, JSON] | None) -> None:
        self.config: dict[str, JSON] = config or {}
        group = str(self.config.get("signoff") or "")
        count = int(self.config.get("count", 1))
        # INVARIANT: the built-ins come first, so the guard's deny is always among the matches.
        self.items: list[tuple[str, str, list[Callable[[str], bool]], str, str, int]] = [
            (f"builtin.{name}", verdict, [_matcher(g) for g in globs], reason, group, count)
            for name, verdict, globs, reason in CATEGORIES
        ]
        for rule in self.config.get("rules") or []:
            self.items.append(
                (
                    str(rule["id"]),
                    str(rule["verdict"]),
                    [_matcher(g) for g in rule["paths"]],
                    str(rule.get("reason") or rule["id"]),
                    str(rule.get("from") or ""),
                    int(rule.get("count", 1)),
                )
            )


def judge(commit: Commit, ai: bool, rules: Rules) -> Need:
    """What ``commit`` needs under the policy's ``changes`` block (compiled in ``rules``)."""
    need = Need()
    if not ai:
        return need
    cfg = rules.config
    default_reviews = int(cfg.get("reviews", 1))
    fallback_reviews = max(2, default_reviews + 1)
    if default_reviews:
        need.raise_to("review")
        need.reviews = default_reviews
        need.reasons.append({"rule": "changes.reviews", "path": "", "reason": "every AI-authored change is reviewed"})
    for rid, verdict, matchers, reason, group, count in rules.items:
        hit = next((f.path for f in commit.files for m in matchers if m(f.path)), None)
        if hit is None:
            continue
        _apply(need, rid, verdict, reason, group, count, hit, fallback_reviews)
    max_lines = int(cfg.get("max_lines", 400))
    if commit.lines > max_lines:
        _apply(
            need,
            "changes.max_lines",
            "signoff",
            f"{commit.lines} lines changed (more than {max_lines})",
            str(cfg.get("signoff") or ""),
            int(cfg.get("count", 1)),
            "",
            fallback_reviews,
        )
    return need


def _apply(need: Need, rid: str, verdict: str, reason: str, group: str, count: int, path: str, fallback: int) -> None:
    need.reasons.append({"rule": rid, "path": path, "reason": reason, "verdict": verdict})
    if verdict == "allow":
        return
    if verdict == "signoff" and not group:
        # No group named: a sign-off falls back to more reviews, never to fewer.
        verdict, count = "review", fallback
    need.raise_to(verdict)
    if verdict == "review":
        need.reviews = max(need.reviews, count)
    elif verdict == "signoff":
        need.groups[group] = max(need.groups.get(group, 0), count)


def merge_needs(needs: Iterable[Need]) -> Need:
    """The need of a range: the strongest verdict, the largest count per group, every reason."""
    out = Need()
    for need in needs:
        out.raise_to(need.verdict)
        out.reviews = max(out.reviews, need.reviews)
        for g, n in need.groups.items():
            out.groups[g] = max(out.groups.get(g, 0), n)
        out.reasons.extend(need.reasons)
    return out
