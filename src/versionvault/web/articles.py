"""Article pages: browse and search the archive, and one article with its history."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Revision, Vault
from ..text import Article, Block, parse_blocks
from . import params
from .site import Site, link
from .timeline import Timeline, build_timeline

__all__ = [
    "ArticlePage",
    "ArticlesPage",
    "Hit",
    "Listing",
    "browse",
    "find_hits",
    "list_articles",
    "show",
    "snippet",
]

_SNIPPET = 90
Segment = tuple[bool, str]


@dataclass(frozen=True)
class Hit:
    """An article whose text matched a search, in some or all of its revisions."""

    article: ArticleRow
    revisions: tuple[int, ...]
    in_current: bool
    shown: int
    snippet: tuple[Segment, ...]

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
class ArticlePage:
    """What an article's page shows: its current text and its history."""

    article: ArticleRow
    latest: Revision
    text: Article
    blocks: tuple[Block, ...]
    details: tuple[tuple[str, str], ...]
    history: tuple[Revision, ...]
    timeline: Timeline
    compare_from: int
    compare_to: int


def details(text: Article) -> tuple[tuple[str, str], ...]:
    """Return the header fields worth showing under the headline, labelled."""
    labels = (
        ("byline", "Byline"),
        ("section", "Section"),
        ("published", "Published"),
        ("updated", "Updated"),
    )
    return tuple((label, getattr(text, name)) for name, label in labels if getattr(text, name))


def snippet(text: str, query: str) -> tuple[Segment, ...]:
    """Return a short excerpt around the first match of the query's words, matches marked."""
    terms = sorted({t.casefold() for t in re.findall(r"\w+", query)}, key=len, reverse=True)
    flat = " ".join(text.split())
    if not terms:
        return ((False, flat[: 2 * _SNIPPET]),)
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
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
) -> tuple[tuple[Hit, ...], int]:
    """Search every revision's text; return one hit per article, best first, and the total."""
    found, total = vault.search_articles(query, source, offset, limit)
    hits: list[Hit] = []
    for article_id, numbers in found:
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
            )
        )
    return tuple(hits), total


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
    if query:
        hits, total = find_hits(site.vault, query, source, offset, size)
    else:
        found, total = site.vault.articles(source=source, offset=offset, limit=size)
        rows = tuple(found)
    pages = max(1, math.ceil(total / size))
    if number > pages:
        raise params.BadRequest(f"there is no page {number}: the last page is {pages}")
    return Listing(source, query, number, pages, total, rows, hits)


def browse(site: Site, request: Request) -> Response:
    """GET /articles?source=&q=&page=: articles by source, or a full-text search."""
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    listing = list_articles(site, request)
    model = ArticlesPage(**vars(listing), sources=tuple(site.vault.source_counts()))
    return site.render(request, "articles.html", model, fresh)


def show(site: Site, request: Request) -> Response:
    """GET /articles/{id}: the current text and the history of one article."""
    article_id = request.path_params["id"]
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    article = vault.article(article_id)
    history = vault.history(article_id)
    latest = history[-1]
    text = vault.text(latest)

    def diff_link(revision: Revision) -> str:
        if revision.number == 1:
            return link(request, "revision", id=article_id, rev="1")
        query = {"from": revision.number - 1, "to": revision.number}
        return link(request, "diff", query, id=article_id)

    model = ArticlePage(
        article=article,
        latest=latest,
        text=text,
        blocks=parse_blocks(text.body),
        details=details(text),
        history=tuple(reversed(history)),
        timeline=build_timeline(history, diff_link),
        compare_from=1,
        compare_to=latest.number,
    )
    return site.render(request, "article.html", model, fresh)
