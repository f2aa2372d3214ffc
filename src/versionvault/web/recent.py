"""The home page: recent changes across the archive, newest first, filtered and paged."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Revision
from . import params
from .site import Site, absolute, format_day, link

__all__ = ["Change", "Featured", "Filters", "RecentPage", "featured", "page", "read_filters"]

_FIGURES: dict[tuple[str, str], tuple[int, int, int]] = {}
_FIGURES_KEPT = 16
_FIGURES_LOCK = threading.Lock()


@dataclass(frozen=True)
class Filters:
    """What the reader asked to see."""

    source: str = ""
    kinds: tuple[str, ...] = ()
    headline: bool = False
    min_words: int = 0
    query: str = ""
    editor: str = ""

    def as_query(self) -> dict[str, Any]:
        """Return the filters as link parameters."""
        return {
            "source": self.source,
            "kind": list(self.kinds),
            "headline": "1" if self.headline else None,
            "min": self.min_words or None,
            "editor": self.editor or None,
        }

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.source or self.kinds or self.headline or self.min_words or self.editor)

    @property
    def keeps_events(self) -> bool:
        """Whether events (which have no kind, size or editor) pass these filters."""
        return not (self.kinds or self.headline or self.min_words or self.editor)

    def as_arguments(self) -> dict[str, Any]:
        """Return the filters as the arguments of `Vault.recent`."""
        return {
            "source": self.source,
            "kinds": self.kinds,
            "headline_only": self.headline,
            "min_words": self.min_words,
            "editor": self.editor,
        }


def read_filters(request: Request) -> Filters:
    """Read the filters of recent changes (and of the feed) from the query (BadRequest)."""
    return Filters(
        source=params.slug(request, "source"),
        kinds=params.kinds(request),
        headline=params.flag(request, "headline"),
        min_words=params.number(request, "min", 0, low=0) or 0,
        editor=params.slug(request, "editor"),
    )


@dataclass(frozen=True)
class Change:
    """One row of recent changes; `new_source` when its source differs from the row above."""

    seq: int
    revision: Revision
    size: int
    new_source: bool = True


@dataclass(frozen=True)
class Featured:
    """The home page's featured change: an article's Old Version against its current one."""

    article: ArticleRow
    old: Revision
    new: Revision
    old_title: str
    words_added: int
    words_removed: int
    changes: int


@dataclass(frozen=True)
class Day:
    """The changes seen on one day (consecutive rows only)."""

    label: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class RecentPage:
    """What the home page shows."""

    days: tuple[Day, ...]
    count: int
    filters: Filters
    kinds: tuple[str, ...]
    sources: tuple[tuple[str, int], ...]
    before: int | None
    older: int | None
    newer: int | None
    clone_url: str
    featured: Featured | None
    feed_url: str


def _days(changes: list[Change]) -> tuple[Day, ...]:
    days: list[tuple[str, list[Change]]] = []
    for change in changes:
        label = format_day(change.revision.observed)
        if days and days[-1][0] == label:
            above = days[-1][1][-1].revision.source
            days[-1][1].append(replace(change, new_source=above != change.revision.source))
        else:
            days.append((label, [change]))
    return tuple(Day(label, tuple(rows)) for label, rows in days)


def _featured_figures(site: Site, old: Revision, new: Revision) -> tuple[int, int, int]:
    """Return (words added, removed, paragraphs changed) of the featured diff, remembered by
    its commits: the home page diffs the featured article once, not at every request."""
    key = (old.commit, new.commit)
    with _FIGURES_LOCK:
        if (found := _FIGURES.get(key)) is not None:
            return found
    stats = site.diff(old, new).words.stats
    figures = (
        stats.words_added,
        stats.words_removed,
        stats.paragraphs_changed + stats.paragraphs_moved,
    )
    with _FIGURES_LOCK:
        _FIGURES[key] = figures
        while len(_FIGURES) > _FIGURES_KEPT:
            del _FIGURES[next(iter(_FIGURES))]
    return figures


def featured(site: Site) -> Featured | None:
    """Return the featured change: the computed most telling article, Old Version to now."""
    article_id = site.vault.featured()
    if article_id is None:
        return None
    old = site.vault.revision(article_id, 1)
    new = site.vault.revision(article_id, "latest")
    added, removed, changes = _featured_figures(site, old, new)
    return Featured(
        article=site.vault.article(article_id),
        old=old,
        new=new,
        old_title=old.title,
        words_added=added,
        words_removed=removed,
        changes=changes,
    )


def page(site: Site, request: Request) -> Response:
    """GET /?source=&kind=&headline=&min=&editor=&before=&after= (also /changes)."""
    filters = read_filters(request)
    before = params.number(request, "before", None)
    after = params.number(request, "after", None, low=0) if before is None else None
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    size = site.settings.page_size
    chosen = filters.as_arguments()
    rows = site.vault.recent(**chosen, before=before, after=after, limit=size + 1)
    more = len(rows) > size
    rows = rows[-size:] if after is not None else rows[:size]
    changes = [Change(seq, r, r.words_added + r.words_removed) for seq, r in rows]
    paged = before is not None or after is not None
    older = newer = None
    if changes:
        if more or after is not None:
            older = changes[-1].seq
        if paged and site.vault.recent(**chosen, after=changes[0].seq, limit=1):
            newer = changes[0].seq
    model = RecentPage(
        days=_days(changes),
        count=len(changes),
        filters=filters,
        kinds=params.KINDS,
        sources=tuple(site.vault.source_counts()),
        before=before if paged else None,
        older=older,
        newer=newer,
        clone_url=absolute(request, link(request, "recent")).rstrip("/") + "/archive.git",
        featured=None if paged or filters.active else featured(site),
        feed_url=link(request, "feed", filters.as_query()),
    )
    return site.render(request, "recent.html", model, fresh)
