"""Database clients: SQL from psql/mysql/sqlite3 to ``classify.sql``, mongo shells and redis-cli."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from blastdoor.classify.shell._state import Part

if TYPE_CHECKING:
    from blastdoor.classify.shell._argv import Cmd


def sql_cli(cmd: Cmd) -> None:
    """psql/mysql/sqlite3/...: SQL from -c/-e, a file, a positional or stdin goes to ``classify.sql``."""
    from blastdoor.classify.shell._interpreters import read_script  # lazily: only SQL from a file needs it

    part = cmd.part
    st = cmd.st
    dialect = {"psql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite3": "sqlite"}.get(cmd.name)
    texts: list[str | None] = []
    for opt, val in cmd.opts:
        if opt in ("-c", "--command", "-e", "--execute", "--query", "-q", "--sql"):
            texts.append(val)
        elif opt in ("-f", "--file") and val is not None and val != "-":
            text = read_script(st.path(val), st)
            texts.append(None if text in (None, "\0") else text)
    pos = [p for p in cmd.pos]
    for p in pos:
        if p is not None and "://" in p:
            part.evidence["db_url"] = p
    host = cmd.value("-h", "--host")
    if host:
        part.evidence["host"] = host
    if cmd.name == "sqlite3" and len(pos) > 1:
        texts.extend(pos[1:])
        if pos[0] is not None:
            part.target(st.path(pos[0]))
    if not texts and cmd.stdin is not None:
        if cmd.stdin.kind == "text":
            texts.append(cmd.stdin.text)
        elif cmd.stdin.kind == "file":
            text = read_script(cmd.stdin.path, st)
            texts.append(None if text in (None, "\0") else text)
        else:
            texts.append(None)
    if not texts:
        part.add("read", f"`{cmd.name}` without SQL opens an interactive session")
        return
    part.effects.clear()
    part.notes.clear()
    from blastdoor.classify.sql import classify_sql_text  # no guard: a classifier that cannot run is on_error

    evidence = dict(part.evidence)
    for text in texts:
        if text is None:
            part.add("unknown", "SQL computed at run time")
            continue
        try:
            actions = classify_sql_text(text, dialect=dialect, source=f"{cmd.name}")
        except Exception as exc:  # classify.sql is next door: a failure there is unknown here
            part.add("unknown", f"the SQL classifier failed: {type(exc).__name__}")
            continue
        for action in actions:
            sql_part = Part.from_action(action, st.cwd, part.command)
            for k, v in evidence.items():
                sql_part.evidence.setdefault(k, v)
            st.parts.append(sql_part)
    if not part.effects:
        part.add("read", f"`{cmd.name}` runs the SQL classified next to it")


_MONGO_DESTROY = re.compile(r"\b(dropDatabase|drop|deleteMany|deleteOne|remove|findOneAndDelete|dropIndex(?:es)?)\s*\(")
_MONGO_WRITE = re.compile(
    r"\b(insert\w*|update\w*|replaceOne|bulkWrite|createCollection|createIndex|renameCollection)\s*\("
)


def mongo(cmd: Cmd) -> None:
    part = cmd.part
    code = cmd.value("--eval")
    if code is None and cmd.stdin is not None and cmd.stdin.kind == "text":
        code = cmd.stdin.text
    if code is None:
        return
    part.effects.clear()
    part.notes.clear()
    m = _MONGO_DESTROY.search(code)
    if m:
        part.add("delete", f"`{m.group(1)}` removes data")
        part.add("irreversible", "removed documents are gone")
        if m.group(1) == "dropDatabase":
            part.add("wipe", "drops a whole database")
    elif _MONGO_WRITE.search(code):
        part.add("write", "changes documents")
    else:
        part.add("read", "queries only")


_REDIS = {
    "flushall": ("wipe", "delete", "irreversible"),
    "flushdb": ("wipe", "delete", "irreversible"),
    "del": ("delete", "irreversible"),
    "unlink": ("delete", "irreversible"),
    "getdel": ("delete",),
    "expire": ("delete",),
    "shutdown": ("kill",),
    "config": ("privilege",),
    "acl": ("privilege",),
    "debug": ("kill",),
    "eval": ("unknown",),
    "evalsha": ("unknown",),
    "fcall": ("unknown",),
}
_REDIS_READ = frozenset(
    [
        "get",
        "mget",
        "keys",
        "scan",
        "info",
        "ping",
        "exists",
        "ttl",
        "type",
        "strlen",
        "hget",
        "hgetall",
        "hkeys",
        "hlen",
        "lrange",
        "llen",
        "smembers",
        "scard",
        "zrange",
        "zcard",
        "dbsize",
        "monitor",
        "client",
        "time",
        "lastsave",
        "memory",
        "slowlog",
    ]
)


def redis(cmd: Cmd) -> None:
    part = cmd.part
    pos = cmd.pos
    if not pos:
        return
    word = pos[0]
    part.effects.clear()
    part.notes.clear()
    if word is None:
        part.add("unknown", "redis command computed at run time")
        return
    low = word.lower()
    if low in _REDIS:
        for effect in _REDIS[low]:
            part.add(effect, f"redis `{word.upper()}`")
    elif low in _REDIS_READ:
        part.add("read", f"redis `{word.upper()}` reads")
    else:
        part.add("write", f"redis `{word.upper()}` changes data")


HANDLERS = {"sql_cli": sql_cli, "mongo": mongo, "redis": redis}
