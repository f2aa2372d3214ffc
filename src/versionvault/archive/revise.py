"""Revise: one path for every revision: validate, normalise, measure, and compose its commit."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..diff import Stats, compare_stats
from ..text import (
    Article,
    InvalidArticle,
    InvalidJson,
    check_line,
    content_key,
    format_article,
    load_json,
    make_article,
    shown,
)
from .commits import EARLIEST, LATEST, Identity, InvalidIdentity, NewCommit, representable
from .errors import InvalidInput

__all__ = [
    "MAX_INPUT_BYTES",
    "Change",
    "Record",
    "check_observed",
    "checked_event",
    "checked_record",
    "content_digest",
    "measure",
    "measure_all",
    "new_commit",
    "now",
    "parse_time",
    "read_record",
    "record_of",
    "trailer_lines",
]

MAX_INPUT_BYTES = 5 * 1024 * 1024


_STRING_FIELDS = (
    *("url", "byline", "section", "published", "updated", "summary"),
    *("note", "observed", "author"),
)


@dataclass(frozen=True)
class Record:
    """A revision to save: the validated article, when it was seen, and who says so."""

    article: Article
    observed: datetime
    note: str
    author: str
    editor: str


@dataclass(frozen=True)
class Change:
    """What a new revision changed against the one before: the commit trailers' figures."""

    stats: Stats
    kind: str


def now() -> datetime:
    """Return the current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_time(text: str, what: str = "time") -> datetime:
    """Parse an ISO-8601 time; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArticle(
            f"invalid {what} {shown(text)}: use ISO 8601, e.g. 2024-03-01T12:00:00+01:00", what
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        raise InvalidArticle(
            f"invalid {what} {shown(text)}: the UTC offset must be whole minutes", what
        )
    return moment


def check_observed(moment: datetime, what: str = "observed") -> datetime:
    """Return an observed time a commit can record; else InvalidArticle naming `what`.

    It is the archive's own time (when it saw the text), so unlike an article's dates it
    cannot fall back to anything: before 1970 or after 2099 is refused.
    """
    if not representable(moment):
        raise InvalidArticle(
            f"{what} time {moment.isoformat()} is outside the times a commit records "
            f"(after {EARLIEST:%Y-%m-%d}, before {LATEST:%Y-%m-%d}): it is when the archive "
            "saw the text",
            what,
        )
    return moment


def record_of(
    article: Article, observed: datetime | None, note: str, author: str, editor: str
) -> Record:
    """Validate an article and its author into a Record (InvalidArticle, InvalidIdentity)."""
    article = make_article(**vars(article))
    note, editor = check_line(note, "note"), check_line(editor, "editor")
    Identity.parse(author or article.source)
    return Record(article, check_observed(observed or now()), note, author, editor)


def checked_record(
    article: Article, observed: datetime | None, note: str, author: str, editor: str
) -> Record:
    """Return `record_of`, its refusals raised as InvalidInput (a VaultError naming the field)."""
    try:
        return record_of(article, observed, note, author, editor)
    except InvalidArticle as exc:
        raise InvalidInput(str(exc), exc.field) from None
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), "author") from None


def checked_event(observed: datetime | None, url: str, note: str) -> datetime:
    """Return an event's time once it and its trailers can be committed (else InvalidInput)."""
    try:
        trailer_lines([("Url", url), ("Note", note)])
        return check_observed(observed or now())
    except InvalidArticle as exc:
        raise InvalidInput(str(exc), exc.field) from None


def read_record(line: str | bytes) -> Record:
    """Read one JSONL line of the import format (InvalidArticle, InvalidIdentity)."""
    if len(line) > MAX_INPUT_BYTES:
        raise InvalidArticle(f"longer than {MAX_INPUT_BYTES} bytes")
    try:
        data = load_json(line)
    except InvalidJson as exc:
        raise InvalidArticle(str(exc)) from None
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


def measure(old: Article | None, new: Article, old_words: int | None = None) -> Change:
    """Return the trailer figures of `new` as the revision after `old` (None: the first).

    `old_words` may give `count_words(old.body)` when it is known already. The figures are
    `compare`'s, computed without the parts of the diff they do not need (`compare_stats`).
    """
    if old is None:
        stats, kind = compare_stats({}, "", new.fields(), new.body, 0)
    else:
        stats, kind = compare_stats(old.fields(), old.body, new.fields(), new.body, old_words)
    return Change(stats, kind)


def measure_all(pairs: Sequence[tuple[Article | None, Article, int | None]]) -> list[Change]:
    """Return `measure` of each (old, new, old_words)."""
    return [measure(old, new, old_words) for old, new, old_words in pairs]


def _article_time(article: Article, observed: datetime) -> datetime:
    """Return the article's own time when git can record it (see `representable`), else observed.

    The header keeps the article's dates exactly as given either way (a 1969 article is real
    history); only the commit's author date falls back.
    """
    for text in (article.updated, article.published):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        if representable(moment):
            return moment
    return observed


def trailer_lines(pairs: list[tuple[str, str]]) -> str:
    """Return git trailer lines of the pairs whose values are not empty (made one line).

    A value with a control character raises InvalidArticle naming its trailer.
    """
    values = [(key, check_line(value, key.lower())) for key, value in pairs]
    return "\n".join(f"{key}: {value}" for key, value in values if value)


def _message(article: Article, number: int, change: Change, record: Record, path: str) -> str:
    stats = change.stats
    trailers = [
        ("Article", article.id),
        ("Source", article.source),
        ("Path", path),
        ("Revision", str(number)),
        ("Words", f"+{stats.words_added} -{stats.words_removed}"),
        ("Kind", change.kind),
        ("Url", article.url),
        ("Observed", record.observed.isoformat()),
        ("Note", record.note),
        ("Editor", record.editor),
    ]
    return f"{article.id}: revision {number}\n\n{stats.summary()}\n\n{trailer_lines(trailers)}\n"


def new_commit(
    record: Record,
    number: int,
    change: Change,
    path: str,
    archived: datetime | None = None,
    capture: bytes | None = None,
) -> NewCommit:
    """Return the commit that archives `record` as revision `number` at `path` (see paths.py).

    `archived` is the committer date (default now); `capture` the raw page, if any.
    """
    article = record.article
    return NewCommit(
        path=path,
        content=format_article(article),
        author=Identity.parse(record.author or article.source),
        author_time=_article_time(article, record.observed),
        commit_time=archived or now(),
        message=_message(article, number, change, record, path),
        capture=capture,
    )
