"""The blame page and its JSON: which revision wrote each block of a revision."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..archive import ArticleRow, Revision, blame_of
from ..text import Block, parse_blocks
from . import params
from .caching import is_full_sha
from .site import Site

__all__ = ["BlamePage", "BlameRow", "api", "page"]

_SHADES = 5  # the gutter's shades, from the newest wording to the oldest


@dataclass(frozen=True)
class BlameRow:
    """One block with the revisions behind it, ready to display: `blocks` is its text parsed
    as the article page shows it (a heading, list, quote, table or paragraph)."""

    text: str
    blocks: tuple[Block, ...]
    revision: Revision
    first: Revision
    shade: int
    new: bool


@dataclass(frozen=True)
class BlamePage:
    """What the blame page shows."""

    article: ArticleRow
    revision: Revision
    latest: Revision
    rows: tuple[BlameRow, ...]
    writers: tuple[tuple[Revision, int], ...]
    immutable: bool


def page(site: Site, request: Request) -> Response:
    """GET /articles/{id}/blame?rev=: every block of a revision with the revision that wrote
    it and the one where it first appeared, each linked to the diff that brought it."""
    spec = params.revision_spec(params.text(request, "rev") or "latest", "rev")
    fresh = site.freshness(request, is_full_sha(spec))
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    result = blame_of(vault, request.path_params["id"], spec)
    history = {r.number: r for r in vault.history(result.article)}
    numbers = sorted({block.revision for block in result.blocks}, reverse=True)
    shade = {number: min(k, _SHADES - 1) for k, number in enumerate(numbers)}
    rows = tuple(
        BlameRow(
            text=block.text,
            blocks=parse_blocks(block.text),
            revision=history[block.revision],
            first=history[block.first],
            shade=shade[block.revision],
            new=block.first == block.revision,
        )
        for block in result.blocks
    )
    counts = {number: 0 for number in numbers}
    for block in result.blocks:
        counts[block.revision] += 1
    model = BlamePage(
        article=vault.article(result.article),
        revision=result.revision,
        latest=history[max(history)],
        rows=rows,
        writers=tuple((history[number], counts[number]) for number in numbers),
        immutable=is_full_sha(spec),
    )
    return site.render(request, "blame.html", model, fresh)


def api(site: Site, request: Request) -> Response:
    """GET /api/articles/{id}/blame?rev=: {"article", "revision", "blocks": [{"text",
    "revision", "commit", "first"}, ...]}, blocks in document order."""
    spec = params.revision_spec(params.text(request, "rev") or "latest", "rev")
    fresh = site.freshness(request, is_full_sha(spec))
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    result = blame_of(site.vault, request.path_params["id"], spec)
    return JSONResponse(result.as_dict(), headers=fresh.headers())
