"""Git layer for clones: read-only smart HTTP (upload-pack) over dulwich, native ASGI."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from dulwich.errors import GitProtocolError
from dulwich.objects import Commit, ObjectID
from dulwich.pack import (
    OFS_DELTA,
    REF_DELTA,
    load_pack_index,
    pack_object_header,
    unpack_object,
)
from dulwich.protocol import CAPABILITY_FILTER, ReceivableProtocol, pkt_line
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend, UploadPackHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .gitfetch import LineRepo
from .gitwire import (
    CHUNK_SIZE,
    NO_CACHE,
    BodyReader,
    Cancelled,
    GitRefusal,
    RequestRefused,
    UploadRequest,
    Writer,
    answer,
    parse_upload_request,
    refused,
)

__all__ = ["CHUNK_SIZE", "READ_ONLY_MESSAGE", "create_git_app"]

MAX_REQUEST_BYTES = 16 * 1024 * 1024
_RESULT = "application/x-git-upload-pack-result"
READ_ONLY_MESSAGE = "this VersionVault archive is read-only: push is refused"


@dataclass
class _StoredPack:
    data: BinaryIO
    entries: list[tuple[int, int, bytes]]  # start, end, hex sha
    deltas: bool


def _stored_pack(repo: Repo, index_path: Path) -> _StoredPack:
    index = load_pack_index(str(index_path), repo.object_format)
    try:
        found = sorted(
            (offset, bytes(sha).hex().encode()) for sha, offset, _ in index.iterentries()
        )
    finally:
        index.close()
    data = open(index_path.with_suffix(".pack"), "rb")  # noqa: SIM115 (closed by _copy_spans)
    size = os.fstat(data.fileno()).st_size
    ends = [offset for offset, _ in found[1:]] + [size - 20]
    entries = [(start, end, sha) for (start, sha), end in zip(found, ends, strict=True)]
    deltas = any(_is_delta(data, start) for start, _, _ in entries)
    return _StoredPack(data, entries, deltas)


def _is_delta(data: BinaryIO, offset: int) -> bool:
    return (os.pread(data.fileno(), 1, offset)[0] >> 4) & 7 in (OFS_DELTA, REF_DELTA)


def _reused_pack(
    repo: Repo, ofs_delta: bool
) -> tuple[int, list[Callable[[], Iterator[bytes]]]] | None:
    """Plan a pack of every stored object, copying packed entries as they are on disk.

    Packs with deltas are copied whole (their offsets stay valid), but for objects an
    earlier one sent already: those are left out and the entries after them get new
    headers (see `_without`). Entries of delta-free packs and loose objects are added once
    each. No object is sent twice: `git index-pack --strict` refuses that. None if there
    are deltas but the client cannot take offset deltas.
    """
    pack_dir = Path(str(repo.object_store.path)) / "pack"
    packs = [_stored_pack(repo, path) for path in sorted(pack_dir.glob("pack-*.idx"))]
    if not ofs_delta and any(pack.deltas for pack in packs):
        for pack in packs:
            pack.data.close()
        return None
    packs.sort(key=lambda pack: not pack.deltas)
    seen: set[bytes] = set()
    count = 0
    parts: list[Callable[[], Iterator[bytes]]] = []
    for pack in packs:
        sent = {sha for _, _, sha in pack.entries if sha in seen}
        if pack.deltas and sent:
            kept = len(pack.entries) - len(sent)
            parts.append(functools.partial(_without, pack, sent, repo.object_format))
        else:
            keep = [(a, b) for a, b, sha in pack.entries if sha not in sent]
            kept = len(keep)
            parts.append(functools.partial(_copy_spans, pack.data, keep, pack.deltas))
        seen.update(sha for _, _, sha in pack.entries)
        count += kept
    loose = [sha for sha in repo.object_store._iter_loose_objects() if bytes(sha) not in seen]
    count += len(loose)
    parts.append(functools.partial(_loose_entries, repo, loose))
    return count, parts


def _without(pack: _StoredPack, sent: set[bytes], object_format: Any) -> Iterator[bytes]:
    """Yield a delta pack's entries but those in `sent`, with headers made right again.

    An offset delta whose base stays points at the base's new place; one whose base was
    sent from another pack names the base by its sha instead (a ref delta). The
    compressed data of every entry is copied as it is.
    """
    fd = pack.data.fileno()
    shas = {start: sha for start, _, sha in pack.entries}
    moved: dict[int, int] = {}  # old offset -> new offset of entries kept
    at = 0
    try:
        for start, end, sha in pack.entries:
            if sha in sent:
                continue
            # dulwich wants bytes after the zlib data: the next entry's, or the checksum.
            read = BytesIO(os.pread(fd, end - start + 20, start)).read
            entry, _ = unpack_object(read, object_format.hash_func, include_comp=True)
            type_num, base, size = entry.pack_type_num, entry.delta_base, entry.decomp_len
            assert size is not None
            if type_num == OFS_DELTA:
                assert isinstance(base, int)
                old_base = start - base
                if old_base in moved:
                    base = at - moved[old_base]
                else:
                    type_num, base = REF_DELTA, bytes.fromhex(shas[old_base].decode())
            header = pack_object_header(type_num, base, size, object_format)
            data = bytes(header) + b"".join(entry.comp_chunks or [])
            moved[start] = at
            at += len(data)
            yield data
    finally:
        pack.data.close()


def _copy_spans(data: BinaryIO, spans: list[tuple[int, int]], whole: bool) -> Iterator[bytes]:
    fd = data.fileno()
    if whole and spans:
        spans = [(spans[0][0], spans[-1][1])]
    runs: list[list[int]] = []
    for start, end in spans:  # neighbouring entries are read together
        if runs and runs[-1][1] == start and end - runs[-1][0] <= CHUNK_SIZE:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    try:
        for start, end in runs:
            for at in range(start, end, CHUNK_SIZE):
                yield os.pread(fd, min(CHUNK_SIZE, end - at), at)
    finally:
        data.close()


def _loose_entries(repo: Repo, shas: list[Any]) -> Iterator[bytes]:
    for sha in shas:
        type_num, raw = repo.object_store.get_raw(sha)
        yield bytes(pack_object_header(type_num, None, len(raw), repo.object_format))
        yield zlib.compress(raw)


def _send_reused_pack(repo: Repo, capabilities: set[bytes], write: Writer) -> bool:
    """Answer a full clone by streaming stored pack entries; False if it cannot."""
    plan = _reused_pack(repo, b"ofs-delta" in capabilities)
    if plan is None:
        return False
    count, parts = plan
    band = 65515 if b"side-band-64k" in capabilities else 995 if b"side-band" in capabilities else 0
    write(pkt_line(b"NAK\n"))
    digest = hashlib.sha1()

    def send(chunk: bytes) -> None:
        digest.update(chunk)
        if not band:
            write(chunk)
            return
        for at in range(0, len(chunk), band):
            write(pkt_line(b"\x01" + chunk[at : at + band]))

    send(b"PACK" + struct.pack(">II", 2, count))
    for part in parts:
        for chunk in part():
            send(chunk)
    trailer = digest.digest()
    if band:
        write(pkt_line(b"\x01" + trailer))
        write(pkt_line(None))
    else:
        write(trailer)
    return True


class _UploadPack(UploadPackHandler):
    """Dulwich's upload-pack without `filter`: a partial clone would need blobs by sha later."""

    def capabilities(self) -> list[bytes]:
        return [cap for cap in super().capabilities() if cap != CAPABILITY_FILTER]

    @classmethod
    def innocuous_capabilities(cls) -> list[bytes]:
        # git asks for `filter` even when it was not advertised (and then filters nothing)
        return [*super().innocuous_capabilities(), CAPABILITY_FILTER]


def _handler(repo: Repo, body: bytes, advertise: bool, write: Writer) -> UploadPackHandler:
    def write_fn(data: bytes) -> int:
        write(data)
        return len(data)

    proto = ReceivableProtocol(BytesIO(body).read, write_fn)
    repos: dict[str, BackendRepo] = {"/": repo}
    return _UploadPack(
        DictBackend(repos), ["/"], proto, stateless_rpc=True, advertise_refs=advertise
    )


def _advertise(repo_path: Path, write: Writer) -> None:
    repo = Repo(str(repo_path))
    try:
        write(pkt_line(b"# service=git-upload-pack\n") + pkt_line(None))
        _handler(repo, b"", True, write).handle()
    finally:
        repo.close()


def _check(repo: Repo, request: UploadRequest) -> None:
    """Refuse what dulwich would fail on mid-answer; drop haves that are not commits."""
    tips = set(repo.get_refs().values())
    for sha in request.wants:
        if ObjectID(sha) not in tips:
            raise GitRefusal(f"upload-pack: not our ref {sha.decode()}")
    try:
        _handler(repo, b"", False, lambda data: None).set_client_capabilities(request.capabilities)
    except GitProtocolError as exc:
        raise RequestRefused(400, str(exc).strip("'\"")) from None
    store = repo.object_store
    request.haves = [
        sha
        for sha in request.haves
        if ObjectID(sha) not in store or store.get_raw(ObjectID(sha))[0] == Commit.type_num
    ]


def _upload(repo_path: Path, request: UploadRequest, write: Writer) -> None:
    """Answer a checked request; a failure once the answer began is told in band, not raised."""
    shallow = request.depth is not None or request.shallow
    repo = (Repo if shallow else LineRepo)(str(repo_path))
    began = False

    def counted(data: bytes) -> None:
        nonlocal began
        began = True
        write(data)

    try:
        _check(repo, request)
        if request.full_clone and _send_reused_pack(repo, set(request.capabilities), counted):
            return
        _handler(repo, request.encode(), False, counted).handle()
    except Cancelled:
        raise
    except Exception as exc:
        if not began:
            raise
        logging.getLogger(__name__).error("upload-pack stopped after its answer began: %s", exc)
        write(pkt_line(b"\x03" + f"the server failed: {exc}\n".encode()))
    finally:
        repo.close()


def create_git_app(repo_path: Path) -> Starlette:
    """Return an ASGI app serving `git clone`/`git fetch` of the repository, read-only."""

    async def info_refs(request: Request) -> Response:
        service = request.query_params.get("service", "")
        if service == "git-receive-pack":
            body = (
                pkt_line(b"# service=git-receive-pack\n")
                + pkt_line(None)
                + pkt_line(f"ERR {READ_ONLY_MESSAGE}\n".encode())
            )
            return Response(
                body, media_type="application/x-git-receive-pack-advertisement", headers=NO_CACHE
            )
        if service != "git-upload-pack":
            return PlainTextResponse(
                "only git's smart HTTP protocol is served: use `git clone`\n", status_code=403
            )
        return await answer(
            lambda write: _advertise(repo_path, write),
            "application/x-git-upload-pack-advertisement",
        )

    async def upload_pack(request: Request) -> Response:
        if request.headers.get("content-type") != "application/x-git-upload-pack-request":
            return PlainTextResponse("invalid Content-Type\n", status_code=415)
        try:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
                raise RequestRefused(413, f"the request is larger than {MAX_REQUEST_BYTES} bytes")
            reader = BodyReader(request.headers.get("content-encoding", ""), MAX_REQUEST_BYTES)
            async for part in request.stream():
                reader.feed(part)
            parsed = parse_upload_request(reader.finish())
        except RequestRefused as refusal:
            return refused(refusal, _RESULT)
        return await answer(lambda write: _upload(repo_path, parsed, write), _RESULT)

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
