"""Watch layer: check feeds and pages on a schedule, archive what changed, report a status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
import httpx

from .article import Article, InvalidArticle, make_article, parse_html, slugify
from .diff import count_words
from .fetch import Fetched, Fetcher, FetchOptions, InvalidSelector, Request, css_to_xpath
from .settings import Source, SourceSettings
from .store import StoreError
from .vault import Vault, VaultError
from .watch_state import FeedState, WatchedPage, WatchState

__all__ = [
    "SHRINK_LIMIT",
    "RoundReport",
    "WatchWarning",
    "Watcher",
    "article_id_for",
    "next_check",
    "normalize_url",
    "status",
    "watch_in_background",
]

log = logging.getLogger("versionvault.watch")
T = TypeVar("T")

SHRINK_LIMIT = 0.5
_SCHEDULE = (
    (timedelta(hours=3), timedelta(minutes=15)),
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(days=1)),
    (timedelta(days=365), timedelta(days=7)),
)
_TRACKING = re.compile(r"utm_.*|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")


def next_check(first_seen: datetime, now: datetime) -> datetime | None:
    """Return when to look again: often while an article is new, then rarely, None after a year."""
    age = now - first_seen
    for limit, step in _SCHEDULE:
        if age < limit:
            return now + step
    return None


def normalize_url(url: str) -> str:
    """Return a URL as an identity key: lower-case host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if not _TRACKING.fullmatch(k.lower())]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def article_id_for(url: str) -> str:
    """Derive an article id from its first canonical URL: host and path as a slug."""
    parts = urlsplit(normalize_url(url))
    host = (parts.hostname or "").removeprefix("www.")
    slug = slugify(f"{host} {parts.path} {parts.query}")
    return slug or "article"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class WatchWarning:
    """A problem met in a round: what kind, where, and what happened."""

    source: str
    url: str
    kind: str
    message: str


@dataclass(frozen=True)
class RoundReport:
    """What one round did."""

    started: datetime
    finished: datetime
    feeds: int
    pages: int
    requests: int
    not_modified: int
    saved: int
    unchanged: int
    events: int
    warnings: tuple[WatchWarning, ...]

    def line(self) -> str:
        """Return the round's progress line."""
        seconds = (self.finished - self.started).total_seconds()
        return (
            f"{_iso(self.started)} round: {self.feeds} feeds, {self.pages} pages, "
            f"{self.requests} requests ({self.not_modified} not modified); "
            f"{self.saved} saved, {self.unchanged} unchanged, {self.events} events, "
            f"{len(self.warnings)} warnings in {seconds:.1f}s"
        )

    def as_row(self) -> dict[str, Any]:
        """Return the figures the index keeps per round."""
        return {
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "feeds": self.feeds,
            "pages": self.pages,
            "requests": self.requests,
            "not_modified": self.not_modified,
            "saved": self.saved,
            "unchanged": self.unchanged,
            "events": self.events,
            "warnings": len(self.warnings),
        }


@dataclass
class _Tally:
    now: datetime
    feeds: int = 0
    pages: int = 0
    requests: int = 0
    not_modified: int = 0
    saved: int = 0
    unchanged: int = 0
    events: int = 0
    warnings: list[WatchWarning] = field(default_factory=list)
    success: set[str] = field(default_factory=set)
    new: dict[str, int] = field(default_factory=dict)
    listed: set[int] = field(default_factory=set)


def _select(html: str, selector: str) -> str:
    """Keep the page's head and only the parts a CSS selector picks as its body."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise InvalidArticle(f"the page cannot be parsed ({exc})") from None
    picked = tree.xpath(css_to_xpath(selector))
    if not picked:
        raise InvalidArticle(f"the selector {selector!r} matches nothing on the page")
    head = tree.find("head")
    parts = [etree.tostring(p, encoding="unicode") for p in picked]
    head_html = etree.tostring(head, encoding="unicode") if head is not None else ""
    return f"<html>{head_html}<body><article>{''.join(parts)}</article></body></html>"


def _drop_furniture(article: Article, patterns: tuple[str, ...]) -> Article:
    if not patterns:
        return article
    compiled = [re.compile(p) for p in patterns]
    blocks = [b for b in article.body.split("\n\n") if b.strip()]
    kept = [b for b in blocks if not any(p.fullmatch(b.strip()) for p in compiled)]
    return make_article(**{**article.__dict__, "body": "\n\n".join(kept)})


def extract(fetched: Fetched, source: Source) -> Article:
    """Extract the article from a fetched page by the source's rules (InvalidArticle if none)."""
    kind = fetched.content_type.lower()
    head = fetched.body[:512].lstrip().lower()
    if (kind and kind not in _HTML_TYPES) or (not kind and b"<html" not in head):
        raise _NotHtml(f"not an HTML page ({kind or 'unknown type'})")
    from lxml import etree

    html = fetched.text()
    if not html.strip():
        raise InvalidArticle("the page is empty")
    if source.selector:
        html = _select(html, source.selector)
    try:
        article = parse_html(html, "pending", source.name, fetched.url)
    except etree.LxmlError as exc:
        raise InvalidArticle(f"the page cannot be parsed ({exc})") from None
    return _drop_furniture(article, source.text.furniture)


class _NotHtml(InvalidArticle):
    """The response is not an HTML page."""


def _looks_like_feed(fetched: Fetched) -> bool:
    kind = fetched.content_type.lower()
    head = fetched.body[:512].lstrip().lower()
    return kind in _FEED_TYPES or head.startswith((b"<?xml", b"<rss", b"<feed"))


def _source_for(settings: SourceSettings, url: str) -> Source:
    for source in settings.sources.values():
        if url in source.feeds or url in source.pages:
            return source
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    name = settings.guess_source(url=f"https://{host}/")
    if name:
        return settings.sources[name]
    return Source(slugify(host) or "web")


class Watcher:
    """Runs rounds over an archive's sources; saving is serialised on one writer thread."""

    def __init__(
        self,
        vault: Vault,
        clock: Callable[[], datetime] = _utcnow,
        options: FetchOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.vault = vault
        self.clock = clock
        self.options = options or FetchOptions()
        self._transport = transport
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="versionvault-watch")
        self.state = WatchState(vault.index)

    def close(self) -> None:
        """Release the writer thread and its index connection."""
        self._writer.submit(self.vault.index.close).result()
        self._writer.shutdown()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, partial(func, *args))

    def run_once(self, targets: Sequence[str] = ()) -> RoundReport:
        """Run one round (see `run_round`) from synchronous code."""
        return asyncio.run(self.run_round(targets))

    async def run_round(self, targets: Sequence[str] = ()) -> RoundReport:
        """Check every feed, then every page that is due; with `targets`, only those URLs."""
        now = self.clock().astimezone(UTC)
        began = time.monotonic()
        tally = _Tally(now)
        try:
            settings = self.vault.sources
        except VaultError as exc:
            tally.warnings.append(WatchWarning("", "sources.toml", "settings", str(exc)))
            settings = SourceSettings({})
        fetcher = Fetcher(self.options, self._transport)
        pending: list[asyncio.Future[None]] = []

        def later(func: Callable[..., None]) -> Callable[[Fetched], Any]:
            async def handle(fetched: Fetched) -> None:
                tally.requests += fetched.requests
                pending.append(
                    asyncio.ensure_future(self._call(self._guarded, func, fetched, tally))
                )

            return handle

        try:
            if targets:
                requests = [Request(u, _source_for(settings, u).rate, tag=None) for u in targets]
                await fetcher.run(requests, later(partial(self._target, settings)))
            else:
                await self._call(self._register_pages, settings, tally)
                feeds = [
                    Request(url, source.rate, source.user_agent, tag=source)
                    for source in settings.sources.values()
                    for url in source.feeds
                ]
                feeds = await self._call(self._with_validators, feeds)
                await fetcher.run(feeds, later(self._feed))
            await asyncio.gather(*pending)
            pending.clear()
            pages = await self._call(self._due_requests, settings, tally, bool(targets))
            await fetcher.run(pages, later(partial(self._page, settings)))
            await asyncio.gather(*pending)
        finally:
            await fetcher.aclose()
        if tally.saved or tally.events:
            await self._call(self._push_mirrors, tally)
        report = RoundReport(
            started=now,
            finished=now + timedelta(seconds=round(time.monotonic() - began, 3)),
            feeds=tally.feeds,
            pages=tally.pages,
            requests=tally.requests,
            not_modified=tally.not_modified,
            saved=tally.saved,
            unchanged=tally.unchanged,
            events=tally.events,
            warnings=tuple(tally.warnings),
        )
        await self._call(self._finish, settings, tally, report, bool(targets))
        return report

    async def run_forever(
        self,
        interval: float = 900.0,
        report: Callable[[RoundReport], None] | None = None,
        stop: asyncio.Event | None = None,
        targets: Sequence[str] = (),
    ) -> None:
        """Run a round every `interval` seconds until `stop` is set."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            started = time.monotonic()
            try:
                result = await self.run_round(targets)
            except Exception:  # a service outlives one bad round; the log keeps the cause
                log.exception("a watch round failed")
            else:
                if report:
                    report(result)
            wait = max(1.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    # -- on the writer thread ----------------------------------------------------------------

    def _guarded(
        self, func: Callable[[Fetched, _Tally], None], fetched: Fetched, tally: _Tally
    ) -> None:
        try:
            func(fetched, tally)
        except Exception as exc:  # one bad page must not stop a round
            log.exception("watching %s failed", fetched.request.url)
            self._warn(tally, "", fetched.request.url, "error", f"internal error: {exc!r}")

    def _warn(self, tally: _Tally, source: str, url: str, kind: str, message: str) -> None:
        log.warning("%s: %s (%s)", url or source, message, kind)
        tally.warnings.append(WatchWarning(source, url, kind, message))
        self.state.warn(source, url, kind, message, _iso(tally.now))

    def _push_mirrors(self, tally: _Tally) -> None:
        for failure in self.vault.push_mirrors():
            self._warn(tally, "", "", "mirror", failure)

    def _with_validators(self, requests: list[Request]) -> list[Request]:
        found = []
        for request in requests:
            state = self.state.feed(request.url)
            if state:
                request = replace(request, etag=state.etag, last_modified=state.last_modified)
            found.append(request)
        return found

    def _register_pages(self, settings: SourceSettings, tally: _Tally) -> None:
        for source in settings.sources.values():
            for url in source.pages:
                tally.listed.add(self._page_for(url, source.name, [], tally.now).id)

    def _page_for(self, url: str, source: str, keys: list[str], now: datetime) -> WatchedPage:
        keys = [normalize_url(url), *keys]
        known = self.state.pages_for(keys)
        if not known:
            return self.state.add_page(url, source, _iso(now), keys)
        page = known[0]
        self.state.add_keys(page.id, keys)
        return page

    def _target(self, settings: SourceSettings, fetched: Fetched, tally: _Tally) -> None:
        source = _source_for(settings, fetched.request.url)
        if fetched.ok and _looks_like_feed(fetched):
            self._feed(replace(fetched, request=replace(fetched.request, tag=source)), tally)
            return
        page = self._page_for(fetched.request.url, source.name, [], tally.now)
        self._page(
            SourceSettings({**settings.sources, source.name: source}),
            replace(fetched, request=replace(fetched.request, tag=page.id)),
            tally,
        )

    def _feed(self, fetched: Fetched, tally: _Tally) -> None:
        source: Source = fetched.request.tag
        url, now = fetched.request.url, tally.now
        tally.feeds += 1
        previous = self.state.feed(url)
        state = previous or FeedState(url, source.name, "", "", "", "")
        state = replace(state, last_checked=_iso(now))
        if fetched.not_modified:
            tally.not_modified += 1
            tally.success.add(source.name)
            self.state.save_feed(replace(state, last_ok=_iso(now)))
            return
        if not fetched.ok:
            self.state.save_feed(state)
            self._warn(tally, source.name, url, "feed", fetched.error or f"HTTP {fetched.status}")
            return
        parsed = feedparser.parse(fetched.body, response_headers={"content-type": "text/xml"})
        entries = [e for e in parsed.entries if e.get("link")]
        if not entries:
            problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
            detail = f"not a feed ({type(problem).__name__})" if problem else "no entries"
            self.state.save_feed(state)
            self._warn(tally, source.name, url, "feed", detail)
            return
        listed: list[int] = []
        for entry in entries:
            link = urljoin(fetched.url, str(entry.get("link")))
            if urlsplit(link).scheme not in ("http", "https"):
                continue
            guid = str(entry.get("id") or "")
            page = self._page_for(link, source.name, [f"guid:{guid}"] if guid else [], now)
            if normalize_url(link) != normalize_url(page.url):
                self._move(page, link)
            listed.append(page.id)
        tally.listed.update(listed)
        for page_id in self.state.relist(url, listed):
            left = self.state.page(page_id)
            if left and left.article and left.state == "active":
                self._event(tally, left, "left-feed", f"no longer listed in {url}")
        self.state.save_feed(
            replace(
                state, etag=fetched.etag, last_modified=fetched.last_modified, last_ok=_iso(now)
            )
        )
        self.state.clear_warnings(url)
        tally.success.add(source.name)

    def _event(self, tally: _Tally, page: WatchedPage, event: str, note: str = "") -> None:
        assert page.article
        self.vault.record_event(page.article, event, tally.now, page.url, note)
        tally.events += 1

    def _due_requests(
        self, settings: SourceSettings, tally: _Tally, targets_only: bool
    ) -> list[Request]:
        due = self.state.due(_iso(tally.now))
        if targets_only:
            due = [p for p in due if p.id in tally.listed]
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

    def _page(self, settings: SourceSettings, fetched: Fetched, tally: _Tally) -> None:
        page = self.state.page(fetched.request.tag)
        if page is None:
            return
        source = settings.sources.get(page.source) or Source(page.source)
        now = tally.now
        tally.pages += 1
        upcoming = next_check(datetime.fromisoformat(page.first_seen), now)
        self.state.update(
            page.id,
            last_checked=_iso(now),
            next_check=_iso(upcoming) if upcoming else None,
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
                self._warn(tally, source.name, url, "gone", f"HTTP {fetched.status} on first visit")
            return
        if fetched.blocked:
            self._warn(tally, source.name, url, "robots", fetched.error)
            return
        if fetched.not_modified:
            tally.not_modified += 1
            tally.success.add(source.name)
            self.state.clear_warnings(url)
            return
        if not fetched.ok:
            self._warn(tally, source.name, url, "fetch", fetched.error or f"HTTP {fetched.status}")
            return
        tally.success.add(source.name)
        try:
            article = extract(fetched, source)
        except _NotHtml as exc:
            self._warn(tally, source.name, url, "not-html", str(exc))
            return
        except (InvalidArticle, InvalidSelector) as exc:
            self._warn(tally, source.name, url, "extract", f"not archived: {exc}")
            return
        page = self._identify(page, fetched, article)
        assert page.article
        article = replace(article, id=page.article)
        latest = self.vault.index.latest(page.article)
        words = count_words(article.body)
        if latest and latest.words and words < SHRINK_LIMIT * latest.words:
            self._warn(
                tally,
                source.name,
                url,
                "shrink",
                f"extraction fell from {latest.words} to {words} words; not archived",
            )
            return
        note = "back after removal" if page.state == "removed" else ""
        try:
            result = self.vault.save_revision(article, observed=now, note=note)
        except (VaultError, StoreError) as exc:
            self._warn(tally, source.name, url, "save", f"not archived: {exc}")
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

    def _identify(self, page: WatchedPage, fetched: Fetched, article: Article) -> WatchedPage:
        """Find the article a fetched page is (redirects and canonical links name it too)."""
        keys = [normalize_url(fetched.request.url), normalize_url(fetched.url)]
        canonical = article.url
        if canonical and urlsplit(canonical).hostname == urlsplit(fetched.url).hostname:
            keys.append(normalize_url(canonical))
        else:
            canonical = fetched.url
        for other in self.state.pages_for(keys):
            if other.id == page.id or (other.article and page.article):
                continue
            if other.article:
                self.state.merge(other.id, page.id)
                page = other
            else:
                self.state.merge(page.id, other.id)
        self.state.add_keys(page.id, keys)
        if not page.article:
            self.state.update(page.id, article=self._new_id(canonical, page.source))
        if fetched.url != page.url:
            self._move(page, fetched.url)
        found = self.state.page(page.id)
        assert found is not None
        return found

    def _move(self, page: WatchedPage, url: str) -> None:
        """Fetch the page at `url` from now on, if no other page is known by it."""
        owners = self.state.pages_for([normalize_url(url)])
        if all(owner.id == page.id for owner in owners):
            self.state.add_keys(page.id, [normalize_url(url)])
            self.state.move(page.id, url)

    def _new_id(self, url: str, source: str) -> str:
        base = article_id_for(url)
        candidate, number = base, 1
        while True:
            latest = self.vault.index.latest(candidate)
            taken = self.state.page_of_article(candidate) is not None or (
                latest is not None
                and (latest.source != source or normalize_url(latest.url) != normalize_url(url))
            )
            if not taken:
                return candidate
            number += 1
            suffix = f"-{number}"
            candidate = base[: 100 - len(suffix)].rstrip("-") + suffix

    def _finish(
        self, settings: SourceSettings, tally: _Tally, report: RoundReport, targets: bool
    ) -> None:
        now = _iso(tally.now)
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
                self._warn(tally, name, "", "quiet", f"no new revisions for {days:.0f} days")
            else:
                self.state.clear_warnings("", ("quiet",), name)
        self.state.add_round(report.as_row())


def watch_in_background(
    vault: Vault,
    interval: float = 900.0,
    report: Callable[[RoundReport], None] | None = None,
    clock: Callable[[], datetime] = _utcnow,
    options: FetchOptions | None = None,
) -> Callable[[], None]:
    """Run rounds every `interval` seconds on a thread of their own; return a function to stop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    watcher = Watcher(vault, clock, options)

    async def rounds() -> None:
        stop.append(asyncio.Event())
        ready.set()
        await watcher.run_forever(interval, report, stop[0])

    def run() -> None:
        try:
            loop.run_until_complete(rounds())
        finally:
            watcher.close()
            loop.close()

    thread = threading.Thread(target=run, name="versionvault-watch-rounds", daemon=True)
    thread.start()
    ready.wait()

    def halt(timeout: float = 60.0) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(stop[0].set)
        thread.join(timeout)

    return halt


def status(vault: Vault, limit: int = 200) -> dict[str, Any]:
    """Return the watcher's status as plain data: last round, sources, warnings, schedule."""
    state = WatchState(vault.index)
    problems: list[dict[str, Any]] = []
    try:
        configured = vault.sources.sources
    except VaultError as exc:
        configured = {}
        problems.append(
            {
                "source": "",
                "url": "sources.toml",
                "kind": "settings",
                "message": str(exc),
                "first_seen": None,
                "last_seen": None,
                "count": 1,
            }
        )
    watched = state.sources()
    sources = []
    for name in sorted(set(configured) | set(watched)):
        source = configured.get(name)
        entry = watched.get(name, {})
        sources.append(
            {
                "name": name,
                "configured": source is not None,
                "feeds": list(source.feeds) if source else [],
                "pages": len(source.pages) if source else 0,
                "rate": source.rate if source else None,
                "watched": entry.get("pages", {}),
                "last_success": entry.get("last_success") or None,
                "last_new": entry.get("last_new") or None,
                "new_revisions": entry.get("new_revisions", 0),
            }
        )
    return {
        "last_round": state.last_round(),
        "next_check": state.next_due(),
        "sources": sources,
        "warnings": problems + state.warnings(limit),
    }
