"""The revision page: an article exactly as one revision stored it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Revision
from ..text import Article, Block, parse_blocks
from . import params
from .articles import article_language, details
from .caching import is_full_sha
from .memento import memento_headers
from .site import Site

__all__ = ["RevisionPage", "page"]


@dataclass(frozen=True)
class RevisionPage:
    """What a revision's page shows."""

    article: ArticleRow
    revision: Revision
    text: Article
    blocks: tuple[Block, ...]
    details: tuple[tuple[str, str], ...]
    is_current: bool
    newer: int | None
    immutable: bool
    language: str
    captured: bool


def page(site: Site, request: Request) -> Response:
    """GET /articles/{id}/revisions/{rev}: the article as it was."""
    article_id = request.path_params["id"]
    spec = params.revision_spec(request.path_params["rev"])
    immutable = is_full_sha(spec)
    fresh = site.freshness(request, immutable)
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    article = vault.article(article_id)
    revision = vault.revision(article_id, spec)
    text = vault.text(revision)
    is_current = revision.number == article.revisions and not immutable
    newer = revision.number + 1 if revision.number < article.revisions and not immutable else None
    model = RevisionPage(
        article=article,
        revision=revision,
        text=text,
        blocks=parse_blocks(text.body),
        details=details(text),
        is_current=is_current,
        newer=newer,
        immutable=immutable,
        language=article_language(text),
        captured=vault.capture(revision) is not None,
    )
    response = site.render(request, "revision.html", model, fresh)
    response.headers.update(memento_headers(request, revision))
    return response
