"""The JSON read API of DESIGN.md: articles, one article, one revision, a diff."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..archive import with_returns
from . import params
from .articles import list_articles
from .caching import Freshness, is_full_sha
from .site import Site, link

__all__ = ["article", "articles", "diff", "revision"]


def _json(data: Any, fresh: Freshness) -> Response:
    return JSONResponse(data, headers=fresh.headers())


def articles(site: Site, request: Request) -> Response:
    """GET /api/articles?source=&q=&page=: articles by source, or those a search matches."""
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    listing = list_articles(site, request)
    items = [asdict(row) for row in listing.articles] or [
        {**asdict(hit.article), "matches": list(hit.revisions), "in_current": hit.in_current}
        for hit in listing.hits
    ]
    number, pages = listing.page, listing.pages
    following: dict[str, str | int | None] = {
        "source": listing.source,
        "q": listing.query,
        "page": number + 1,
    }
    return _json(
        {
            "articles": items,
            "total": listing.total,
            "page": number,
            "pages": pages,
            "next": link(request, "api_articles", following) if number < pages else None,
        },
        fresh,
    )


def article(site: Site, request: Request) -> Response:
    """GET /api/articles/{id}: an article's metadata, its revisions and events, oldest first."""
    article_id = request.path_params["id"]
    fresh = site.freshness(request)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    row = site.vault.article(article_id)
    history = site.vault.history(article_id)
    return _json(
        {
            "article": asdict(row),
            "revisions": [r.as_dict() for r in history],
            "events": [e.as_dict() for e in with_returns(site.vault.events(article_id), history)],
        },
        fresh,
    )


def revision(site: Site, request: Request) -> Response:
    """GET /api/articles/{id}/revisions/{rev}: one revision with its header and text."""
    article_id = request.path_params["id"]
    spec = params.revision_spec(request.path_params["rev"])
    fresh = site.freshness(request, is_full_sha(spec))
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    found = site.vault.revision(article_id, spec)
    text = site.vault.text(found)
    data = {**found.as_dict(), "fields": text.fields(), "body": text.body}
    data["capture"] = site.vault.capture(found) is not None
    if data["capture"]:
        data["capture_url"] = link(request, "capture", id=article_id, rev=found.commit)
    return _json(data, fresh)


def diff(site: Site, request: Request) -> Response:
    """GET /api/articles/{id}/diff?from=&to=: the diff document of DESIGN.md."""
    article_id = request.path_params["id"]
    old_spec = params.revision_spec(params.text(request, "from") or "first", "from")
    new_spec = params.revision_spec(params.text(request, "to") or "latest", "to")
    fresh = site.freshness(request, is_full_sha(old_spec) and is_full_sha(new_spec))
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    old, new = vault.revision(article_id, old_spec), vault.revision(article_id, new_spec)
    return _json(site.diff(old, new).as_dict(), fresh)
