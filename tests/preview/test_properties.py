"""Metamorphic properties: a preview says what running the command really does.

- SQL: for any WHERE over a seeded table, the preview's row count equals the rows the DELETE (or
  UPDATE) really affects, run in a transaction of our own that is then rolled back.
- files: for any tree, the preview counts exactly the files and bytes `rm -r` would remove.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastdoor.action import Action
from blastdoor.classify import classify
from blastdoor.preview import Context, preview_action
from blastdoor.preview import __all__ as public
from tests.conftest import PG_BASE

WHERE = st.one_of(
    st.builds(lambda n: f"n < {n}", st.integers(-5, 60)),
    st.builds(lambda n, m: f"n % {m} = {n % m}", st.integers(0, 20), st.integers(1, 7)),
    st.builds(lambda s: f"tag = '{s}'", st.sampled_from(["a", "b", "c", "zz"])),
    st.builds(lambda a, b: f"n BETWEEN {a} AND {b} OR tag = 'c'", st.integers(0, 30), st.integers(0, 30)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=WHERE, update=st.booleans())
def test_the_sql_preview_counts_the_rows_the_statement_really_changes(pg_schema: str, where: str, update: bool) -> None:
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {pg_schema}.t (n int, tag text)")
        if conn.execute(f"SELECT count(*) FROM {pg_schema}.t").fetchone() == (0,):
            conn.execute(
                f"INSERT INTO {pg_schema}.t SELECT g, (ARRAY['a','b','c'])[1 + g % 3] FROM generate_series(0, 49) g"
            )
    sql = f"UPDATE {pg_schema}.t SET tag = 'x' WHERE {where}" if update else f"DELETE FROM {pg_schema}.t WHERE {where}"
    action = classify(Action("shell", raw=f'psql "{PG_BASE}" -c "{sql}"', cwd="/tmp"), {})
    made = preview_action(action, Context(environ={}, timeout=30))
    assert made is not None and made[0].ok, made
    counted = next(iter(made[0].summary.values()), 0)
    with psycopg.connect(PG_BASE) as conn:
        really = conn.execute(sql.encode()).rowcount
        conn.rollback()
    assert counted == really


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "a/c", "b/d/e"]), st.integers(0, 2000)), max_size=30))
def test_the_files_preview_counts_what_rm_r_removes(files: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tree"
        root.mkdir()
        for i, (where, size) in enumerate(files):
            (root / where).mkdir(parents=True, exist_ok=True)
            (root / where / f"f{i}").write_bytes(b"x" * size)
        action = classify(Action("shell", raw="rm -rf tree", cwd=tmp), {})
        made = preview_action(action, Context(cwd=tmp, environ={}, timeout=30))
        assert made is not None
        p = made[0]
        walked = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
        assert p.facts["files"] == len(walked) == sum(p.summary.values())
        assert p.facts["bytes"] == sum(os.path.getsize(f) for f in walked)


def test_the_package_lists_exactly_its_public_names() -> None:
    import blastdoor.preview as pkg

    names = {n for n, v in vars(pkg).items() if not n.startswith("_") and getattr(v, "__module__", "") == pkg.__name__}
    names.add("DEFAULT_TIMEOUT")  # the one public constant
    assert set(public) == names
