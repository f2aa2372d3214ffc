"""Article pages: browse and search the archive, and one article with its history."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Event, Matches, Revision, Vault, with_returns
from ..text import CJK_RUN, Article, Block, language_of, parse_blocks
from . import params
from .site import Site, link
from .timeline import Timeline, build_timeline

__all__ = [
    "ArticlePage",
    "ArticlesPage",
    "Hit",
    "Listing",
    "Row",
    "article_language",
    "browse",
    "find_hits",
    "history_rows",
    "list_articles",
    "show",
    "snippet",
]

_SNIPPET = 90
Segment = tuple[bool, str]


@dataclass(frozen=True)
class Hit:
    """An article whose text matched a search, in some or all of its revisions.

    shown: the newest revision that matched (the hit links to it); removed_in: when the
    current text no longer matches, the revision after it, whose diff removed the text.
    """

    article: ArticleRow
    revisions: tuple[int, ...]
    in_current: bool
    shown: int
    snippet: tuple[Segment, ...]
    language: str = "en"

    @property
    def removed_in(self) -> int | None:
        """Return the revision whose diff took the matching text out, if it is gone."""
        return None if self.in_current else self.shown + 1

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        """Return the matching revisions as runs: (1, 4), (7, 7)."""
        runs: list[list[int]] = []
        for number in self.revisions:
            if runs and number == runs[-1][1] + 1:
                runs[-1][1] = number
            else:
                runs.append([number, number])
        return tuple((low, high) for low, high in runs)


@dataclass(frozen=True)
class Row:
    """One row of the history table: a revision, or an event between two revisions."""

    revision: Revision | None = None
    event: Event | None = None
    returned: bool = False


@dataclass(frozen=True)
class ArticlePage:
    """What an article's page shows: its current text and one page of its history."""

    article: ArticleRow
    latest: Revision
    text: Article
    blocks: tuple[Block, ...]
    details: tuple[tuple[str, str], ...]
    history: tuple[Revision, ...]
    rows: tuple[Row, ...]
    events: tuple[Event, ...]
    timeline: Timeline
    compare_from: int
    compare_to: int
    page: int
    pages: int
    language: str
    removed: Event | None


def details(text: Article) -> tuple[tuple[str, str], ...]:
    """Return the header fields worth showing under the headline, labelled."""
    labels = (
        ("byline", "Byline"),
        ("section", "Section"),
        ("published", "Published"),
        ("updated", "Updated"),
    )
    return tuple((label, getattr(text, name)) for name, label in labels if getattr(text, name))


def _term_pattern(term: str) -> str:
    return re.escape(term) if CJK_RUN.search(term) else r"\b" + re.escape(term) + r"\w*"


def snippet(text: str, query: str) -> tuple[Segment, ...]:
    """Return a short excerpt around the first match of the query's words, matches marked."""
    terms = sorted({t.casefold() for t in re.findall(r"\w+", query)}, key=len, reverse=True)
    flat = " ".join(text.split())
    if not terms:
        return ((False, flat[: 2 * _SNIPPET]),)
    pattern = re.compile("|".join(_term_pattern(t) for t in terms), re.IGNORECASE)
    first = pattern.search(flat)
    start = max(0, first.start() - _SNIPPET) if first else 0
    end = min(len(flat), start + 3 * _SNIPPET)
    if start:
        start = flat.find(" ", start) + 1 or start
    excerpt = flat[start:end]
    if end < len(flat):
        excerpt = excerpt.rsplit(" ", 1)[0]
    segments: list[Segment] = [(False, "\u2026 ")] if start else []
    last = 0
    for match in pattern.finditer(excerpt):
        segments += [(False, excerpt[last : match.start()]), (True, match.group())]
        last = match.end()
    segments.append((False, excerpt[last:] + (" \u2026" if end < len(flat) else "")))
    return tuple((marked, part) for marked, part in segments if part)


def find_hits(
    vault: Vault, query: str, source: str, offset: int, limit: int
) -> tuple[tuple[Hit, ...], Matches]:
    """Search every revision's text; return one hit per article, newest match first."""
    matches = vault.search_articles(query, source, offset, limit)
    hits: list[Hit] = []
    for article_id, numbers in matches.found:
        row = vault.article(article_id)
        shown = vault.revision(article_id, numbers[-1])
        text = vault.text(shown)
        hits.append(
            Hit(
                article=row,
                revisions=tuple(numbers),
                in_current=numbers[-1] == row.revisions,
                shown=shown.number,
                snippet=snippet(f"{text.title}. {text.body}", query),
                language=article_language(text),
            )
        )
    return tuple(hits), matches


@dataclass(frozen=True)
class Listing:
    """One page of articles: by source, or those a full-text search matched."""

    source: str
    query: str
    page: int
    pages: int
    total: int
    articles: tuple[ArticleRow, ...]
    hits: tuple[Hit, ...]
    capped: bool
    matched: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ArticlesPage(Listing):
    """What the article list shows: the listing, and every source to choose from."""

    sources: tuple[tuple[str, int], ...]


def list_articles(site: Site, request: Request) -> Listing:
    """Read `source`, `q` and `page`; return that page (BadRequest past the last one)."""
    source = params.slug(request, "source")
    query = params.text(request, "q", 200)
    number = params.number(request, "page", 1) or 1
    size = site.settings.page_size
    offset = (number - 1) * size
    hits: tuple[Hit, ...] = ()
    rows: tuple[ArticleRow, ...] = ()
    capped = False
    matched: tuple[tuple[str, int], ...] = ()
    if query:
        hits, matches = find_hits(site.vault, query, source, offset, size)
        total, capped, matched = matches.total, matches.capped, matches.sources
    else:
        found, total = site.vault.articles(source=source, offset=offset, limit=size)
        rows = tuple(found)
    pages = max(1, math.ceil(total / size))
    if number > pages:
        raise params.BadRequest(f"there is no page {number}: the last page is {pages}")
    return Listing(source, query, number, pages, total, rows, hits, capped, matched)


def browse(site: Site, request: Request) -> Response:
    """GET /articles?source=&q=&page=: articles by source, or a full-text search."""
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    listing = list_articles(site, request)
    sources = listing.matched if listing.query else tuple(site.vault.source_counts())
    model = ArticlesPage(**vars(listing), sources=sources)
    return site.render(request, "articles.html", model, fresh)


def article_language(text: Article) -> str:
    """Return an article's language: its stored `language` header, else detected."""
    return language_of(dict(text.extra).get("language", ""), f"{text.title}\n{text.body[:2000]}")


def history_rows(page: Sequence[Revision], events: Sequence[Event]) -> tuple[Row, ...]:
    """Return a page of revisions (newest first) with each event above the revision it
    followed; a revision saved after a removal is marked as the article's return."""
    returns = {e.after_revision + 1 for e in events if e.event == "returned"}
    rows: list[Row] = []
    for revision in page:
        rows.extend(
            Row(event=e)
            for e in reversed(events)
            if e.after_revision == revision.number and e.event != "returned"
        )
        rows.append(Row(revision=revision, returned=revision.number in returns))
    return tuple(rows)


def show(site: Site, request: Request) -> Response:
    """GET /articles/{id}?page=: the current text and one page of the article's history."""
    article_id = request.path_params["id"]
    number = params.number(request, "page", 1) or 1
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    article = vault.article(article_id)
    size = site.settings.page_size
    pages = max(1, math.ceil(article.revisions / size))
    if number > pages:
        raise params.BadRequest(f"there is no page {number}: the last page is {pages}")
    history = vault.history(article_id)
    latest = history[-1]
    shown = vault.history_page(article_id, (number - 1) * size, size)
    text = vault.text(latest)
    events = tuple(with_returns(vault.events(article_id), history))

    def diff_link(revision: Revision) -> str:
        if revision.number == 1:
            return link(request, "revision", id=article_id, rev="1")
        query = {"from": revision.number - 1, "to": revision.number}
        return link(request, "diff", query, id=article_id)

    last = next((e for e in reversed(events) if e.event != "returned"), None)
    gone = last if last and last.event == "removed" else None
    if gone is not None and gone.after_revision != latest.number:
        gone = None
    model = ArticlePage(
        article=article,
        latest=latest,
        text=text,
        blocks=parse_blocks(text.body),
        details=details(text),
        history=tuple(shown),
        rows=history_rows(shown, events),
        events=events,
        timeline=build_timeline(history, diff_link, events),
        compare_from=shown[-1].number,
        compare_to=shown[0].number,
        page=number,
        pages=pages,
        language=article_language(text),
        removed=gone,
    )
    return site.render(request, "article.html", model, fresh)
