"""The page as captured: a revision's raw page, shown so that none of its scripts can ever run."""

from __future__ import annotations

from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import Response

from ..archive import ArticleRow, Revision, RevisionNotFound
from ..text import html_encoding, web_label
from . import params
from .caching import is_full_sha
from .site import Site

__all__ = ["CAPTURE_POLICY", "CapturePage", "page"]

# The page is its own sandbox (no scripts, forms, popups, plugins; an opaque origin), loads
# nothing from anywhere (the publisher's images, styles and trackers stay away) and can be
# framed by our own wrapper page only.
CAPTURE_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'"
)
_VIEWS = ("page", "text")


@dataclass(frozen=True)
class CapturePage:
    """What the wrapper page around a capture shows."""

    article: ArticleRow
    revision: Revision
    size: int
    charset: str
    how: str


def _raw_kind(view: str, request: Request) -> str:
    """Return the media type a captured page is served as (without its charset).

    A captured page is HTML only inside our wrapper's sandboxed frame: opened on its own (a
    document, or a browser that does not say), it is plain text, so that not even a <meta
    http-equiv=refresh> can take the reader elsewhere.
    """
    framed = request.headers.get("sec-fetch-dest", "") == "iframe"
    return "text/html" if view == "page" and framed else "text/plain"


def page(site: Site, request: Request) -> Response:
    """GET /articles/{id}/revisions/{rev}/capture?view=page|text: the page it came from."""
    article_id = request.path_params["id"]
    spec = params.revision_spec(request.path_params["rev"])
    view = params.text(request, "view")
    if view and view not in _VIEWS:
        raise params.BadRequest(f"'view' must be one of {', '.join(_VIEWS)}, not {view[:40]!r}")
    fresh = site.freshness(request, is_full_sha(spec))
    kind = _raw_kind(view, request) if view else ""
    if kind:  # the HTML and the text of one page are two representations: two validators
        fresh = replace(fresh, etag=f'{fresh.etag[:-1]}-{kind.split("/")[1]}"')
    if (cached := fresh.not_modified(request)) is not None:
        return cached
    vault = site.vault
    revision = vault.revision(article_id, spec)
    captured = vault.capture(revision)
    if captured is None:
        raise RevisionNotFound(
            f"revision {revision.number} of {article_id} has no captured page: it did not "
            "come from a fetched or ingested HTML page"
        )
    codec, how = html_encoding(captured)
    if kind:
        return Response(
            captured,
            media_type=f"{kind}; charset={web_label(codec)}",
            headers={
                **fresh.headers(),
                "Content-Security-Policy": CAPTURE_POLICY,
                "X-Frame-Options": "SAMEORIGIN",
                "Vary": "Sec-Fetch-Dest",
            },
        )
    model = CapturePage(vault.article(article_id), revision, len(captured), web_label(codec), how)
    return site.render(request, "capture.html", model, fresh)
