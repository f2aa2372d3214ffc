"""Packs: serialised objects, trees kept in git's order, deltas, and pack files written whole."""

from __future__ import annotations

import binascii
import bisect
import hashlib
import mmap
import os
import tempfile
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dulwich.object_store import DiskObjectStore, PackBasedObjectStore
from dulwich.objects import Blob, RawObjectID, Tree, object_header
from dulwich.pack import (
    DELTA_TYPES,
    OFS_DELTA,
    Pack,
    UnpackedObject,
    apply_delta,
    iter_sha1,
    pack_object_header,
    write_pack_data,
    write_pack_index,
)

from .commits import StoreError
from .deltas import delta as make_delta

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "Raw",
    "TreeBuilder",
    "blob_sha",
    "pack_contents",
    "release_pages",
    "write_loose",
    "write_pack",
]

FILE_MODE = 0o100644
DIR_MODE = 0o040000
_MAX_DELTA_DEPTH = 50  # deltas a read may have to apply: git's own default depth
_BASES_KEPT = 32 * 1024 * 1024  # bytes of trees and commits kept as delta bases, reading a pack
_RELEASE_EVERY = 64 * 1024 * 1024  # bytes of a pack read before the pages behind are let go


def _pack_entry(raw: Raw, level: int, store: PackBasedObjectStore) -> UnpackedObject:
    """Return a pack entry compressed with a zlib window no larger than the object.

    zlib's default window and hash table take longer to set up than a tree or a commit
    takes to compress; a window that covers the whole object finds the same matches.
    """
    bits = min(15, max(9, len(raw.data).bit_length()))
    compressor = zlib.compressobj(level, zlib.DEFLATED, bits, max(6, bits - 7))
    data = compressor.compress(raw.data) + compressor.flush()
    header = pack_object_header(raw.type_num, None, len(raw.data), store.object_format)
    entry = UnpackedObject(raw.type_num, sha=binascii.unhexlify(raw.sha))
    entry.comp_chunks = [bytes(header), data]
    return entry


def _pack_entries(
    objects: list[Raw], level: int, store: PackBasedObjectStore
) -> Iterator[UnpackedObject]:
    """Yield pack entries: a version of something already in this pack as a delta against
    the version before it, up to _MAX_DELTA_DEPTH deltas deep; the rest whole."""
    before: dict[bytes, tuple[Raw, int]] = {}  # what it is a version of -> version, depth
    for raw in objects:
        base, depth = before.get(raw.version_of, (None, _MAX_DELTA_DEPTH))
        lines = raw.type_num != Tree.type_num
        deep = depth >= _MAX_DELTA_DEPTH
        delta = None if base is None or deep else make_delta(base.data, raw.data, lines)
        if raw.version_of:
            before[raw.version_of] = (raw, depth + 1 if delta else 0)
        if base is None or delta is None:
            yield _pack_entry(raw, level, store)
            continue
        yield UnpackedObject(
            OFS_DELTA,
            delta_base=binascii.unhexlify(base.sha),
            decomp_chunks=[delta],
            sha=binascii.unhexlify(raw.sha),
        )


@dataclass(frozen=True)
class Raw:
    """A serialised object ready for the object database: its type, bytes and hex sha.

    `version_of` names what the object is a version of (a file's path, a directory's), so
    that a pack can store it as a delta against an earlier version; b"" for none.
    """

    type_num: int
    data: bytes
    sha: bytes
    version_of: bytes = b""

    @classmethod
    def of(cls, type_num: int, data: bytes, version_of: bytes = b"") -> Raw:
        sha = hashlib.sha1(object_header(type_num, len(data)) + data).hexdigest().encode()
        return cls(type_num, data, sha, version_of)


def blob_sha(data: bytes) -> str:
    """Return the hex sha git gives a file of these bytes."""
    return Raw.of(Blob.type_num, data).sha.decode()


class TreeBuilder:
    """A tree rewritten commit after commit, its entries kept serialised in git's order.

    dulwich would copy and re-sort a Tree for every commit; here an entry is replaced or
    inserted in place, so a commit costs one join of the entries.
    """

    def __init__(self, tree: Tree | None = None) -> None:
        self._keys: list[bytes] = []  # git sorts a directory as if its name ended in "/"
        self._entries: list[bytes] = []
        self._modes: dict[bytes, tuple[int, bytes]] = {}  # name -> mode, hex sha
        for entry in tree.iteritems() if tree is not None else ():
            self.set(entry.path, entry.mode, entry.sha)

    def get(self, name: bytes) -> bytes | None:
        """Return the hex sha of an entry, or None."""
        found = self._modes.get(name)
        return found[1] if found else None

    def set(self, name: bytes, mode: int, sha: bytes) -> None:
        """Add or replace an entry (hex sha); a file cannot replace a directory, nor the reverse."""
        before = self._modes.get(name)
        if before is not None and (before[0] == DIR_MODE) != (mode == DIR_MODE):
            kind = "directory" if before[0] == DIR_MODE else "file"
            raise StoreError(f"{name.decode()} is a {kind} in the archive already")
        key = name + b"/" if mode == DIR_MODE else name
        entry = b"%o %s\0%s" % (mode, name, binascii.unhexlify(sha))
        at = bisect.bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            self._entries[at] = entry
        else:
            self._keys.insert(at, key)
            self._entries.insert(at, entry)
        self._modes[name] = (mode, sha)

    def raw(self, path: bytes) -> Raw:
        """Return the tree as it stands, serialised (`path` names the directory)."""
        return Raw.of(Tree.type_num, b"".join(self._entries), path + b"/")


def write_pack(store: DiskObjectStore, objects: list[Raw]) -> None:
    """Write one pack and its index from objects whose shas are known.

    dulwich's `add_objects` would re-read and re-hash the whole pack twice to build the
    index and to validate it; these objects were made here, so their index entries come
    straight from writing them. The pack is fsynced and moved in before its index, as
    dulwich does, so a crash leaves at most a pack git ignores.
    """
    unique = list({raw.sha: raw for raw in objects}.values())
    fd, tmp = tempfile.mkstemp(dir=store.pack_dir, prefix="tmp_pack_", suffix=".pack")
    tmp_index = tmp[: -len(".pack")] + ".idx"
    try:
        with os.fdopen(fd, "wb") as f:
            found, checksum = write_pack_data(
                f.write,
                _pack_entries(unique, store.pack_compression_level, store),
                object_format=store.object_format,
                num_records=len(unique),
                compression_level=store.pack_compression_level,
            )
            f.flush()
            if store.fsync_object_files:
                os.fsync(f.fileno())
        entries = sorted((sha, offset, crc) for sha, (offset, crc) in found.items())
        with open(tmp_index, "wb") as f:
            write_pack_index(f, entries, checksum, version=store.pack_index_version)
            f.flush()
            if store.fsync_object_files:
                os.fsync(f.fileno())
        base = os.path.join(store.pack_dir, "pack-" + iter_sha1(e[0] for e in entries).decode())
        os.chmod(tmp, 0o444)
        os.chmod(tmp_index, 0o444)
        os.replace(tmp, base + ".pack")
        os.replace(tmp_index, base + ".idx")
    except OSError as exc:
        exc.filename = exc.filename or store.pack_dir
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)
        Path(tmp_index).unlink(missing_ok=True)
    store.packs  # noqa: B018 -- rescans the pack directory: the new pack is readable now


def write_loose(store: DiskObjectStore, raw: Raw) -> None:
    """Write one loose object: a temporary file, fsynced, then renamed into place.

    dulwich's own writer leaves a `.lock` file behind when the disk is full; this one
    leaves nothing but the object, or nothing at all.
    """
    sha = raw.sha.decode()
    folder = os.path.join(store.path, sha[:2])
    path = os.path.join(folder, sha[2:])
    if os.path.exists(path):
        return
    os.makedirs(folder, exist_ok=True)
    data = object_header(raw.type_num, len(raw.data)) + raw.data
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="tmp_obj_")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(zlib.compress(data, store.loose_compression_level))
            f.flush()
            if store.fsync_object_files:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except OSError as exc:
        exc.filename = exc.filename or path  # a failed write names no file of its own
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)


def pack_contents(pack: Pack) -> Iterator[tuple[int, bytes | None]]:
    """Yield (type number, bytes) for every object in a pack, in the pack's own order; a
    blob's bytes are None (its delta is never applied).

    The pack is read once from front to back. An offset delta's base always comes before it,
    so the last trees and commits read are kept as bases (up to _BASES_KEPT bytes), and each
    object's type is known from its base's; a base not kept is read as dulwich reads it. The
    pages read are let go as the reading moves on, so memory is a byte and an offset an
    object, whatever the pack's size.
    """
    data = pack.data
    offsets: array[int] = array("Q")
    kinds = bytearray()
    kept: OrderedDict[int, bytes] = OrderedDict()
    held = released = 0
    for entry in data.iter_unpacked():
        offset = entry.offset
        assert offset is not None
        kind, body = entry.pack_type_num, b"".join(entry.decomp_chunks)
        if kind in DELTA_TYPES:
            base = _base_offset(pack, offset, entry)
            at = bisect.bisect_left(offsets, base)
            kind = kinds[at] if at < len(kinds) and offsets[at] == base else 0
            if kind != Blob.type_num:
                source = kept.get(base)
                if source is None:
                    kind, chunks = pack.resolve_object(base, *data.get_object_at(base))
                    source = b"".join(chunks)  # type: ignore[arg-type]
                body = b"".join(apply_delta(source, body))
        offsets.append(offset)
        kinds.append(kind)
        if kind == Blob.type_num:
            yield kind, None
            continue
        kept[offset] = body
        held += len(body)
        while held > _BASES_KEPT:
            held -= len(kept.popitem(last=False)[1])
        yield kind, body
        if offset - released > 2 * _RELEASE_EVERY:
            released = _release(data._buffer(), released, offset - _RELEASE_EVERY)


def _base_offset(pack: Pack, offset: int, entry: UnpackedObject) -> int:
    """Return where a delta's base is in the pack (a ref delta's base may come after it)."""
    if entry.pack_type_num == OFS_DELTA:
        assert isinstance(entry.delta_base, int)
        return offset - entry.delta_base
    assert isinstance(entry.delta_base, bytes)
    return int(pack.index.object_offset(RawObjectID(entry.delta_base)))


def _release(contents: bytes | mmap.mmap, start: int, end: int) -> int:
    """Let the kernel drop the mapped pages of a pack between two offsets; return the end."""
    page = mmap.PAGESIZE
    start, end = start // page * page, end // page * page
    if isinstance(contents, mmap.mmap) and end > start:
        contents.madvise(mmap.MADV_DONTNEED, start, end - start)
    return end


def release_pages(pack: Pack) -> None:
    """Let the kernel drop every page of a pack and its index mapped into this process.

    A walk through all of history touches every page of every pack; they stay counted in
    the process's memory (though the kernel may take them back) unless let go. Read again,
    they come back from the page cache.
    """
    for contents in (pack.data._buffer(), getattr(pack.index, "_contents", None)):
        if isinstance(contents, mmap.mmap):
            _release(contents, 0, len(contents))
