"""History: main's commits read from git in order, with their articles and word counts."""

from __future__ import annotations

from collections.abc import Iterator

from ..diff import count_words
from ..text import Article, InvalidArticle, parse_article
from .commits import CommitRecord, StoreError
from .store import Store

__all__ = ["Revisit", "revisits"]

Revisit = tuple[CommitRecord, Article | None, int | None]
"""A commit on main, with its article and the words in its body (None, None for an event)."""


def revisits(store: Store, since: str | None, tip: str | None) -> Iterator[Revisit]:
    """Yield main's commits after `since` up to `tip`, oldest first, with their articles."""
    for record in store.walk(since, tip):
        if "Event" in record.trailers:
            yield record, None, None
            continue
        try:
            text = store.read_blob(record.blob)
            article = parse_article(text, record.trailers.get("Article", ""), strict=False)
        except (InvalidArticle, StoreError, UnicodeDecodeError) as exc:
            raise StoreError(f"commit {record.sha} holds an unreadable article: {exc}") from None
        yield record, article, count_words(article.body)
