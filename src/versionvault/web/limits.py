"""Limits: request bodies that crawl are cut off with a 408; compressed bodies only where read."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "BODY_GRACE_SECONDS",
    "BODY_IDLE_SECONDS",
    "BODY_MIN_RATE",
    "HEADER_SECONDS",
    "PromptH11Protocol",
    "RequestLimits",
]

BODY_IDLE_SECONDS = 10.0  # the longest wait for the next piece of a request body
BODY_MIN_RATE = 1024  # bytes a second a body must average, once its grace is over
BODY_GRACE_SECONDS = 10.0
HEADER_SECONDS = 10.0  # a connection's request headers must be complete this soon
COMPRESSED_BODIES = ("/archive.git/",)  # the routes that inflate a body themselves


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return ""


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return (length.isdigit() and int(length) > 0) or bool(_header(scope, b"transfer-encoding"))


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """Answer `status` with the message (JSON on the API) and close the connection."""
    if scope["path"] == "/api" or scope["path"].startswith("/api/"):
        body, media = json.dumps({"error": message}).encode(), b"application/json"
    else:
        body, media = f"{message}\n".encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", media), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, _CLOSE]})
    await send({"type": "http.response.body", "body": body})


_CLOSE = (b"connection", b"close")


class _Body:
    """One request's body as the app reads it, timed: too slow, and the request gets a 408."""

    def __init__(self, limits: RequestLimits, scope: Scope, receive: Receive, send: Send) -> None:
        self.limits, self.scope, self._receive, self._send = limits, scope, receive, send
        self.pending = _has_body(scope)  # body bytes may still come
        self.answered = self.cut_off = self.gone = False
        self.started = self.last = 0.0
        self.received = 0

    def _patience(self) -> float:
        """Seconds the next piece may take: the idle bound, or what keeps the average rate."""
        now = time.monotonic()
        if not self.started:
            self.started = self.last = now
        limits = self.limits
        keeps_rate = self.started + limits.grace + self.received / limits.min_rate
        return max(0.0, min(self.last + limits.idle, keeps_rate) - now)

    async def receive(self) -> Message:
        if self.cut_off:
            return {"type": "http.disconnect"}
        if not self.pending or self.answered:
            return await self._receive()
        message: Message | None = None
        with anyio.move_on_after(self._patience()):
            message = await self._receive()
        if message is None:
            self.cut_off = True
            rate = self.limits.min_rate
            why = f"the request body came too slowly (under {rate} bytes a second): try again"
            await _refuse(self.scope, self._send, 408, why)
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.last = time.monotonic()
            self.pending = bool(message.get("more_body", False))
        elif message["type"] == "http.disconnect":
            self.gone = True
        return message

    async def send(self, message: Message) -> None:
        if self.cut_off:
            return  # the 408 went out instead
        if message["type"] == "http.response.start":
            self.answered = True
            if self.pending:  # the app answered without reading the whole body: do not wait for it
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
        await self._send(message)


class RequestLimits:
    """ASGI middleware: time out bodies that crawl; refuse Content-Encoding off the git route.

    A body must bring its next piece within `idle` seconds and, after `grace` seconds,
    average at least `min_rate` bytes a second; else the request is answered 408 and the
    connection closed. The JSON API and the site read bodies as sent: a gzip or deflate
    body there is a 415 (the git route inflates its own, under its size cap).
    """

    def __init__(
        self,
        app: ASGIApp,
        idle: float = BODY_IDLE_SECONDS,
        min_rate: int = BODY_MIN_RATE,
        grace: float = BODY_GRACE_SECONDS,
    ) -> None:
        self.app, self.idle, self.min_rate, self.grace = app, idle, min_rate, grace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = _header(scope, b"content-encoding").lower()
        if encoding not in ("", "identity") and not scope["path"].startswith(COMPRESSED_BODIES):
            message = f"Content-Encoding {encoding!r} is not accepted here: send the body as is"
            await _refuse(scope, send, 415, message)
            return
        body = _Body(self, scope, receive, send)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if body.cut_off or body.gone:
                return  # answered 408, or nobody is listening: nothing more to say
            raise


class PromptH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, but a connection must send whole request headers promptly.

    uvicorn waits forever for a connection's first request, and a byte now and then keeps
    its keep-alive wait going; here the headers of each request must be complete within
    HEADER_SECONDS of the connection opening or of the previous answer.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._expect_headers()

    def _expect_headers(self) -> None:
        self.loop.call_later(HEADER_SECONDS, self._headers_due, self.cycle)

    def _headers_due(self, cycle: Any) -> None:
        idle = cycle is None or cycle.response_complete
        if self.cycle is cycle and idle and not self.transport.is_closing():
            self.transport.close()
