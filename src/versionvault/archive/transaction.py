"""Transaction: commits appended to main under the write lock, their trees built on the way."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from dulwich.objects import Blob, Commit

from .commits import (
    COMMITTER,
    CommitRecord,
    Identity,
    NewCommit,
    StoreError,
    check_path,
    git_time_raw,
    message_bytes,
    parse_trailers,
    record_of,
)
from .packs import DIR_MODE, FILE_MODE, Raw, TreeBuilder
from .paths import capture_path, names, trailer_path

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Transaction"]


class Transaction:
    """Appends commits to main while the write lock is held.

    Each directory on a written path is a TreeBuilder, read from the tip when first needed;
    a commit re-serialises only the directories on its paths, deepest first.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tip = store.tip()
        self._objects: list[Raw] = []
        self._trees: dict[bytes, TreeBuilder] = {}  # directory ("" for the root) -> builder
        self._root_sha: bytes | None = None
        self._new_tip = self._tip

    @property
    def tip(self) -> str | None:
        """Return the tip this transaction builds on (including its own pending commits)."""
        return self._new_tip

    def _tip_tree(self) -> bytes | None:
        if self._tip is None:
            return None
        commit = self._store.repo[self._tip.encode()]
        assert isinstance(commit, Commit)
        return bytes(commit.tree)

    def _tree(self, folder: bytes) -> TreeBuilder:
        builder = self._trees.get(folder)
        if builder is None:
            if folder:
                parent, _, name = folder.rpartition(b"/")
                sha = self._tree(parent).get(name)
            else:
                sha = self._tip_tree()
            builder = TreeBuilder(self._store.read_tree(sha, folder) if sha else None)
            self._trees[folder] = builder
        return builder

    def _write_files(self, files: list[tuple[bytes, Raw]]) -> bytes:
        """Put files in their directories, re-serialise those up to the root; return its sha."""
        folders: set[bytes] = set()
        for path, blob in files:
            folder, _, name = path.rpartition(b"/")
            self._tree(folder).set(name, FILE_MODE, blob.sha)
            while folder not in folders:
                folders.add(folder)
                folder = folder.rpartition(b"/")[0]
        root = b""
        for folder in sorted(folders, key=lambda f: f.count(b"/") + bool(f), reverse=True):
            tree = self._tree(folder).raw(folder)
            self._objects.append(tree)
            if folder:
                parent, _, name = folder.rpartition(b"/")
                self._tree(parent).set(name, DIR_MODE, tree.sha)
            else:
                root = tree.sha
        return root

    def add(self, new: NewCommit) -> CommitRecord:
        """Queue one commit on top of the current tip; return its record."""
        path = check_path(new.path)
        trailers = parse_trailers(new.message)
        named = (trailers.get("Source"), trailers.get("Article"))
        if trailer_path(trailers) != new.path or named != names(new.path):
            raise StoreError(f"the trailers of the commit do not name {new.path}")
        blob = Raw.of(Blob.type_num, new.content.encode(), path)
        files = [(path, blob)]
        if new.capture is not None:
            page = check_path(capture_path(new.path))
            files.append((page, Raw.of(Blob.type_num, new.capture, page)))
        self._objects.extend(raw for _, raw in files)
        self._root_sha = self._write_files(files)
        parent = self._new_tip
        sha = self._append(
            self._root_sha, new.author, new.author_time, new.commit_time, new.message
        )
        return record_of(new, sha, parent, blob.sha.decode())

    def add_event(
        self, author: Identity, author_time: datetime, commit_time: datetime, message: str
    ) -> str:
        """Queue a commit that keeps the tree as it is (an event); return its sha."""
        if self._new_tip is None:
            raise StoreError("an event needs an article to happen to: the archive is empty")
        if self._root_sha is None:
            self._root_sha = self._tip_tree()
            assert self._root_sha is not None
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
