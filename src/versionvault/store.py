"""Store layer: the only module that reads and writes the bare Git repository (dulwich)."""

from __future__ import annotations

import binascii
import bisect
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

from dulwich.bundle import create_bundle_from_repo, write_bundle
from dulwich.errors import NotCommitError, NotTreeError
from dulwich.file import FileLocked
from dulwich.object_store import PackBasedObjectStore, tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tree, format_timezone, object_header
from dulwich.pack import (
    OFS_DELTA,
    UnpackedObject,
    iter_sha1,
    pack_object_header,
    write_pack_data,
    write_pack_index,
)
from dulwich.refs import Ref
from dulwich.repo import Repo

__all__ = [
    "MAIN",
    "CommitRecord",
    "Identity",
    "InvalidIdentity",
    "NewCommit",
    "Store",
    "StoreError",
    "Transaction",
]

MAIN = Ref(b"refs/heads/main")
HEAD = Ref(b"HEAD")
COMMITTER = "VersionVault <versionvault@localhost>"
_LOCK_NAME = "versionvault.lock"
_STALE_REF_LOCK_SECONDS = 1.0
_PATH_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.md)?")
_IDENTITY = re.compile(r"\s*([^<>\n\r\0]*?)\s*(?:<([^<>\s\0]*)>)?\s*")
_TRAILER = re.compile(r"([A-Z][A-Za-z-]*): (.*)")
_FILE_MODE = 0o100644
_DIR_MODE = 0o040000
_MAX_DELTA_DEPTH = 10  # deltas a read may have to apply (git allows 50)


class StoreError(RuntimeError):
    """The repository is missing, damaged, or could not be written."""


class InvalidIdentity(ValueError):
    """An author name or email git would reject."""


@dataclass(frozen=True)
class Identity:
    """A commit author or committer: a one-line name and an email."""

    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Parse `Name <email>` or a bare name; raise InvalidIdentity if git would reject it."""
        match = _IDENTITY.fullmatch(text)
        if not match or not match.group(1):
            raise InvalidIdentity(f"invalid author {text!r}: use 'Name' or 'Name <email>'")
        name, email = match.group(1), match.group(2) or ""
        if not email:
            slug = "-".join(re.findall(r"[a-z0-9]+", name.lower())) or "author"
            email = f"{slug}@versionvault.invalid"
        return cls(name, email)

    def raw(self) -> bytes:
        """Return the identity as git writes it."""
        return f"{self.name} <{self.email}>".encode()


@dataclass(frozen=True)
class NewCommit:
    """One revision to append: the file, who made it, when, and the message."""

    path: str
    content: str
    author: Identity
    author_time: datetime
    commit_time: datetime
    message: str


@dataclass(frozen=True)
class CommitRecord:
    """A commit on main as the index needs it."""

    sha: str
    parent: str | None
    blob: str
    path: str
    author: str
    author_time: datetime
    commit_time: datetime
    subject: str
    trailers: dict[str, str] = field(default_factory=dict)


def _open_repo(path: Path) -> Repo:
    repo = Repo(str(path))
    repo.object_store.fsync_object_files = True  # objects are durable before the ref moves
    return repo


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


def _git_time_raw(moment: datetime) -> tuple[int, bytes]:
    seconds, offset = _git_time(moment)
    return seconds, format_timezone(offset)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _shared(a: bytes, b: bytes, limit: int, from_end: bool) -> int:
    """Return how many bytes (at most `limit`) a and b share at the start, or at the end."""
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        same = a[len(a) - mid :] == b[len(b) - mid :] if from_end else a[:mid] == b[:mid]
        low, high = (mid, high) if same else (low, mid - 1)
    return low


def _copy_ops(out: bytearray, offset: int, size: int) -> None:
    while size:
        step = min(size, 0x10000)  # a size of 0x10000 is written as none at all
        args = bytearray()
        command = 0x80
        for k, value in enumerate([offset, offset >> 8, offset >> 16, offset >> 24]):
            if value & 0xFF:
                command |= 1 << k
                args.append(value & 0xFF)
        for k, value in enumerate([step, step >> 8, step >> 16]):
            if value & 0xFF:
                command |= 0x10 << k
                args.append(value & 0xFF)
        out.append(command)
        out += args
        offset, size = offset + step, size - step


def _delta(base: bytes, target: bytes) -> bytes | None:
    """Return a git delta making `target` from `base`: their shared start and end copied,
    the rest inserted; None if that would not save half of the target.

    The edits between two revisions of an article, or two versions of a directory, sit
    together, so this finds what a general delta would, without its cost (dulwich's own
    create_delta took 8 ms for two 2 KB revisions, and gave a delta larger than either).
    """
    limit = min(len(base), len(target))
    head = _shared(base, target, limit, from_end=False)
    tail = _shared(base, target, limit - head, from_end=True)
    middle = target[head : len(target) - tail]
    if len(middle) > len(target) // 2:
        return None
    out = bytearray(_varint(len(base)) + _varint(len(target)))
    _copy_ops(out, 0, head)
    for at in range(0, len(middle), 127):
        out.append(len(middle[at : at + 127]))
        out += middle[at : at + 127]
    _copy_ops(out, len(base) - tail, tail)
    return bytes(out)


def _pack_entry(raw: _Raw, level: int, store: PackBasedObjectStore) -> UnpackedObject:
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
    objects: list[_Raw], level: int, store: PackBasedObjectStore
) -> Iterator[UnpackedObject]:
    """Yield pack entries: a version of something already in this pack as a delta against
    the version before it, up to _MAX_DELTA_DEPTH deltas deep; the rest whole."""
    before: dict[bytes, tuple[_Raw, int]] = {}  # what it is a version of -> version, depth
    for raw in objects:
        base, depth = before.get(raw.version_of, (None, _MAX_DELTA_DEPTH))
        delta = _delta(base.data, raw.data) if base and depth < _MAX_DELTA_DEPTH else None
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


def _check_path(path: str) -> bytes:
    parts = path.split("/")
    if len(parts) != 2 or not all(_PATH_PART.fullmatch(p) for p in parts):
        raise StoreError(f"refusing unsafe path {path!r}")
    if not parts[1].endswith(".md") or parts[0].endswith(".md"):
        raise StoreError(f"refusing unsafe path {path!r}")
    return path.encode()


def _git_time(moment: datetime) -> tuple[int, int]:
    offset = moment.utcoffset()
    if offset is None:
        raise StoreError("times must carry their UTC offset")
    seconds = int(offset.total_seconds())
    if seconds % 60:
        raise StoreError(f"UTC offset {offset} is not a whole number of minutes")
    return int(moment.timestamp()), seconds


def _from_git_time(seconds: int, offset: int) -> datetime:
    from datetime import timedelta, timezone

    return datetime.fromtimestamp(seconds, timezone(timedelta(seconds=offset)))


def parse_trailers(message: str) -> dict[str, str]:
    """Return the trailers of the message's last paragraph."""
    last = message.rstrip("\n").rsplit("\n\n", 1)[-1]
    found = [_TRAILER.fullmatch(line) for line in last.split("\n")]
    return {m.group(1): m.group(2) for m in found if m}


def _record_of(new: NewCommit, sha: str, parent: str | None, blob: str) -> CommitRecord:
    """Return the record `Store.record` would read back from the commit made of `new`."""
    trailers = parse_trailers(new.message)
    return CommitRecord(
        sha=sha,
        parent=parent,
        blob=blob,
        path=f"{trailers.get('Source', '')}/{trailers.get('Article', '')}.md",
        author=new.author.raw().decode(),
        author_time=_from_git_time(*_git_time(new.author_time)),
        commit_time=_from_git_time(*_git_time(new.commit_time)),
        subject=new.message.split("\n", 1)[0],
        trailers=trailers,
    )


@dataclass(frozen=True)
class _Raw:
    """A serialised object ready for the object database: its type, bytes and hex sha.

    `version_of` names what the object is a version of (a file's path, a directory's), so
    that a pack can store it as a delta against an earlier version; b"" for none.
    """

    type_num: int
    data: bytes
    sha: bytes
    version_of: bytes = b""

    @classmethod
    def of(cls, type_num: int, data: bytes, version_of: bytes = b"") -> _Raw:
        sha = hashlib.sha1(object_header(type_num, len(data)) + data).hexdigest().encode()
        return cls(type_num, data, sha, version_of)


class _TreeBuilder:
    """A tree rewritten commit after commit, its entries kept serialised in git's order.

    dulwich would copy and re-sort a Tree for every commit; here an entry is replaced or
    inserted in place, so a commit costs one join of the entries.
    """

    def __init__(self, tree: Tree | None = None) -> None:
        self._keys: list[bytes] = []  # git sorts a directory as if its name ended in "/"
        self._entries: list[bytes] = []
        self._shas: dict[bytes, bytes] = {}
        for entry in tree.iteritems() if tree is not None else ():
            self.set(entry.path, entry.mode, entry.sha)

    def get(self, name: bytes) -> bytes | None:
        """Return the hex sha of an entry, or None."""
        return self._shas.get(name)

    def set(self, name: bytes, mode: int, sha: bytes) -> None:
        """Add or replace an entry (hex sha)."""
        key = name + b"/" if mode == _DIR_MODE else name
        entry = b"%o %s\0%s" % (mode, name, binascii.unhexlify(sha))
        at = bisect.bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            self._entries[at] = entry
        else:
            self._keys.insert(at, key)
            self._entries.insert(at, entry)
        self._shas[name] = sha

    def raw(self, path: bytes) -> _Raw:
        """Return the tree as it stands, serialised (`path` names the directory)."""
        return _Raw.of(Tree.type_num, b"".join(self._entries), path + b"/")


class Transaction:
    """Appends commits to main while the write lock is held."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tip = store.tip()
        self._objects: list[_Raw] = []
        self._trees: dict[bytes, _TreeBuilder] = {}
        self._root: _TreeBuilder | None = None
        self._root_sha: bytes | None = None
        self._new_tip = self._tip

    @property
    def tip(self) -> str | None:
        """Return the tip this transaction builds on (including its own pending commits)."""
        return self._new_tip

    def _tip_tree(self) -> Tree | None:
        if self._tip is None:
            return None
        repo = self._store.repo
        commit = repo[self._tip.encode()]
        assert isinstance(commit, Commit)
        root = repo[commit.tree]
        assert isinstance(root, Tree)
        return root

    def _root_tree(self) -> _TreeBuilder:
        if self._root is None:
            self._root = _TreeBuilder(self._tip_tree())
        return self._root

    def _subtree(self, name: bytes) -> _TreeBuilder:
        if name not in self._trees:
            sha = self._root_tree().get(name)
            tree = self._store.repo[ObjectID(sha)] if sha else Tree()
            if not isinstance(tree, Tree):
                raise StoreError(f"{name.decode()} is not a directory in the archive")
            self._trees[name] = _TreeBuilder(tree)
        return self._trees[name]

    def add(self, new: NewCommit) -> CommitRecord:
        """Queue one commit on top of the current tip; return its record."""
        folder, name = _check_path(new.path).split(b"/")
        blob = _Raw.of(Blob.type_num, new.content.encode(), folder + b"/" + name)
        subtree = self._subtree(folder)
        subtree.set(name, _FILE_MODE, blob.sha)
        sub = subtree.raw(folder)
        root = self._root_tree()
        root.set(folder, _DIR_MODE, sub.sha)
        top = root.raw(b"")
        self._objects.extend([blob, sub, top])
        self._root_sha = top.sha
        parent = self._new_tip
        sha = self._append(top.sha, new.author, new.author_time, new.commit_time, new.message)
        record = _record_of(new, sha, parent, blob.sha.decode())
        if record.path != new.path:
            raise StoreError(f"the trailers of {sha} name {record.path}, not {new.path}")
        return record

    def add_event(
        self, author: Identity, author_time: datetime, commit_time: datetime, message: str
    ) -> str:
        """Queue a commit that keeps the tree as it is (an event); return its sha."""
        if self._new_tip is None:
            raise StoreError("an event needs an article to happen to: the archive is empty")
        if self._root_sha is None:
            tree = self._tip_tree()
            assert tree is not None
            self._root_sha = tree.id
        return self._append(self._root_sha, author, author_time, commit_time, message)

    def _append(
        self,
        tree: bytes,
        author: Identity,
        author_time: datetime,
        commit_time: datetime,
        message: str,
    ) -> str:
        # Identity and _git_time vetted every part: the bytes are a commit git accepts.
        parents = b"parent %s\n" % self._new_tip.encode() if self._new_tip else b""
        data = b"tree %s\n%sauthor %s %d %s\ncommitter %s %d %s\n\n%s" % (
            tree,
            parents,
            author.raw(),
            *_git_time_raw(author_time),
            COMMITTER.encode(),
            *_git_time_raw(commit_time),
            message.encode(),
        )
        commit = _Raw.of(Commit.type_num, data)
        self._objects.append(commit)
        self._new_tip = commit.sha.decode()
        return self._new_tip

    def flush(self) -> None:
        """Write queued objects durably, then move main (compare-and-swap on the tip read)."""
        if not self._objects:
            return
        self._store.write_objects(self._objects)
        self._store.move_main(self._tip, self._new_tip)
        self._objects.clear()
        self._tip = self._new_tip


class Store:
    """A bare repository with one history on `refs/heads/main`."""

    def __init__(self, path: Path) -> None:
        if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
            raise StoreError(f"no archive repository at {path}; run `versionvault init`")
        self.path = path
        self.repo = _open_repo(path)
        self._thread_lock = threading.Lock()

    @classmethod
    def create(cls, path: Path) -> Store:
        """Create the bare repository if it does not exist (idempotent)."""
        if not (path / "HEAD").is_file():
            path.mkdir(parents=True, exist_ok=True)
            repo = Repo.init_bare(str(path), default_branch=b"main")
            config = repo.get_config()
            config.set((b"core",), b"logAllRefUpdates", False)
            config.set((b"gc",), b"auto", b"0")
            config.write_to_path()
            repo.close()
        return cls(path)

    def close(self) -> None:
        """Release file handles."""
        self.repo.close()

    def tip(self) -> str | None:
        """Return the sha main points at, or None for an empty archive."""
        sha = self.repo.refs.as_dict().get(MAIN)
        return sha.decode() if sha else None

    def read_blob(self, sha: str) -> str:
        """Return a blob's text."""
        blob = self.repo[sha.encode()]
        if not isinstance(blob, Blob):
            raise StoreError(f"{sha} is not a file")
        return blob.data.decode()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the archive's write lock; yield a Transaction that is flushed on success."""
        with self.locked():
            self.repo.refs.get_packed_refs()
            txn = Transaction(self)
            yield txn
            txn.flush()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the write lock without writing (for maintenance)."""
        with self._thread_lock, open(self.path / _LOCK_NAME, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                self._clear_leftovers()
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _clear_leftovers(self) -> None:
        pack_dir = self.path / "objects" / "pack"
        for leftover in pack_dir.glob("tmp*"):
            leftover.unlink(missing_ok=True)

    def write_objects(self, objects: list[_Raw]) -> None:
        """Write objects durably: loose for a few, one pack for a batch."""
        store = self.repo.object_store
        if len(objects) > 16:
            self._write_pack(objects)
            return
        for raw in objects:
            obj = ShaFile.from_raw_string(raw.type_num, raw.data, ObjectID(raw.sha))
            for _ in range(3):
                try:
                    store.add_object(obj)
                    break
                except FileLocked as locked:
                    Path(os.fsdecode(locked.lockfilename)).unlink(missing_ok=True)
            else:
                raise StoreError("could not write an object: its lock file keeps coming back")

    def _write_pack(self, objects: list[_Raw]) -> None:
        """Write one pack and its index from objects whose shas are known.

        dulwich's `add_objects` would re-read and re-hash the whole pack twice to build the
        index and to validate it; these objects were made here, so their index entries come
        straight from writing them. The pack is fsynced and moved in before its index, as
        dulwich does, so a crash leaves at most a pack git ignores.
        """
        store = self.repo.object_store
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
        finally:
            Path(tmp).unlink(missing_ok=True)
            Path(tmp_index).unlink(missing_ok=True)
        store.packs  # noqa: B018 -- rescans the pack directory: the new pack is readable now

    def move_main(self, old: str | None, new: str | None) -> None:
        """Compare-and-swap main from `old` to `new`; clear a stale ref lock left by a crash."""
        assert new is not None
        old_raw = old
        lock = self.path / "refs" / "heads" / "main.lock"
        waited = 0.0
        while True:
            try:
                if old_raw is None:
                    moved = self.repo.refs.add_if_new(MAIN, _oid(new))
                else:
                    moved = self.repo.refs.set_if_equals(MAIN, _oid(old_raw), _oid(new))
            except FileLocked:
                if waited >= _STALE_REF_LOCK_SECONDS:
                    lock.unlink(missing_ok=True)
                    waited = 0.0
                else:
                    time.sleep(0.05)
                    waited += 0.05
                continue
            if not moved:
                raise ConcurrentUpdate(f"main moved while writing (expected {old})")
            return

    def walk(self, since: str | None, tip: str | None = None) -> Iterator[CommitRecord]:
        """Yield commits on main after `since` (exclusive) up to `tip` (main's), oldest first."""
        shas: list[bytes] = []
        sha = tip or self.tip()
        current = sha.encode() if sha else None
        stop = since.encode() if since else None
        while current is not None and current != stop:
            shas.append(current)
            commit = self.repo[current]
            if not isinstance(commit, Commit):
                raise StoreError(f"{current.decode()} is not a commit")
            current = commit.parents[0] if commit.parents else None
        if stop is not None and current != stop:
            raise StoreError(f"{since} is not on main")
        for raw in reversed(shas):
            yield self.record(raw.decode())

    def on_main(self, sha: str) -> bool:
        """Return True if `sha` is a commit on main's first-parent line."""
        tip = self.tip()
        current = tip.encode() if tip else None
        target = _oid(sha)
        if target not in self.repo.object_store:
            return False
        while current is not None:
            if current == target:
                return True
            commit = self.repo[current]
            assert isinstance(commit, Commit)
            current = commit.parents[0] if commit.parents else None
        return False

    def record(self, sha: str) -> CommitRecord:
        """Return one commit's record (the file it changed is named by its trailers)."""
        try:
            commit = self.repo[sha.encode()]
        except KeyError:
            raise StoreError(f"commit {sha} is missing") from None
        if not isinstance(commit, Commit):
            raise NotCommitError(sha.encode())
        message = commit.message.decode()
        trailers = parse_trailers(message)
        path = f"{trailers.get('Source', '')}/{trailers.get('Article', '')}.md"
        try:
            _, blob = tree_lookup_path(self.repo.__getitem__, commit.tree, _check_path(path))
        except (KeyError, NotTreeError, StoreError):
            if "Event" not in trailers:
                raise StoreError(f"commit {sha} names {path!r}, which is not in its tree") from None
            blob = ObjectID(b"")
        return CommitRecord(
            sha=sha,
            parent=commit.parents[0].decode() if commit.parents else None,
            blob=blob.decode(),
            path=path,
            author=commit.author.decode(),
            author_time=_from_git_time(commit.author_time, commit.author_timezone),
            commit_time=_from_git_time(commit.commit_time, commit.commit_timezone),
            subject=message.split("\n", 1)[0],
            trailers=trailers,
        )

    def changed_paths(self, sha: str) -> list[str]:
        """Return the paths a commit changed against its first parent."""
        commit = self.repo[sha.encode()]
        assert isinstance(commit, Commit)
        old_tree = None
        if commit.parents:
            parent = self.repo[commit.parents[0]]
            assert isinstance(parent, Commit)
            old_tree = parent.tree
        changes = self.repo.object_store.tree_changes(old_tree, commit.tree)
        paths: set[str] = set()
        for (old_path, new_path), _, _ in changes:
            for p in (old_path, new_path):
                if p is not None:
                    paths.add(p.decode())
        return sorted(paths)

    def write_bundle(self, path: Path) -> None:
        """Write a git bundle of main (and HEAD) that `git clone FILE` accepts."""
        bundle = create_bundle_from_repo(self.repo, refs=[HEAD, MAIN])
        tmp = path.with_name(path.name + ".tmp")
        with bundle, open(tmp, "wb") as f:
            write_bundle(f, bundle)
        tmp.replace(path)

    def push(self, remote: str) -> str:
        """Push main to a Git remote (URL or path); return what the remote reported."""
        from dulwich import porcelain
        from dulwich.errors import GitProtocolError, HangupException, NotGitRepository

        if self.tip() is None:
            raise StoreError("the archive is empty: nothing to push")
        out, err = BytesIO(), BytesIO()
        try:
            result = porcelain.push(
                str(self.path),
                remote,
                [b"refs/heads/main:refs/heads/main"],
                outstream=out,
                errstream=err,
            )
        except (GitProtocolError, HangupException, NotGitRepository, OSError, ValueError) as exc:
            raise StoreError(f"push to {remote} failed: {exc}") from None
        refused = {k: v for k, v in (result.ref_status or {}).items() if v}
        if refused:
            reasons = "; ".join(f"{k.decode()}: {v}" for k, v in refused.items())
            raise StoreError(f"{remote} refused the push: {reasons}")
        return err.getvalue().decode(errors="replace").strip()

    def size(self) -> int:
        """Return the bytes the object database takes on disk."""
        return sum(p.stat().st_size for p in (self.path / "objects").rglob("*") if p.is_file())

    def repack(self) -> None:
        """Repack every object with deltas using the git binary, holding the write lock."""
        git = shutil.which("git")
        if git is None:
            raise StoreError("gc needs the git binary, which is not installed: install git")
        with self.locked():
            for args in (
                ["repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=250"],
                ["prune-packed", "-q"],
            ):
                done = subprocess.run(
                    [git, "--git-dir", str(self.path), *args], capture_output=True, text=True
                )
                if done.returncode:
                    raise StoreError(f"git {args[0]} failed: {done.stderr.strip()}")
            self.repo.close()
            self.repo = _open_repo(self.path)

    def check_objects(self) -> list[str]:
        """Check every object reachable from main; return problems found."""
        problems: list[str] = []
        tip = self.tip()
        if tip is None:
            return problems
        seen: set[bytes] = set()
        stack = [tip.encode()]
        while stack:
            sha = stack.pop()
            if sha in seen:
                continue
            seen.add(sha)
            try:
                obj = self.repo[sha]
                obj.check()
            except Exception as exc:  # any failure is a finding, not a crash
                problems.append(f"object {sha.decode()}: {exc}")
                continue
            if isinstance(obj, Commit):
                stack.extend([obj.tree, *obj.parents])
            elif isinstance(obj, Tree):
                stack.extend(entry.sha for entry in obj.iteritems())
        return problems


class ConcurrentUpdate(StoreError):
    """Main moved under a writer that did not hold the lock."""
