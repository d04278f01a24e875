"""What a program's own words say it does: ``delete-stack``, ``terminate-instances``, ``reveal-secret``.

For programs the knowledge base does not know, the subcommand and option words are split into tokens
(``deleteBucket`` -> delete, bucket) and matched against verbs of destruction, reading, secrets,
killing, deploying and privilege. A program that passes an identity of its own (``--as``, ``--profile``
of another principal) is noted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd

_DESTROY = (
    "delete",
    "destroy",
    "purge",
    "remove",
    "erase",
    "wipe",
    "truncate",
    "drop",
    "nuke",
    "expunge",
    "shred",
)
_DESTROY_WORDS = frozenset(
    [
        "del",
        "rm",
        "rmdir",
        "rmdirs",
        "prune",
        "forget",
        "unregister",
        "deregister",
        "revoke",
        "terminate",
        "uninstall",
        "clear",
        "flush",
        "reset",
        "compact",
        "dedupe",
        "cleanup",
        "obliterate",
        "rb",
        "zap",
    ]
)
_READ_WORDS = frozenset(
    [
        "list",
        "ls",
        "get",
        "show",
        "describe",
        "status",
        "info",
        "version",
        "help",
        "check",
        "validate",
        "search",
        "inspect",
        "lookup",
        "whoami",
        "stats",
        "stat",
        "diff",
        "plan",
        "preview",
        "history",
        "logs",
        "log",
        "print",
        "view",
        "cat",
        "find",
        "query",
        "explain",
        "tree",
        "top",
        "ping",
        "health",
        "doctor",
        "diagnose",
        "diagnostic",
        "verify",
        "test",
        "lint",
        "fmt-check",
        "outdated",
        "audit",
        "count",
        "exists",
        "which",
        "about",
        "size",
        "md5sum",
        "sha1sum",
        "hashsum",
        "lsd",
        "lsf",
        "lsjson",
        "lsl",
        "snapshots",
        "dump",
        "mount",
        "config-list",
        "cluster_status",
        "usage",
        "environment",
        "env",
        "whois",
        "me",
        "current",
        "read-only",
        "dry-run",
        "list_users",
        "list_vhosts",
        "list_queues",
        "list_exchanges",
        "list_bindings",
    ]
)
_SECRET_WORDS = frozenset(["reveal", "decrypt", "access"])
_KILL_WORDS = frozenset(["kill", "stop", "halt", "shutdown", "poweroff", "reboot", "suspend", "pause"])
_DEPLOY_WORDS = frozenset(["deploy", "publish", "release", "push", "promote", "rollout", "apply"])
_PRIV_WORDS = frozenset(
    [
        "grant",
        "chmod",
        "chown",
        "permissions",
        "permission",
        "policy",
        "role",
        "roles",
        "acl",
        "acls",
        "iam",
        "passwd",
        "password",
    ]
)
_TOKEN = re.compile(r"[A-Za-z][a-z]*|[a-z]+")


def _tokens(word: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(word)]


def verb_effects(words: list[str]) -> tuple[list[str], str] | None:
    """Effects implied by CLI verbs (``delete``, ``delete-stack``, ``delete_user``, ``--delete``)."""
    found: dict[str, str] = {}
    for word in words:
        if " " in word or len(word) > 64:
            continue  # a message or a description, not a verb
        kinds = _VERB_MEMO.get(word)
        if kinds is None:
            kinds = _word_verbs(word)
            if len(_VERB_MEMO) >= 4096:
                _VERB_MEMO.clear()
            _VERB_MEMO[word] = kinds
        if kinds and kinds[0] == "delete":
            return ["delete", "irreversible"], word
        for kind in kinds:
            found.setdefault(kind, word)
    if found:
        effects = list(found)
        if "deploy" in found or "kill" in found:
            effects.append("write")
        return effects, next(iter(found.values()))
    return None


# word -> what it implies, in _word_verbs's order: ("delete",) or a subset of secrets, kill, deploy,
# privilege. The same few hundred verbs and options come back in every command: one lookup each.
_VERB_MEMO: dict[str, tuple[str, ...]] = {}


def _word_verbs(word: str) -> tuple[str, ...]:
    low = word.lower().lstrip("-")
    toks = _tokens(low)
    if any(d in low for d in _DESTROY) or any(t in _DESTROY_WORDS for t in toks) or low in _DESTROY_WORDS:
        return ("delete",)
    kinds: list[str] = []
    if any(t in _SECRET_WORDS for t in toks):
        kinds.append("secrets")
    if any(t in _KILL_WORDS for t in toks):
        kinds.append("kill")
    if any(t in _DEPLOY_WORDS for t in toks):
        kinds.append("deploy")
    if any(t in ("disable", "archive", "lock", "unlock") for t in toks):
        kinds.append("privilege")
    if "upload" in toks:  # `az storage blob upload`, `upload-file`: local data to another system
        kinds.append("exfiltrate")
    return tuple(kinds)


def is_read_word(word: str) -> bool:
    low = word.lower()
    return low in _READ_WORDS or any(t in _READ_WORDS for t in _tokens(low)[:1])


# Options that hand an identity to what a command creates or changes (GCP actAs, Azure managed
# identities, AWS PassRole in other CLIs): the resource then acts with that identity's permissions.
_PASSED_IDENTITY = re.compile(
    r"^--(service-account|assign-identity|identity|mi-system-assigned|mi-user-assigned|"
    r"role|role-arn|[a-z-]+-role-arn|iam-role|instance-profile|iam-instance-profile|run-as-service-account)$"
)


def _passed_identity(cmd: Cmd) -> None:
    part = cmd.part
    if set(part.effects) <= {"read"}:
        return
    for opt, _ in cmd.opts:
        if _PASSED_IDENTITY.match(opt):
            part.add("privilege", f"`{opt}` hands an identity to what `{cmd.name}` creates or changes")
            return


def verbs(cmd: Cmd) -> None:
    """Classify an ``<tool> <noun...> <verb>`` CLI by its verbs (gcloud, az, vault-like tools)."""
    part = cmd.part
    part.effects.clear()
    part.notes.clear()
    words = [w for w in [*cmd.subs, *cmd.pos[:4]] if w is not None]
    opt_words = [o for o, _ in cmd.opts]
    hit = verb_effects(words + opt_words)
    if hit is not None:
        effects, word = hit
        for effect in effects:
            part.add(effect, f"`{word}` is a {effect} verb")
        _passed_identity(cmd)
        return
    if any(is_read_word(w) for w in words) or (not words and not opt_words):
        part.add("read", f"`{' '.join(words) or cmd.name}` only reports")
        return
    part.add("write", f"`{cmd.name} {' '.join(words)}` changes something (no read-only verb found)")
    _passed_identity(cmd)
