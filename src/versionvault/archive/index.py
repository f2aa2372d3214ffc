"""Index: the SQLite index derived from git, caught up commit by commit, and its lookups."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..text import Article
from . import tallies
from .commits import CommitRecord
from .database import Connections
from .errors import DiskFull
from .history import Revisit, revisits
from .rows import (
    EVENT_COLUMNS,
    REVISION_COLUMNS,
    Event,
    Revision,
    add_event,
    add_revision,
    event_of,
    revision_of,
)
from .store import Store

__all__ = ["Index", "Known"]

SCHEMA_VERSION = "3"  # 3: articles keep their path in git
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    revisions INTEGER NOT NULL, first_seq INTEGER NOT NULL, latest_seq INTEGER NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_source ON articles (source, latest_seq);
CREATE INDEX IF NOT EXISTS articles_by_latest ON articles (latest_seq);
CREATE TABLE IF NOT EXISTS revisions (
    seq INTEGER PRIMARY KEY, article TEXT NOT NULL, source TEXT NOT NULL,
    number INTEGER NOT NULL, commit_sha TEXT NOT NULL UNIQUE, blob TEXT NOT NULL,
    author TEXT NOT NULL, editor TEXT NOT NULL, author_time TEXT NOT NULL,
    observed TEXT NOT NULL, archived TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL,
    words INTEGER NOT NULL, words_added INTEGER NOT NULL, words_removed INTEGER NOT NULL,
    kind TEXT NOT NULL, headline_changed INTEGER NOT NULL, note TEXT NOT NULL,
    UNIQUE (article, number)
);
CREATE INDEX IF NOT EXISTS revisions_by_source ON revisions (source, seq);
CREATE INDEX IF NOT EXISTS revisions_by_kind ON revisions (kind, seq);
CREATE INDEX IF NOT EXISTS revisions_by_editor ON revisions (editor, seq);
CREATE INDEX IF NOT EXISTS revisions_by_url ON revisions (url);
CREATE VIRTUAL TABLE IF NOT EXISTS revision_text USING fts5 (
    title, body, cjk, content='', tokenize='unicode61 remove_diacritics 2'
);
"""
_EVENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, article TEXT NOT NULL, source TEXT NOT NULL, event TEXT NOT NULL,
    commit_sha TEXT NOT NULL UNIQUE, after_revision INTEGER NOT NULL, author TEXT NOT NULL,
    observed TEXT NOT NULL, archived TEXT NOT NULL, url TEXT NOT NULL, note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_article ON events (article, seq);
CREATE INDEX IF NOT EXISTS events_by_source ON events (source, seq);
"""
_DERIVED = ("articles", "revisions", "events", "revision_text", *tallies.TABLES)
# Indexes no insert needs: a whole history is indexed without them and they are built at the
# end, each in one sort, rather than grown row by row at random places all along.
_DEFERRED = (
    "articles_by_source",
    "articles_by_latest",
    "revisions_by_source",
    "revisions_by_kind",
    "revisions_by_editor",
    "revisions_by_url",
)
_BULK_CACHE = -64 * 1024  # KiB of SQLite page cache while indexing a whole history
_BULK_BATCH = 5000  # commits a transaction then
# Full-text segments merged once 16 are on a level, not SQLite's 4: fewer levels, each
# posting rewritten fewer times (at a million revisions an insert cost 1.0 ms, then 0.22)
_TEXT_MERGING = {"automerge": 16, "crisismerge": 32}
Known = tuple[CommitRecord, Article, int]
"""A commit just written, with its article and the words in its body."""


class Index:
    """The derived index: opened on a path, caught up from a Store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = Connections(path)
        self._cache = -2000  # SQLite's page cache (KiB), as it was before a bulk catch-up
        self.ensure(_META)
        self._drop_if_outdated()
        if self.ensure(_SCHEMA + _EVENT_SCHEMA):
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self.ensure(tallies.SCHEMA)
        if self.db.execute("SELECT 1 FROM meta WHERE key = 'tallies'").fetchone() is None:
            with self._write() as db:  # once: the tallies of the rows indexed before them
                tallies.backfill(db)

    def _drop_if_outdated(self) -> None:
        """Drop the tables derived from git when an older schema wrote them (they rebuild)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None or row[0] == SCHEMA_VERSION:
            return
        with self._write() as db:
            for table in _DERIVED:
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute("DELETE FROM meta WHERE key IN ('schema', 'last_commit', 'tallies')")

    @property
    def db(self) -> sqlite3.Connection:
        """Return this thread's connection (read-only while the disk is too full to open it)."""
        return self._connections.get()

    def close(self) -> None:
        """Close this thread's connection."""
        self._connections.close()

    def failed(self, exc: sqlite3.Error) -> Exception:
        """Return what to raise for a failed statement: DiskFull when the disk is full."""
        return self._connections.failed(exc)

    def ensure(self, schema: str, stand_in: bool = False) -> bool:
        """Create what `schema` names and the database lacks; return True if it wrote.

        Nothing is written when all is there, so an index opens on a full disk. With
        `stand_in`, tables that cannot be written for want of space are made as empty TEMP
        tables of this connection, so their readers find nothing rather than fail.
        """
        names = set(re.findall(r"IF NOT EXISTS (\w+)", schema))
        tables = "SELECT name FROM sqlite_master UNION ALL SELECT name FROM sqlite_temp_master"
        if names <= {row[0] for row in self.db.execute(tables)}:
            return False
        try:
            self._connections.for_writing().executescript(schema)
        except sqlite3.Error as exc:
            failure = self._connections.failed(exc)
            if not (stand_in and isinstance(failure, DiskFull)):
                raise failure from None
            self.db.executescript(schema.replace("CREATE TABLE", "CREATE TEMP TABLE"))
            return False
        return True

    class _Tx:
        def __init__(self, connections: Connections) -> None:
            self.connections = connections
            self.db = connections.for_writing()

        def __enter__(self) -> sqlite3.Connection:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.connections.failed(exc) from None
            return self.db

        def __exit__(self, kind: object, value: BaseException | None, *_: object) -> None:
            if kind is None:
                try:
                    self.db.execute("COMMIT")
                    return
                except sqlite3.Error as exc:
                    value = exc
            with contextlib.suppress(sqlite3.Error):  # a failed COMMIT leaves it open
                self.db.execute("ROLLBACK")
            if isinstance(value, sqlite3.Error):
                raise self.connections.failed(value) from None

    def _write(self) -> Index._Tx:
        return Index._Tx(self._connections)

    def last_commit(self) -> str | None:
        """Return the last commit indexed."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'last_commit'").fetchone()
        return str(row[0]) if row else None

    def catch_up(
        self,
        store: Store,
        batch: int = 500,
        known: Sequence[Known] = (),
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Index the commits on main after the last indexed one; rebuild if main lost it.

        `known` may hand over commits just written, with their articles and word counts: if
        they are exactly main's commits after the last indexed one, they are indexed as they
        are instead of being read back from git. `progress` is called with 1 a revision.
        """
        tip = store.tip()
        if tip == self.last_commit():
            return 0
        added, bulk = 0, False
        try:
            with self._write() as db:
                _tune_text_merging(db)
                last = self.last_commit()
                tip = store.tip()  # again: another process may have indexed meanwhile
                records: Iterable[Revisit]
                if _is_chain(known, last, tip):
                    records = known
                else:
                    if last is not None and not store.on_main(last):
                        self._clear(db)
                        last = None
                    bulk = last is None and not self.last_seq()
                    if bulk:
                        batch = self._bulk(db, batch)
                    records = revisits(store, last, tip)
                for record, article, words in records:
                    if "Event" in record.trailers:
                        add_event(db, record)
                    else:
                        assert article is not None and words is not None
                        add_revision(db, record, article, words)
                        if progress:
                            progress(1)
                    added += 1
                    if added % batch == 0:
                        self._set_last(db, record.sha)
                        db.execute("COMMIT")
                        db.execute("BEGIN IMMEDIATE")
                if tip is not None:
                    self._set_last(db, tip)
        finally:
            if bulk:
                self._connections.for_writing().execute(f"PRAGMA cache_size = {self._cache}")
                self.ensure(_SCHEMA)  # each index built once, from sorted rows
        return added

    def _bulk(self, db: sqlite3.Connection, batch: int) -> int:
        """Ready an empty index for a whole history: the lookups' indexes are dropped until
        the end (an interrupted build gets them back when next opened), the page cache
        is larger (but bounded), and transactions longer; return their length."""
        self._cache = int(db.execute("PRAGMA cache_size").fetchone()[0])
        db.execute(f"PRAGMA cache_size = {_BULK_CACHE}")
        for name in _DEFERRED:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        return max(batch, _BULK_BATCH)

    def rebuild(self, store: Store, progress: Callable[[int], None] | None = None) -> int:
        """Drop everything and index main from its first commit (`progress`: 1 a revision)."""
        with self._write() as db:
            self._clear(db)
        return self.catch_up(store, progress=progress)

    def _clear(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM articles")
        db.execute("DELETE FROM revisions")
        db.execute("DELETE FROM events")
        db.execute("INSERT INTO revision_text (revision_text) VALUES ('delete-all')")
        db.execute("DELETE FROM meta WHERE key = 'last_commit'")
        tallies.clear(db)

    def _set_last(self, db: sqlite3.Connection, sha: str) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('last_commit', ?)", (sha,))

    def events(self, article_id: str = "") -> list[Event]:
        """Return an article's events (every event if no id is given), oldest first."""
        where, params = ("article = ?", (article_id,)) if article_id else ("1 = 1", ())
        rows = self.db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {where} ORDER BY seq", params
        ).fetchall()
        return [event_of(r) for r in rows]

    def _revisions(self, where: str, params: tuple[Any, ...], tail: str = "") -> list[Revision]:
        rows = self.db.execute(
            f"SELECT {REVISION_COLUMNS} FROM revisions WHERE {where} {tail}", params
        ).fetchall()
        return [revision_of(r) for r in rows]

    def history(self, article_id: str) -> list[Revision]:
        """Return every revision of an article, oldest first."""
        return self._revisions("article = ?", (article_id,), "ORDER BY number")

    def revision(self, article_id: str, number: int) -> Revision | None:
        """Return revision `number` of an article, or None."""
        found = self._revisions("article = ? AND number = ?", (article_id, number))
        return found[0] if found else None

    def latest(self, article_id: str) -> Revision | None:
        """Return the current revision of an article, or None if it is unknown."""
        found = self._revisions("article = ?", (article_id,), "ORDER BY number DESC LIMIT 1")
        return found[0] if found else None

    def last_seq(self) -> int:
        """Return the position of the last revision indexed (0 for none)."""
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM revisions").fetchone()[0])

    def place(self, article_id: str) -> tuple[str, int] | None:
        """Return where the article's file is in git and its first revision's position."""
        found = self.db.execute("SELECT path, first_seq FROM articles WHERE id = ?", (article_id,))
        row = found.fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def path_of(self, article_id: str) -> str | None:
        """Return where the article's file is in git, or None if it is unknown."""
        place = self.place(article_id)
        return place[0] if place else None

    def archived(self, article_id: str, blob: str, observed: str) -> bool:
        """Return True if the article has a revision of this file observed at this time."""
        row = self.db.execute(
            "SELECT 1 FROM revisions WHERE article = ? AND blob = ? AND observed = ?",
            (article_id, blob, observed),
        ).fetchone()
        return row is not None

    def revisions_by_commit(self, article_id: str, prefix: str) -> list[Revision]:
        """Return the article's revisions whose commit sha starts with `prefix`."""
        return self._revisions(
            "article = ? AND commit_sha >= ? AND commit_sha < ?",
            (article_id, prefix, prefix + "g"),
            "ORDER BY number",
        )

    def all_revisions(self) -> Iterator[Revision]:
        """Yield every revision in archive order."""
        cursor = self.db.execute(f"SELECT {REVISION_COLUMNS} FROM revisions ORDER BY seq")
        for row in cursor:
            yield revision_of(row)

    def revisions_at_urls(self, urls: Sequence[str]) -> list[Revision]:
        """Return every revision of the articles with a revision at one of `urls`, by seq."""
        if not urls:
            return []
        marks = ", ".join("?" * len(urls))
        return self._revisions(
            f"article IN (SELECT article FROM revisions WHERE url IN ({marks}))",
            tuple(urls),
            "ORDER BY seq",
        )

    def counts(self) -> tuple[int, int]:
        """Return (articles, revisions)."""
        articles = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        revisions = self.db.execute("SELECT count(*) FROM revisions").fetchone()[0]
        return int(articles), int(revisions)


def _is_chain(known: Sequence[Known], last: str | None, tip: str | None) -> bool:
    """Return True if `known` are the commits from `last` (exclusive) to `tip`, in order.

    A commit's sha covers its parent's, so a chain of parents from `tip` back to `last` is
    exactly what walking main from `tip` to `last` would find.
    """
    if not known or known[-1][0].sha != tip:
        return False
    parent = last
    for record, _, _ in known:
        if record.parent != parent:
            return False
        parent = record.sha
    return True


def _tune_text_merging(db: sqlite3.Connection) -> None:
    """Set the full-text index's merge policy where it is not yet so (an older index)."""
    rows = db.execute("SELECT k, v FROM revision_text_config").fetchall()
    kept = {row[0]: row[1] for row in rows}
    for key, value in _TEXT_MERGING.items():
        if kept.get(key) != value:
            setting = "INSERT INTO revision_text (revision_text, rank) VALUES (?, ?)"
            db.execute(setting, (key, value))
