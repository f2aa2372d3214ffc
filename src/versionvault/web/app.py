"""The site's ASGI app: one routes table, security headers and error pages."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..archive import (
    ArticleNotFound,
    DiskFull,
    RevisionNotFound,
    Vault,
    VaultError,
    site_base_url,
)
from ..gitserve import create_git_app
from . import (
    api,
    articles,
    blame,
    captures,
    card,
    diffs,
    feeds,
    memento,
    recent,
    revisions,
    status,
)
from .assets import Compress, FingerprintedStatic
from .edit import edit_routes
from .editing import editing_routes
from .limits import RequestLimits
from .params import BadRequest
from .session import SessionCookies, Sessions, session_routes
from .site import Settings, Site

__all__ = ["CONTENT_SECURITY_POLICY", "ErrorPage", "SecurityHeaders", "create_app", "routes"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 500: "Server error"}
_TITLES[507] = "The disk is full"


class SecurityHeaders:
    """ASGI middleware: add the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class ErrorPage:
    """What an error page shows."""

    status: int
    title: str
    message: str


def routes(site: Site, sessions: Sessions | None = None) -> list[BaseRoute]:
    """Return the routes table: every route of the site, named."""
    view = site.view
    sessions = sessions or Sessions(site.vault.home)
    return [
        Route("/", view(recent.page), name="recent"),
        Route("/changes", view(recent.page), name="changes"),
        Route("/articles", view(articles.browse), name="articles"),
        Route("/articles/{id}", view(articles.show), name="article"),
        Route("/articles/{id}/revisions/{rev}", view(revisions.page), name="revision"),
        Route("/articles/{id}/revisions/{rev}/capture", view(captures.page), name="capture"),
        Route("/articles/{id}/diff", view(diffs.page), name="diff"),
        Route("/feed.atom", view(feeds.archive_feed), name="feed"),
        Route("/articles/{id}/feed.atom", view(feeds.article_feed), name="article_feed"),
        Route("/api/articles", view(api.articles), name="api_articles"),
        Route("/api/articles/{id}", view(api.article), name="api_article"),
        Route("/api/articles/{id}/revisions/{rev}", view(api.revision), name="api_revision"),
        Route("/api/articles/{id}/diff", view(api.diff), name="api_diff"),
        Route("/status", view(status.page), name="status"),
        Route("/articles/{id}/blame", view(blame.page), name="blame"),
        Route("/api/articles/{id}/blame", view(blame.api), name="api_blame"),
        Route("/api/status", view(status.api), name="api_status"),
        Route("/timegate/{url:path}", view(memento.timegate), name="timegate"),
        Route("/timemap/link/{url:path}", view(memento.timemap), name="timemap"),
        *edit_routes(site.vault),
        Route("/articles/{id}/diff.png", view(card.page), name="diff_card"),
        *session_routes(site, sessions),
        *editing_routes(site),
        Mount("/archive.git", app=create_git_app(site.vault.store.path), name="git"),
        Mount("/static", app=FingerprintedStatic(site.static), name="static"),
    ]


def _error(site: Site, request: Request, status: int, message: str) -> Response:
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    page = ErrorPage(status, _TITLES.get(status, f"Error {status}"), message)
    return site.render(request, "error.html", page, status=status)


def create_app(vault: Vault, settings: Settings | None = None, base_url: str = "") -> Starlette:
    """Build the site over an open vault (which the caller closes).

    `base_url` is where readers reach the site (for share cards); default: `[site] base_url`
    of sources.toml, else the address each request came to.
    """
    site = Site(vault, settings or Settings())
    card.install(site, base_url or site_base_url(vault.home / "sources.toml"))
    sessions = Sessions(vault.home)

    def not_found(request: Request, exc: Exception) -> Response:
        return _error(site, request, 404, str(exc))

    def bad_request(request: Request, exc: Exception) -> Response:
        return _error(site, request, 400, str(exc))

    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if exc.status_code != 404 else "there is no page at this address"
        response = _error(site, request, exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response

    def disk_full(request: Request, exc: Exception) -> Response:
        full = DiskFull.of(exc)
        if full is None:
            raise exc  # not the disk: the server error handler answers and logs it
        return _error(site, request, 507, str(full))

    def server_error(request: Request, exc: Exception) -> Response:
        return _error(site, request, 500, "something went wrong on our side")

    table = routes(site, sessions)
    site.learn(table)
    app = Starlette(
        routes=table,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(RequestLimits),
            Middleware(Compress),
            Middleware(SessionCookies, sessions=sessions),
        ],
        exception_handlers={
            ArticleNotFound: not_found,
            RevisionNotFound: not_found,
            BadRequest: bad_request,
            VaultError: bad_request,
            HTTPException: http_error,
            OSError: disk_full,
            Exception: server_error,
        },
    )
    app.state.site = site
    return app
