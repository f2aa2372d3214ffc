"""Store: the bare repository, its write lock, transactions that append commits, and reads."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from dulwich.errors import NotCommitError, NotTreeError
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from .commits import (
    COMMITTER,
    CommitRecord,
    Identity,
    NewCommit,
    StoreError,
    check_path,
    from_git_time,
    git_time_raw,
    message_bytes,
    parse_trailers,
    record_of,
)
from .errors import DiskFull
from .packs import DIR_MODE, FILE_MODE, Raw, TreeBuilder, write_loose, write_pack

__all__ = ["HEAD", "MAIN", "ConcurrentUpdate", "Store", "Transaction"]

MAIN = Ref(b"refs/heads/main")
HEAD = Ref(b"HEAD")
_LOCK_NAME = "versionvault.lock"
_KINDS = {Commit.type_num: "commit", Tree.type_num: "tree", Blob.type_num: "blob"}


_STALE_REF_LOCK_SECONDS = 1.0


def _open_repo(path: Path) -> Repo:
    repo = Repo(str(path))
    repo.object_store.fsync_object_files = True  # objects are durable before the ref moves
    return repo


def _oid(sha: str) -> ObjectID:
    return ObjectID(sha.encode())


class Transaction:
    """Appends commits to main while the write lock is held."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tip = store.tip()
        self._objects: list[Raw] = []
        self._trees: dict[bytes, TreeBuilder] = {}
        self._root: TreeBuilder | None = None
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

    def _root_tree(self) -> TreeBuilder:
        if self._root is None:
            self._root = TreeBuilder(self._tip_tree())
        return self._root

    def _subtree(self, name: bytes) -> TreeBuilder:
        if name not in self._trees:
            sha = self._root_tree().get(name)
            tree = self._store.repo[ObjectID(sha)] if sha else Tree()
            if not isinstance(tree, Tree):
                raise StoreError(f"{name.decode()} is not a directory in the archive")
            self._trees[name] = TreeBuilder(tree)
        return self._trees[name]

    def add(self, new: NewCommit) -> CommitRecord:
        """Queue one commit on top of the current tip; return its record."""
        folder, name = check_path(new.path).split(b"/")
        blob = Raw.of(Blob.type_num, new.content.encode(), folder + b"/" + name)
        subtree = self._subtree(folder)
        subtree.set(name, FILE_MODE, blob.sha)
        sub = subtree.raw(folder)
        root = self._root_tree()
        root.set(folder, DIR_MODE, sub.sha)
        top = root.raw(b"")
        self._objects.extend([blob, sub, top])
        self._root_sha = top.sha
        parent = self._new_tip
        sha = self._append(top.sha, new.author, new.author_time, new.commit_time, new.message)
        record = record_of(new, sha, parent, blob.sha.decode())
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
        # Identity, git_time and message_bytes vet every part: the bytes are a commit git accepts.
        parents = b"parent %s\n" % self._new_tip.encode() if self._new_tip else b""
        data = b"tree %s\n%sauthor %s %d %s\ncommitter %s %d %s\n\n%s" % (
            tree,
            parents,
            author.raw(),
            *git_time_raw(author_time),
            COMMITTER.encode(),
            *git_time_raw(commit_time),
            message_bytes(message),
        )
        commit = Raw.of(Commit.type_num, data)
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
        pack_dir = self.path / "objects" / "pack"
        for leftover in pack_dir.glob("tmp*"):
            leftover.unlink(missing_ok=True)

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
        message = commit.message.decode(errors="replace")
        trailers = parse_trailers(message)
        path = f"{trailers.get('Source', '')}/{trailers.get('Article', '')}.md"
        try:
            _, blob = tree_lookup_path(self.repo.__getitem__, commit.tree, check_path(path))
        except (KeyError, NotTreeError, StoreError):
            if "Event" not in trailers:
                raise StoreError(f"commit {sha} names {path!r}, which is not in its tree") from None
            blob = ObjectID(b"")
        try:
            author_time = from_git_time(commit.author_time, commit.author_timezone)
            commit_time = from_git_time(commit.commit_time, commit.commit_timezone)
        except StoreError as exc:
            raise StoreError(f"commit {sha}: {exc}") from None
        return CommitRecord(
            sha=sha,
            parent=commit.parents[0].decode() if commit.parents else None,
            blob=blob.decode(),
            path=path,
            author=commit.author.decode(errors="replace"),
            author_time=author_time,
            commit_time=commit_time,
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

    def raw_objects(self) -> Iterator[tuple[str, str, bytes]]:
        """Yield every object stored, reachable or not: (sha, kind, bytes as git hashed them)."""
        store = self.repo.object_store
        seen: set[bytes] = set()
        for pack in store.packs:  # pack by pack: a lookup across every pack costs far more
            for sha in pack:
                if sha not in seen:
                    seen.add(sha)
                    type_num, data = pack.get_raw(sha)
                    yield sha.decode(), _KINDS.get(type_num, "tag"), data
        for sha in store:  # the loose ones (the packed were seen)
            if sha not in seen:
                seen.add(sha)
                type_num, data = store.get_raw(sha)
                yield sha.decode(), _KINDS.get(type_num, "tag"), data

    def reopen(self) -> None:
        """Reopen the repository (after git rewrote its packs)."""
        self.repo.close()
        self.repo = _open_repo(self.path)


class ConcurrentUpdate(StoreError):
    """Main moved under a writer that did not hold the lock."""
