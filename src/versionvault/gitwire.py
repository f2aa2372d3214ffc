"""Git wire: upload-pack requests read under a cap and checked whole; answers streamed."""

from __future__ import annotations

import logging
import queue
import re
import threading
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.responses import PlainTextResponse, Response, StreamingResponse

__all__ = [
    "CHUNK_SIZE",
    "MAX_PKT_LINE",
    "NO_CACHE",
    "BodyReader",
    "Cancelled",
    "GitRefusal",
    "RequestRefused",
    "UploadRequest",
    "Writer",
    "answer",
    "parse_upload_request",
    "refused",
]

CHUNK_SIZE = 256 * 1024
NO_CACHE = {"Cache-Control": "no-cache, max-age=0, must-revalidate", "Expires": "0"}
MAX_PKT_LINE = 65520  # the longest pkt-line git writes, its 4-byte length included
MAX_DEPTH = 2**31 - 1  # git's own bound (an int)
_SHA = re.compile(rb"[0-9a-f]{40}")
_LENGTH = re.compile(rb"[0-9a-fA-F]{4}")
_END = object()
_log = logging.getLogger("versionvault.gitserve")

Writer = Callable[[bytes], None]
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class Cancelled(Exception):
    """The client went away; the writer stops."""


class RequestRefused(Exception):
    """The request is refused before anything is answered: `status` and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class GitRefusal(RequestRefused):
    """A request git itself may send that this server cannot serve: answered with `ERR`."""

    def __init__(self, message: str) -> None:
        super().__init__(200, message)


def _bad(message: str) -> RequestRefused:
    return RequestRefused(400, message)


class BodyReader:
    """Collects a request body, inflating gzip or deflate as it comes, never past `limit`.

    The cap holds for the body as sent and for the body inflated: a small compressed
    body that would inflate to gigabytes stops at `limit` + 1 bytes with a 413.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        name = encoding.strip().lower()
        if name not in ("", "identity", *_ENCODINGS):
            raise RequestRefused(415, f"unsupported Content-Encoding {encoding!r}")
        self._inflater = zlib.decompressobj(_ENCODINGS[name]) if name in _ENCODINGS else None
        self._limit = limit
        self._sent = 0
        self._body = bytearray()

    def _too_large(self) -> RequestRefused:
        return RequestRefused(413, f"the request is larger than {self._limit} bytes")

    def feed(self, part: bytes) -> None:
        """Take the next piece of the body as sent."""
        self._sent += len(part)
        if self._sent > self._limit:
            raise self._too_large()
        if self._inflater is None:
            self._body.extend(part)
            return
        if self._inflater.eof:
            if part:
                raise _bad("data after the end of the compressed body")
            return
        data = part
        try:
            while data:
                room = self._limit + 1 - len(self._body)
                self._body.extend(self._inflater.decompress(data, room))
                if len(self._body) > self._limit:
                    raise self._too_large()
                data = self._inflater.unconsumed_tail
                if self._inflater.eof:
                    if self._inflater.unused_data or data:
                        raise _bad("data after the end of the compressed body")
                    break
        except zlib.error as exc:
            raise _bad(f"the compressed body is corrupt: {exc}") from None

    def finish(self) -> bytes:
        """Return the whole body (inflated); refuse a compressed body cut short."""
        if self._inflater is not None and not self._inflater.eof:
            raise _bad("the compressed body is truncated")
        return bytes(self._body)


def pkt_lines(body: bytes) -> list[bytes | None]:
    """Split a body into pkt-lines (None for a flush-pkt), each without its final newline."""
    lines: list[bytes | None] = []
    pos = 0
    while pos < len(body):
        head = body[pos : pos + 4]
        if not _LENGTH.fullmatch(head):
            raise _bad(f"bad pkt-line length {head!r} at byte {pos}")
        size = int(head, 16)
        if size == 0:
            lines.append(None)
            pos += 4
            continue
        if size in (1, 2):
            raise _bad("protocol v2 is not served here: this server speaks git protocol v0")
        if size < 5 or size > MAX_PKT_LINE:
            raise _bad(f"bad pkt-line length {head.decode()} at byte {pos}")
        if pos + size > len(body):
            raise _bad(f"the request is truncated inside the pkt-line at byte {pos}")
        lines.append(body[pos + 4 : pos + size].removesuffix(b"\n"))
        pos += size
    return lines


def _shown(line: bytes) -> str:
    text = line[:60].decode("ascii", "backslashreplace")
    return repr(text + ("..." if len(line) > 60 else ""))


def _sha(word: bytes, what: str) -> bytes:
    if not _SHA.fullmatch(word):
        raise _bad(f"{what} must name an object by its 40-digit sha, not {_shown(word)}")
    return word


def _pkt(payload: bytes | None) -> bytes:
    if payload is None:
        return b"0000"
    return b"%04x%s\n" % (len(payload) + 5, payload)


@dataclass
class UploadRequest:
    """A whole upload-pack request: wants (and their capabilities), depth, haves, done."""

    wants: list[bytes] = field(default_factory=list)
    capabilities: list[bytes] = field(default_factory=list)
    shallow: list[bytes] = field(default_factory=list)
    depth: int | None = None
    haves: list[bytes] = field(default_factory=list)
    done: bool = False
    ends_with_flush: bool = False

    @property
    def full_clone(self) -> bool:
        """Return True for a request of everything by a client that has nothing."""
        return self.done and not (self.shallow or self.haves) and self.depth is None

    def encode(self) -> bytes:
        """Return the request as pkt-lines, in the order dulwich reads them."""
        first = b" ".join([b"want", self.wants[0], *self.capabilities])
        lines: list[bytes | None] = [first, *(b"want " + sha for sha in self.wants[1:])]
        lines.extend(b"shallow " + sha for sha in self.shallow)
        if self.depth is not None:
            lines.append(b"deepen %d" % self.depth)
        lines.append(None)
        lines.extend(b"have " + sha for sha in self.haves)
        if self.done:
            lines.append(b"done")
        elif self.ends_with_flush:
            lines.append(None)
        return b"".join(map(_pkt, lines))


def _wants(lines: list[bytes | None], request: UploadRequest) -> int:
    """Read the want lines; return the index of the line after them."""
    first = lines[0]
    if first is None:
        raise _bad("the request has no want lines (a flush-pkt alone asks for nothing)")
    if first.startswith(b"command="):
        raise _bad("protocol v2 is not served here: this server speaks git protocol v0")
    at = 0
    while at < len(lines) and (line := lines[at]) is not None and line.startswith(b"want "):
        words = line.split(b" ")
        request.wants.append(_sha(words[1], "a want line"))
        if at == 0:
            request.capabilities = [word for word in words[2:] if word]
            if any(cap.startswith(b"filter=") for cap in request.capabilities):
                raise _bad("filter (a partial clone) is not supported by this server")
        elif len(words) > 2:
            raise _bad("only the first want line may carry capabilities")
        at += 1
    if not request.wants:
        raise _bad(f"the request must begin with a want line, not {_shown(first)}")
    return at


def _options(lines: list[bytes | None], at: int, request: UploadRequest) -> int:
    """Read shallow and deepen lines up to the flush-pkt; return the index after it."""
    while at < len(lines):
        line = lines[at]
        if line is None:
            return at + 1
        command, _, argument = line.partition(b" ")
        if command == b"shallow":
            request.shallow.append(_sha(argument, "a shallow line"))
        elif command == b"deepen" and request.depth is None:
            if not argument.isdigit() or not 0 < int(argument) <= MAX_DEPTH:
                raise _bad(f"deepen needs a positive number of commits, not {_shown(argument)}")
            request.depth = int(argument)
        elif command in (b"filter", b"deepen-since", b"deepen-not", b"deepen-relative"):
            raise _bad(f"{command.decode()} is not supported by this server")
        else:
            raise _bad(f"unexpected line {_shown(line)} after the want lines")
        at += 1
    raise _bad("the want lines are not ended by a flush-pkt")


def _haves(lines: list[bytes | None], at: int, request: UploadRequest) -> None:
    """Read the have lines and what ends them: `done`, a flush-pkt or (deepening) nothing."""
    for line in lines[at:-1]:
        if line is None or not line.startswith(b"have "):
            shown = "a flush-pkt" if line is None else _shown(line)
            raise _bad(f"unexpected {shown} among the have lines")
        request.haves.append(_sha(line[5:], "a have line"))
    last = lines[-1] if at < len(lines) else b""
    if last is None:
        request.ends_with_flush = True
    elif last == b"done":
        request.done = True
    elif last.startswith(b"have "):
        request.haves.append(_sha(last[5:], "a have line"))
        raise _bad("the have lines are not ended by done or a flush-pkt")
    elif at < len(lines):
        raise _bad(f"unexpected line {_shown(last)} among the have lines")
    elif request.depth is None:
        raise _bad("the request ends after its wants: send have lines, then done")


def parse_upload_request(body: bytes) -> UploadRequest:
    """Parse a whole stateless upload-pack request (git protocol v0); RequestRefused if bad."""
    lines = pkt_lines(body)
    if not lines:
        raise _bad("the request is empty")
    request = UploadRequest()
    at = _options(lines, _wants(lines, request), request)
    _haves(lines, at, request)
    if request.shallow and request.depth is None:
        raise GitRefusal(
            "fetching into a shallow clone needs a depth here: "
            "use git fetch --depth N or git fetch --unshallow",
        )
    return request


async def _stream(job: Callable[[Writer], None]) -> AsyncGenerator[bytes]:
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
        raise Cancelled

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
        except Cancelled:
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


def refused(refusal: RequestRefused, media_type: str) -> Response:
    """Answer a refusal: a git `ERR` pkt-line (which git shows), else its status and reason."""
    if isinstance(refusal, GitRefusal):
        message = _pkt(f"ERR {refusal}".encode())
        return Response(message, media_type=media_type, headers=NO_CACHE)
    return PlainTextResponse(f"{refusal}\n", status_code=refusal.status)


async def answer(job: Callable[[Writer], None], media_type: str) -> Response:
    """Start `job`; answer only once it wrote or failed, so a refusal is never a broken 200."""
    chunks = _stream(job)
    try:
        first = await anext(chunks, b"")
    except RequestRefused as refusal:
        return refused(refusal, media_type)
    except Exception:
        _log.exception("upload-pack failed")
        return PlainTextResponse("the server could not answer this request\n", status_code=500)

    async def rest() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    return StreamingResponse(rest(), media_type=media_type, headers=NO_CACHE)
