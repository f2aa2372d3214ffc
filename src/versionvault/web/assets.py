"""Light on the wire: fingerprinted static files cached for a year, and gzip except for git."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.datastructures import URL
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .caching import IMMUTABLE, REVALIDATE

__all__ = ["Compress", "FingerprintedStatic", "fingerprints"]

_UNCOMPRESSED = ("/archive.git",)


def fingerprints(folder: Path) -> dict[str, str]:
    """Return each static file's path (relative, with `/`) and a hash of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class FingerprintedStatic:
    """Static files; a request whose `?v=` is the file's hash may be cached for a year."""

    def __init__(self, folder: Path) -> None:
        self.files = StaticFiles(directory=folder)
        self.hashes = fingerprints(folder)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        url = URL(scope=scope)
        name = url.path.removeprefix(scope.get("root_path", "")).lstrip("/")
        fixed = url.query and self.hashes.get(name) == url.query.removeprefix("v=")

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                policy = IMMUTABLE if fixed else REVALIDATE
                message["headers"] = [*headers, (b"cache-control", policy.encode())]
            await send(message)

        await self.files(scope, receive, send_cached)


class Compress:
    """Gzip HTML, JSON, feeds and static text for clients that accept it; never git's traffic.

    `git clone` speaks its own protocol over /archive.git (packs are compressed already and
    git clients handle encodings of their own), so those requests pass through untouched.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 500) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        root = scope.get("root_path", "")
        if scope["type"] != "http" or path.removeprefix(root).startswith(_UNCOMPRESSED):
            await self.app(scope, receive, send)
            return

        async def app(scope: Scope, receive: Receive, compress: Send) -> None:
            async def relay(message: Message) -> None:
                # gzip passes on only the response itself: other messages (such as the
                # template a test client asks to see) go straight out
                await (send if message["type"] == "http.response.debug" else compress)(message)

            await self.app(scope, receive, relay)

        await GZipMiddleware(app, minimum_size=self.minimum_size)(scope, receive, send)
