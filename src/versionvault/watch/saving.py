"""Saving: where the watcher's revisions go, the local Vault or a primary's write API over HTTP."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from .. import __version__
from ..archive import (
    ArticleNotFound,
    Index,
    Revision,
    SaveResult,
    SourceSettings,
    StaleRevision,
    Vault,
    VaultError,
    load_sources,
    primary_site,
)
from ..text import FIELD_ORDER, Article, InvalidArticle, repeated_affixes

__all__ = ["LocalSaver", "RemoteSaver", "Saver"]

_TITLES_TTL = 300.0


class Saver(Protocol):
    """What the watcher needs of an archive: settings, the latest revision, saves and events.

    `index` is where the watcher keeps its own state (schedule, validators, warnings).
    """

    index: Index

    @property
    def sources(self) -> SourceSettings:
        """Return the sources to watch."""
        ...

    def latest(self, article_id: str) -> Revision | None:
        """Return the article's latest revision, or None if it is new."""
        ...

    def site_names(self, source: str, article_id: str) -> tuple[str, ...]:
        """Return the site names the source's stored titles share (see Vault.site_names)."""
        ...

    def save_revision(
        self,
        article: Article,
        observed: datetime,
        note: str,
        expected: str | None,
        capture: bytes | None = None,
    ) -> SaveResult:
        """Save unless unchanged; StaleRevision if the latest is no longer `expected`.

        `capture` is the fetched page, kept with the revision where the archive can.
        """
        ...

    def record_event(
        self, article_id: str, event: str, observed: datetime, url: str, note: str
    ) -> str:
        """Record an event (`removed`, `left-feed`); return its commit."""
        ...

    def push_mirrors(self) -> list[str]:
        """Push the archive to its mirrors; return one line per failure."""
        ...

    def close(self) -> None:
        """Release what the saver holds (not the index: the watcher closes it)."""
        ...


class LocalSaver:
    """Saves into a Vault in this process."""

    def __init__(self, vault: Vault) -> None:
        vault.check_writable()
        self.vault = vault
        self.index = vault.index

    @property
    def sources(self) -> SourceSettings:
        """Return the archive's sources."""
        return self.vault.sources

    def latest(self, article_id: str) -> Revision | None:
        """Return the latest revision from the index."""
        return self.vault.index.latest(article_id)

    def site_names(self, source: str, article_id: str) -> tuple[str, ...]:
        """Return the Vault's site names of the source."""
        return self.vault.site_names(source, article_id)

    def save_revision(
        self,
        article: Article,
        observed: datetime,
        note: str,
        expected: str | None,
        capture: bytes | None = None,
    ) -> SaveResult:
        """Save through the Vault (its write lock and compare-and-swap), with the page."""
        return self.vault.save_revision(article, observed, note, expected=expected, capture=capture)

    def record_event(
        self, article_id: str, event: str, observed: datetime, url: str, note: str
    ) -> str:
        """Record the event through the Vault."""
        return self.vault.record_event(article_id, event, observed, url, note)

    def push_mirrors(self) -> list[str]:
        """Push to the mirrors of sources.toml."""
        return self.vault.push_mirrors()

    def close(self) -> None:
        """Nothing to release: the caller owns the Vault."""


class RemoteSaver:
    """Saves through a primary's write API with an editor's token; keeps watch state locally.

    `home` holds the watcher's `sources.toml` and, in `index.sqlite3`, its own state.
    """

    def __init__(
        self,
        primary: str,
        token: str,
        home: Path,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token.strip():
            raise VaultError("a remote watcher needs an editor's token: --token TOKEN")
        self.primary = primary_site(primary)
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.index = Index(home / "index.sqlite3")
        self._client = httpx.Client(
            base_url=self.primary,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "User-Agent": f"VersionVault/{__version__} remote watcher",
            },
            timeout=timeout,
            transport=transport,
        )
        self._titles: dict[str, tuple[float, list[tuple[str, str]]]] = {}

    @property
    def sources(self) -> SourceSettings:
        """Return the sources of the local `sources.toml`."""
        try:
            return load_sources(self.home / "sources.toml")
        except InvalidArticle as exc:
            raise VaultError(str(exc)) from None

    def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise VaultError(f"cannot reach the primary at {self.primary}: {exc}") from None
        if response.status_code < 400 or response.status_code in (404, 409):
            return response
        try:
            message = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            message = ""
        raise VaultError(
            f"the primary at {self.primary} answered {response.status_code}"
            + (f": {message}" if message else "")
        )

    def latest(self, article_id: str) -> Revision | None:
        """Return the latest revision, read with GET /api/articles/{id}."""
        response = self._call("GET", f"/api/articles/{quote(article_id)}")
        if response.status_code == 404:
            return None
        revisions = _json(response, self.primary).get("revisions") or []
        return _revision(revisions[-1], self.primary) if revisions else None

    def site_names(self, source: str, article_id: str) -> tuple[str, ...]:
        """Return the site names of the source's titles on the primary (its first page of them).

        They are read at most every few minutes per source; if the primary cannot say, none.
        """
        now = time.monotonic()
        cached = self._titles.get(source)
        if cached is None or now - cached[0] > _TITLES_TTL:
            try:
                response = self._call("GET", "/api/articles", params={"source": source})
                rows = _json(response, self.primary).get("articles") or []
                titles = [(str(r.get("id", "")), str(r.get("title", ""))) for r in rows]
            except (VaultError, AttributeError):
                return ()
            cached = (now, titles)
            self._titles[source] = cached
        return repeated_affixes(title for key, title in cached[1] if key != article_id)

    def save_revision(
        self,
        article: Article,
        observed: datetime,
        note: str,
        expected: str | None,
        capture: bytes | None = None,
    ) -> SaveResult:
        """POST /api/articles/{id}/revisions, with If-Match when there is a latest revision.

        The write API takes text only: the page (`capture`) stays with the remote watcher.
        """
        payload = {name: getattr(article, name) for name in FIELD_ORDER if getattr(article, name)}
        payload.update(body=article.body, observed=observed.isoformat())
        if note:
            payload["note"] = note
        headers = {"If-Match": expected} if expected else {}
        path = f"/api/articles/{quote(article.id)}/revisions"
        response = self._call("POST", path, json=payload, headers=headers)
        data = _json(response, self.primary)
        if response.status_code == 409:
            raise StaleRevision(str(data.get("error", "stale")), str(data.get("current", "")))
        if response.status_code == 404:
            raise VaultError(f"the primary at {self.primary} has no write API (404)")
        return SaveResult(
            str(data["status"]), article.id, int(data["revision"]), str(data["commit"])
        )

    def record_event(
        self, article_id: str, event: str, observed: datetime, url: str, note: str
    ) -> str:
        """POST /api/articles/{id}/events."""
        payload = {"event": event, "observed": observed.isoformat(), "url": url, "note": note}
        path = f"/api/articles/{quote(article_id)}/events"
        response = self._call("POST", path, json={k: v for k, v in payload.items() if v})
        data = _json(response, self.primary)
        if response.status_code == 404:
            raise ArticleNotFound(str(data.get("error", f"no article with id {article_id!r}")))
        return str(data["commit"])

    def push_mirrors(self) -> list[str]:
        """Nothing to push from here: the primary holds the archive."""
        return []

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _json(response: httpx.Response, primary: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise VaultError(f"the primary at {primary} did not answer JSON ({response.status_code})")
    return data


def _revision(data: dict[str, Any], primary: str) -> Revision:
    """Return a revision from its API form (`Revision.as_dict`); it names no blob."""
    try:
        return Revision(
            article=str(data["article"]),
            source=str(data["source"]),
            number=int(data["revision"]),
            commit=str(data["commit"]),
            blob="",
            author=str(data["author"]),
            editor=str(data.get("editor") or ""),
            author_time=str(data["updated"]),
            observed=str(data["observed"]),
            archived=str(data["archived"]),
            title=str(data["title"]),
            url=str(data.get("url") or ""),
            words=int(data["words"]),
            words_added=int(data["words_added"]),
            words_removed=int(data["words_removed"]),
            kind=str(data["kind"]),
            headline_changed=bool(data["headline_changed"]),
            note=str(data.get("note") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultError(f"the primary at {primary} sent a revision without {exc}") from None
