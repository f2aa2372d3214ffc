"""Watch schedule: when to look at a page again, and which feeds and pages a round fetches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from ..archive import Source, SourceSettings
from ..text import slugify
from .fetch import Request
from .state import WatchState

__all__ = ["due_requests", "feed_requests", "iso", "next_check", "source_for", "utcnow"]

_SCHEDULE = (
    (timedelta(hours=3), timedelta(minutes=15)),
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(days=1)),
    (timedelta(days=365), timedelta(days=7)),
)


def next_check(first_seen: datetime, now: datetime) -> datetime | None:
    """Return when to look again: often while an article is new, then rarely, None after a year."""
    age = now - first_seen
    for limit, step in _SCHEDULE:
        if age < limit:
            return now + step
    return None


def iso(moment: datetime) -> str:
    """Return a moment as the UTC text the watch state keeps."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def utcnow() -> datetime:
    """Return the current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def source_for(settings: SourceSettings, url: str) -> Source:
    """Return the source a URL belongs to: the one listing it, else one guessed from its host."""
    for source in settings.sources.values():
        if url in source.feeds or url in source.pages:
            return source
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    name = settings.guess_source(url=f"https://{host}/")
    if name:
        return settings.sources[name]
    return Source(slugify(host) or "web")


def feed_requests(state: WatchState, settings: SourceSettings) -> list[Request]:
    """Return a request for every configured feed, with the validators from its last read."""
    requests = []
    for source in settings.sources.values():
        for url in source.feeds:
            request = Request(url, source.rate, source.user_agent, tag=source)
            known = state.feed(url)
            if known:
                request = replace(request, etag=known.etag, last_modified=known.last_modified)
            requests.append(request)
    return requests


def due_requests(
    state: WatchState, settings: SourceSettings, now: datetime, only: set[int] | None = None
) -> list[Request]:
    """Return a request for every page due at `now` (with `only`, just those pages)."""
    due = state.due(iso(now))
    if only is not None:
        due = [p for p in due if p.id in only]
    requests = []
    for page in due:
        source = settings.sources.get(page.source) or Source(page.source)
        requests.append(
            Request(
                page.url,
                source.rate,
                source.user_agent,
                page.etag,
                page.last_modified,
                tag=page.id,
            )
        )
    return requests
