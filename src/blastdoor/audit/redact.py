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
    from collections.abc import Callable, Iterator
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

# Programs and their options whose next (or attached) argument is a password: `program|program2 ... -opt`.
_NEXT_ARG = (
    r"(?:sshpass\b[^\n|;&]*?\s-p|redis-cli\b[^\n|;&]*?\s(?:-a|--pass)|(?:mongo|mongosh|mongodump|mongorestore|"
    r"mongoexport|mongoimport)\b[^\n|;&]*?\s(?:-p|--password)|(?:zip|unzip|sqlcmd|bcp)\b[^\n|;&]*?\s-P|7za?\b[^\n|;&]*?\s-p|"
    r"(?:ldapsearch|ldapadd|ldapmodify|ldapdelete|ldappasswd|ldapwhoami)\b[^\n|;&]*?\s-w|"
    r"(?:keytool|jarsigner)\b[^\n|;&]*?\s-(?:storepass|keypass|srcstorepass|deststorepass)|"
    r"openssl\b[^\n|;&]*?\s-(?:passin|passout|pass|k)\s+(?:pass:)?|vault\s+login|htpasswd\s+-[a-zA-Z]*b[a-zA-Z]*\s+\S+\s+\S+|"
    r"(?:gpg|gpg2)\b[^\n|;&]*?\s--passphrase|mosquitto_(?:pub|sub)\b[^\n|;&]*?\s-P|rabbitmqctl\s+(?:add_user|change_password)\s+\S+)"
)

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
        "url-token",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?!gh[pousr]_|github_pat_|glpat-|xox|npm_)(?P<urlt>[A-Za-z0-9_~-]{20,})@",
    ),
    # Argument-aware: options whose value is a password for the program that takes them.
    (
        "mysql-password",
        r"\b(?:mysql|mariadb|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlsh)"
        r"\b[^\n|;&]*?\s-p\s?(?P<myp>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")",
    ),
    ("password-option", r"(?:\b" + _NEXT_ARG + r")(?:\s+|=)?(?P<nxt>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")"),
    (
        "registry-login",
        r"\b(?:docker|podman|nerdctl|buildah|skopeo|helm|oras|crane|finch)\b[^\n|;&]*?\blogin\b"
        r"[^\n|;&]*?\s(?:-p|--password)(?:\s+|=)(?P<reg>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")",
    ),
    (
        "user-password",
        r"\b(?:curl|wget|http|https|xh|lftp|git|svn|hg|mvn|gradle)\b[^\n|;&]*?\s"
        r"(?:-u|--user|-U|--proxy-user|--username)(?:\s+|=)['\"]?[^\s:'\"]*:(?P<cup>[^\s'\"]+)",
    ),
    ("user-password", r"\bsmbclient\b[^\n|;&]*?\s(?:-U|--user)(?:\s+|=)['\"]?[^\s%'\"]*%(?P<smb>[^\s'\"]+)"),
    (
        "config-secret",
        r"\b(?:aws\s+configure(?:\s+--profile\s+\S+)?\s+set|(?:npm|yarn|pnpm|pip|poetry|composer|conda)"
        r"\s+config\s+set|git\s+config(?:\s+--[a-z-]+)*)\s+['\"]?[^\s'\"]*(?i:secret|token|password|passwd|key|auth|"
        r"credential)[^\s'\"]*(?<![_-]id)['\"]?\s+(?P<cfg>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")",
    ),
    (
        "secret-body",
        r"\bgh\s+secret\s+set\b[^\n|;&]*?\s(?:-b|--body)(?:\s+|=)(?P<ghb>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")",
    ),
    ("literal", r"--from-literal=[^=\s]+=(?P<lit>[^\s'\"]+|'[^']*'|\"[^\"]*\")"),
    (
        "password-option",
        r"(?i:--[a-z0-9-]*(?:password|passwd|passphrase|secret|token|api-?key|apikey|access-?key|"
        r"private-?key|auth-?key|credentials?)[a-z0-9-]*)(?<!stdin)(?<!file)(?<!path)(?<!-env)(?<!prompt)(?<!-cmd)"
        r"(?:=|\s+)(?P<lo>(?!-)[^\s'\"]+|'[^']*'|\"[^\"]*\")",
    ),
    (
        "token",
        r"(?P<tok>\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
        # not `\b` at the end: a token may end in `-` (glpat-, sk-, AIza), and `\b` after it fails
        r"sk-[A-Za-z0-9_-]{20,}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_]))",
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
    "urlt": "url-token",
    "myp": "mysql-password",
    "nxt": "password-option",
    "reg": "registry-login",
    "cup": "user-password",
    "smb": "user-password",
    "cfg": "config-secret",
    "ghb": "secret-body",
    "lit": "literal",
    "lo": "password-option",
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
    r"npm_|private|://|akia|asia|agpa|aida|aroa|aipa|anpa|anva|abia|acca|mysql|mariadb|sshpass|redis-cli|mongo|"
    r"zip|sqlcmd|bcp|7z|ldap|keytool|jarsigner|openssl|vault|htpasswd|gpg|mosquitto|rabbitmqctl|login|"
    r"curl|wget|http|xh|lftp|git|svn|hg|mvn|gradle|smbclient|configure|config|literal"
)
# A run of token characters long enough to be a credential of some SaaS format: scanned with the
# detect-secrets formats (``audit.secret_formats``) even without a hint.
_TOKEN_RUN = r"[A-Za-z0-9_+=-]{20,}"
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
# Strings already scanned and found to hold no secret. A server records the same commands, rules,
# notes and paths over and over: a set lookup instead of the two scans. Whether a string holds a
# secret depends on the string alone (never on the salt or the rest of the event), so the answer is
# exact. Bounded, and only short strings: a long one is rarely seen twice.
_clean: set[str] = set()
_CLEAN_MAX = 8192
_CLEAN_LEN = 512


def _no_secret(text: str) -> bool:
    """Cheap and exact: whether ``text`` needs no redaction (no hint of a secret, no token run)."""
    if len(text) < 6 or text in _clean:
        return True
    if _hint(text.lower()) is None and _token(text) is None:
        _remember_clean(text)
        return True
    return False


def _remember_clean(text: str) -> None:
    """Remember that ``text`` holds no secret (the caller scanned it); the set is emptied when full."""
    if len(text) <= _CLEAN_LEN:
        if len(_clean) >= _CLEAN_MAX:
            _clean.clear()
        _clean.add(text)


def _hint_first(text: str) -> re.Match[str] | None:
    """The literal scan, compiled on first use; it then replaces itself with the compiled pattern's ``search``."""
    global _hint
    import re

    _hint = re.compile(_HINT).search
    return _hint(text)


_hint: Callable[[str], re.Match[str] | None] = _hint_first


_token_runs: Callable[[str], Iterator[re.Match[str]]] | None = None


def _token(text: str) -> str | None:
    """The first run of token characters that could be a credential (20+, with a digit or mixed case)."""
    global _token_runs
    if _token_runs is None:
        import re

        _token_runs = re.compile(_TOKEN_RUN).finditer
    for m in _token_runs(text):
        run = m.group()
        if any(c.isdigit() for c in run) or (not run.islower() and not run.isupper()):
            return run
    return None


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


def untouched(event: dict[str, JSON]) -> bool:
    """True when ``Redactor.event`` would return ``event`` unchanged, with nothing found and ``plain`` set.

    A check that builds nothing: the walk a server makes over every decision it records, at half the cost
    of ``Redactor.event``'s copy. It answers True only where the copy would be equal: no key names a
    secret, every key is an ASCII ``str``, every string needs no redaction (``_no_secret``), and every
    value is exactly a ``str``, ``int``, ``bool``, ``None``, ``dict`` or ``list``. Anything else (a float,
    a tuple, a subclass, a secret-named key even with an empty value) answers False and goes to the copy,
    which decides. A property test checks the promise on generated events.
    """
    return _untouched_dict(event, _SYSTEM_FIELDS)


def _untouched_dict(value: dict[str, JSON], system: frozenset[str] = frozenset()) -> bool:
    cache = _key_cache
    for k, v in value.items():
        tv = type(v)
        if k in system and (tv is str or tv is int):
            continue  # a system field: ``Redactor.event`` keeps it as it is
        if type(k) is not str or not k.isascii():
            return False
        secret = cache.get(k)
        if secret is None:
            secret = secret_key(k)
        if secret:
            return False
        if (tv is str and _no_secret(v)) or tv is int or v is None or tv is bool:
            continue
        if not _untouched(v):
            return False
    return True


def _untouched(value: JSON) -> bool:
    t = type(value)
    if t is dict:
        return _untouched_dict(value)
    if t is list:
        for v in value:
            tv = type(v)
            if (tv is str and _no_secret(v)) or tv is int or v is None or tv is bool:
                continue
            if not _untouched(v):
                return False
        return True
    if t is str:
        return _no_secret(value)
    return t is int or t is bool or value is None


class Redactor:
    """Replaces secrets in JSON values by salted hashes and remembers what it replaced."""

    __slots__ = ("found", "plain", "salt", "secrets")

    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise ValueError("the redaction salt must be at least 16 bytes")
        self.salt = salt
        self.found: list[dict[str, str]] = []
        self.secrets: dict[str, str] = {}  # every secret replaced so far -> its stand-in
        # Stays True while the value has no float and only ASCII string keys: then the standard
        # library's JSON encoder writes exactly the RFC 8785 bytes (see ``blastdoor.audit.fastjson``).
        self.plain = True

    def value(self, value: JSON, path: str) -> JSON:
        """A copy of ``value`` with secrets replaced (the input is not modified)."""
        # Exact type checks first: this walk runs over every event on the hook's hot path.
        t = type(value)
        if t is str:
            if _no_secret(value):
                return value
            scanned = self.text(value, path)
            if scanned == value:
                _remember_clean(value)  # a hint that led nowhere (``git status``): the full scan once only
            return scanned
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
                    if (tv is str and _no_secret(v)) or tv is int or v is None or tv is bool:
                        out[k] = v
                    else:
                        out[k] = self.value(v, f"{path}.{k}")
            return out
        if t is list or t is tuple:
            items: list[JSON] = []
            for i, v in enumerate(value):
                tv = type(v)
                if (tv is str and _no_secret(v)) or tv is int or v is None or tv is bool:
                    items.append(v)  # the common leaf, without a call and a path of its own
                else:
                    items.append(self.value(v, f"{path}[{i}]"))
            return items
        if t is int or t is bool or value is None:
            return value
        if isinstance(value, float):
            # A non-integral float in [1e-4, 1e16) prints the same in Python's repr (which json uses) and
            # in ECMAScript's Number form (RFC 8785): the shortest round-trip digits, fixed notation. An
            # outcome's duration_ms is one on every call; integral, tiny, huge and non-finite ones are not.
            if type(value) is not float or not (1e-4 <= abs(value) < 1e16) or value.is_integer():
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
        if isinstance(v, str) and len(v) >= 4:
            self.secrets[v] = out[k]

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
        if self.secrets:
            # A secret found in one field is hashed wherever else the event repeats it (a normalised
            # command, a note, a target), with or without the context that revealed it.
            out.update(self._scrub({k: v for k, v in out.items() if k in rest}))
        return out

    def _scrub(self, value: JSON) -> JSON:
        t = type(value)
        if t is str:
            for secret, stand_in in self.secrets.items():
                if secret in value:
                    value = value.replace(secret, stand_in)
            return value
        if t is dict:
            return {k: self._scrub(v) for k, v in value.items()}
        if t is list:
            return [self._scrub(v) for v in value]
        return value

    def text(self, text: str, path: str) -> str:
        kinds: list[str] = []
        out = text
        if _value().search(text) is not None:

            def swap(m: re.Match[str]) -> str:
                name = m.lastgroup or ""
                start, end = m.span(name)
                secret = m.group(name)
                if secret.startswith(PREFIX) or not secret.strip("'\""):
                    return m.group(0)
                kinds.append(_GROUP_KIND.get(name, name))
                stand_in = salted_hash(self.salt, secret)
                bare = secret.strip("'\"")
                if len(bare) >= 4:
                    self.secrets.setdefault(bare, salted_hash(self.salt, bare))
                return text[m.start() : start] + stand_in + text[end : m.end()]

            out = _value().sub(swap, text)
        if _token(out) is not None:
            from blastdoor.audit import secret_formats

            for secret_type, secret in secret_formats.find(out):
                if secret.startswith(PREFIX) or secret not in out:
                    continue
                stand_in = self.secrets.setdefault(secret, salted_hash(self.salt, secret))
                out = out.replace(secret, stand_in)
                kinds.append(secret_type.lower().replace(" ", "-"))
        for kind in dict.fromkeys(kinds):
            self.found.append({"path": path, "kind": kind})
        return out


def redact(value: JSON, salt: bytes, path: str = "$") -> tuple[JSON, list[dict[str, str]]]:
    """``value`` with secrets replaced by salted hashes, and the list of what was replaced."""
    r = Redactor(salt)
    out = r.value(value, path)
    return (r._scrub(out) if r.secrets else out), r.found


def redact_event(event: dict[str, JSON], salt: bytes) -> tuple[dict[str, JSON], list[dict[str, str]]]:
    """An audit event with secrets replaced, and what was replaced (paths start at ``$``)."""
    r = Redactor(salt)
    return r.event(event), r.found
