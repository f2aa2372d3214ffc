"""Vault: the one facade over store, index and diff that the CLI, site and watcher use."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ..diff import WordDiff, compare
from ..text import Article, InvalidArticle, parse_article, repeated_affixes, same_content
from . import search
from .commits import Identity, StoreError
from .editors import create_editors_file, protect
from .errors import ArticleNotFound, DiskFull, RevisionNotFound, StaleRevision, VaultError
from .events import EVENTS, event_message
from .export import export_lines
from .files import read_article_file
from .importer import IMPORT_BATCH, import_records
from .index import Index
from .maintenance import push
from .paths import DATED, article_path
from .replica import ReadOnlyReplica, primary_of
from .revise import Record, checked_event, checked_record, measure, new_commit, now
from .rows import ArticleRow, Event, Revision
from .search import Matches
from .settings import SourceSettings, load_sources, sample_sources_text
from .store import ConcurrentUpdate, Store, Transaction
from .verify import verify

__all__ = ["Diff", "SaveResult", "Vault", "default_home"]

_T = TypeVar("_T")
_SHA_PREFIX = re.compile(r"[0-9a-f]{4,40}")
_TITLE_SAMPLE = 200


@dataclass(frozen=True)
class SaveResult:
    """What a save did: `saved` a new revision or found it `unchanged`."""

    status: str
    article: str
    revision: int
    commit: str

    def line(self) -> str:
        """Return the CLI's one-line report."""
        if self.status == "saved":
            return f"saved {self.article} revision {self.revision} {self.commit}"
        return f"unchanged {self.article} revision {self.revision}"


@dataclass(frozen=True)
class Diff:
    """A word diff between two revisions of one article."""

    article: str
    old: Revision
    new: Revision
    words: WordDiff
    skipped: int

    def as_dict(self) -> dict[str, Any]:
        """Return the diff document of DESIGN.md."""
        document: dict[str, Any] = {
            "article": self.article,
            "from": self.old.as_dict(),
            "to": self.new.as_dict(),
            "skipped": self.skipped,
            "reversed": self.old.number > self.new.number,
        }
        document.update(self.words.as_dict())
        return document


class Vault:
    """An archive home: the Git store, its index and its settings."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = Store(home / "articles.git")
        self.index = Index(home / "index.sqlite3")
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
    def open(cls, home: Path) -> Vault:
        """Open an existing archive (VaultError if there is none)."""
        if not (home / "articles.git").is_dir():
            raise VaultError(f"no archive at {home}: run `versionvault init` first")
        try:
            return cls(home)
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
    ) -> Article:
        """Read a .txt, .md or .html file into an Article (VaultError on bad input)."""
        return read_article_file(path, self.sources, article_id, source, url, self.site_names)

    def site_names(self, source: str, article_id: str = "") -> tuple[str, ...]:
        """Return the names that start or end the titles of two or more of a source's articles.

        Those are site names ("Headline | The Paper") that pages of the source do not declare;
        `article_id`'s own title is left out, so an article keeps its title once stored.
        """
        found, _ = search.articles(self.index, source=source, limit=_TITLE_SAMPLE)
        return repeated_affixes(row.title for row in found if row.id != article_id)

    # -- writing -------------------------------------------------------------------------

    def save_revision(
        self,
        article: Article,
        observed: datetime | None = None,
        note: str = "",
        author: str = "",
        editor: str = "",
        expected: str | None = None,
    ) -> SaveResult:
        """Archive `article` unless it equals the latest; `expected`: the sha begun from, or `*`."""
        pending = checked_record(article, observed, note, author, editor)

        def write(txn: Transaction) -> SaveResult:
            latest = self.index.latest(article.id)
            if expected is not None and (latest is None or expected not in ("*", latest.commit)):
                current = latest.commit if latest else ""
                raise StaleRevision(
                    f"{article.id} changed since {expected[:12]}: "
                    f"the latest revision is {current or 'none'}",
                    current,
                )
            return self._append(txn, pending, latest)

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

    def _append(self, txn: Transaction, pending: Record, latest: Revision | None) -> SaveResult:
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
        record = txn.add(new_commit(pending, number, measure(old, article), path))
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
