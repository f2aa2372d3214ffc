"""Verify: every object sound, and git and the index telling the same history, in one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .commits import CommitRecord, StoreError
from .fsck import fsck, git_fsck
from .index import Index
from .packing import check_packs, object_count
from .paths import UnsafePath, names
from .rows import Event, Revision, event_rows, number_at, numbering_problems, revision_rows
from .store import Store

__all__ = ["verify"]

# Main is walked once, oldest first, beside the index's revisions and events in the same order;
# each commit is checked along the paths its trailers name (Trees.audit), never against whole
# trees, and each object it added there is checked to hash to its name. Then every stored
# object, reachable or not, gets the checks `git fsck --strict` makes (fsck.py), pack by pack,
# and git's own fsck runs if git is installed. Time grows with the archive; memory does not.
# git's fsck takes some 500 bytes an object (137 MB for 280,000), so past _GIT_FSCK_MOST
# objects each pack is checked by `git verify-pack` instead, in about the same time and a
# pack's worth of memory (what fsck adds, the checks above cover).

_Row = TypeVar("_Row", Revision, Event)
_SHOWN = 200  # problems listed; past that, how many more
_GIT_FSCK_MOST = 300_000  # objects (some 40,000 revisions): past that, no git fsck


def verify(store: Store, index: Index, progress: Callable[[int], None] | None = None) -> list[str]:
    """Check every commit on main, what it changed and its objects, that the index agrees,
    and every stored object as `git fsck --strict` does (running git's, if git is installed,
    or for a large archive its `verify-pack` on each pack).

    `progress` is called with 1 for each revision checked.
    """
    check = _Check(store, index)
    try:
        for record in store.walk(None, blobs=False):  # each blob comes from its audit
            check.commit(record)
            if progress and "Event" not in record.trailers:
                progress(1)
    except Exception as exc:  # a damaged object: a finding, and main cannot be read past it
        said = str(exc) if isinstance(exc, StoreError) else repr(exc)
        check.problems.append(f"main cannot be read past {check.last or 'its tip'}: {said}")
        check.whole = False
    try:
        stored = fsck(store)
    except Exception as exc:  # any failure is a finding, not a crash
        stored = [f"the stored objects cannot all be read: {exc!r}"]
    small = object_count(store) <= _GIT_FSCK_MOST
    by_git = git_fsck(store.path) if small else check_packs(store)
    found = [*check.finish(), *stored, *(by_git or [])]
    problems = list(dict.fromkeys(found))  # an object in two packs is found twice
    if len(problems) > _SHOWN:
        problems[_SHOWN:] = [f"... and {len(problems) - _SHOWN} more problems"]
    return problems


class _Rows(Generic[_Row]):
    """The index's rows in archive order, met one by one as main's commits come."""

    def __init__(self, rows: Iterator[tuple[int, _Row]]) -> None:
        self._rows: Iterator[tuple[int, _Row]] = rows
        self._ahead: tuple[int, _Row] | None = None
        self.met = 0
        self.seq = 0  # of the last row met

    def meet(self, sha: str) -> _Row | None:
        """Return the next row if it is the commit's, else None (the row waits)."""
        if self._ahead is None:
            self._ahead = next(self._rows, None)
        if self._ahead is None or self._ahead[1].commit != sha:
            return None
        (self.seq, row), self._ahead = self._ahead, None
        self.met += 1
        return row

    def left(self) -> Iterator[_Row]:
        """Yield the rows no commit met."""
        if self._ahead is not None:
            yield self._ahead[1]
        for _, row in self._rows:
            yield row


class _Check:
    """One verify: the index's rows still to meet, and what is found."""

    def __init__(self, store: Store, index: Index) -> None:
        self.store = store
        self.index = index
        self.problems: list[str] = []
        self.revisions = _Rows(revision_rows(index.db))
        self.events = _Rows(event_rows(index.db))
        self.removed: set[str] = set()  # articles removed and not saved since
        self.seen = 0
        self.last = ""  # the last commit checked
        self.whole = True  # main was read to its end

    def commit(self, record: CommitRecord) -> None:
        self.last = record.sha
        audit = self.store.audit(record)
        self.problems.extend(audit.problems)
        stray = ", ".join(p.decode() for p in audit.elsewhere)
        if stray:
            self.problems.append(f"commit {record.sha} changes {stray}, which it does not name")
        if "Event" in record.trailers:
            self._event(record, bool(audit.changed))
            return
        self.seen += 1
        row = self.revisions.meet(record.sha)
        if row is None:
            self.problems.append(f"commit {record.sha} is not in the index in its place")
            return
        blob = audit.changed.get(record.path.encode())
        back = row.article in self.removed and not audit.changed  # saved again as it was
        self.removed.discard(row.article)
        if blob is None and not back:
            self.problems.append(f"commit {record.sha}: its tree change is not {record.path}")
            return
        if blob is None:
            blob = self.store.record(record.sha).blob.encode()
        problem = self._compare(record, blob.decode(), row)
        if problem:
            self.problems.append(f"commit {record.sha}: {problem}")

    def _compare(self, record: CommitRecord, blob: str, row: Revision) -> str:
        try:
            named = names(record.path)
        except UnsafePath:
            return f"trailers name {record.path}, not an article's path"
        if named != (row.source, row.article):
            return f"trailers name {record.path}"
        kept = self.index.path_of(row.article)
        if kept != record.path:
            return f"the index keeps {row.article} at {kept}"
        if row.blob != blob:
            return "index blob differs from git"
        if record.trailers.get("Revision", str(row.number)) != str(row.number):
            return f"revision {row.number} in the index, {record.trailers['Revision']} in git"
        return ""

    def _event(self, record: CommitRecord, changed: bool) -> None:
        event = self.events.meet(record.sha)
        if event is None:
            self.problems.append(f"event commit {record.sha} is not in the index in its place")
            return
        if changed:
            self.problems.append(f"event commit {record.sha} changes the tree")
        before = number_at(self.index.db, event.article, self.revisions.seq)
        if event.after_revision != before or not before:
            self.problems.append(
                f"event commit {record.sha}: {event.article} has no revision before it"
            )
        if event.event == "removed":
            self.removed.add(event.article)

    def finish(self) -> list[str]:
        if not self.whole:  # what main holds past the damage is not known: nothing to compare
            return [*self.problems, *numbering_problems(self.index.db)]
        self.problems.extend(
            f"the index has revision {row.commit}, which is not on main in its place"
            for row in self.revisions.left()
        )
        self.problems.extend(
            f"the index has event {row.commit}, which is not on main in its place"
            for row in self.events.left()
        )
        _, revisions = self.index.counts()
        if self.seen != revisions:
            self.problems.append(f"git has {self.seen} revisions on main, the index {revisions}")
        self.problems.extend(numbering_problems(self.index.db))
        return self.problems
