"""Bulk-import steps that need no archive: JSONL lines to records, revision pairs to stats."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from .article import Article, InvalidArticle, content_key, make_article
from .diff import Stats, compare
from .store import Identity, InvalidIdentity

__all__ = [
    "MAX_INPUT_BYTES",
    "Change",
    "Parsed",
    "Record",
    "Worker",
    "content_digest",
    "measure",
    "measure_all",
    "parse_lines",
    "parse_time",
    "read_record",
    "record_of",
]

MAX_INPUT_BYTES = 5 * 1024 * 1024
_STRING_FIELDS = (
    *("url", "byline", "section", "published", "updated", "summary"),
    *("note", "observed", "author"),
)
_A = TypeVar("_A")
_R = TypeVar("_R")


@dataclass(frozen=True)
class Record:
    """A revision to save: the validated article, when it was seen, and who says so."""

    article: Article
    observed: datetime
    note: str
    author: str
    editor: str


@dataclass(frozen=True)
class Parsed:
    """One JSONL line read: its record and content digest, or why it is bad."""

    number: int
    record: Record | None
    digest: bytes = b""
    error: str = ""


@dataclass(frozen=True)
class Change:
    """What a new revision changed against the one before: the commit trailers' figures."""

    stats: Stats
    kind: str


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_time(text: str, what: str = "time") -> datetime:
    """Parse an ISO-8601 time; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArticle(
            f"invalid {what} {text!r}: use ISO 8601, e.g. 2024-03-01T12:00:00+01:00", what
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        raise InvalidArticle(f"invalid {what} {text!r}: the UTC offset must be whole minutes", what)
    return moment


def record_of(
    article: Article, observed: datetime | None, note: str, author: str, editor: str
) -> Record:
    """Validate an article and its author into a Record (InvalidArticle, InvalidIdentity)."""
    article = make_article(**vars(article))
    Identity.parse(author or article.source)
    return Record(article, observed or _now(), note, author, editor)


def read_record(line: str | bytes) -> Record:
    """Read one JSONL line of the import format (InvalidArticle, InvalidIdentity)."""
    if len(line) > MAX_INPUT_BYTES:
        raise InvalidArticle(f"longer than {MAX_INPUT_BYTES} bytes")
    try:
        data = json.loads(line)
    except UnicodeDecodeError:
        raise InvalidArticle("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidArticle(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InvalidArticle("expected a JSON object")
    for key in ("id", "source", "title", "body"):
        if not isinstance(data.get(key), str):
            raise InvalidArticle(f"field {key!r} must be a string", key)
    for key in _STRING_FIELDS:
        if key in data and not isinstance(data[key], str | None):
            raise InvalidArticle(f"field {key!r} must be a string", key)
    observed = parse_time(data["observed"], "observed") if data.get("observed") else None
    text = {key: data.get(key) or "" for key in _STRING_FIELDS}
    article = Article(
        id=data["id"],
        source=data["source"],
        title=data["title"],
        body=data["body"],
        url=text["url"],
        byline=text["byline"],
        section=text["section"],
        published=text["published"],
        updated=text["updated"],
        summary=text["summary"],
    )
    return record_of(article, observed, text["note"], text["author"], "")


def content_digest(article: Article) -> bytes:
    """Return a digest of `content_key`: equal for articles `same_content` finds the same."""
    return hashlib.blake2b(content_key(article).encode(), digest_size=20).digest()


def parse_lines(lines: Sequence[tuple[int, str | bytes]]) -> list[Parsed]:
    """Read numbered lines up to and including the first bad one."""
    parsed: list[Parsed] = []
    for number, line in lines:
        try:
            record = read_record(line)
        except (InvalidArticle, InvalidIdentity) as exc:
            parsed.append(Parsed(number, None, error=str(exc)))
            break
        parsed.append(Parsed(number, record, content_digest(record.article)))
    return parsed


def measure(old: Article | None, new: Article, old_words: int | None = None) -> Change:
    """Return the trailer figures of `new` as the revision after `old` (None: the first).

    `old_words` may give `count_words(old.body)` when it is known already.
    """
    if old is None:
        diff = compare({}, "", new.fields(), new.body, 0)
    else:
        diff = compare(old.fields(), old.body, new.fields(), new.body, old_words)
    return Change(diff.stats, diff.kind)


def measure_all(pairs: Sequence[tuple[Article | None, Article, int | None]]) -> list[Change]:
    """Return `measure` of each (old, new, old_words)."""
    return [measure(old, new, old_words) for old, new, old_words in pairs]


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
