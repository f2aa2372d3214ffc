"""Watch recorder: what fetched feeds and pages mean for the archive, the schedule and warnings."""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from ..archive import (
    DiskFull,
    SaveResult,
    Source,
    SourceSettings,
    StaleRevision,
    StoreError,
    VaultError,
    redact,
)
from ..diff import count_words
from ..text import Article, InvalidArticle, InvalidSelector
from .fetch import Fetched
from .pages import NotHtml, extract, looks_like_feed
from .registry import Registry, normalize_url
from .report import RoundReport, Tally, WatchWarning
from .saving import Saver
from .schedule import iso, next_check, source_for
from .state import FeedState, WatchedPage, WatchState

__all__ = ["SAVE_ATTEMPTS", "SHRINK_LIMIT", "Recorder", "entry_time"]

log = logging.getLogger("versionvault.watch")

SHRINK_LIMIT = 0.5
SAVE_ATTEMPTS = 5


def entry_time(entry: Any) -> str:
    """Return when a feed entry says it was last updated (else published), in UTC; "" if never."""
    for key in ("updated", "published"):  # dict.get: feedparser's own get would swap them
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            return iso(datetime.fromtimestamp(calendar.timegm(parsed), UTC))
        if text := dict.get(entry, key):
            return str(text)
    return ""


class Recorder:
    """Saves revisions, records events and keeps the watch state for each fetched result."""

    def __init__(self, saver: Saver, state: WatchState) -> None:
        self.saver = saver
        self.state = state
        self.registry = Registry(state, saver.latest)

    def guarded(
        self, func: Callable[[Fetched, Tally], None], fetched: Fetched, tally: Tally
    ) -> None:
        """Record one result with `func`; a failure becomes a warning, not the round's end."""
        try:
            func(fetched, tally)
        except DiskFull:
            raise  # no page can be saved: the round stops
        except Exception as exc:  # one bad page must not stop a round
            log.exception("watching %s failed", redact(fetched.request.url))
            self.warn(tally, "", fetched.request.url, "error", f"internal error: {exc!r}")

    def warn(self, tally: Tally, source: str, url: str, kind: str, message: str) -> None:
        """Log a warning, count it in the round and keep it in the watch state.

        What is logged or reported has its URLs' credentials redacted; the state keeps the URL
        as it is (a key to clear the warning by) and `status` redacts it.
        """
        message, shown = redact(message), redact(url)
        log.warning("%s: %s (%s)", shown or source, message, kind)
        tally.warnings.append(WatchWarning(source, shown, kind, message))
        self.state.warn(source, url, kind, message, iso(tally.now))

    def push_mirrors(self, tally: Tally) -> None:
        """Push the archive to its mirrors; a mirror that fails is a warning."""
        for failure in self.saver.push_mirrors():
            self.warn(tally, "", "", "mirror", failure)

    def register_pages(self, settings: SourceSettings, tally: Tally) -> None:
        """Make sure every page the settings list is watched."""
        for source in settings.sources.values():
            for url in source.pages:
                tally.listed.add(self.registry.page_for(url, source.name, [], tally.now).id)

    def target(self, settings: SourceSettings, fetched: Fetched, tally: Tally) -> None:
        """Record a URL asked for by name, as a feed or a page, whichever it turns out to be."""
        source = source_for(settings, fetched.request.url)
        if fetched.ok and looks_like_feed(fetched):
            self.feed(replace(fetched, request=replace(fetched.request, tag=source)), tally)
            return
        page = self.registry.page_for(fetched.request.url, source.name, [], tally.now)
        self.page(
            SourceSettings({**settings.sources, source.name: source}),
            replace(fetched, request=replace(fetched.request, tag=page.id)),
            tally,
        )

    def feed(self, fetched: Fetched, tally: Tally) -> None:
        """Record a feed: watch the pages it lists, note those that left it."""
        source: Source = fetched.request.tag
        url, now = fetched.request.url, tally.now
        tally.feeds += 1
        previous = self.state.feed(url)
        state = previous or FeedState(url, source.name, "", "", "", "")
        state = replace(state, last_checked=iso(now))
        if fetched.not_modified:
            tally.not_modified += 1
            tally.success.add(source.name)
            self.state.save_feed(replace(state, last_ok=iso(now)))
            return
        if not fetched.ok:
            self.state.save_feed(state)
            self.warn(tally, source.name, url, "feed", fetched.error or f"HTTP {fetched.status}")
            return
        parsed = feedparser.parse(fetched.body, response_headers={"content-type": "text/xml"})
        entries = [e for e in parsed.entries if e.get("link")]
        if not entries:
            problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
            detail = f"not a feed ({type(problem).__name__})" if problem else "no entries"
            self.state.save_feed(state)
            self.warn(tally, source.name, url, "feed", detail)
            return
        listed: list[int] = []
        for entry in entries:
            link = urljoin(fetched.url, str(entry.get("link")))
            if urlsplit(link).scheme not in ("http", "https"):
                continue
            guid = str(entry.get("id") or "")
            page = self.registry.page_for(link, source.name, [f"guid:{guid}"] if guid else [], now)
            if normalize_url(link) != normalize_url(page.url):
                self.registry.move(page, link)
            if self.state.entry_moved(url, page.id, entry_time(entry)):
                self.state.update(page.id, next_check=iso(now))
            listed.append(page.id)
        tally.listed.update(listed)
        for page_id in self.state.relist(url, listed):
            left = self.state.page(page_id)
            if left and left.article and left.state == "active":
                self._event(tally, left, "left-feed", f"no longer listed in {url}")
        self.state.save_feed(
            replace(state, etag=fetched.etag, last_modified=fetched.last_modified, last_ok=iso(now))
        )
        self.state.clear_warnings(url)
        tally.success.add(source.name)

    def _event(self, tally: Tally, page: WatchedPage, event: str, note: str = "") -> None:
        assert page.article
        self.saver.record_event(page.article, event, tally.now, page.url, note)
        tally.events += 1

    def page(self, settings: SourceSettings, fetched: Fetched, tally: Tally) -> None:
        """Record a page: save a new revision, or note its removal, and schedule its next check."""
        page = self.state.page(fetched.request.tag)
        if page is None:
            return
        source = settings.sources.get(page.source) or Source(page.source)
        now = tally.now
        tally.pages += 1
        upcoming = next_check(datetime.fromisoformat(page.first_seen), now)
        self.state.update(
            page.id,
            last_checked=iso(now),
            next_check=iso(upcoming) if upcoming else None,
            state=page.state if upcoming else "stopped",
        )
        url = fetched.request.url
        if fetched.status in (404, 410):
            self.state.update(page.id, etag="", last_modified="")
            if page.state == "removed":
                return
            self.state.update(page.id, state="removed" if upcoming else "stopped")
            if page.article:
                self._event(tally, page, "removed", f"HTTP {fetched.status}")
            else:
                self.warn(tally, source.name, url, "gone", f"HTTP {fetched.status} on first visit")
            return
        if fetched.blocked:
            self.warn(tally, source.name, url, "robots", fetched.error)
            return
        if fetched.not_modified:
            tally.not_modified += 1
            tally.success.add(source.name)
            self.state.clear_warnings(url)
            return
        if not fetched.ok:
            self.warn(tally, source.name, url, "fetch", fetched.error or f"HTTP {fetched.status}")
            return
        tally.success.add(source.name)
        try:
            article = extract(
                fetched, source, self.saver.site_names(source.name, page.article or "")
            )
        except NotHtml as exc:
            self.warn(tally, source.name, url, "not-html", str(exc))
            return
        except (InvalidArticle, InvalidSelector) as exc:
            self.warn(tally, source.name, url, "extract", f"not archived: {exc}")
            return
        page = self.registry.identify(page, fetched, article)
        assert page.article
        article = replace(article, id=page.article)
        note = "back after removal" if page.state == "removed" else ""
        try:
            result = self._save(article, note, tally, url, fetched.body)
        except (VaultError, StoreError) as exc:
            self.warn(tally, source.name, url, "save", f"not archived: {exc}")
            return
        if result is None:
            return
        if result.status == "saved":
            tally.saved += 1
            tally.new[source.name] = tally.new.get(source.name, 0) + 1
        else:
            tally.unchanged += 1
        self.state.update(
            page.id,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            state="active" if upcoming else "stopped",
        )
        self.state.clear_warnings(url)
        self.state.clear_warnings(fetched.url)

    def _save(
        self, article: Article, note: str, tally: Tally, url: str, page: bytes
    ) -> SaveResult | None:
        """Save on top of the latest revision checked here; re-check and retry if it moved.

        `page` is the fetched page, kept with the revision. Return None when the text shrank
        too much to be trusted (a warning says so).
        """
        for _ in range(SAVE_ATTEMPTS):
            latest = self.saver.latest(article.id)
            words = count_words(article.body)
            if latest and latest.words and words < SHRINK_LIMIT * latest.words:
                message = f"extraction fell from {latest.words} to {words} words; not archived"
                self.warn(tally, article.source, url, "shrink", message)
                return None
            expected = latest.commit if latest else None
            try:
                return self.saver.save_revision(article, tally.now, note, expected, page)
            except StaleRevision:
                continue
        raise VaultError(f"{article.id} kept changing while it was saved ({SAVE_ATTEMPTS} tries)")

    def finish(
        self, settings: SourceSettings, tally: Tally, report: RoundReport, targets: bool
    ) -> None:
        """Close a round: each source's bookkeeping, warnings for quiet sources, the round row."""
        now = iso(tally.now)
        names = set(tally.success) | set(tally.new)
        if not targets:
            names |= set(settings.sources)
        for name in sorted(names):
            self.state.touch_source(name, now, name in tally.success, tally.new.get(name, 0))
        known = self.state.sources()
        for name, source in settings.sources.items() if not targets else []:
            if not (source.feeds or source.pages):
                continue
            entry = known.get(name, {})
            since = entry.get("last_new") or entry.get("first_round") or now
            quiet = tally.now - datetime.fromisoformat(since)
            if quiet > timedelta(days=source.quiet_days):
                days = quiet.total_seconds() / 86400
                self.warn(tally, name, "", "quiet", f"no new revisions for {days:.0f} days")
            else:
                self.state.clear_warnings("", ("quiet",), name)
        self.state.add_round(report.as_row())
