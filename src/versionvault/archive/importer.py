"""Importer: bulk import of JSONL revisions, read and measured in worker processes a batch ahead."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import TypeVar

from ..diff import count_words
from ..text import Article, InvalidArticle, format_article, parse_article
from .commits import InvalidIdentity
from .errors import DiskFull, ImportStopped
from .index import Index, Known
from .packing import Rolling, consolidate
from .packs import blob_sha
from .paths import UnsafePath, article_path
from .revise import Change, Record, content_digest, measure_all, new_commit, now, read_record
from .store import Store

__all__ = ["IMPORT_BATCH", "import_records"]

IMPORT_BATCH = 2000


_FIRST_BATCH = 100


_PIECE = 100  # lines a trip to the worker takes


_KEEP_BATCHES = 2  # an import keeps the latest text of articles of the last batches only

_A = TypeVar("_A")


_R = TypeVar("_R")


@dataclass(frozen=True)
class Parsed:
    """One JSONL line read: its record, content digest and file's sha, or why it is bad."""

    number: int
    record: Record | None
    digest: bytes = b""
    blob: str = ""
    error: str = ""


def parse_lines(lines: Sequence[tuple[int, str | bytes]]) -> list[Parsed]:
    """Read numbered lines up to and including the first bad one."""
    parsed: list[Parsed] = []
    for number, line in lines:
        try:
            record = read_record(line)
        except (InvalidArticle, InvalidIdentity) as exc:
            parsed.append(Parsed(number, None, error=str(exc)))
            break
        blob = blob_sha(format_article(record.article).encode())
        parsed.append(Parsed(number, record, content_digest(record.article), blob))
    return parsed


class Worker:
    """Runs bulk steps in forked processes beside this one, or here where that cannot be.

    A fork is only safe while this process has a single thread (a forked child gets copies
    of other threads' locks, held or not), and only pays on a machine with a second core.
    There is a process per core, up to three: measured on two cores, a second one beside
    this process (which writes, and idles less) still gains 5%.
    """

    def __init__(self, parallel: bool = True) -> None:
        self._pool: Executor | None = None
        cores = os.cpu_count() or 1
        fork = "fork" in multiprocessing.get_all_start_methods()
        if parallel and fork and cores > 1 and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(min(cores, 3), mp_context=context)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, step: Callable[[_A], _R], argument: _A) -> Future[_R]:
        """Start `step(argument)`; here, it is done before this returns."""
        if self._pool is not None:
            return self._pool.submit(step, argument)
        future: Future[_R] = Future()
        future.set_result(step(argument))
        return future


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
    path: str  # where its file is
    before: bool  # archived before this import began: its lines may be archived already


@dataclass
class _Batch:
    """Lines of an import read, the commits planned from them, and their figures to come."""

    seq: int
    parsed: list[Parsed]
    planned: list[tuple[Record, int, int, str]]  # the record, its number, words and path
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

    A line of an article archived before the import began is skipped if the article has
    a revision of the same file observed at the same time: a re-run of an interrupted
    import carries on where it stopped, and ends at the tip an uninterrupted run reaches
    (given the same `archived` time). After each batch, small packs are rolled together
    (packing.Rolling: git rolls beside the writing), so a version finds its delta base in
    an earlier batch.
    """

    def __init__(
        self,
        store: Store,
        index: Index,
        worker: Worker,
        rolls: Rolling,
        progress: Callable[[int], None] | None,
        archived: datetime,
    ) -> None:
        self.store = store
        self.index = index
        self.worker = worker
        self.rolls = rolls
        self.progress = progress
        self.archived = archived
        self.saved = self.unchanged = 0
        self.latest: dict[str, _Latest] = {}
        try:  # an index behind must catch up first: on a full disk, say it as for a batch
            index.catch_up(store)
        except DiskFull as full:
            stopped = "the import stopped at line 1: the 0 revisions before it were saved"
            raise DiskFull(full.what, stopped) from None
        self.left = index.last_commit()
        self.start = index.last_seq()

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
            try:
                self.write(batch, ahead)
            except OSError as exc:
                full = DiskFull.of(exc, self.stopped_at(batch))
                if full is None:
                    raise
                raise full from None
            if batch.error:
                saved = f"the {self.saved} revisions before it were saved"
                saved = saved if self.saved else "nothing was saved"
                raise ImportStopped(f"{batch.error}; {saved}")

    def stopped_at(self, batch: _Batch) -> str:
        """Say where the import stopped, at `batch`, and what it saved before."""
        first = batch.parsed[0].number if batch.parsed else 0
        return (
            f"the import stopped at line {first}: the {self.saved} revisions before it were saved"
        )

    def latest_of(self, article_id: str) -> _Latest | None:
        """Return an article's latest revision as main has it, or None."""
        latest = self.index.latest(article_id)
        place = self.index.place(article_id)
        if latest is None or place is None:
            return None
        article = parse_article(self.store.read_blob(latest.blob), article_id, strict=False)
        path, before = place[0], place[1] <= self.start
        digest = content_digest(article)
        return _Latest(article, latest.number, digest, -1, None, {}, path, before)

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
            previous = self.latest.get(article.id) or self.latest_of(article.id)
            if previous and previous.article.source != article.source:
                belongs = previous.article.source
                batch.error = f"line {line.number}: {article.id} belongs to {belongs!r}"
                break
            if previous and previous.digest == line.digest:
                batch.unchanged += 1
                continue
            observed = line.record.observed.isoformat()
            if (
                previous
                and previous.before
                and self.index.archived(article.id, line.blob, observed)
            ):
                batch.unchanged += 1
                continue
            try:
                path = previous.path if previous else self.path(line.record)
            except UnsafePath as exc:
                batch.error = f"line {line.number}: {exc}"
                break
            number = previous.number + 1 if previous else 1
            paragraphs = article.body.split("\n\n")  # no word spans a blank line
            known = previous.paragraph_words if previous else {}
            counts = {p: known[p] if p in known else count_words(p) for p in paragraphs}
            words = sum(map(counts.__getitem__, paragraphs))
            batch.planned.append((line.record, number, words, path))
            before = bool(previous and previous.before)
            self.latest[article.id] = _Latest(
                article, number, line.digest, seq, words, counts, path, before
            )
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

    def path(self, record: Record) -> str:
        """Return where a new article's file goes (UnsafePath for a reserved source)."""
        article = record.article
        return article_path(self.store.layout, article.source, article.id, record.observed)

    def write(self, batch: _Batch, ahead: deque[_Batch]) -> None:
        """Write one batch as one pack and index it; plan again if main moved under it."""
        known: list[Known] = []
        with self.store.transaction() as txn:
            self.index.catch_up(self.store)
            moved = txn.tip != self.left
            if moved:
                self.latest.clear()
                batch = self.plan(batch.parsed, batch.seq)
            changes = (change for piece in batch.changes for change in piece.result())
            planned = zip(batch.planned, changes, strict=True)
            for (record, number, words, path), change in planned:
                commit = txn.add(new_commit(record, number, change, path, self.archived))
                known.append((commit, record.article, words))
        self.left = txn.tip
        self.saved += len(batch.planned)
        with contextlib.suppress(DiskFull):  # saved: the index catches up when there is room
            self.index.catch_up(self.store, known=known)
        with contextlib.suppress(DiskFull):  # rolling packs up waits for room; nothing is lost
            self.rolls.step()
        if moved:
            for k, later in enumerate(ahead):
                ahead[k] = self.plan(later.parsed, later.seq)
        # Updates come hours after an article's first version, so an article edited in
        # the last batches is likely edited again; an older one is read back from git.
        oldest = batch.seq - _KEEP_BATCHES
        self.latest = {k: v for k, v in self.latest.items() if v.batch >= oldest}
        self.unchanged += batch.unchanged
        if self.progress:
            self.progress(len(batch.planned) + batch.unchanged)


def import_records(
    store: Store,
    index: Index,
    lines: Iterable[str | bytes],
    progress: Callable[[int], None] | None = None,
    batch: int = IMPORT_BATCH,
    parallel: bool = True,
    archived: datetime | None = None,
) -> tuple[int, int]:
    """Import JSONL revisions in order, one pack per batch; return (saved, unchanged).

    With `parallel`, worker processes read the lines and measure each revision's changes
    while this one writes commits (see `_Import`). `archived` is every commit's committer
    date (default: when the import starts). A line already archived counts as unchanged.
    """
    with Worker(parallel) as worker, Rolling(store) as rolls:
        run = _Import(store, index, worker, rolls, progress, archived or now())
        try:
            run.run(_chunks(enumerate(lines, start=1), batch))
            with contextlib.suppress(DiskFull):
                rolls.wait()
                consolidate(store, finish=True)
        except BrokenProcessPool:
            raise ImportStopped(
                f"the import's worker process died; the {run.saved} revisions before it were saved"
            ) from None
        return run.saved, run.unchanged
