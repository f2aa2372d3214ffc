"""Store: the bare repository, its layout, its write lock, its transactions, and reads."""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dulwich.errors import NotCommitError
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from .commits import CommitRecord, StoreError, check_path, from_git_time, parse_trailers
from .errors import DiskFull
from .packs import Raw, pack_contents, release_pages, write_loose, write_pack
from .paths import DATED, FLAT, LAYOUTS, capture_path, trailer_path
from .transaction import Transaction
from .trees import Audit, Trees

__all__ = ["HEAD", "MAIN", "ConcurrentUpdate", "Store", "Transaction"]

MAIN = Ref(b"refs/heads/main")
HEAD = Ref(b"HEAD")
_LOCK_NAME = "versionvault.lock"
_KINDS = {Commit.type_num: "commit", Tree.type_num: "tree", Blob.type_num: "blob"}
_LAYOUT = ((b"versionvault",), b"layout")
_CACHE_PER_PACK = 8 * 1024 * 1024  # dulwich caches up to 96 MiB of objects in every pack
_COMMITS_KEPT = 8
_RELEASE_EVERY = 20 * 5_000  # a walk lets its packs' pages go every 5,000 commits
_CHAIN_KEPT = 20 * 50_000  # bytes of a walk's way back kept in memory: 50,000 commits


_STALE_REF_LOCK_SECONDS = 1.0
_LEFTOVER_AGE = 3600.0  # seconds; git's own prune leaves temporary files two weeks


def _open_repo(path: Path) -> Repo:
    repo = Repo(str(path))
    repo.object_store.fsync_object_files = True  # objects are durable before the ref moves
    repo.object_store.delta_base_cache_limit = _CACHE_PER_PACK  # before any pack is opened
    return repo


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


class ConcurrentUpdate(StoreError):
    """Main moved under a writer that did not hold the lock."""


class Store:
    """A bare repository with one history on `refs/heads/main`.

    `layout` (the repository's `versionvault.layout`) says where a new article's file goes:
    `dated` for archives made since the fan-out, `flat` for older ones (see paths.py).
    """

    def __init__(self, path: Path) -> None:
        if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
            raise StoreError(f"no archive repository at {path}; run `versionvault init`")
        self.path = path
        self.repo = _open_repo(path)
        self.trees = Trees(self.repo.object_store)
        self._thread_lock = threading.Lock()
        self._thread_lock_reads = threading.Lock()
        self._commits: dict[bytes, Commit] = {}
        try:
            layout = self.repo.get_config().get(*_LAYOUT).decode()
        except KeyError:
            layout = FLAT  # archives made before the fan-out do not say
        if layout not in LAYOUTS:
            raise StoreError(f"unknown versionvault.layout {layout!r} in {path / 'config'}")
        self.layout = layout

    @classmethod
    def create(cls, path: Path, layout: str = DATED) -> Store:
        """Create the bare repository if it does not exist (idempotent)."""
        if not (path / "HEAD").is_file():
            path.mkdir(parents=True, exist_ok=True)
            repo = Repo.init_bare(str(path), default_branch=b"main")
            config = repo.get_config()
            config.set((b"core",), b"logAllRefUpdates", False)
            config.set((b"gc",), b"auto", b"0")
            config.set(*_LAYOUT, layout.encode())
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
        try:
            type_num, data = self.repo.object_store.get_raw(_oid(sha))
        except KeyError:
            raise StoreError(f"file {sha} is missing") from None
        if type_num != Blob.type_num:
            raise StoreError(f"{sha} is not a file")
        return data.decode()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the archive's write lock; yield a Transaction that is flushed on success."""
        with self.locked():
            self.repo.refs.get_packed_refs()
            txn = Transaction(self)
            yield txn
            try:
                txn.flush()
            except OSError as exc:  # a full disk: DiskFull, unless main did move (then saved)
                full = DiskFull.of(exc)
                if full is None:
                    raise
                if self.tip() != txn.tip:
                    raise full from None

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
        """Remove the temporary files a crashed writer left among the packs: those untouched
        for _LEFTOVER_AGE (a roll's git writes its own there, without the lock)."""
        pack_dir = self.path / "objects" / "pack"
        for leftover in pack_dir.glob("tmp*"):
            with suppress(FileNotFoundError):
                if time.time() - leftover.stat().st_mtime > _LEFTOVER_AGE:
                    leftover.unlink()

    def write_objects(self, objects: list[Raw]) -> None:
        """Write objects durably: loose for a few, one pack for a batch."""
        store = self.repo.object_store
        if len(objects) > 16:
            write_pack(store, objects)
            return
        for raw in objects:
            write_loose(store, raw)

    def move_main(self, old: str | None, new: str | None) -> None:
        """Compare-and-swap main from `old` to `new` under git's lock file, as git does.

        The new sha is written to `main.lock`, fsynced and renamed over `main`. A lock left
        by a crash is cleared after a second; a lock that could not be written (a full
        disk) is removed at once, main unmoved.
        """
        assert new is not None
        heads = self.path / "refs" / "heads"
        lock = heads / "main.lock"
        waited = 0.0
        while True:
            try:
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if waited >= _STALE_REF_LOCK_SECONDS:
                    lock.unlink(missing_ok=True)
                    waited = 0.0
                else:
                    time.sleep(0.05)
                    waited += 0.05
                continue
            try:
                with os.fdopen(fd, "wb") as f:
                    if self.tip() != old:
                        raise ConcurrentUpdate(f"main moved while writing (expected {old})")
                    f.write(new.encode() + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(lock, heads / "main")
            except BaseException as exc:
                lock.unlink(missing_ok=True)  # after the rename the lock may be another's
                if isinstance(exc, OSError):
                    exc.filename = exc.filename or str(lock)
                raise
            return

    def walk(
        self, since: str | None, tip: str | None = None, blobs: bool = True
    ) -> Iterator[CommitRecord]:
        """Yield commits on main after `since` (exclusive) up to `tip` (main's), oldest first.

        The way back is read as the commits' raw bytes (their parent lines alone) and kept as
        20 bytes a commit, spilled to a temporary file past _CHAIN_KEPT, so a walk of
        millions stays small. Without `blobs`, records are not looked up in their trees
        (`blob` is "", see `record`).
        """
        sha = tip or self.tip()
        stop = since.encode() if since else None
        with tempfile.TemporaryFile() as spill:
            chain, spilled = bytearray(), 0
            current = sha.encode() if sha else None
            while current is not None and current != stop:
                chain += bytes.fromhex(current.decode())
                if len(chain) >= _CHAIN_KEPT:
                    spill.write(chain)
                    spilled += len(chain)
                    chain.clear()
                current = self._parent(current)
            if stop is not None and current != stop:
                raise StoreError(f"{since} is not on main")
            self.release_pages()
            while True:
                for end in range(len(chain), 0, -20):
                    yield self.record(chain[end - 20 : end].hex(), blobs)
                    if end % _RELEASE_EVERY == 0:
                        self.release_pages()
                if not spilled:
                    return
                spill.seek(spilled - _CHAIN_KEPT)
                chain = bytearray(spill.read(_CHAIN_KEPT))
                spilled -= _CHAIN_KEPT

    def release_pages(self) -> None:
        """Let go of the pages of the packs this process has read (see packs.release_pages)."""
        for pack in self.repo.object_store.packs:
            release_pages(pack)

    def _parent(self, sha: bytes) -> bytes | None:
        """Return a commit's first parent, read from its raw bytes alone (None for a root)."""
        try:
            type_num, data = self.repo.object_store.get_raw(ObjectID(sha))
        except KeyError:
            raise StoreError(f"commit {sha.decode()} is missing") from None
        if type_num != Commit.type_num:
            raise NotCommitError(sha)
        header = data[: data.find(b"\n\n")]
        at = header.find(b"\nparent ")
        return None if at < 0 else header[at + 8 : at + 48]

    def _commit(self, sha: bytes) -> Commit:
        """Return a commit object; the last few are kept (a walk reads each more than once)."""
        with self._thread_lock_reads:
            found = self._commits.get(sha)
        if found is not None:
            return found
        try:
            commit = self.repo[sha]
        except KeyError:
            raise StoreError(f"commit {sha.decode()} is missing") from None
        if not isinstance(commit, Commit):
            raise NotCommitError(sha)
        with self._thread_lock_reads:
            self._commits[sha] = commit
            while len(self._commits) > _COMMITS_KEPT:
                self._commits.pop(next(iter(self._commits)))
        return commit

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

    def read_tree(self, sha: bytes, path: bytes = b"") -> Tree:
        """Return a tree object (StoreError if `sha` is something else)."""
        tree = self.repo[ObjectID(sha)]
        if not isinstance(tree, Tree):
            raise StoreError(f"{path.decode() or 'the root'} is not a directory in the archive")
        return tree

    def record(self, sha: str, blob: bool = True) -> CommitRecord:
        """Return one commit's record: the file it changed is the path its trailers name.

        Its `blob` is that file's sha in the commit's tree ("" for an event, or if not `blob`).
        """
        commit = self._commit(sha.encode())
        message = commit.message.decode(errors="replace")
        trailers = parse_trailers(message)
        path = trailer_path(trailers)
        found: bytes | None = b""
        if "Event" not in trailers and blob:
            try:
                found = self.trees.lookup(commit.tree, check_path(path))
            except StoreError:
                found = None
        if found is None:
            raise StoreError(f"commit {sha} names {path!r}, which is not in its tree")
        try:
            author_time = from_git_time(commit.author_time, commit.author_timezone)
            commit_time = from_git_time(commit.commit_time, commit.commit_timezone)
        except StoreError as exc:
            raise StoreError(f"commit {sha}: {exc}") from None
        return CommitRecord(
            sha=sha,
            parent=commit.parents[0].decode() if commit.parents else None,
            blob=found.decode(),
            path=path,
            author=commit.author.decode(errors="replace"),
            author_time=author_time,
            commit_time=commit_time,
            subject=message.split("\n", 1)[0],
            trailers=trailers,
        )

    def capture(self, sha: str) -> bytes | None:
        """Return the raw page kept for the article of commit `sha` as of that commit, if any."""
        commit = self._commit(sha.encode())
        page = capture_path(trailer_path(parse_trailers(commit.message.decode())))
        try:
            found = self.trees.lookup(commit.tree, check_path(page))
        except StoreError:
            return None
        return self.repo[found].as_raw_string() if found else None

    def audit(self, record: CommitRecord) -> Audit:
        """Check a commit and what it changed along its paths (the article's and its page's)."""
        commit = self._commit(record.sha.encode())
        parent = self._commit(commit.parents[0]).tree if commit.parents else None
        files = [record.path.encode(), capture_path(record.path).encode()]
        audit = self.trees.audit(commit.tree, parent, files)
        if commit.sha().hexdigest() != record.sha:  # (fsck.py checks its format)
            audit.problems.append(f"object {record.sha}: its content does not hash to its name")
        return audit

    def raw_objects(self) -> Iterator[tuple[str, str, bytes]]:
        """Yield every commit and tree stored, reachable or not: (sha, kind, bytes as git
        hashed them); blobs are passed over unread.

        Pack by pack, each in its own order, then the loose ones: an object stored twice is
        yielded twice, so that memory does not grow with the number of objects.
        """
        store = self.repo.object_store
        for pack in store.packs:  # a lookup across every pack would cost far more
            for type_num, data in pack_contents(pack):
                if data is not None:
                    kind = _KINDS.get(type_num, "tag")
                    yield Raw.of(type_num, data).sha.decode(), kind, data
        for loose in sorted((self.path / "objects").glob("[0-9a-f][0-9a-f]/*")):
            name = loose.parent.name + loose.name
            if len(name) == 40 and not loose.name.startswith("tmp"):
                type_num, data = store.get_raw(ObjectID(name.encode()))
                if type_num != Blob.type_num:
                    yield name, _KINDS.get(type_num, "tag"), data

    def reopen(self) -> None:
        """Reopen the repository (after git rewrote its packs)."""
        self.repo.close()
        self.repo = _open_repo(self.path)
        self.trees = Trees(self.repo.object_store)
