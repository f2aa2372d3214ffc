"""Tests that reads stay flat: tallies kept by triggers, and query plans that never sort it all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from versionvault.archive import Vault, search, tallies
from versionvault.text import make_article
from versionvault.web import Settings, create_app

from .conftest import run_cli

# The definitions the tallies keep, as a scan over every row would compute them.
_FEATURED_BY_SCAN = (
    "SELECT r.article FROM revisions r WHERE r.number > 1 GROUP BY r.article "
    "ORDER BY EXISTS (SELECT 1 FROM events e WHERE e.article = r.article "
    "AND e.event = 'removed'), max(r.headline_changed) DESC, "
    "sum(CASE WHEN r.kind = 'substantive' THEN r.words_added + r.words_removed END) DESC, "
    "r.article LIMIT 1"
)
_SOURCES_BY_SCAN = "SELECT source, count(*) FROM articles GROUP BY source ORDER BY source"

_GROWING = ("revisions", "events", "articles", "article_tallies", "revision_text")
_WORDS = ("harbour", "ferry", "council", "budget", "storm", "school", "bridge", "mayor")
_steps = st.lists(
    st.tuples(
        st.sampled_from(("a", "b", "c", "d")),  # article
        st.sampled_from(("north", "south")),  # source of a new article
        st.sampled_from(("save", "retitle", "punctuate", "remove")),
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=10,
)


def _by_scan(vault: Vault) -> tuple[str | None, list[tuple[str, int]]]:
    db = vault.index.db
    row = db.execute(_FEATURED_BY_SCAN).fetchone()
    sources = [(str(r[0]), int(r[1])) for r in db.execute(_SOURCES_BY_SCAN)]
    return (str(row[0]) if row else None), sources


def _play(vault: Vault, steps: list[tuple[str, str, str, list[str]]]) -> None:
    sources: dict[str, str] = {}
    for article_id, source, what, words in steps:
        source = sources.setdefault(article_id, source)
        known = vault.index.latest(article_id)
        if what == "remove":
            if known is not None:
                vault.record_event(article_id, "removed")
            continue
        body = (vault.text(known).body if known else "The story begins here.") + "\n\n"
        body += " ".join(words).capitalize() + ("!" if what == "punctuate" else ".")
        title = f"{article_id} {words[0]}" if what == "retitle" or not known else known.title
        vault.save_revision(make_article(id=article_id, source=source, title=title, body=body))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_steps)
def test_the_tallies_say_what_a_scan_of_every_row_would(tmp_path: Path, steps: list) -> None:
    home = tmp_path / f"archive-{len(list(tmp_path.iterdir()))}"
    with Vault.init(home) as vault:
        _play(vault, steps)
        expected = _by_scan(vault)
        assert (vault.featured(), vault.source_counts()) == expected
        assert vault.articles()[1] == sum(n for _, n in expected[1])
        for source, count in expected[1]:
            assert vault.articles(source=source)[1] == count
        vault.reindex()
        assert (vault.featured(), vault.source_counts()) == expected
    # An index made before the tallies existed gets them filled once, when opened.
    with sqlite3.connect(home / "index.sqlite3") as db:
        for table in tallies.TABLES:
            db.execute(f"DROP TABLE {table}")
        db.execute("DELETE FROM meta WHERE key = 'tallies'")
    with Vault.open(home) as vault:
        assert (vault.featured(), vault.source_counts()) == expected


def _plans(db: sqlite3.Connection, statements: list[str], params: list[tuple]) -> list[str]:
    found = []
    for sql, values in zip(statements, params, strict=True):
        found += [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, values)]
    return found


def test_recent_changes_read_an_index_in_order_and_stop_at_the_limit(vault: Vault) -> None:
    for n in range(3):
        vault.save_revision(make_article(id="ferry", source="north", title="T", body=f"Text {n}."))
    vault.record_event("ferry", "removed")
    statements: list[str] = []
    db = vault.index.db
    db.set_trace_callback(statements.append)
    filters = [
        {},
        {"source": "north"},
        {"kinds": ("substantive",)},
        {"kinds": ("substantive", "minor", "extraction")},
        {"kinds": ("minor", "punctuation"), "source": "north"},
        {"headline_only": True},
        {"min_words": 20},
        {"editor": "ann"},
        {"source": "north", "editor": "ann", "min_words": 3},
    ]
    for chosen in filters:
        for paging in ({}, {"before": 2}, {"after": 1}):
            vault.recent(**chosen, **paging, limit=5)
    vault.recent_events(limit=5)
    vault.recent_events("north", limit=5)
    vault.featured()
    vault.source_counts()
    vault.articles(source="north")
    db.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len(reads) > len(filters) * 3
    for sql in reads:
        # Traced statements carry their values inline: EXPLAIN them as they ran.
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        assert not any("TEMP B-TREE" in step for step in plan), (sql, plan)
        # A scan walks a table or index in the order asked for, and LIMIT stops it (the
        # tallies of sources are one row a source: read whole).
        big = any(f" {t} " in f" {step} " for step in plan for t in _GROWING)
        assert not big or "LIMIT" in sql or all(step.startswith("SEARCH") for step in plan), (
            sql,
            plan,
        )
        assert "GROUP BY" not in sql or "source_tallies" in sql, sql
        assert "count(" not in sql, sql


def test_several_kinds_are_merged_newest_first_with_paging(vault: Vault) -> None:
    bodies = ["One two three.", "One two three!", "One two three four five six.", "One, two"]
    for n, body in enumerate(bodies * 2):
        vault.save_revision(make_article(id=f"s{n % 3}", source="north", title="T", body=body))
    every = vault.recent(limit=100)
    kinds = ("substantive", "punctuation", "minor")
    chosen = [row for row in every if row[1].kind in kinds[:2]]
    assert vault.recent(kinds=kinds[:2], limit=100) == chosen
    assert vault.recent(kinds=kinds[:2], limit=2) == chosen[:2]
    assert vault.recent(kinds=kinds[:2], before=chosen[1][0], limit=2) == chosen[2:4]
    assert vault.recent(kinds=kinds[:2], after=chosen[3][0], limit=2) == chosen[1:3]


def test_the_home_page_diffs_its_featured_article_once(home: Path) -> None:
    with Vault.init(home) as vault:
        for n, body in enumerate(["Calm seas today.", "Storm warning for the harbour today."]):
            vault.save_revision(make_article(id="storm", source="north", title=f"T{n}", body=body))
        diffs: list[str] = []
        original = vault.diff

        def counted(*args: object, **kwargs: object) -> object:
            diffs.append("diff")
            return original(*args, **kwargs)  # type: ignore[arg-type]

        vault.diff = counted  # type: ignore[method-assign]
        with TestClient(create_app(vault, Settings(diff_cache=0))) as client:
            first = client.get("/")
            again = client.get("/")
        assert first.status_code == again.status_code == 200
        assert "Featured change" in again.text
        assert len(diffs) == 1


def test_reindex_keeps_the_tallies(home: Path) -> None:
    with Vault.init(home) as vault:
        for n in range(2):
            vault.save_revision(make_article(id="x", source="north", title="T", body=f"A {n}."))
    assert run_cli(home, "reindex").exit_code == 0
    with Vault.open(home) as vault:
        assert vault.source_counts() == [("north", 1)]
        assert search.featured(vault.index) == "x"
