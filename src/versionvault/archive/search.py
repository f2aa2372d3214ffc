"""Search: listings of articles and recent revisions, filtered, and full-text search."""

from __future__ import annotations

import re
from typing import Any

from .index import Index
from .rows import REVISION_COLUMNS, ArticleRow, Revision, revision_of

__all__ = ["article", "articles", "recent", "search", "search_articles", "source_counts"]


def _fts_query(text: str) -> str:
    terms = [t for t in re.findall(r"\w+", text) if t]
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


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
        params.append(_fts_query(query) or '""')
    where = " AND ".join(clauses)
    total = index.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()
    rows = index.db.execute(
        "SELECT a.id, a.source, a.title, a.url, a.revisions, f.observed AS first_seen, "
        "l.observed AS last_changed FROM articles a JOIN revisions f ON f.seq = a.first_seq "
        f"JOIN revisions l ON l.seq = a.latest_seq WHERE {where} "
        "ORDER BY a.latest_seq DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return [ArticleRow(**dict(r)) for r in rows], int(total[0])


def recent(
    index: Index,
    source: str = "",
    kinds: tuple[str, ...] = (),
    headline_only: bool = False,
    min_words: int = 0,
    editor: str = "",
    before: int | None = None,
    limit: int = 50,
) -> list[tuple[int, Revision]]:
    """Return recent revisions, newest first, as (position, revision) for keyset paging."""
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if source:
        clauses.append("source = ?")
        params.append(source)
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if headline_only:
        clauses.append("headline_changed = 1")
    if min_words:
        clauses.append("words_added + words_removed >= ?")
        params.append(min_words)
    if editor:
        clauses.append("editor = ?")
        params.append(editor)
    if before is not None:
        clauses.append("seq < ?")
        params.append(before)
    rows = index.db.execute(
        f"SELECT seq, {REVISION_COLUMNS} FROM revisions WHERE {' AND '.join(clauses)} "
        "ORDER BY seq DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [(int(r["seq"]), revision_of(r)) for r in rows]


def search(index: Index, query: str, offset: int = 0, limit: int = 50) -> list[Revision]:
    """Return revisions whose title or text matches, best match first."""
    fts = _fts_query(query)
    if not fts:
        return []
    rows = index.db.execute(
        f"SELECT {', '.join('r.' + c.strip() for c in REVISION_COLUMNS.split(','))} "
        "FROM revision_text t JOIN revisions r ON r.seq = t.rowid "
        "WHERE revision_text MATCH ? ORDER BY t.rank LIMIT ? OFFSET ?",
        (fts, limit, offset),
    ).fetchall()
    return [revision_of(r) for r in rows]


def search_articles(
    index: Index, query: str, source: str = "", offset: int = 0, limit: int = 50
) -> tuple[list[tuple[str, list[int]]], int]:
    """Return (article id, numbers of its matching revisions), best first, and the total."""
    fts = _fts_query(query)
    if not fts:
        return [], 0
    where = "revision_text MATCH ?" + (" AND r.source = ?" if source else "")
    params: tuple[Any, ...] = (fts, source) if source else (fts,)
    base = f"FROM revision_text t JOIN revisions r ON r.seq = t.rowid WHERE {where}"
    total = index.db.execute(f"SELECT count(DISTINCT r.article) {base}", params).fetchone()
    rows = index.db.execute(
        f"SELECT r.article, group_concat(r.number), min(t.rank) AS best {base} "
        "GROUP BY r.article ORDER BY best, r.article LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    found = [(str(r[0]), sorted(int(n) for n in str(r[1]).split(","))) for r in rows]
    return found, int(total[0])


def source_counts(
    index: Index,
) -> list[tuple[str, int]]:
    """Return each source with its number of articles."""
    rows = index.db.execute(
        "SELECT source, count(*) FROM articles GROUP BY source ORDER BY source"
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]
