"""Rows: the index's records of revisions, events and articles, and how rows become them."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..text import CJK_RUN, Article, cjk_tokens
from .commits import CommitRecord

__all__ = [
    "EVENT_COLUMNS",
    "REVISION_COLUMNS",
    "ArticleRow",
    "Event",
    "Revision",
    "add_event",
    "add_revision",
    "event_of",
    "event_rows",
    "number_at",
    "numbering_problems",
    "revision_of",
    "revision_rows",
]

EVENT_COLUMNS = (
    "article, source, event, commit_sha, after_revision, author, observed, archived, url, note"
)


REVISION_COLUMNS = (
    "article, source, number, commit_sha, blob, author, editor, author_time, observed, archived, "
    "title, url, words, words_added, words_removed, kind, headline_changed, note"
)


@dataclass(frozen=True)
class Revision:
    """One archived revision of an article, as the index knows it."""

    article: str
    source: str
    number: int
    commit: str
    blob: str
    author: str
    editor: str
    author_time: str
    observed: str
    archived: str
    title: str
    url: str
    words: int
    words_added: int
    words_removed: int
    kind: str
    headline_changed: bool
    note: str

    def as_dict(self) -> dict[str, Any]:
        """Return the revision as JSON-ready data."""
        return {
            "revision": self.number,
            "commit": self.commit,
            "article": self.article,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "author": self.author,
            "editor": self.editor or None,
            "updated": self.author_time,
            "observed": self.observed,
            "archived": self.archived,
            "words": self.words,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "kind": self.kind,
            "headline_changed": self.headline_changed,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class Event:
    """Something that happened to an article without changing its text (e.g. `removed`)."""

    article: str
    source: str
    event: str
    commit: str
    after_revision: int
    author: str
    observed: str
    archived: str
    url: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready data."""
        return {
            "event": self.event,
            "commit": self.commit,
            "article": self.article,
            "source": self.source,
            "after_revision": self.after_revision,
            "observed": self.observed,
            "archived": self.archived,
            "url": self.url,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class ArticleRow:
    """An article's summary: its latest title and URL and how many revisions it has."""

    id: str
    source: str
    title: str
    url: str
    revisions: int
    first_seen: str
    last_changed: str


def revision_of(row: sqlite3.Row) -> Revision:
    values = dict(row)
    values["commit"] = values.pop("commit_sha")
    values["headline_changed"] = bool(values["headline_changed"])
    return Revision(**{k: values[k] for k in Revision.__dataclass_fields__})


def event_of(row: sqlite3.Row | dict[str, Any]) -> Event:
    values = dict(row)
    values["commit"] = values.pop("commit_sha")
    return Event(**values)


def revision_rows(db: sqlite3.Connection) -> Iterator[tuple[int, Revision]]:
    """Yield (seq, revision) for every revision in archive order."""
    for row in db.execute(f"SELECT seq, {REVISION_COLUMNS} FROM revisions ORDER BY seq"):
        yield int(row["seq"]), revision_of(row)


def event_rows(db: sqlite3.Connection) -> Iterator[tuple[int, Event]]:
    """Yield (seq, event) for every event in archive order."""
    for row in db.execute(f"SELECT seq, {EVENT_COLUMNS} FROM events ORDER BY seq"):
        values = dict(row)
        yield int(values.pop("seq")), event_of(values)


def number_at(db: sqlite3.Connection, article_id: str, seq: int) -> int:
    """Return the article's latest revision number among revisions up to `seq` (0: none)."""
    row = db.execute(
        "SELECT max(number) FROM revisions WHERE article = ? AND seq <= ?", (article_id, seq)
    ).fetchone()
    return int(row[0] or 0)


def numbering_problems(db: sqlite3.Connection) -> list[str]:
    """Return articles whose revisions are not numbered 1, 2, 3... in archive order."""
    rows = db.execute(
        "SELECT r.article, r.number FROM revisions r LEFT JOIN revisions p "
        "ON p.article = r.article AND p.number = r.number - 1 "
        "WHERE r.number < 1 OR (r.number > 1 AND (p.seq IS NULL OR p.seq > r.seq)) "
        "ORDER BY r.seq LIMIT 100"
    ).fetchall()
    return [f"{r[0]}: revision {r[1]} does not follow revision {r[1] - 1}" for r in rows]


def add_revision(
    db: sqlite3.Connection, record: CommitRecord, article: Article, words: int
) -> None:
    """Index one revision: its row, its text for search, and its article's row."""
    trailers = record.trailers
    article_id = trailers.get("Article", "")
    previous = db.execute(
        "SELECT number, title FROM revisions WHERE article = ? ORDER BY number DESC LIMIT 1",
        (article_id,),
    ).fetchone()
    number = int(trailers.get("Revision", "0") or 0) or (previous[0] + 1 if previous else 1)
    added, removed = _parse_words(trailers.get("Words", ""))
    values = (
        article_id,
        article.source,
        number,
        record.sha,
        record.blob,
        record.author,
        trailers.get("Editor", ""),
        record.author_time.isoformat(),
        trailers.get("Observed", record.commit_time.isoformat()),
        record.commit_time.isoformat(),
        article.title,
        article.url,
        words,
        added,
        removed,
        trailers.get("Kind", "substantive"),
        int(previous is not None and previous[1] != article.title),
        trailers.get("Note", ""),
    )
    cursor = db.execute(
        f"INSERT INTO revisions ({REVISION_COLUMNS}) VALUES ({', '.join('?' * len(values))})",
        values,
    )
    seq = cursor.lastrowid
    text = f"{article.title}\n{article.body}"
    cjk = "" if text.isascii() or not CJK_RUN.search(text) else cjk_tokens(text)
    db.execute(
        "INSERT INTO revision_text (rowid, title, body, cjk) VALUES (?, ?, ?, ?)",
        (seq, article.title, article.body, cjk),
    )
    db.execute(
        "INSERT INTO articles VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "title = excluded.title, url = excluded.url, revisions = revisions + 1, "
        "latest_seq = excluded.latest_seq",
        (article_id, article.source, article.title, article.url, seq, seq, record.path),
    )


def add_event(db: sqlite3.Connection, record: CommitRecord) -> None:
    """Index one event commit (a removal, a feed left), after the article's last revision."""
    trailers = record.trailers
    article_id = trailers.get("Article", "")
    previous = db.execute(
        "SELECT max(number) FROM revisions WHERE article = ?", (article_id,)
    ).fetchone()
    values = (
        article_id,
        trailers.get("Source", ""),
        trailers.get("Event", ""),
        record.sha,
        int(previous[0] or 0),
        record.author,
        trailers.get("Observed", record.author_time.isoformat()),
        record.commit_time.isoformat(),
        trailers.get("Url", ""),
        trailers.get("Note", ""),
    )
    db.execute(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 10)})", values)


def _parse_words(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\+(\d+) -(\d+)", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)
