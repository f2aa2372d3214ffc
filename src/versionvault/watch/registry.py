"""Page identity: which watched page a URL or feed entry names, and its article id."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..archive import Revision
from ..text import Article, slugify
from .fetch import Fetched
from .schedule import iso
from .state import WatchedPage, WatchState

__all__ = ["Registry", "article_id_for", "free_article_id", "normalize_url"]

_TRACKING = re.compile(r"utm_.*|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid")


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


class Registry:
    """Finds, registers and merges watched pages by the keys that name them."""

    def __init__(self, state: WatchState, latest: Callable[[str], Revision | None]) -> None:
        self.state = state
        self._latest = latest

    def page_for(self, url: str, source: str, keys: list[str], now: datetime) -> WatchedPage:
        """Return the page `url` or `keys` name, registering a new one if none does."""
        keys = [normalize_url(url), *keys]
        known = self.state.pages_for(keys)
        if not known:
            return self.state.add_page(url, source, iso(now), keys)
        page = known[0]
        self.state.add_keys(page.id, keys)
        return page

    def identify(self, page: WatchedPage, fetched: Fetched, article: Article) -> WatchedPage:
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
            self.move(page, fetched.url)
        found = self.state.page(page.id)
        assert found is not None
        return found

    def move(self, page: WatchedPage, url: str) -> None:
        """Fetch the page at `url` from now on, if no other page is known by it."""
        owners = self.state.pages_for([normalize_url(url)])
        if all(owner.id == page.id for owner in owners):
            self.state.add_keys(page.id, [normalize_url(url)])
            self.state.move(page.id, url)

    def _new_id(self, url: str, source: str) -> str:
        return free_article_id(
            self._latest, url, source, lambda c: self.state.page_of_article(c) is not None
        )


def free_article_id(
    latest: Callable[[str], Revision | None],
    url: str,
    source: str,
    taken: Callable[[str], bool] = lambda _: False,
) -> str:
    """Return the id of the article at `url`: `article_id_for(url)`, numbered if it is taken.

    An id is taken by `taken(id)`, or when `latest(id)` has it for another source or URL.
    """
    base = article_id_for(url)
    candidate, number = base, 1
    while True:
        found = latest(candidate)
        if not taken(candidate) and (
            found is None
            or (found.source == source and normalize_url(found.url) == normalize_url(url))
        ):
            return candidate
        number += 1
        suffix = f"-{number}"
        candidate = base[: 100 - len(suffix)].rstrip("-") + suffix
