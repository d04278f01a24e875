"""Credentials by name: the environment variables that hold a secret by convention.

Shared by the shell classifier (``printenv NAME``, ``echo $NAME``) and the code classifiers
(``print(os.environ["NAME"])``): printing one puts the secret in the agent's context.
"""

from __future__ import annotations

__all__ = ["credential_variable"]

# Parts of a variable's name that say it holds a credential, wherever they stand in a part
# (PGPASSWORD, GHTOKEN, AWS_SECRET_ACCESS_KEY), and parts that must be a whole part of the name
# (DB_PASS, DB_PWD, STRIPE_KEY, AUTH_HEADER): not PWD itself, GIT_AUTHOR_NAME or KEYBOARD.
_CREDENTIAL_IN = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY", "PRIVATEKEY")
_CREDENTIAL_PART = frozenset(("PASS", "PWD", "PW", "AUTH", "KEY", "PAT", "COOKIE", "DSN", "JWT", "BEARER"))
# A last part that makes the variable name a place or a name rather than the secret: SSH_AUTH_SOCK,
# GOOGLE_APPLICATION_CREDENTIALS_FILE, TOKEN_URL, AWS_ACCESS_KEY_ID, KEY_NAME.
_NOT_SECRET_LAST = frozenset(("SOCK", "SOCKET", "FILE", "PATH", "DIR", "URL", "URI", "ID", "NAME", "TYPE", "ENDPOINT"))


def credential_variable(name: str) -> bool:
    """Whether a variable's name says it holds a credential by convention (``GITHUB_TOKEN``,
    ``AWS_SECRET_ACCESS_KEY``, ``DB_PASSWORD``, ``OPENAI_API_KEY``): printing it puts the secret in
    the agent's context."""
    parts = [p for p in name.upper().split("_") if p]
    if len(parts) < 2 and parts and parts[0] in ("PWD", "OLDPWD"):
        return False
    if not parts or parts[-1] in _NOT_SECRET_LAST:
        return False
    return any(p in _CREDENTIAL_PART or any(c in p for c in _CREDENTIAL_IN) for p in parts)
