"""Watch state: the watcher's own tables in the index database, kept across restarts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..archive import Index

__all__ = ["FeedState", "WatchState", "WatchedPage"]

# -- watch state ---------------------------------------------------------------------------
# What the watcher needs to resume after a restart: pages and their schedule, the keys (URLs,
# feed entry ids) that name them, conditional-request validators, feed membership, per-source
# bookkeeping, warnings and rounds. Unlike the index's own tables this is not derived from git,
# so `rebuild` keeps it.

_WATCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS watch_pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, source TEXT NOT NULL, article TEXT UNIQUE,
    first_seen TEXT NOT NULL, last_checked TEXT NOT NULL DEFAULT '', next_check TEXT,
    etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'new'
);
CREATE INDEX IF NOT EXISTS watch_pages_due ON watch_pages (next_check);
CREATE TABLE IF NOT EXISTS watch_keys (key TEXT PRIMARY KEY, page INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS watch_keys_by_page ON watch_keys (page);
CREATE TABLE IF NOT EXISTS watch_feeds (
    url TEXT PRIMARY KEY, source TEXT NOT NULL, etag TEXT NOT NULL, last_modified TEXT NOT NULL,
    last_checked TEXT NOT NULL, last_ok TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_listed (
    feed TEXT NOT NULL, page INTEGER NOT NULL, PRIMARY KEY (feed, page)
);
CREATE INDEX IF NOT EXISTS watch_listed_by_page ON watch_listed (page);
CREATE TABLE IF NOT EXISTS watch_entry_times (
    feed TEXT NOT NULL, page INTEGER NOT NULL, stamp TEXT NOT NULL, PRIMARY KEY (feed, page)
);
CREATE TABLE IF NOT EXISTS watch_sources (
    source TEXT PRIMARY KEY, first_round TEXT NOT NULL, last_success TEXT NOT NULL DEFAULT '',
    last_new TEXT NOT NULL DEFAULT '', new_revisions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS watch_warnings (
    source TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (source, url, kind)
);
CREATE TABLE IF NOT EXISTS watch_rounds (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT NOT NULL, feeds INTEGER NOT NULL,
    pages INTEGER NOT NULL, requests INTEGER NOT NULL, not_modified INTEGER NOT NULL,
    saved INTEGER NOT NULL, unchanged INTEGER NOT NULL, events INTEGER NOT NULL,
    warnings INTEGER NOT NULL
);
"""
_PAGE_COLUMNS = (
    "id, url, source, article, first_seen, last_checked, next_check, etag, last_modified, state"
)
_PAGE_UPDATABLE = frozenset(
    {"article", "last_checked", "next_check", "etag", "last_modified", "state"}
)
_ROUND_COLUMNS = (
    "started, finished, feeds, pages, requests, not_modified, saved, unchanged, events, warnings"
)
_KEEP_ROUNDS = 1000


@dataclass(frozen=True)
class WatchedPage:
    """A page the watcher checks: where, for which article, and when next."""

    id: int
    url: str
    source: str
    article: str | None
    first_seen: str
    last_checked: str
    next_check: str | None
    etag: str
    last_modified: str
    state: str


@dataclass(frozen=True)
class FeedState:
    """A feed's validators and when it was last read."""

    url: str
    source: str
    etag: str
    last_modified: str
    last_checked: str
    last_ok: str


class _Statements:
    """The index's connection for the watch tables: a full disk raises DiskFull, not sqlite3's."""

    def __init__(self, index: Index) -> None:
        self._index = index

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._index.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise self._index.failed(exc) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        try:
            return self._index.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._index.failed(exc) from None


class WatchState:
    """The watcher's schedule and bookkeeping, kept in the index so a restart resumes."""

    def __init__(self, index: Index) -> None:
        self._index = index
        index.ensure(_WATCH_SCHEMA, stand_in=True)  # no write if they exist

    @property
    def _db(self) -> _Statements:
        return _Statements(self._index)

    def _page(self, where: str, params: tuple[Any, ...]) -> list[WatchedPage]:
        rows = self._db.execute(f"SELECT {_PAGE_COLUMNS} FROM watch_pages WHERE {where}", params)
        return [WatchedPage(**dict(r)) for r in rows.fetchall()]

    def page(self, page_id: int) -> WatchedPage | None:
        """Return a page by id, or None."""
        found = self._page("id = ?", (page_id,))
        return found[0] if found else None

    def pages_for(self, keys: list[str]) -> list[WatchedPage]:
        """Return the pages any of `keys` (URLs, feed entry ids) names, oldest first."""
        marks = ", ".join("?" * len(keys))
        return self._page(
            f"id IN (SELECT page FROM watch_keys WHERE key IN ({marks})) ORDER BY id", tuple(keys)
        )

    def page_of_article(self, article: str) -> WatchedPage | None:
        """Return the page that holds `article`, or None."""
        found = self._page("article = ?", (article,))
        return found[0] if found else None

    def due(self, now: str) -> list[WatchedPage]:
        """Return the pages due for a check at `now`, most overdue first."""
        return self._page("next_check IS NOT NULL AND next_check <= ? ORDER BY next_check", (now,))

    def next_due(self) -> str | None:
        """Return the earliest scheduled check, or None."""
        row = self._db.execute("SELECT min(next_check) FROM watch_pages").fetchone()
        return str(row[0]) if row[0] else None

    def add_page(self, url: str, source: str, now: str, keys: list[str]) -> WatchedPage:
        """Register a new page, due at once, named by `keys` as well as its URL."""
        with self._index._write() as db:
            cursor = db.execute(
                "INSERT INTO watch_pages (url, source, first_seen, next_check) VALUES (?, ?, ?, ?)",
                (url, source, now, now),
            )
            page_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO watch_keys VALUES (?, ?)",
                [(k, page_id) for k in dict.fromkeys([url, *keys])],
            )
        page = self.page(page_id)
        assert page is not None
        return page

    def add_keys(self, page_id: int, keys: list[str]) -> None:
        """Make `keys` name the page (a key already naming another page is left alone)."""
        self._db.executemany(
            "INSERT OR IGNORE INTO watch_keys VALUES (?, ?)", [(k, page_id) for k in keys]
        )

    def merge(self, into: int, other: int) -> None:
        """Fold page `other` (its keys and feed listings) into page `into`."""
        with self._index._write() as db:
            db.execute("UPDATE watch_keys SET page = ? WHERE page = ?", (into, other))
            db.execute("UPDATE OR IGNORE watch_listed SET page = ? WHERE page = ?", (into, other))
            db.execute("DELETE FROM watch_listed WHERE page = ?", (other,))
            db.execute(
                "UPDATE OR IGNORE watch_entry_times SET page = ? WHERE page = ?", (into, other)
            )
            db.execute("DELETE FROM watch_entry_times WHERE page = ?", (other,))
            db.execute("DELETE FROM watch_pages WHERE id = ?", (other,))

    def update(self, page_id: int, **values: Any) -> None:
        """Set columns of a page (url, article, last_checked, next_check, etag, ...)."""
        unknown = set(values) - _PAGE_UPDATABLE
        if unknown:
            raise ValueError(f"not page columns: {sorted(unknown)}")
        sets = ", ".join(f"{k} = ?" for k in values)
        self._db.execute(f"UPDATE watch_pages SET {sets} WHERE id = ?", (*values.values(), page_id))

    def move(self, page_id: int, url: str) -> bool:
        """Fetch a page at `url` from now on; return False if another page has that URL."""
        try:
            self._db.execute("UPDATE watch_pages SET url = ? WHERE id = ?", (url, page_id))
        except sqlite3.IntegrityError:
            return False
        return True

    def feed(self, url: str) -> FeedState | None:
        """Return a feed's state, or None if it was never read."""
        row = self._db.execute(
            "SELECT url, source, etag, last_modified, last_checked, last_ok FROM watch_feeds "
            "WHERE url = ?",
            (url,),
        ).fetchone()
        return FeedState(**dict(row)) if row else None

    def save_feed(self, state: FeedState) -> None:
        """Store a feed's state."""
        self._db.execute(
            "INSERT OR REPLACE INTO watch_feeds VALUES (?, ?, ?, ?, ?, ?)",
            (
                state.url,
                state.source,
                state.etag,
                state.last_modified,
                state.last_checked,
                state.last_ok,
            ),
        )

    def relist(self, feed: str, pages: list[int]) -> list[int]:
        """Make `pages` the feed's listing; return the pages that left it and every other feed."""
        with self._index._write() as db:
            before = {
                r[0] for r in db.execute("SELECT page FROM watch_listed WHERE feed = ?", (feed,))
            }
            gone = before - set(pages)
            db.execute("DELETE FROM watch_listed WHERE feed = ?", (feed,))
            db.executemany(
                "INSERT OR IGNORE INTO watch_listed VALUES (?, ?)", [(feed, p) for p in pages]
            )
            left = [
                page
                for page in sorted(gone)
                if not db.execute("SELECT 1 FROM watch_listed WHERE page = ?", (page,)).fetchone()
            ]
        return left

    def entry_moved(self, feed: str, page_id: int, stamp: str) -> bool:
        """Record the time a feed gives its entry for a page; True if it moved since last read.

        The first time a feed lists the page, or an entry without a time, is no move.
        """
        if not stamp:
            return False
        row = self._db.execute(
            "SELECT stamp FROM watch_entry_times WHERE feed = ? AND page = ?", (feed, page_id)
        ).fetchone()
        if row and row[0] == stamp:
            return False
        self._db.execute(
            "INSERT OR REPLACE INTO watch_entry_times VALUES (?, ?, ?)", (feed, page_id, stamp)
        )
        return row is not None

    def listed(self, page_id: int) -> bool:
        """Return True if some feed lists the page."""
        row = self._db.execute("SELECT 1 FROM watch_listed WHERE page = ?", (page_id,)).fetchone()
        return row is not None

    def touch_source(self, source: str, now: str, success: bool, new_revisions: int) -> None:
        """Record a round's outcome for a source."""
        self._db.execute(
            "INSERT INTO watch_sources (source, first_round) VALUES (?, ?) "
            "ON CONFLICT (source) DO NOTHING",
            (source, now),
        )
        self._db.execute(
            "UPDATE watch_sources SET new_revisions = ?, "
            "last_success = CASE WHEN ? THEN ? ELSE last_success END, "
            "last_new = CASE WHEN ? > 0 THEN ? ELSE last_new END WHERE source = ?",
            (new_revisions, success, now, new_revisions, now, source),
        )

    def sources(self) -> dict[str, dict[str, Any]]:
        """Return each watched source's bookkeeping and page counts by state."""
        found: dict[str, dict[str, Any]] = {}
        for row in self._db.execute("SELECT * FROM watch_sources ORDER BY source"):
            values = dict(row)
            found[values.pop("source")] = {**values, "pages": {}}
        for source, state, count in self._db.execute(
            "SELECT source, state, count(*) FROM watch_pages GROUP BY source, state"
        ):
            entry = found.setdefault(
                source,
                {"first_round": "", "last_success": "", "last_new": "", "new_revisions": 0},
            )
            entry.setdefault("pages", {})[state] = int(count)
        return found

    def warn(self, source: str, url: str, kind: str, message: str, now: str) -> None:
        """Record a warning (a repeat of the same kind for the same URL bumps its count)."""
        self._db.execute(
            "INSERT INTO watch_warnings VALUES (?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (source, url, kind) DO UPDATE SET message = excluded.message, "
            "last_seen = excluded.last_seen, count = count + 1",
            (source, url, kind, message, now, now),
        )

    def clear_warnings(self, url: str, kinds: tuple[str, ...] = (), source: str = "") -> None:
        """Drop the warnings about `url` (only of these kinds, from this source): it is fine now."""
        where, params = ["url = ?"], [url]
        if kinds:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if source:
            where.append("source = ?")
            params.append(source)
        self._db.execute(f"DELETE FROM watch_warnings WHERE {' AND '.join(where)}", params)

    def warnings(self, limit: int = 200) -> list[dict[str, Any]]:
        """Return the current warnings, most recent first."""
        rows = self._db.execute(
            "SELECT * FROM watch_warnings ORDER BY last_seen DESC, source, url LIMIT ?", (limit,)
        )
        return [dict(r) for r in rows.fetchall()]

    def add_round(self, values: dict[str, Any]) -> None:
        """Record a finished round (keeping the latest ones)."""
        names = [c.strip() for c in _ROUND_COLUMNS.split(",")]
        self._db.execute(
            f"INSERT INTO watch_rounds ({_ROUND_COLUMNS}) VALUES ({', '.join('?' * len(names))})",
            tuple(values[n] for n in names),
        )
        self._db.execute(
            "DELETE FROM watch_rounds WHERE id <= (SELECT max(id) FROM watch_rounds) - ?",
            (_KEEP_ROUNDS,),
        )

    def last_round(self) -> dict[str, Any] | None:
        """Return the latest round's figures, or None."""
        row = self._db.execute(
            f"SELECT {_ROUND_COLUMNS} FROM watch_rounds ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return dict(row) if row else None
