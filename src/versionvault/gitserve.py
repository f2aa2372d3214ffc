"""Git layer for clones: read-only smart HTTP (upload-pack) over dulwich, native ASGI."""

from __future__ import annotations

import gzip
import queue
import threading
import zlib
from collections.abc import AsyncIterator, Callable
from io import BytesIO
from pathlib import Path

import anyio.to_thread
from dulwich.protocol import ReceivableProtocol, pkt_line
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend, UploadPackHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["CHUNK_SIZE", "READ_ONLY_MESSAGE", "create_git_app"]

CHUNK_SIZE = 256 * 1024
MAX_REQUEST_BYTES = 16 * 1024 * 1024
READ_ONLY_MESSAGE = "this VersionVault archive is read-only: push is refused"
_NO_CACHE = {"Cache-Control": "no-cache, max-age=0, must-revalidate", "Expires": "0"}
_END = object()

Writer = Callable[[bytes], None]


class _Cancelled(Exception):
    """The client went away; the pack writer stops."""


def _run_upload_pack(repo_path: Path, body: bytes, advertise: bool, write: Writer) -> None:
    repo = Repo(str(repo_path))
    try:

        def write_fn(data: bytes) -> int:
            write(data)
            return len(data)

        proto = ReceivableProtocol(BytesIO(body).read, write_fn)
        repos: dict[str, BackendRepo] = {"/": repo}
        backend = DictBackend(repos)
        handler = UploadPackHandler(
            backend, ["/"], proto, stateless_rpc=True, advertise_refs=advertise
        )
        if advertise:
            proto.write_pkt_line(b"# service=git-upload-pack\n")
            proto.write_pkt_line(None)
        handler.handle()
    finally:
        repo.close()


async def _stream(job: Callable[[Writer], None]) -> AsyncIterator[bytes]:
    """Run `job` in a thread and yield what it writes in chunks of about CHUNK_SIZE."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=8)
    cancelled = threading.Event()

    def put(item: object) -> None:
        while not cancelled.is_set():
            try:
                chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise _Cancelled

    def worker() -> None:
        buffer = bytearray()

        def write(data: bytes) -> None:
            buffer.extend(data)
            if len(buffer) >= CHUNK_SIZE:
                put(bytes(buffer))
                buffer.clear()

        try:
            job(write)
            if buffer:
                put(bytes(buffer))
        except _Cancelled:
            return
        except Exception as exc:  # reported to the stream, which ends it
            put(exc)
            return
        put(_END)

    thread = threading.Thread(target=worker, name="upload-pack", daemon=True)
    thread.start()
    try:
        while True:
            item = await anyio.to_thread.run_sync(chunks.get)
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        cancelled.set()


def create_git_app(repo_path: Path) -> Starlette:
    """Return an ASGI app serving `git clone`/`git fetch` of the repository, read-only."""

    def info_refs(request: Request) -> Response:
        service = request.query_params.get("service", "")
        if service == "git-receive-pack":
            body = (
                pkt_line(b"# service=git-receive-pack\n")
                + pkt_line(None)
                + pkt_line(f"ERR {READ_ONLY_MESSAGE}\n".encode())
            )
            return Response(
                body, media_type="application/x-git-receive-pack-advertisement", headers=_NO_CACHE
            )
        if service != "git-upload-pack":
            return PlainTextResponse(
                "only git's smart HTTP protocol is served: use `git clone`\n", status_code=403
            )
        return StreamingResponse(
            _stream(lambda write: _run_upload_pack(repo_path, b"", True, write)),
            media_type="application/x-git-upload-pack-advertisement",
            headers=_NO_CACHE,
        )

    async def upload_pack(request: Request) -> Response:
        if request.headers.get("content-type") != "application/x-git-upload-pack-request":
            return PlainTextResponse("invalid Content-Type\n", status_code=415)
        raw = bytearray()
        async for part in request.stream():
            raw.extend(part)
            if len(raw) > MAX_REQUEST_BYTES:
                return PlainTextResponse("request too large\n", status_code=413)
        body = bytes(raw)
        if request.headers.get("content-encoding") == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error):
                return PlainTextResponse("bad gzip body\n", status_code=400)
        return StreamingResponse(
            _stream(lambda write: _run_upload_pack(repo_path, body, False, write)),
            media_type="application/x-git-upload-pack-result",
            headers=_NO_CACHE,
        )

    def receive_pack(request: Request) -> Response:
        return PlainTextResponse(READ_ONLY_MESSAGE + "\n", status_code=403)

    def not_served(request: Request) -> Response:
        return PlainTextResponse(
            "only git's smart HTTP protocol is served: use `git clone`\n", status_code=404
        )

    return Starlette(
        routes=[
            Route("/info/refs", info_refs, name="git_info_refs"),
            Route("/git-upload-pack", upload_pack, methods=["POST"], name="git_upload_pack"),
            Route("/git-receive-pack", receive_pack, methods=["POST"], name="git_receive_pack"),
            Route("/{path:path}", not_served, methods=["GET", "POST", "PUT"], name="git_other"),
        ]
    )
