"""Search: listings of articles and recent revisions, filtered, and full-text search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..text import CJK_RUN, repeated_affixes, word_tokens
from . import tallies
from .index import Index
from .rows import (
    EVENT_COLUMNS,
    REVISION_COLUMNS,
    ArticleRow,
    Event,
    Revision,
    event_of,
    revision_of,
)

__all__ = [
    "MATCH_CAP",
    "Matches",
    "archive_identity",
    "article",
    "articles",
    "featured",
    "fts_query",
    "history_page",
    "recent",
    "recent_events",
    "search",
    "search_articles",
    "site_names",
    "source_counts",
]

_TITLE_SAMPLE = 200
MATCH_CAP = 10_000
"""At most this many matching revisions are read for one search, newest first."""
_QUALIFIED = ", ".join("r." + c.strip() for c in REVISION_COLUMNS.split(","))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term(word: str) -> str:
    """Return the FTS5 expression for one word of a query."""
    if not CJK_RUN.search(word):
        return _quoted(word)
    return "cjk : " + _quoted(" ".join(word_tokens(word)))


def fts_query(text: str) -> str:
    """Return the FTS5 query of a reader's words: all must match; CJK words as phrases."""
    return " ".join(_term(word) for word in re.findall(r"\w+", text))


def article(index: Index, article_id: str) -> ArticleRow | None:
    """Return one article's summary, or None."""
    found, _ = articles(index, article_id=article_id)
    return found[0] if found else None


def articles(
    index: Index,
    source: str = "",
    query: str = "",
    offset: int = 0,
    limit: int = 50,
    article_id: str = "",
) -> tuple[list[ArticleRow], int]:
    """Return articles (newest change first) and how many match in all."""
    clauses, params = ["1 = 1"], []
    if source:
        clauses.append("a.source = ?")
        params.append(source)
    if article_id:
        clauses.append("a.id = ?")
        params.append(article_id)
    if query:
        clauses.append(
            "a.id IN (SELECT r.article FROM revision_text t JOIN revisions r "
            "ON r.seq = t.rowid WHERE revision_text MATCH ?)"
        )
        params.append(fts_query(query) or '""')
    where = " AND ".join(clauses)
    if query or article_id:
        total = int(
            index.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]
        )
    else:
        total = tallies.article_total(index.db, source)
    rows = index.db.execute(
        "SELECT a.id, a.source, a.title, a.url, a.revisions, f.observed AS first_seen, "
        "l.observed AS last_changed FROM articles a JOIN revisions f ON f.seq = a.first_seq "
        f"JOIN revisions l ON l.seq = a.latest_seq WHERE {where} "
        "ORDER BY a.latest_seq DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [ArticleRow(**dict(r)) for r in rows], total


def _filters(
    source: str, kinds: tuple[str, ...], headline_only: bool, min_words: int, editor: str
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if source:
        clauses.append("source = ?")
        params.append(source)
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if (headline_only or min_words) and "extraction" not in kinds:
        clauses.append("kind != 'extraction'")  # the publisher changed nothing
    if headline_only:
        clauses.append("headline_changed = 1")
    if min_words:
        clauses.append("words_added + words_removed >= ?")
        params.append(min_words)
    if editor:
        clauses.append("editor = ?")
        params.append(editor)
    return clauses, params


def recent(
    index: Index,
    source: str = "",
    kinds: tuple[str, ...] = (),
    headline_only: bool = False,
    min_words: int = 0,
    editor: str = "",
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> list[tuple[int, Revision]]:
    """Return recent revisions, newest first, as (position, revision) for keyset paging.

    `before` keeps positions below it (older pages); `after` the `limit` oldest positions
    above it (the page newer than the one starting there), still newest first. The headline
    and size filters leave re-extractions out unless `kinds` asks for them. Every query
    reads an index in position order and stops at `limit`: several kinds are one query
    each, merged, so no query sorts all the matching rows.
    """
    if len(set(kinds)) > 1:
        found = [
            row
            for kind in dict.fromkeys(kinds)
            for row in recent(
                index, source, (kind,), headline_only, min_words, editor, before, after, limit
            )
        ]
        found.sort(key=lambda row: row[0], reverse=True)
        return found[-limit:] if after is not None and before is None else found[:limit]
    clauses, params = _filters(source, kinds, headline_only, min_words, editor)
    if before is not None:
        clauses.append("seq < ?")
        params.append(before)
    if after is not None:
        clauses.append("seq > ?")
        params.append(after)
    order = "ASC" if after is not None and before is None else "DESC"
    rows = index.db.execute(
        f"SELECT seq, {REVISION_COLUMNS} FROM revisions WHERE {' AND '.join(clauses)} "
        f"ORDER BY seq {order} LIMIT ?",
        (*params, limit),
    ).fetchall()
    found = [(int(r["seq"]), revision_of(r)) for r in rows]
    return found[::-1] if order == "ASC" else found


def recent_events(index: Index, source: str = "", limit: int = 50) -> list[Event]:
    """Return the newest events (removals, returns, leaving a feed), newest first."""
    where, params = ("source = ?", (source,)) if source else ("1 = 1", ())
    rows = index.db.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE {where} ORDER BY seq DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [event_of(r) for r in rows]


def history_page(index: Index, article_id: str, offset: int, limit: int) -> list[Revision]:
    """Return one page of an article's revisions, newest first."""
    rows = index.db.execute(
        f"SELECT {REVISION_COLUMNS} FROM revisions WHERE article = ? "
        "ORDER BY number DESC LIMIT ? OFFSET ?",
        (article_id, limit, offset),
    ).fetchall()
    return [revision_of(r) for r in rows]


def search(index: Index, query: str, offset: int = 0, limit: int = 50) -> list[Revision]:
    """Return revisions whose title or text matches, newest first."""
    fts = fts_query(query)
    if not fts:
        return []
    rows = index.db.execute(
        f"SELECT {_QUALIFIED} FROM revisions r JOIN (SELECT rowid FROM revision_text "
        "WHERE revision_text MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?) t "
        "ON r.seq = t.rowid ORDER BY r.seq DESC",
        (fts, limit, offset),
    ).fetchall()
    return [revision_of(r) for r in rows]


@dataclass(frozen=True)
class Matches:
    """What a full-text search found: a page of articles and the counts beside it.

    found: (article id, numbers of its matching revisions), newest match first.
    total: how many articles matched (in `source`, when one was given).
    capped: the search stopped at MATCH_CAP revisions, so `total` and `sources` are at least.
    sources: every source with the number of articles that matched in it.
    """

    found: tuple[tuple[str, tuple[int, ...]], ...]
    total: int
    capped: bool
    sources: tuple[tuple[str, int], ...]


def search_articles(
    index: Index,
    query: str,
    source: str = "",
    offset: int = 0,
    limit: int = 50,
    cap: int = MATCH_CAP,
) -> Matches:
    """Return the articles whose text ever matched, newest match first, with counts.

    The match runs once, over at most `cap` revisions, newest first; the page, the total
    and the counts per source all come from that one pass.
    """
    fts = fts_query(query)
    if not fts:
        return Matches((), 0, False, ())
    rows = index.db.execute(
        "SELECT r.article, r.source, group_concat(r.number), max(r.seq) AS newest, "
        "min(r.seq), count(*) FROM revisions r JOIN (SELECT rowid FROM revision_text "
        "WHERE revision_text MATCH ? ORDER BY rowid DESC LIMIT ?) t ON r.seq = t.rowid "
        "GROUP BY r.article ORDER BY newest DESC",
        (fts, cap + 1),
    ).fetchall()
    found = [(str(r[0]), str(r[1]), sorted(int(n) for n in str(r[2]).split(","))) for r in rows]
    capped = sum(int(r[5]) for r in rows) > cap
    if capped:  # one revision past the cap was read to know it: leave it out again
        extra = min(range(len(rows)), key=lambda k: int(rows[k][4]))
        del found[extra][2][0]
        found = [f for f in found if f[2]]
    counts: dict[str, int] = {}
    for _, name, _ in found:
        counts[name] = counts.get(name, 0) + 1
    chosen = [f for f in found if not source or f[1] == source]
    page = tuple((a, tuple(numbers)) for a, _, numbers in chosen[offset : offset + limit])
    return Matches(page, len(chosen), capped, tuple(sorted(counts.items())))


def source_counts(index: Index) -> list[tuple[str, int]]:
    """Return each source with its number of articles (from the tallies)."""
    return tallies.source_counts(index.db)


def featured(index: Index) -> str | None:
    """Return the article whose history shows the most: the most words changed in
    substantive revisions, a changed headline first; an article still online before one
    taken down. None when no article has a second revision. Read from the tallies' index
    in that order, so it costs the same at any size."""
    return tallies.featured(index.db)


def archive_identity(index: Index) -> str:
    """Return the archive's first commit: it names the archive for as long as it exists."""
    row = index.db.execute("SELECT commit_sha FROM revisions ORDER BY seq LIMIT 1").fetchone()
    return str(row[0]) if row else "empty"


def site_names(index: Index, source: str, article_id: str = "") -> tuple[str, ...]:
    """Return the names that start or end the titles of two or more of a source's articles.

    Those are site names ("Headline | The Paper") that pages of the source do not declare;
    `article_id`'s own title is left out, so an article keeps its title once stored.
    """
    found, _ = articles(index, source=source, limit=_TITLE_SAMPLE)
    return repeated_affixes(row.title for row in found if row.id != article_id)
