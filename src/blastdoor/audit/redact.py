"""Secrets never reach the audit log in clear: they are replaced by salted hashes.

Two signals, both cheap enough for the hook's hot path:

- a *key name* that says secret (``password``, ``api_key``, ``AWS_SECRET_ACCESS_KEY``, ``Authorization``)
  hashes the whole value under it;
- a *value shape* that says secret (AWS access key ids, bearer headers, ``--password=x``,
  ``PASSWORD=x cmd``, URLs with credentials, PEM private keys, well-known token prefixes, JWTs) hashes
  just the matching part, so ``curl -H 'Authorization: Bearer abc' https://x`` keeps its shape.

The hash is ``HMAC-SHA256(salt, secret)`` truncated to 128 bits: equal secrets give equal hashes within
one log (an investigator can see that the same token was used twice) while the salt, kept beside the
signing key and never in the database, stops anyone holding only the log from guessing short passwords.
Every event lists what was redacted (path and kind), as OPA's decision logs do.
"""

from __future__ import annotations

from hashlib import sha256

TYPE_CHECKING = False  # not typing's: importing typing costs the hook milliseconds (mypy reads it as True)
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any

    JSON = Any

# Every pattern is compiled on first need (``re`` itself costs milliseconds to import): a hook event made
# of system fields only never compiles one.

PREFIX = "[REDACTED:"

# Key names whose value is a secret. Matched against the lower-cased key with separators normalised.
_SECRET_KEY = (
    r"(?:^|_)(?:pass(?:word|wd|phrase)?|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
    r"secret_?key|client_?secret|credentials?|auth|authorization|cookie|set_cookie|session_?token|"
    r"signature|sig|otp|pin|x_api_key|bearer|jwt|dsn|connection_?string)(?:$|_)"
)
# Keys that look secret by name but hold public facts about the log itself.
_PUBLIC_KEYS = frozenset({"policy_hash", "action_digest", "key_id", "old_key", "new_key", "token_count"})

# Value shapes. Each alternative has one named group ``s`` marking the secret part to hash.
_VALUE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "private-key",
        r"(?P<pk>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$))",
    ),
    ("aws-access-key", r"(?P<aws>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b)"),
    ("bearer", r"(?i:\b(?:bearer|basic)\s+)(?P<bearer>[A-Za-z0-9._~+/=-]{8,})"),
    (
        "option",
        r"(?i:--?(?:password|passwd|pass|pwd|secret|token|api-?key|access-?key|secret-?key|"
        r"client-?secret|auth-?token|private-?key)(?:=|\s+))(?P<opt>'[^']*'|\"[^\"]*\"|[^\s'\"]+)",
    ),
    (
        "assignment",
        r"(?i:\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)"
        r"[A-Z0-9_]*\s*[=:]\s*)(?P<asg>'[^']*'|\"[^\"]*\"|[^\s'\"&;|]+)",
    ),
    ("url-credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<url>[^\s@/]+)@"),
    (
        "token",
        r"(?P<tok>\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
        r"sk-[A-Za-z0-9_-]{20,}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36})\b)",
    ),
    ("jwt", r"(?P<jwt>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"),
)
_GROUP_KIND = {
    "pk": "private-key",
    "aws": "aws-access-key",
    "bearer": "bearer",
    "opt": "option",
    "asg": "assignment",
    "url": "url-credentials",
    "tok": "token",
    "jwt": "jwt",
}
_value_re: re.Pattern[str] | None = None


def _value() -> re.Pattern[str]:
    # Compiled on first need: compiling it costs milliseconds, and most hook processes never need it.
    global _value_re
    if _value_re is None:
        import re

        _value_re = re.compile("|".join(p for _, p in _VALUE_PATTERNS))
    return _value_re


# INVARIANT: every string the value pattern can match contains one of these (lower-cased). Scanning for plain
# literals is ~10x cheaper than the full pattern, and nearly every string on the hot path has none.
_HINT = (
    r"pass|pwd|secret|token|key|bearer|basic|credential|eyj|xox|sk-|gh[pousr]_|github_pat_|glpat-|aiza|"
    r"npm_|private|://|akia|asia|agpa|aida|aroa|aipa|anpa|anva|abia|acca"
)
# Top-level event fields that blastdoor itself fills with identifiers, verdicts and digests: never secret.
_SYSTEM_FIELDS = frozenset(
    {
        "v",
        "kind",
        "agent_id",
        "harness",
        "tool",
        "operation",
        "env",
        "effects",
        "verdict",
        "rule",
        "matched",
        "policy_hash",
        "action_digest",
        "correlation_id",
        "status",
        "redacted",
        "old_key",
        "new_key",
        "key_ids",
        "root",
        "size",
    }
)
_key_cache: dict[str, bool] = {}
_secret_key_re: re.Pattern[str] | None = None


def _hint_first(text: str) -> re.Match[str] | None:
    """The literal scan, compiled on first use; it then replaces itself with the compiled pattern's ``search``."""
    global _hint
    import re

    _hint = re.compile(_HINT).search
    return _hint(text)


_hint: Callable[[str], re.Match[str] | None] = _hint_first


def secret_key(name: str) -> bool:
    """True when a mapping key names a secret (``password``, ``GITHUB_TOKEN``, ``x-api-key``...)."""
    hit = _key_cache.get(name)
    if hit is None:
        norm = name.lower().replace("-", "_").replace(".", "_")
        global _secret_key_re
        if _secret_key_re is None:
            import re

            _secret_key_re = re.compile(_SECRET_KEY)
        hit = norm not in _PUBLIC_KEYS and _secret_key_re.search(norm) is not None
        if len(_key_cache) < 4096:
            _key_cache[name] = hit
    return hit


def salted_hash(salt: bytes, secret: str) -> str:
    """The stand-in for ``secret``: ``[REDACTED:hmac-sha256:<32 hex>]``."""
    import hmac

    mac = hmac.new(salt, secret.encode("utf-8", "surrogatepass"), sha256).hexdigest()[:32]
    return f"{PREFIX}hmac-sha256:{mac}]"


class Redactor:
    """Replaces secrets in JSON values by salted hashes and remembers what it replaced."""

    __slots__ = ("found", "plain", "salt")

    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise ValueError("the redaction salt must be at least 16 bytes")
        self.salt = salt
        self.found: list[dict[str, str]] = []
        # Stays True while the value has no float and only ASCII string keys: then the standard
        # library's JSON encoder writes exactly the RFC 8785 bytes (see ``blastdoor.audit.fastjson``).
        self.plain = True

    def value(self, value: JSON, path: str) -> JSON:
        """A copy of ``value`` with secrets replaced (the input is not modified)."""
        # Exact type checks first: this walk runs over every event on the hook's hot path.
        t = type(value)
        if t is str:
            if len(value) < 6 or _hint(value.lower()) is None:
                return value
            return self.text(value, path)
        if t is dict:
            out: dict[str, JSON] = {}
            cache = _key_cache
            for k, v in value.items():
                secret = cache.get(k) if type(k) is str else None
                if secret is None:
                    if not isinstance(k, str):
                        self.plain = False
                        out[k] = self.value(v, f"{path}.{k}")
                        continue
                    secret = secret_key(k)
                if not k.isascii():
                    self.plain = False
                if secret and v is not None and v != "" and type(v) is not bool:
                    self._key(out, k, v, path)
                else:
                    tv = type(v)
                    if (tv is str and (len(v) < 6 or _hint(v.lower()) is None)) or tv is int or v is None or tv is bool:
                        out[k] = v
                    else:
                        out[k] = self.value(v, f"{path}.{k}")
            return out
        if t is list or t is tuple:
            return [self.value(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if t is int or t is bool or value is None:
            return value
        if isinstance(value, float):
            self.plain = False
            return value
        if isinstance(value, str | dict | list | tuple):  # subclasses: normalise, then walk
            base = str(value) if isinstance(value, str) else dict(value) if isinstance(value, dict) else list(value)
            return self.value(base, path)
        return value

    def _key(self, out: dict[str, JSON], k: str, v: JSON, path: str) -> None:
        if isinstance(v, str) and v.startswith(PREFIX):
            out[k] = v  # already a salted hash (re-recording a redacted event)
            return
        text = v if isinstance(v, str) else repr(v)
        self.found.append({"path": f"{path}.{k}", "kind": "key-name"})
        out[k] = salted_hash(self.salt, text)

    def event(self, event: dict[str, JSON]) -> dict[str, JSON]:
        """A copy of an audit event with secrets replaced; system-filled fields are kept as they are."""
        out: dict[str, JSON] = {}
        rest: dict[str, JSON] = {}
        for k, v in event.items():
            if k in _SYSTEM_FIELDS and (type(v) is str or type(v) is int):
                out[k] = v
            else:
                rest[k] = v
        out.update(self.value(rest, "$"))
        return out

    def text(self, text: str, path: str) -> str:
        # The common case: a cheap literal scan finds no hint of a secret.
        if _value().search(text) is None:
            return text
        kinds: list[str] = []

        def swap(m: re.Match[str]) -> str:
            name = m.lastgroup or ""
            start, end = m.span(name)
            secret = m.group(name)
            if secret.startswith(PREFIX) or not secret.strip("'\""):
                return m.group(0)
            kinds.append(_GROUP_KIND.get(name, name))
            whole_start = m.start()
            return text[whole_start:start] + salted_hash(self.salt, secret) + text[end : m.end()]

        out = _value().sub(swap, text)
        for kind in dict.fromkeys(kinds):
            self.found.append({"path": path, "kind": kind})
        return out


def redact(value: JSON, salt: bytes, path: str = "$") -> tuple[JSON, list[dict[str, str]]]:
    """``value`` with secrets replaced by salted hashes, and the list of what was replaced."""
    r = Redactor(salt)
    return r.value(value, path), r.found


def redact_event(event: dict[str, JSON], salt: bytes) -> tuple[dict[str, JSON], list[dict[str, str]]]:
    """An audit event with secrets replaced, and what was replaced (paths start at ``$``)."""
    r = Redactor(salt)
    return r.event(event), r.found
