"""Tests for request limits: slow bodies and idle connections closed, compressed bodies refused."""

from __future__ import annotations

import contextlib
import gzip
import json
import selectors
import socket
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from versionvault.archive import Vault
from versionvault.web import RequestLimits, create_app
from versionvault.web.limits import BODY_IDLE_SECONDS, HEADER_SECONDS

from .processes import serve_process
from .serving import serve


def _echo_app(idle: float, grace: float) -> RequestLimits:
    async def echo(request: Request) -> Response:
        return JSONResponse({"bytes": len(await request.body())})

    async def ignore(request: Request) -> Response:
        return Response("ignored")

    app = Starlette(routes=[Route("/api/echo", echo, methods=["POST"]), Route("/", ignore)])
    return RequestLimits(app, idle=idle, min_rate=100, grace=grace)


def _exchange(port: int, head: bytes, pieces: list[bytes], pause: float) -> tuple[bytes, float]:
    """Send request headers, then pieces of body `pause` seconds apart; return what came back."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        for piece in pieces:
            time.sleep(pause)
            try:
                sock.sendall(piece)
            except OSError:
                break
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection
            answer += chunk
    return answer, time.monotonic() - start


def test_a_body_that_stalls_or_crawls_gets_408_and_the_connection_closes() -> None:
    with serve(_echo_app(idle=0.5, grace=1.0)) as base:
        port = int(base.rsplit(":", 1)[1])
        head = b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        answer, took = _exchange(port, head, [b"x" * 10], pause=0.0)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b"too slowly" in answer and b'{"error"' in answer
        assert took < 3
        answer, took = _exchange(port, head, [b"x"] * 40, pause=0.1)  # 10 B/s, under 100
        assert answer.startswith(b"HTTP/1.1 408 ") and took < 4
        fine = httpx.post(f"{base}/api/echo", content=b"y" * 5000)
        assert fine.json() == {"bytes": 5000}
        # an answer given without reading the body closes the connection: no trickle keeps it
        unread = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
        answer, took = _exchange(port, unread, [], pause=0.0)
        assert answer.startswith(b"HTTP/1.1 200 ") and b"connection: close" in answer.lower()


def test_compressed_bodies_are_refused_on_the_api(vault: Vault) -> None:
    with TestClient(create_app(vault)) as client:
        body = gzip.compress(json.dumps({"title": "T", "body": "B"}).encode())
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        refused = client.post("/api/articles/x/revisions", content=body, headers=headers)
        assert refused.status_code == 415
        assert "Content-Encoding" in refused.json()["error"]
        headers["Content-Encoding"] = "deflate"
        page = client.post("/articles/x", content=b"x", headers=headers)
        assert page.status_code == 415


def test_many_slow_and_idle_connections_to_the_real_server_are_closed(
    home: Path, tmp_path: Path
) -> None:
    """100 connections: idle, slow headers, bodies that never come, crawl or go unread."""
    bound = max(HEADER_SECONDS, BODY_IDLE_SECONDS) + 6
    post = (
        b"POST /api/articles/x/revisions HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
    )
    git = (
        b"POST /archive.git/git-upload-pack HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-git-upload-pack-request\r\nContent-Length: 90000\r\n\r\n"
    )
    kinds = {
        "idle": b"",
        "slow headers": b"GET / HTTP/1.1\r\nHo",
        "no body": git,
        "crawl": git,
        "unread": post,  # refused (401) before its body is read: closed at once
    }
    with serve_process(home, tmp_path / "server.log") as server:
        port = int(server.base.rsplit(":", 1)[1])
        selector = selectors.DefaultSelector()
        start = time.monotonic()
        open_ = {}
        for n in range(100):
            kind = list(kinds)[n % len(kinds)]
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(kinds[kind])
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, (kind, bytearray()))
            open_[sock] = kind
        closed: dict[str, list[tuple[float, bytes]]] = {kind: [] for kind in kinds}
        next_drip = time.monotonic() + 1
        asked = False
        while open_ and time.monotonic() - start < bound + 10:
            for key, _ in selector.select(timeout=0.5):
                kind, answer = key.data
                try:
                    chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
                except ConnectionError:
                    chunk = b""
                answer.extend(chunk)
                if not chunk:
                    closed[kind].append((time.monotonic() - start, bytes(answer)))
                    selector.unregister(key.fileobj)
                    open_.pop(key.fileobj)  # type: ignore[call-overload]
                    key.fileobj.close()  # type: ignore[union-attr]
            if time.monotonic() > next_drip:  # a byte a second keeps uvicorn's own waits going
                next_drip += 1
                for sock, kind in open_.items():
                    if kind in ("slow headers", "crawl", "unread"):
                        with contextlib.suppress(OSError):
                            sock.send(b"s" if kind == "slow headers" else b"0")
            if not asked and time.monotonic() - start > 2:  # the site still answers meanwhile
                assert httpx.get(f"{server.base}/", timeout=10).status_code == 200
                asked = True
        for sock in open_:
            sock.close()
        assert not open_, f"still open after {bound + 10} s: {sorted(set(open_.values()))}"
        for kind, ends in closed.items():
            assert len(ends) == 20
            latest = max(t for t, _ in ends)
            print(f"{kind}: 20 closed, the last after {latest:.1f} s")
            assert latest < bound, (kind, latest)
            if kind in ("no body", "crawl"):
                assert all(answer.startswith(b"HTTP/1.1 408 ") for _, answer in ends), kind
            if kind == "unread":
                assert all(answer.startswith(b"HTTP/1.1 401 ") for _, answer in ends)
                assert latest < 5
        log = server.log()
        assert "Traceback" not in log and "Exception in ASGI" not in log, log[-2000:]
