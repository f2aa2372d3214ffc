"""Tallies: per-article and per-source sums kept by triggers, so reads never count it all."""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA", "TABLES", "article_total", "backfill", "clear", "featured", "source_counts"]

TABLES = ("article_tallies", "source_tallies")
SCHEMA = """
CREATE TABLE IF NOT EXISTS article_tallies (
    article TEXT PRIMARY KEY, later INTEGER NOT NULL, headline INTEGER NOT NULL,
    words INTEGER, removed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS article_tallies_telling
    ON article_tallies (removed, headline DESC, words DESC, article) WHERE later > 0;
CREATE TABLE IF NOT EXISTS source_tallies (
    source TEXT PRIMARY KEY, articles INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS tally_revision AFTER INSERT ON revisions
    WHEN new.number > 1 BEGIN
    INSERT INTO article_tallies VALUES (
        new.article, 1, new.headline_changed,
        CASE WHEN new.kind = 'substantive' THEN new.words_added + new.words_removed END, 0
    ) ON CONFLICT (article) DO UPDATE SET
        later = later + excluded.later,
        headline = max(headline, excluded.headline),
        words = CASE WHEN excluded.words IS NULL THEN words
            ELSE coalesce(words, 0) + excluded.words END;
END;
CREATE TRIGGER IF NOT EXISTS tally_removal AFTER INSERT ON events
    WHEN new.event = 'removed' BEGIN
    INSERT INTO article_tallies VALUES (new.article, 0, 0, NULL, 1)
        ON CONFLICT (article) DO UPDATE SET removed = 1;
END;
CREATE TRIGGER IF NOT EXISTS tally_article AFTER INSERT ON articles BEGIN
    INSERT INTO source_tallies VALUES (new.source, 1)
        ON CONFLICT (source) DO UPDATE SET articles = articles + 1;
END;
"""
"""The tables, their index and the triggers that keep them as revisions, events and
articles are inserted: an article has a row of tallies from its second revision (or its
removal) on; its row in `articles` is inserted once, at its first revision."""

_BACKFILL = (
    "INSERT INTO article_tallies SELECT article, count(*), max(headline_changed), "
    "sum(CASE WHEN kind = 'substantive' THEN words_added + words_removed END), 0 "
    "FROM revisions WHERE number > 1 GROUP BY article",
    "INSERT INTO article_tallies SELECT DISTINCT article, 0, 0, NULL, 1 FROM events "
    "WHERE event = 'removed' ON CONFLICT (article) DO UPDATE SET removed = 1",
    "INSERT INTO source_tallies SELECT source, count(*) FROM articles GROUP BY source",
)


def backfill(db: sqlite3.Connection) -> None:
    """Fill the tallies from the rows already indexed, and note in `meta` that they are."""
    clear(db)
    for statement in _BACKFILL:
        db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('tallies', '1')")


def clear(db: sqlite3.Connection) -> None:
    """Empty the tallies (with the tables they sum)."""
    for table in TABLES:
        db.execute(f"DELETE FROM {table}")


def featured(db: sqlite3.Connection) -> str | None:
    """Return the article whose history shows the most (see `search.featured`), or None."""
    row = db.execute(
        "SELECT article FROM article_tallies WHERE later > 0 "
        "ORDER BY removed, headline DESC, words DESC, article LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def source_counts(db: sqlite3.Connection) -> list[tuple[str, int]]:
    """Return each source with its number of articles."""
    rows = db.execute("SELECT source, articles FROM source_tallies ORDER BY source").fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def article_total(db: sqlite3.Connection, source: str = "") -> int:
    """Return how many articles there are (in `source`, when one is given)."""
    if source:
        row = db.execute("SELECT articles FROM source_tallies WHERE source = ?", (source,))
    else:
        row = db.execute("SELECT coalesce(sum(articles), 0) FROM source_tallies")
    found = row.fetchone()
    return int(found[0]) if found else 0
