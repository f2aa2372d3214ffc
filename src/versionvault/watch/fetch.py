"""Fetch layer: polite HTTP for the watcher (robots.txt, rate limits, conditional GET, retries)."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from .. import __version__
from ..text import decode_html

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchOptions",
    "Fetched",
    "Fetcher",
    "Request",
    "domain_of",
]

DEFAULT_USER_AGENT = f"VersionVault/{__version__} (news archive; polite watcher)"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchOptions:
    """How the fetcher behaves; the defaults suit real publishers."""

    timeout: float = 20.0
    retries: int = 2
    backoff: float = 2.0
    max_retry_after: float = 120.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    connections: int = 16
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class Request:
    """One URL to get, with the domain's rate (per minute) and the validators from last time."""

    url: str
    rate: float = 30.0
    user_agent: str = ""
    etag: str = ""
    last_modified: str = ""
    tag: Any = None


@dataclass(frozen=True)
class Fetched:
    """The outcome of a request: the final URL, status (0 if none), body and validators."""

    request: Request
    url: str
    status: int = 0
    body: bytes = b""
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""
    error: str = ""
    blocked: bool = False
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Return True for a 2xx response with a body read in full."""
        return 200 <= self.status < 300 and not self.error

    @property
    def not_modified(self) -> bool:
        """Return True for a 304 answer to a conditional request."""
        return self.status == 304

    def text(self) -> str:
        """Return the body decoded as a browser would: BOM, HTTP charset, <meta>, detection."""
        return decode_html(self.body, self.charset)


def domain_of(url: str) -> str:
    """Return the host (and port) a URL is rate limited under."""
    return urlsplit(url).netloc.lower()


@dataclass
class _Domain:
    interval: float
    next_slot: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            if now < self.next_slot:
                await asyncio.sleep(self.next_slot - now)
                now = time.monotonic()
            self.next_slot = max(now, self.next_slot) + self.interval


def _retry_after(value: str, now: float) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


class Fetcher:
    """An HTTP client that keeps to each domain's rate, robots.txt, and one queue per domain."""

    def __init__(
        self, options: FetchOptions | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.options = options or FetchOptions()
        self._client = httpx.AsyncClient(
            timeout=self.options.timeout, follow_redirects=False, transport=transport
        )
        self._domains: dict[str, _Domain] = {}
        self._robots: dict[str, RobotFileParser | _Refusal] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(self.options.connections)
        self.requests = 0

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def run(
        self, requests: Iterable[Request], handle: Callable[[Fetched], Awaitable[None]]
    ) -> None:
        """Fetch every request, one queue per domain, domains concurrently; hand each result on."""
        queues: dict[str, list[Request]] = {}
        for request in requests:
            queues.setdefault(domain_of(request.url), []).append(request)

        async def drain(queue: list[Request]) -> None:
            for request in queue:
                await handle(await self.fetch(request))

        await asyncio.gather(*(drain(q) for q in queues.values()))

    def _domain(self, url: str, rate: float) -> _Domain:
        interval = 60.0 / rate
        domain = self._domains.get(domain_of(url))
        if domain is None:
            domain = self._domains[domain_of(url)] = _Domain(interval)
        domain.interval = max(domain.interval, interval)
        return domain

    async def _get(
        self, url: str, request: Request, headers: dict[str, str]
    ) -> tuple[httpx.Response, bytes]:
        await self._domain(url, request.rate).wait()
        self.requests += 1
        async with (
            self._slots,
            self._client.stream("GET", url, headers=headers) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():  # read in full: the connection is reused
                body.extend(chunk)
                if len(body) > self.options.max_bytes:
                    raise _TooLarge
            return response, bytes(body)

    async def fetch(self, request: Request) -> Fetched:
        """Get one URL: robots.txt first, redirects one hop at a time, retries with backoff."""
        agent = request.user_agent or self.options.user_agent
        headers = {"User-Agent": agent, "Accept-Encoding": "gzip, deflate"}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        url, count, attempt = request.url, 0, 0
        result = Fetched(request, url)
        while True:
            if urlsplit(url).scheme not in ("http", "https"):
                return replace(result, url=url, error=f"not an http(s) URL: {url}", requests=count)
            blocked, reason, robots = await self._allowed(url, request, agent)
            count += robots
            if reason:
                return replace(result, url=url, error=reason, blocked=blocked, requests=count)
            try:
                count += 1
                response, body = await self._get(url, request, headers)
            except _TooLarge:
                limit = self.options.max_bytes / 1e6
                return replace(result, url=url, error=f"larger than {limit:.0f} MB", requests=count)
            except httpx.HTTPError as exc:
                if attempt < self.options.retries:
                    await asyncio.sleep(self.options.backoff * 2**attempt)
                    attempt += 1
                    continue
                message = str(exc) or type(exc).__name__
                return replace(result, url=url, error=f"unreachable: {message}", requests=count)
            status = response.status_code
            if status in _RETRY_STATUS and attempt < self.options.retries:
                delay = self.options.backoff * 2**attempt
                wait = _retry_after(response.headers.get("retry-after", ""), time.time())
                await asyncio.sleep(min(max(delay, wait or 0.0), self.options.max_retry_after))
                attempt += 1
                continue
            location = response.headers.get("location", "")
            if status in _REDIRECT_STATUS and location:
                if count > self.options.max_redirects:
                    return replace(result, url=url, error="too many redirects", requests=count)
                url = urljoin(url, location)
                continue
            error = "" if status < 400 or status in (404, 410) else f"HTTP {status}"
            return Fetched(
                request=request,
                url=url,
                status=status,
                body=body,
                content_type=response.headers.get("content-type", "").split(";")[0].strip(),
                charset=response.charset_encoding or "",
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
                error=error,
                requests=count,
            )

    async def _allowed(self, url: str, request: Request, agent: str) -> tuple[bool, str, int]:
        """Return (blocked by robots.txt, why not allowed, robots.txt requests made)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        fetched = 0
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin, request, agent)
                fetched = 1
        rules = self._robots[origin]
        if isinstance(rules, _Refusal):
            return rules.blocked, rules.reason, fetched
        if not rules.can_fetch(agent, url):
            return True, "disallowed by robots.txt", fetched
        delay = rules.crawl_delay(agent)
        if delay:
            domain = self._domain(url, request.rate)
            domain.interval = max(domain.interval, float(delay))
        return False, "", fetched

    async def _read_robots(
        self, origin: str, request: Request, agent: str
    ) -> RobotFileParser | _Refusal:
        rules = RobotFileParser(origin + "/robots.txt")
        robots = replace(request, url=origin + "/robots.txt", etag="", last_modified="")
        headers = {"User-Agent": agent}
        try:
            response, body = await self._get(robots.url, robots, headers)
        except (httpx.HTTPError, _TooLarge) as exc:
            return _Refusal(f"unreachable: {str(exc) or type(exc).__name__}", blocked=False)
        status = response.status_code
        if status in (401, 403):
            rules.parse(["User-agent: *", "Disallow: /"])
        elif status >= 500:
            return _Refusal(f"robots.txt answered HTTP {status}; not fetching", blocked=True)
        elif status >= 300:
            rules.parse([])
        else:
            rules.parse(body.decode("utf-8", errors="replace").splitlines())
        rules.modified()
        return rules


class _TooLarge(Exception):
    """A body over the size limit."""


@dataclass(frozen=True)
class _Refusal:
    reason: str
    blocked: bool
