"""Vault: the one facade over store, index and diff that the CLI, site and watcher use."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ..diff import compare
from ..text import Article, InvalidArticle, parse_article, same_content
from . import search
from .captures import EXTRACTION, captured_page
from .commits import Identity, StoreError
from .editors import create_editors_file, protect
from .errors import ArticleNotFound, DiskFull, RevisionNotFound, StaleRevision, VaultError
from .events import EVENTS, event_message
from .export import export_lines
from .files import ArticleFile, read_article_file
from .importer import IMPORT_BATCH, import_records
from .index import Index
from .maintenance import push
from .paths import DATED, article_path
from .replica import ReadOnlyReplica, primary_of
from .results import Diff, SaveResult
from .revise import Record, checked_event, checked_record, measure, new_commit, now
from .rows import ArticleRow, Event, Revision
from .search import Matches
from .settings import SourceSettings, load_sources, sample_sources_text
from .store import ConcurrentUpdate, Store, Transaction
from .verify import verify

__all__ = ["EXTRACTION", "Diff", "SaveResult", "Vault", "default_home"]

_T = TypeVar("_T")
_SHA_PREFIX = re.compile(r"[0-9a-f]{4,40}")
_TITLE_SAMPLE = 200


class Vault:
    """An archive home: the Git store, its index and its settings."""

    def __init__(self, home: Path, catch_up: bool = True) -> None:
        self.home = home
        self.store = Store(home / "articles.git")
        self.index = Index(home / "index.sqlite3")
        self.index_behind = False
        if catch_up:
            self._catch_up()
        self.primary = primary_of(self.store)
        protect(home / "editors.toml")

    def _catch_up(self) -> None:
        """Index what git has and the index lacks; a full disk leaves it behind, readable."""
        self.index_behind = True  # until caught up: then reads show every commit
        with contextlib.suppress(DiskFull):
            self.index.catch_up(self.store)
            self.index_behind = False

    @classmethod
    def init(cls, home: Path, layout: str = DATED) -> Vault:
        """Create an archive laid out as `layout` (paths.py) at `home` if none is; open it."""
        home.mkdir(parents=True, exist_ok=True)
        Store.create(home / "articles.git", layout).close()
        sources = home / "sources.toml"
        if not sources.exists():
            sources.write_text(sample_sources_text(), "utf-8")
        create_editors_file(home / "editors.toml")
        return cls(home)

    @classmethod
    def open(cls, home: Path, catch_up: bool = True) -> Vault:
        """Open an existing archive (VaultError if there is none); the index catches up with
        git unless not `catch_up` (a reindex, which rebuilds it anyway)."""
        if not (home / "articles.git").is_dir():
            raise VaultError(f"no archive at {home}: run `versionvault init` first")
        try:
            return cls(home, catch_up)
        except StoreError as exc:
            raise VaultError(str(exc)) from None

    def close(self) -> None:
        """Release files."""
        self.index.close()
        self.store.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def sources(self) -> SourceSettings:
        """Return the archive's source settings."""
        try:
            return load_sources(self.home / "sources.toml")
        except InvalidArticle as exc:
            raise VaultError(str(exc)) from None

    # -- reading input -------------------------------------------------------------------

    def read_file(
        self, path: Path, article_id: str = "", source: str = "", url: str = ""
    ) -> ArticleFile:
        """Read a .txt, .md or .html file as an Article, and an HTML page's bytes to keep."""
        return read_article_file(path, self.sources, article_id, source, url, self.site_names)

    def site_names(self, source: str, article_id: str = "") -> tuple[str, ...]:
        """Return the site names the source's titles carry (see `search.site_names`)."""
        return search.site_names(self.index, source, article_id)

    # -- writing -------------------------------------------------------------------------

    def save_revision(
        self,
        article: Article,
        observed: datetime | None = None,
        note: str = "",
        author: str = "",
        editor: str = "",
        expected: str | None = None,
        kind: str = "",
        capture: bytes | None = None,
    ) -> SaveResult:
        """Archive `article` unless it equals the latest; `expected`: the sha begun from, or `*`.

        `kind` overrides the measured kind of change: `extraction` for a re-extracted page.
        `capture` is the page the text came from, kept in the same commit unless its source
        says `captures = false`.
        """
        if kind not in ("", EXTRACTION):
            raise VaultError(f"unknown kind of revision {kind!r}")
        pending = checked_record(article, observed, note, author, editor)
        page = capture if self.sources.captures_for(article.source) else None

        def write(txn: Transaction) -> SaveResult:
            latest = self.index.latest(article.id)
            if expected is not None and (latest is None or expected not in ("*", latest.commit)):
                current = latest.commit if latest else ""
                raise StaleRevision(
                    f"{article.id} changed since {expected[:12]}: "
                    f"the latest revision is {current or 'none'}",
                    current,
                )
            return self._append(txn, pending, latest, kind, page)

        return self._locked_write(write)

    def check_writable(self) -> None:
        """Refuse (ReadOnlyReplica) if this archive is a replica: its primary takes writes."""
        if self.primary:
            raise ReadOnlyReplica(self.primary)

    def _locked_write(self, write: Callable[[Transaction], _T]) -> _T:
        """Run `write` under the write lock on a caught-up index; retry if main moved."""
        self.check_writable()
        while True:
            try:
                with self.store.transaction() as txn:
                    self.index.catch_up(self.store)
                    result = write(txn)
            except ConcurrentUpdate:
                continue
            self._catch_up()
            return result

    def _removed_after(self, latest: Revision) -> bool:
        events = self.index.events(latest.article)
        return any(e.event == "removed" and e.after_revision == latest.number for e in events)

    def record_event(
        self,
        article_id: str,
        event: str,
        observed: datetime | None = None,
        url: str = "",
        note: str = "",
        editor: str = "",
    ) -> str:
        """Record an event (`removed`, `left-feed`) as a commit that keeps the tree; return it."""
        if event not in EVENTS:
            raise VaultError(f"unknown event {event!r}: use one of {', '.join(EVENTS)}")
        moment = checked_event(observed, url, note)

        def write(txn: Transaction) -> str:
            latest = self.index.latest(article_id)
            if latest is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            message = event_message(latest, event, moment, url, note, editor)
            return txn.add_event(Identity.parse(latest.source), moment, now(), message)

        return self._locked_write(write)

    def _append(
        self,
        txn: Transaction,
        pending: Record,
        latest: Revision | None,
        kind: str = "",
        capture: bytes | None = None,
    ) -> SaveResult:
        article = pending.article
        old: Article | None = None
        if latest is not None:
            if latest.source != article.source:
                raise VaultError(
                    f"article {article.id} belongs to source {latest.source!r}, "
                    f"not {article.source!r}"
                )
            old = self.text(latest)
            if same_content(old, article) and not self._removed_after(latest):
                return SaveResult("unchanged", article.id, latest.number, latest.commit)
        number = latest.number + 1 if latest else 1
        new = article_path(self.store.layout, article.source, article.id, pending.observed)
        path = self.index.path_of(article.id) or new  # where a new article's file goes
        change = measure(old, article)
        if kind:
            change = replace(change, kind=kind)
        record = txn.add(new_commit(pending, number, change, path, capture=capture))
        return SaveResult("saved", article.id, number, record.sha)

    def import_records(
        self,
        lines: Iterable[str | bytes],
        progress: Callable[[int], None] | None = None,
        batch: int = IMPORT_BATCH,
        parallel: bool = True,
        archived: datetime | None = None,
    ) -> tuple[int, int]:
        """Import JSONL revisions in order, one pack per batch; return (saved, unchanged).
        `archived` is every commit's committer date (default: when the import starts)."""
        self.check_writable()
        try:
            return import_records(
                self.store, self.index, lines, progress, batch, parallel, archived
            )
        finally:
            self._catch_up()

    # -- reading -------------------------------------------------------------------------

    def articles(
        self, source: str = "", query: str = "", offset: int = 0, limit: int = 50
    ) -> tuple[list[ArticleRow], int]:
        """Return articles, newest change first, and the total count."""
        return search.articles(self.index, source, query, offset, limit)

    def article(self, article_id: str) -> ArticleRow:
        """Return one article's summary (ArticleNotFound if unknown)."""
        row = search.article(self.index, article_id)
        if row is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return row

    def history(self, article_id: str) -> list[Revision]:
        """Return an article's revisions, oldest first (ArticleNotFound if none)."""
        revisions = self.index.history(article_id)
        if not revisions:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return revisions

    def revision(self, article_id: str, spec: str | int = "latest") -> Revision:
        """Resolve a revision by number, `first`, `latest` or (abbreviated) commit sha."""
        text = str(spec).strip().lower()
        if text in ("first", "old"):
            text = "1"
        if text in ("latest", "current", ""):
            latest = self.index.latest(article_id)
            if latest is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            return latest
        found: Revision | None = None
        if text.isdigit() and len(text) < 10:
            found = self.index.revision(article_id, int(text))
        if found is None and _SHA_PREFIX.fullmatch(text):
            matches = self.index.revisions_by_commit(article_id, text)
            if len(matches) > 1:
                raise RevisionNotFound(f"{spec!r} is ambiguous: it matches several revisions")
            found = matches[0] if matches else None
        if found is None:
            self.article(article_id)
            raise RevisionNotFound(f"article {article_id!r} has no revision {spec!r}")
        return found

    def text(self, revision: Revision) -> Article:
        """Return the stored article of a revision."""
        return parse_article(self.store.read_blob(revision.blob), revision.article, strict=False)

    def stored_file(self, revision: Revision) -> str:
        """Return the exact stored file of a revision."""
        return self.store.read_blob(revision.blob)

    def capture(self, revision: Revision) -> bytes | None:
        """Return the page a revision's text was read from, kept in its commit; None if none."""
        return captured_page(self.store, self.index, revision)

    def diff(self, article_id: str, old: str | int = "first", new: str | int = "latest") -> Diff:
        """Return the word diff between two revisions (default: Old Version to current)."""
        a, b = self.revision(article_id, old), self.revision(article_id, new)
        left, right = self.text(a), self.text(b)
        words = compare(left.fields(), left.body, right.fields(), right.body)
        skipped = max(0, abs(b.number - a.number) - 1)
        return Diff(article_id, a, b, words, skipped)

    def revisions_at_url(self, *urls: str) -> list[Revision]:
        """Return every revision of the articles ever seen at one of `urls`, in archive order."""
        return self.index.revisions_at_urls(urls)

    def events(self, article_id: str) -> list[Event]:
        """Return an article's recorded events (removed, left its feed), oldest first."""
        return self.index.events(article_id)

    def search(self, query: str, offset: int = 0, limit: int = 50) -> list[Revision]:
        """Return revisions whose text matches `query` (FTS over every revision)."""
        return search.search(self.index, query, offset, limit)

    def search_articles(
        self, query: str, source: str = "", offset: int = 0, limit: int = 50
    ) -> Matches:
        """Return articles whose text ever matched, with their matching revisions and counts."""
        return search.search_articles(self.index, query, source, offset, limit)

    def history_page(self, article_id: str, offset: int = 0, limit: int = 50) -> list[Revision]:
        """Return one page of an article's revisions, newest first."""
        return search.history_page(self.index, article_id, offset, limit)

    def recent_events(self, source: str = "", limit: int = 50) -> list[Event]:
        """Return the newest events across the archive, newest first."""
        return search.recent_events(self.index, source, limit)

    def featured(self) -> str | None:
        """Return the id of the article whose history shows the most (see search.featured)."""
        return search.featured(self.index)

    def identity(self) -> str:
        """Return the archive's first commit sha, which names it ("empty" before any)."""
        return search.archive_identity(self.index)

    def source_counts(self) -> list[tuple[str, int]]:
        """Return each source with its number of articles."""
        return search.source_counts(self.index)

    def last_commit(self) -> str | None:
        """Return the last commit indexed: it changes whenever the archive does."""
        return self.index.last_commit()

    def recent(self, **filters: Any) -> list[tuple[int, Revision]]:
        """Return recent revisions, newest first (see search.recent for filters)."""
        return search.recent(self.index, **filters)

    # -- maintenance ---------------------------------------------------------------------

    def reindex(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the index from git alone; return the number of revisions."""
        with self.store.locked():
            return self.index.rebuild(self.store, progress)

    def verify(self, progress: Callable[[int], None] | None = None) -> list[str]:
        """Check every object, and that git and the index agree; return the problems."""
        return verify(self.store, self.index, progress)

    def push_mirrors(self) -> list[str]:
        """Push main to every mirror in the settings; return one line per failed push."""
        failures = []
        for remote in self.sources.mirrors:
            try:
                push(self.store, remote)
            except StoreError as exc:
                failures.append(str(exc))
        return failures

    def export_jsonl(self) -> Iterator[str]:
        """Yield every revision as one import-format JSON line, in archive order."""
        return export_lines(self.store, self.index)


def default_home() -> Path:
    """Return the archive home from VERSIONVAULT_ARCHIVE, else ./archive."""
    return Path(os.environ.get("VERSIONVAULT_ARCHIVE", "archive"))
