"""The effect vocabulary: what an action does. One action can have several effects."""

from __future__ import annotations

# INVARIANT: every effect a classifier assigns and every effect a policy names is a key here.
EFFECTS: dict[str, str] = {
    "read": "reads data without changing anything",
    "write": "changes existing data (edit a file, commit, UPDATE ... WHERE)",
    "create": "creates something new (mkdir, a new resource)",
    "delete": "removes something (rm, branch -D, kubectl delete, DELETE ... WHERE)",
    "irreversible": "cannot be undone (force push, DROP TABLE, terminate instances, rm without trash)",
    "wipe": "catastrophic scope (rm -rf /, mkfs, DROP DATABASE, deleting a whole stack or cluster)",
    "privilege": "changes who may do what (IAM, sudo, chmod 777, keys, disabling security controls)",
    "secrets": "reads credentials (cloud credentials, .env, ssh keys, secret managers)",
    "exfiltrate": "sends local data out (curl -d @file, scp out, posting to a webhook)",
    "remote_exec": "runs code fetched from the network (curl | sh, pip install from a URL)",
    "deploy": "publishes or ships (push to a protected branch, npm publish, terraform apply)",
    "persist": "changes what runs later (crontab, shell rc files, systemd units, git hooks)",
    "kill": "stops processes or services",
    "guard": "changes blastdoor itself or the harness settings that install its hook (policy, store, keys, launcher)",
    "unknown": "could not be understood (dynamic command names, eval of computed text, unparseable input)",
}

UNKNOWN = "unknown"
READ = "read"


def is_plain_read(effects: frozenset[str] | set[str]) -> bool:
    """True when the effects are exactly a read: the only thing that may pass when blastdoor fails."""
    return effects == {READ}
