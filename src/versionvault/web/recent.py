"""The home page: recent changes across the archive, newest first, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..archive import Revision
from . import params
from .site import Site, absolute, format_day, link

__all__ = ["Change", "Filters", "RecentPage", "page"]


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


@dataclass(frozen=True)
class Change:
    """One row of recent changes."""

    seq: int
    revision: Revision
    size: int


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
    clone_url: str


def _days(changes: list[Change]) -> tuple[Day, ...]:
    days: list[tuple[str, list[Change]]] = []
    for change in changes:
        label = format_day(change.revision.observed)
        if days and days[-1][0] == label:
            days[-1][1].append(change)
        else:
            days.append((label, [change]))
    return tuple(Day(label, tuple(rows)) for label, rows in days)


def page(site: Site, request: Request) -> Response:
    """GET /?source=&kind=&headline=&min=&editor=&before= (also /changes): recent changes."""
    filters = Filters(
        source=params.slug(request, "source"),
        kinds=params.kinds(request),
        headline=params.flag(request, "headline"),
        min_words=params.number(request, "min", 0, low=0) or 0,
        editor=params.slug(request, "editor"),
    )
    before = params.number(request, "before", None)
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    size = site.settings.page_size
    rows = site.vault.recent(
        source=filters.source,
        kinds=filters.kinds,
        headline_only=filters.headline,
        min_words=filters.min_words,
        editor=filters.editor,
        before=before,
        limit=size + 1,
    )
    changes = [Change(seq, r, r.words_added + r.words_removed) for seq, r in rows[:size]]
    model = RecentPage(
        days=_days(changes),
        count=len(changes),
        filters=filters,
        kinds=params.KINDS,
        sources=tuple(site.vault.source_counts()),
        before=before,
        older=changes[-1].seq if len(rows) > size else None,
        clone_url=absolute(request, link(request, "recent")).rstrip("/") + "/archive.git",
    )
    return site.render(request, "recent.html", model, fresh)
