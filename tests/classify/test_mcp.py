"""MCP tool calls: the name, known servers, hints and arguments, and that hints never prove safety."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blastdoor.action import Action, Agent
from blastdoor.classify import classify, kbfiles
from blastdoor.classify import mcp as m

KB = m.load_kb()
VERBS = KB["verbs"]
GROUP_WORDS: dict[str, list[str]] = {}
for _form, _group in VERBS["forms"].items():
    GROUP_WORDS.setdefault(_group, [])
for _grp in VERBS["groups"]:
    GROUP_WORDS[_grp] = sorted(w for w, g in VERBS["forms"].items() if g == _grp and w.isalpha())
DESTRUCTIVE = sorted({w for g in ("delete", "destroy", "wipe") for w in GROUP_WORDS[g]})
READS = sorted(w for w in GROUP_WORDS["read"] if len(w) > 2)
# Object words that are no verb in any form (and no conjunction), so a name's only verb is the one we put in.
NOUNS = st.sampled_from(["repository", "user", "table", "item", "file", "record", "account", "widget", "project"])


def mcp(operation: str, args: dict[str, Any] | None = None, *, cwd: str = "/work/app", **info: Any) -> Action:
    action = Action("mcp", operation, args=args or {}, cwd=cwd, context={"mcp": info} if info else None)
    return classify(action, {"prod": {"hosts": ["*.prod.example.com"]}}, environ={}, home="/home/u")


def join(words: list[str], style: str) -> str:
    if style == "snake":
        return "_".join(words)
    if style == "kebab":
        return "-".join(words)
    if style == "dot":
        return ".".join(words)
    if style == "upper":
        return "_".join(w.upper() for w in words)
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    return "".join(w.capitalize() for w in words)  # pascal


STYLES = st.sampled_from(["snake", "kebab", "dot", "upper", "camel", "pascal"])
HINTS = st.fixed_dictionaries(
    {},
    optional={
        "readOnlyHint": st.booleans(),
        "destructiveHint": st.booleans(),
        "idempotentHint": st.booleans(),
        "openWorldHint": st.booleans(),
    },
)


# -- the knowledge base -----------------------------------------------------------------------------


def test_kb_compiles_and_is_current() -> None:
    with open(m.COMPILED, encoding="utf-8") as fh:
        assert kbfiles.render(m.compile_kb()) == fh.read(), "run `python -m blastdoor.classify.mcp` to regenerate"


def test_kb_rejects_bad_data() -> None:
    base = {"v.yaml": {"verbs": {"read": {"effects": ["read"], "words": ["get"]}}}, "a.yaml": {"args": {}}}
    with pytest.raises(m.KBError, match="unknown effect"):
        m.compile_documents({**base, "s.yaml": {"server": "s", "tools": {"t": {"effects": ["explode"]}}}})
    with pytest.raises(m.KBError, match="unknown argument role"):
        m.compile_documents({**base, "s.yaml": {"server": "s", "tools": {"t": {"args": {"q": "python"}}}}})
    with pytest.raises(m.KBError, match="needs `effects` or `args`"):
        m.compile_documents({**base, "s.yaml": {"server": "s", "tools": {"t": {"why": "nothing"}}}})
    with pytest.raises(m.KBError, match="also in group"):
        twice = {"a": {"effects": ["read"], "words": ["x"]}, "b": {"effects": ["write"], "words": ["x"]}}
        m.compile_documents({"v.yaml": {"verbs": twice}, "a.yaml": {"args": {}}})
    with pytest.raises(m.KBError, match="defined twice"):
        m.compile_documents({**base, "s.yaml": {"server": "s"}, "t.yaml": {"server": "s"}})


# -- words and verbs --------------------------------------------------------------------------------


@given(st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8), min_size=1, max_size=5), STYLES)
def test_split_words_undoes_every_case_style(words: list[str], style: str) -> None:
    assert m.split_words(join(words, style)) == words


def test_split_words_reads_acronyms_and_digits() -> None:
    assert m.split_words("getHTTPResponse") == ["get", "http", "response"]
    assert m.split_words("v2DeleteItem") == ["v", "2", "delete", "item"]
    assert m.split_words("DROPTable") == ["drop", "table"]


@given(st.sampled_from(DESTRUCTIVE), st.lists(NOUNS, max_size=3), st.booleans(), STYLES, HINTS)
def test_a_destructive_name_is_never_a_read(
    verb: str, nouns: list[str], noun_first: bool, style: str, hints: dict[str, bool]
) -> None:
    words = [*nouns, verb] if noun_first else [verb, *nouns]
    a = mcp(f"mcp:someserver/{join(words, style)}", annotations=hints)
    assert "delete" in a.effects, (words, a.notes)
    assert a.effects != {"read"}


@given(st.sampled_from(READS), st.lists(NOUNS, min_size=1, max_size=3), STYLES)
def test_a_read_verb_with_a_read_only_hint_reads(verb: str, nouns: list[str], style: str) -> None:
    a = mcp(f"mcp:someserver/{join([verb, *nouns], style)}", annotations={"readOnlyHint": True})
    assert a.effects == {"read"}, a.notes


@given(st.lists(NOUNS, min_size=1, max_size=3), STYLES)
def test_a_name_without_a_verb_and_without_hints_is_unknown(nouns: list[str], style: str) -> None:
    assert mcp(f"mcp:someserver/{join(nouns, style)}").effects == {"unknown"}


@pytest.mark.parametrize(
    ("name", "effects"),
    [
        ("list_orders", {"read"}),  # the object of a read is a noun, not a payment
        ("get_deleted_items", {"read"}),
        ("list_and_delete_files", {"read", "delete"}),
        ("get_or_create_user", {"read", "create"}),
        ("slack_post_message", {"write", "exfiltrate"}),  # the service prefix is skipped
        ("repo_delete", {"delete"}),
        ("transferFunds", {"write", "exfiltrate", "irreversible"}),
        ("DROP_TABLE", {"delete", "irreversible"}),
        ("wipe-cluster", {"delete", "irreversible", "wipe"}),
        ("move_file", {"write", "delete"}),
        ("run_command", {"unknown"}),  # runs code, and no argument says which
    ],
)
def test_verbs_in_names(name: str, effects: set[str]) -> None:
    assert mcp(f"mcp:someserver/{name}").effects == effects


# -- hints ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hints", "effects"),
    [
        ({"readOnlyHint": True}, {"read"}),
        ({"readOnlyHint": False}, {"write", "delete"}),  # destructiveHint defaults to true
        ({"readOnlyHint": False, "destructiveHint": False}, {"write"}),
        ({"destructiveHint": True}, {"write", "delete"}),
        ({"readOnlyHint": True, "destructiveHint": True}, {"read"}),  # destructive means nothing when read-only
        ({"openWorldHint": True}, {"unknown"}),
        ({}, {"unknown"}),
    ],
)
def test_hints_of_a_tool_without_a_verb(hints: dict[str, bool], effects: set[str]) -> None:
    assert mcp("mcp:someserver/frobnicate", annotations=hints).effects == effects


def test_a_hint_that_admits_risk_adds_to_a_harmless_name() -> None:
    a = mcp("mcp:someserver/get_report", annotations={"readOnlyHint": False, "destructiveHint": True})
    assert a.effects == {"read", "write", "delete"}


def test_non_boolean_hints_are_ignored() -> None:
    assert mcp("mcp:someserver/frobnicate", annotations={"readOnlyHint": "yes"}).effects == {"unknown"}


# -- known servers ----------------------------------------------------------------------------------


def test_a_known_server_is_recognised_by_name_package_or_declared_kind() -> None:
    by_name = mcp("mcp:sqlite/read_query", {"query": "SELECT 1"})
    assert by_name.facts["mcp"]["known"] == "sqlite"
    by_package = mcp("mcp:db/read_query", {"query": "SELECT 1"}, launch="uvx mcp-server-sqlite --db-path x.db")
    assert by_package.facts["mcp"]["known"] == "sqlite"
    declared = mcp("mcp:warehouse/read_query", {"query": "SELECT 1"}, kind="sqlite")
    assert declared.facts["mcp"]["known"] == "sqlite"
    # A declared kind wins over what the name suggests; an unknown kind knows nothing.
    assert "known" not in mcp("mcp:sqlite/read_query", {"query": "SELECT 1"}, kind="nope").facts["mcp"]
    # The most specific glob wins: a server named `my-github` is GitHub, not git.
    assert mcp("mcp:my-github/delete_repository", {"owner": "a", "repo": "b"}).facts["mcp"]["known"] == "github"


@pytest.mark.parametrize(
    ("tool", "sql", "effects"),
    [
        ("read_query", "SELECT * FROM users", {"read"}),
        ("write_query", "SELECT * FROM users", {"read"}),  # the SQL, not the tool's name, says what runs
        ("write_query", "DROP TABLE users", {"delete", "irreversible"}),
        ("write_query", "DELETE FROM users", {"delete", "irreversible"}),
        ("write_query", "DELETE FROM users WHERE id = 3", {"delete"}),
        ("write_query", "SELECT 1; DROP TABLE users", {"read", "delete", "irreversible"}),
        ("read_query", "DELETE FROM users", {"delete", "irreversible"}),
        ("create_table", "CREATE TABLE t (x int)", {"create"}),
    ],
)
def test_sqlite_queries_are_read_by_the_sql_classifier(tool: str, sql: str, effects: set[str]) -> None:
    a = mcp(f"mcp:sqlite/{tool}", {"query": sql}, annotations={"readOnlyHint": True})
    assert a.effects == effects, a.notes
    if "users" in sql:
        assert "sql:table/users" in a.targets


def test_a_sql_argument_that_is_not_text_is_unknown() -> None:
    assert "unknown" in mcp("mcp:sqlite/write_query", {"query": {"text": "DROP TABLE x"}}).effects
    # A list of statements is read statement by statement.
    assert "irreversible" in mcp("mcp:sqlite/write_query", {"query": ["SELECT 1", "DROP TABLE x"]}).effects


def test_filesystem_paths_go_through_the_file_classifier() -> None:
    assert mcp("mcp:fs/read_file", {"path": "notes.txt"}).targets == ("/work/app/notes.txt",)
    creds = mcp("mcp:filesystem/read_text_file", {"path": "~/.aws/credentials"})
    assert creds.effects == {"read", "secrets"} and creds.targets == ("/home/u/.aws/credentials",)
    hook = mcp("mcp:filesystem/write_file", {"path": "/work/app/.git/hooks/pre-commit", "content": "x"})
    assert {"write", "persist"} <= hook.effects
    assert "read" not in hook.effects
    moved = mcp("mcp:fs/move_file", {"source": "/work/app/a", "destination": "/work/app/b"})
    assert {"delete", "write"} <= moved.effects and set(moved.targets) == {"/work/app/a", "/work/app/b"}
    many = mcp("mcp:fs/read_multiple_files", {"paths": ["/work/app/a", "/home/u/.ssh/id_rsa"]})
    assert "secrets" in many.effects and len(many.targets) == 2
    # The server file is exact: a write hint does not make a read of a file a delete.
    assert mcp("mcp:fs/read_file", {"path": "/x"}, annotations={"readOnlyHint": False}).effects == {"read"}


def test_a_known_tool_without_its_argument_is_unknown() -> None:
    assert mcp("mcp:fs/read_file", {}).effects == {"unknown"}


def test_git_and_github_targets() -> None:
    branch = mcp("mcp:git/git_create_branch", {"repo_path": "/work/app", "branch_name": "fix"})
    assert branch.effects == {"create", "read"} and "git:branch/fix" in branch.targets
    repo = mcp("mcp:github/delete_repository", {"owner": "acme", "repo": "api"})
    assert {"delete", "irreversible", "wipe"} <= repo.effects
    assert repo.targets == ("github:repo/acme/api",)


# -- arguments of tools nobody knows ----------------------------------------------------------------


def test_generic_arguments_by_name() -> None:
    sql = mcp("mcp:db/execute_sql", {"sql": "TRUNCATE orders"})
    assert {"delete", "irreversible"} <= sql.effects and "unknown" not in sql.effects
    shell = mcp("mcp:box/run_command", {"command": "rm -rf /"})
    assert "wipe" in shell.effects and "unknown" not in shell.effects
    search = mcp("mcp:docs/search_docs", {"query": "how do I delete a table"})
    assert search.effects == {"read"}  # a search term is not SQL
    select = mcp("mcp:db/query_db", {"query": "DELETE FROM t"})
    assert "irreversible" in select.effects
    written = mcp("mcp:notes/write_note", {"file_path": "/home/u/.bashrc", "text": "x"})
    assert "persist" in written.effects


def test_only_clearly_local_paths_become_targets_of_unknown_tools() -> None:
    # `acme/api` may be a repository on a forge: it must not look like a delete in the working directory.
    remote = mcp("mcp:forge/delete_repo", {"path": "acme/api"})
    assert remote.targets == () and remote.effects == {"delete"}
    local = mcp("mcp:box/delete_file", {"path": "./build/out.o"})
    assert local.targets == ("/work/app/build/out.o",)


def test_urls_become_targets_and_host_evidence() -> None:
    a = mcp("mcp:web/fetch_page", {"url": "https://user:secret@api.prod.example.com/v1?x=1"})
    assert a.targets == ("https://api.prod.example.com/v1?x=1",)
    derived = {k: v for k, v in a.to_dict().items() if k != "args"}
    assert a.env == "prod" and "secret" not in str(derived)


def test_nothing_known_and_no_arguments_is_unknown() -> None:
    assert mcp("mcp:x/frobnicate", {"a": 1}).effects == {"unknown"}
    assert classify(Action("mcp", "mcp", args={})).effects == {"unknown"}


# -- through the policy and a hook adapter ------------------------------------------------------------


def test_a_claude_code_mcp_call_is_classified() -> None:
    from blastdoor.adapters.tools import tool_action

    action = tool_action("mcp__sqlite__write_query", {"query": "DROP TABLE users"}, agent=Agent("a"), cwd="/w")
    assert {"delete", "irreversible"} <= classify(action).effects


def test_recipient_rules_escalate_exactly_the_calls_they_should() -> None:
    from tests.policy.helpers import policy as compile_policy

    from blastdoor.policy import decide

    policy = compile_policy(
        {
            "default": "deny",
            "rules": [
                {"id": "payments", "match": {"operation": "mcp:bank/send_money"}, "verdict": "allow"},
                {
                    "id": "payments-external",
                    "match": {"operation": "mcp:bank/send_money", "args": {"recipient": {"not_in": ["UK12", "UK34"]}}},
                    "verdict": "approve",
                },
            ],
        }
    )

    def verdict(args: dict[str, Any]) -> str:
        return decide(policy, mcp("mcp:bank/send_money", args)).verdict

    assert verdict({"recipient": "UK12", "amount": 5}) == "allow"
    assert verdict({"recipient": "UK34", "amount": 5}) == "allow"
    assert verdict({"recipient": "FR99", "amount": 5}) == "approve"
    assert verdict({"amount": 5}) == "approve"  # a missing recipient is read in the safe direction
