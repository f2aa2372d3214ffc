"""Vault layer: the one facade over store, index and diff that the CLI, site and watcher use."""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from .article import (
    Article,
    InvalidArticle,
    check_slug,
    format_article,
    normalize_line,
    parse_article,
    parse_html,
    parse_text,
    same_content,
    slugify,
)
from .bulk import (
    MAX_INPUT_BYTES,
    Change,
    Parsed,
    Record,
    Worker,
    content_digest,
    measure,
    measure_all,
    parse_lines,
    record_of,
)
from .diff import WordDiff, compare, count_words
from .index import ArticleRow, Event, Index, Known, Revision
from .settings import SourceSettings, load_sources, sample_sources_text
from .store import (
    CommitRecord,
    ConcurrentUpdate,
    Identity,
    InvalidIdentity,
    NewCommit,
    Store,
    StoreError,
    Transaction,
)

__all__ = [
    "EVENTS",
    "MAX_INPUT_BYTES",
    "ArticleNotFound",
    "Diff",
    "ImportStopped",
    "RevisionNotFound",
    "SaveResult",
    "StaleRevision",
    "Vault",
    "VaultError",
]

IMPORT_BATCH = 500
_FIRST_BATCH = 100
_PIECE = 100  # lines a trip to the worker takes
_IMPORT_CACHE = 20_000  # articles whose latest text an import keeps between batches
EVENTS = ("removed", "left-feed")
_T = TypeVar("_T")
_SHA_PREFIX = re.compile(r"[0-9a-f]{4,40}")


class VaultError(Exception):
    """A user error: the message is one readable line."""


class ArticleNotFound(VaultError):
    """No article has that id."""


class RevisionNotFound(VaultError):
    """The article has no such revision."""


class StaleRevision(VaultError):
    """The article changed since the revision the writer started from."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current


class ImportStopped(VaultError):
    """A bulk import stopped at a bad line; what came before it was saved."""


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
        }
        document.update(self.words.as_dict())
        return document


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _article_time(article: Article, observed: datetime) -> datetime:
    for text in (article.updated, article.published):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        offset = moment.utcoffset()
        if offset is not None and not offset.total_seconds() % 60:
            return moment
    return observed


def _trailers(pairs: list[tuple[str, str]]) -> str:
    """Return git trailer lines of the pairs whose values are not empty (made one line)."""
    values = [(key, normalize_line(value)) for key, value in pairs]
    return "\n".join(f"{key}: {value}" for key, value in values if value)


def _message(article: Article, number: int, change: Change, pending: Record) -> str:
    stats = change.stats
    trailers = [
        ("Article", article.id),
        ("Source", article.source),
        ("Revision", str(number)),
        ("Words", f"+{stats.words_added} -{stats.words_removed}"),
        ("Kind", change.kind),
        ("Url", article.url),
        ("Observed", pending.observed.isoformat()),
        ("Note", pending.note),
        ("Editor", pending.editor),
    ]
    return f"{article.id}: revision {number}\n\n{stats.summary()}\n\n{_trailers(trailers)}\n"


class Vault:
    """An archive home: the Git store, its index and its settings."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.store = Store(home / "articles.git")
        self.index = Index(home / "index.sqlite3")
        self.index.catch_up(self.store)

    @classmethod
    def init(cls, home: Path) -> Vault:
        """Create an archive at `home` if there is none (idempotent); open it."""
        home.mkdir(parents=True, exist_ok=True)
        Store.create(home / "articles.git").close()
        sources = home / "sources.toml"
        if not sources.exists():
            sources.write_text(sample_sources_text(), "utf-8")
        editors = home / "editors.toml"
        if not editors.exists():
            editors.write_text("# Editors: `versionvault editor add NAME` adds one.\n", "utf-8")
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
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise VaultError(f"{path} is not a file")
            if size > MAX_INPUT_BYTES:
                raise VaultError(
                    f"{path} is too large ({size / 1e6:.1f} MB; the limit is "
                    f"{MAX_INPUT_BYTES / 1e6:.0f} MB)"
                )
            data = path.read_bytes()
        except FileNotFoundError:
            raise VaultError(f"{path}: no such file") from None
        except PermissionError:
            raise VaultError(f"{path}: permission denied") from None
        except IsADirectoryError:
            raise VaultError(f"{path} is not a file") from None
        except OSError as exc:
            raise VaultError(f"{path}: cannot read ({exc.strerror})") from None
        if b"\0" in data:
            raise VaultError(f"{path} is a binary file, not an article")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VaultError(f"{path} is not UTF-8 text (byte {exc.start})") from None
        stem = slugify(path.stem)
        settings = self.sources
        source = source or settings.guess_source(stem, url) or "local"
        article_id = article_id or stem
        kind = path.suffix.lower()
        try:
            check_slug(article_id)
            check_slug(source, "source name")
            if kind == ".md":
                article = parse_article(text, article_id)
                return replace(article, url=url or article.url)
            if kind in (".html", ".htm"):
                return parse_html(text, article_id, source, url)
            if kind in (".txt", ""):
                article = parse_text(text, article_id, source, settings.rules_for(source))
                return replace(article, url=url) if url else article
        except InvalidArticle as exc:
            raise VaultError(f"{path}: {exc}") from None
        raise VaultError(f"{path}: unsupported file type {kind!r} (use .txt, .md or .html)")

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
        """Archive `article` as a new revision unless it equals the latest one."""
        pending = self._pending(article, observed, note, author, editor)

        def write(txn: Transaction) -> SaveResult:
            latest = self.index.latest(article.id)
            if expected is not None and (latest is None or latest.commit != expected):
                current = latest.commit if latest else ""
                raise StaleRevision(
                    f"{article.id} changed since {expected[:12]}: "
                    f"the latest revision is {current or 'none'}",
                    current,
                )
            return self._append(txn, pending, latest)

        return self._locked_write(write)

    def _locked_write(self, write: Callable[[Transaction], _T]) -> _T:
        """Run `write` under the write lock on a caught-up index; retry if main moved."""
        while True:
            try:
                with self.store.transaction() as txn:
                    self.index.catch_up(self.store)
                    result = write(txn)
            except ConcurrentUpdate:
                continue
            self.index.catch_up(self.store)
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
    ) -> str:
        """Record an event (`removed`, `left-feed`) as a commit that keeps the tree; return it."""
        if event not in EVENTS:
            raise VaultError(f"unknown event {event!r}: use one of {', '.join(EVENTS)}")
        moment = observed or _now()

        def write(txn: Transaction) -> str:
            latest = self.index.latest(article_id)
            if latest is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            trailers = [
                ("Article", article_id),
                ("Source", latest.source),
                ("Event", event),
                ("Observed", moment.isoformat()),
                ("Url", url or latest.url),
                ("Note", note),
            ]
            lines = _trailers(trailers)
            what = "removed" if event == "removed" else "left its feed"
            return txn.add_event(
                Identity.parse(latest.source),
                moment,
                _now(),
                f"{article_id}: {event}\n\n{what} on {moment.isoformat()}\n\n{lines}\n",
            )

        return self._locked_write(write)

    def _pending(
        self, article: Article, observed: datetime | None, note: str, author: str, editor: str
    ) -> Record:
        try:
            return record_of(article, observed, note, author, editor)
        except (InvalidArticle, InvalidIdentity) as exc:
            raise VaultError(str(exc)) from None

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
        record = self._commit(txn, pending, number, measure(old, article))
        return SaveResult("saved", article.id, number, record.sha)

    def _commit(
        self, txn: Transaction, pending: Record, number: int, change: Change
    ) -> CommitRecord:
        article = pending.article
        return txn.add(
            NewCommit(
                path=f"{article.source}/{article.id}.md",
                content=format_article(article),
                author=Identity.parse(pending.author or article.source),
                author_time=_article_time(article, pending.observed),
                commit_time=_now(),
                message=_message(article, number, change, pending),
            )
        )

    def import_records(
        self,
        lines: Iterable[str | bytes],
        progress: Callable[[int], None] | None = None,
        batch: int = IMPORT_BATCH,
        parallel: bool = True,
    ) -> tuple[int, int]:
        """Import JSONL revisions in order, one pack per batch; return (saved, unchanged).

        With `parallel`, a worker process reads the lines and measures each revision's changes
        while this one writes commits (see `_Import`).
        """
        with Worker(parallel) as worker:
            run = _Import(self, worker, progress)
            try:
                run.run(_chunks(enumerate(lines, start=1), batch))
            except BrokenProcessPool:
                raise ImportStopped(
                    f"the import's worker process died; the {run.saved} revisions "
                    "before it were saved"
                ) from None
            return run.saved, run.unchanged

    def _latest_of(self, article_id: str) -> _Latest | None:
        latest = self.index.latest(article_id)
        if latest is None:
            return None
        article = self.text(latest)
        return _Latest(article, latest.number, content_digest(article), -1, None, {})

    # -- reading -------------------------------------------------------------------------

    def articles(
        self, source: str = "", query: str = "", offset: int = 0, limit: int = 50
    ) -> tuple[list[ArticleRow], int]:
        """Return articles, newest change first, and the total count."""
        return self.index.articles(source, query, offset, limit)

    def article(self, article_id: str) -> ArticleRow:
        """Return one article's summary (ArticleNotFound if unknown)."""
        row = self.index.article(article_id)
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
        return parse_article(self.store.read_blob(revision.blob), revision.article)

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

    def events(self, article_id: str) -> list[Event]:
        """Return an article's events (removed, left its feed), oldest first."""
        return self.index.events(article_id)

    def search(self, query: str, offset: int = 0, limit: int = 50) -> list[Revision]:
        """Return revisions whose text matches `query` (FTS over every revision)."""
        return self.index.search(query, offset, limit)

    def search_articles(
        self, query: str, source: str = "", offset: int = 0, limit: int = 50
    ) -> tuple[list[tuple[str, list[int]]], int]:
        """Return articles whose text ever matched, with their matching revisions, and a total."""
        return self.index.search_articles(query, source, offset, limit)

    def source_counts(self) -> list[tuple[str, int]]:
        """Return each source with its number of articles."""
        return self.index.sources()

    def last_commit(self) -> str | None:
        """Return the last commit indexed: it changes whenever the archive does."""
        return self.index.last_commit()

    def recent(self, **filters: Any) -> list[tuple[int, Revision]]:
        """Return recent revisions, newest first (see Index.recent for filters)."""
        return self.index.recent(**filters)

    # -- maintenance ---------------------------------------------------------------------

    def reindex(self) -> int:
        """Rebuild the index from git alone; return the number of revisions."""
        with self.store.locked():
            return self.index.rebuild(self.store)

    def verify(self) -> list[str]:
        """Check every object, and that git and the index agree; return the problems."""
        problems = self.store.check_objects()
        indexed = {r.commit: r for r in self.index.all_revisions()}
        events = {e.commit: e for e in self.index.events()}
        seen = 0
        numbers: dict[str, int] = {}
        removed: dict[str, bool] = {}
        try:
            for record in self.store.walk(None):
                if "Event" in record.trailers:
                    problems.extend(self._verify_event(record.sha, events, numbers))
                    if record.trailers["Event"] == "removed":
                        removed[record.trailers.get("Article", "")] = True
                    continue
                seen += 1
                row = indexed.get(record.sha)
                if row is None:
                    problems.append(f"commit {record.sha} is not in the index")
                    continue
                if row.blob != record.blob:
                    problems.append(f"commit {record.sha}: index blob differs from git")
                if record.path != f"{row.source}/{row.article}.md":
                    problems.append(f"commit {record.sha}: trailers name {record.path}")
                changed = self.store.changed_paths(record.sha)
                back = removed.pop(row.article, False) and not changed
                if changed != [record.path] and not back:
                    problems.append(f"commit {record.sha}: its tree change is not {record.path}")
                expected = numbers.get(row.article, 0) + 1
                if row.number != expected:
                    problems.append(
                        f"commit {record.sha}: revision {row.number}, expected {expected}"
                    )
                numbers[row.article] = row.number
        except StoreError as exc:
            problems.append(str(exc))
        if seen != len(indexed):
            problems.append(f"git has {seen} revisions on main, the index {len(indexed)}")
        problems.extend(f"the index has event {sha}, which is not on main" for sha in events)
        return problems

    def _verify_event(
        self, sha: str, events: dict[str, Event], numbers: dict[str, int]
    ) -> list[str]:
        event = events.pop(sha, None)
        if event is None:
            return [f"event commit {sha} is not in the index"]
        problems = []
        if self.store.changed_paths(sha):
            problems.append(f"event commit {sha} changes the tree")
        if event.after_revision != numbers.get(event.article, 0) or not event.after_revision:
            problems.append(f"event commit {sha}: {event.article} has no revision before it")
        return problems

    def push_mirrors(self) -> list[str]:
        """Push main to every mirror in the settings; return one line per failed push."""
        failures = []
        for remote in self.sources.mirrors:
            try:
                self.store.push(remote)
            except StoreError as exc:
                failures.append(str(exc))
        return failures

    def export_jsonl(self) -> Iterator[str]:
        """Yield every revision as one import-format JSON line, in archive order."""
        for revision in self.index.all_revisions():
            article = self.text(revision)
            record: dict[str, Any] = {"id": article.id, "source": article.source}
            record.update({k: v for k, v in article.fields().items() if k != "source"})
            record["body"] = article.body
            record["observed"] = revision.observed
            if revision.note:
                record["note"] = revision.note
            record["author"] = revision.author
            yield json.dumps(record, ensure_ascii=False)


def _chunks(
    items: Iterator[tuple[int, str | bytes]], size: int
) -> Iterator[list[tuple[int, str | bytes]]]:
    """Yield the non-blank numbered lines in lists of `size`, the first one smaller."""
    chunk: list[tuple[int, str | bytes]] = []
    limit = min(size, _FIRST_BATCH)
    for item in items:
        if item[1].strip():
            chunk.append(item)
        if len(chunk) >= limit:
            yield chunk
            chunk, limit = [], size
    if chunk:
        yield chunk


@dataclass(frozen=True)
class _Latest:
    """An article's latest revision as an import sees it, and the batch that queued it."""

    article: Article
    number: int
    digest: bytes
    batch: int
    words: int | None  # words in the body, if counted
    paragraph_words: dict[str, int]  # words in each of its paragraphs, if counted


@dataclass
class _Batch:
    """Lines of an import read, the commits planned from them, and their figures to come."""

    seq: int
    parsed: list[Parsed]
    planned: list[tuple[Record, int, int]]  # the record, its revision number, its words
    unchanged: int
    error: str
    changes: list[Future[list[Change]]] = field(default_factory=list)


class _Import:
    """One bulk import: plans batches a step ahead of the one it writes.

    Workers read lines two batches ahead and measure changes one batch ahead, while
    this process writes a batch as one pack. Both go in pieces, and the first batch is
    small, so that writing starts soon and the last batch is written as it is measured.
    A batch is planned against main as this import left it plus the batches queued
    before it; should another writer move main in between, the batch is planned
    again under the write lock, and so is the one after it.
    """

    def __init__(
        self, vault: Vault, worker: Worker, progress: Callable[[int], None] | None
    ) -> None:
        self.vault = vault
        self.worker = worker
        self.progress = progress
        self.saved = self.unchanged = 0
        self.latest: dict[str, _Latest] = {}
        vault.index.catch_up(vault.store)
        self.left = vault.index.last_commit()

    def run(self, chunks: Iterator[list[tuple[int, str | bytes]]]) -> None:
        """Read, plan and write every chunk; raise ImportStopped at the first bad line."""
        reading = deque(self.read(chunk) for chunk in islice(chunks, 2))
        ahead: deque[_Batch] = deque()
        seq = 0
        while reading or ahead:
            while reading and len(ahead) < 2:
                pieces = reading.popleft()
                ahead.append(self.plan((line for p in pieces for line in p.result()), seq))
                seq += 1
                if ahead[-1].error:
                    reading.clear()
                    break
                reading.extend(self.read(chunk) for chunk in islice(chunks, 1))
            batch = ahead.popleft()
            self.write(batch, ahead)
            if batch.error:
                saved = f"the {self.saved} revisions before it were saved"
                raise ImportStopped(f"{batch.error}; {saved}")

    def read(self, chunk: list[tuple[int, str | bytes]]) -> list[Future[list[Parsed]]]:
        """Start reading a chunk of lines, in pieces."""
        return [
            self.worker.submit(parse_lines, chunk[k : k + _PIECE])
            for k in range(0, len(chunk), _PIECE)
        ]

    def plan(self, parsed: Iterable[Parsed], seq: int) -> _Batch:
        """Plan a batch's commits and start measuring them, a piece at a time."""
        batch = _Batch(seq, [], [], 0, "")
        pairs: list[tuple[Article | None, Article, int | None]] = []
        for line in parsed:
            batch.parsed.append(line)
            if line.record is None:
                batch.error = f"line {line.number}: {line.error}"
                break
            article = line.record.article
            previous = self.latest.get(article.id) or self.vault._latest_of(article.id)
            if previous and previous.article.source != article.source:
                belongs = previous.article.source
                batch.error = f"line {line.number}: {article.id} belongs to {belongs!r}"
                break
            if previous and previous.digest == line.digest:
                batch.unchanged += 1
                continue
            number = previous.number + 1 if previous else 1
            paragraphs = article.body.split("\n\n")  # no word spans a blank line
            known = previous.paragraph_words if previous else {}
            counts = {p: known[p] if p in known else count_words(p) for p in paragraphs}
            words = sum(map(counts.__getitem__, paragraphs))
            batch.planned.append((line.record, number, words))
            self.latest[article.id] = _Latest(article, number, line.digest, seq, words, counts)
            if previous:
                pairs.append((previous.article, article, previous.words))
            else:
                pairs.append((None, article, 0))
            if len(pairs) == _PIECE:
                batch.changes.append(self.worker.submit(measure_all, pairs))
                pairs = []
        if pairs:
            batch.changes.append(self.worker.submit(measure_all, pairs))
        return batch

    def write(self, batch: _Batch, ahead: deque[_Batch]) -> None:
        """Write one batch as one pack and index it; plan again if main moved under it."""
        vault = self.vault
        known: list[Known] = []
        with vault.store.transaction() as txn:
            vault.index.catch_up(vault.store)
            moved = txn.tip != self.left
            if moved:
                self.latest.clear()
                batch = self.plan(batch.parsed, batch.seq)
            changes = (change for piece in batch.changes for change in piece.result())
            for (record, number, words), change in zip(batch.planned, changes, strict=True):
                commit = vault._commit(txn, record, number, change)
                known.append((commit, record.article, words))
        self.left = txn.tip
        vault.index.catch_up(vault.store, known=known)
        if moved:
            for k, later in enumerate(ahead):
                ahead[k] = self.plan(later.parsed, later.seq)
        if len(self.latest) > _IMPORT_CACHE:
            self.latest = {k: v for k, v in self.latest.items() if v.batch > batch.seq}
        self.saved += len(batch.planned)
        self.unchanged += batch.unchanged
        if self.progress:
            self.progress(len(batch.planned) + batch.unchanged)


def default_home() -> Path:
    """Return the archive home from VERSIONVAULT_ARCHIVE, else ./archive."""
    return Path(os.environ.get("VERSIONVAULT_ARCHIVE", "archive"))
