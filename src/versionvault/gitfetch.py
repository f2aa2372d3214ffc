"""Git fetch: what a fetch needs, found along the first-parent line back to the client's haves."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Iterator, Mapping

from dulwich.object_store import BaseObjectStore, GraphWalker, MissingObjectFinder
from dulwich.objects import S_ISGITLINK, Blob, Commit, ObjectID, Tree
from dulwich.pack import PackHint
from dulwich.refs import Ref
from dulwich.repo import Repo

__all__ = ["LineRepo", "objects_after"]

Found = dict[ObjectID, PackHint | None]


class _Found(MissingObjectFinder):
    """Objects already found, handed to dulwich's upload-pack as its finder would be."""

    def __init__(self, found: Found) -> None:  # no walk: `found` is the answer
        self._pending = iter(list(found.items()))

    def __next__(self) -> tuple[ObjectID, PackHint | None]:
        return next(self._pending)

    def __iter__(self) -> Iterator[tuple[ObjectID, PackHint | None]]:
        return self


def _tree_changes(
    store: BaseObjectStore, new: ObjectID, old: ObjectID | None, found: Found
) -> None:
    """Add `new` and what under it is not at the same path in `old` (the parent's tree).

    A tree found already was gone through in full then, so it is not gone through again.
    """
    if new == old or new in found:
        return
    found[new] = (Tree.type_num, None)
    tree = store[new]
    before = store[old] if old is not None else None
    assert isinstance(tree, Tree) and (before is None or isinstance(before, Tree))
    was = {name: (mode, sha) for name, mode, sha in before.iteritems()} if before else {}
    for name, mode, sha in tree.iteritems():
        assert name is not None and mode is not None and sha is not None
        old_mode, old_sha = was.get(name, (0, None))
        if sha == old_sha or S_ISGITLINK(mode):
            continue
        if stat.S_ISDIR(mode):
            _tree_changes(store, sha, old_sha if stat.S_ISDIR(old_mode) else None, found)
        elif sha not in found:
            found[sha] = (Blob.type_num, name)


def _commit(store: BaseObjectStore, sha: ObjectID) -> Commit | None:
    try:
        found = store[sha]
    except KeyError:
        return None
    return found if isinstance(found, Commit) else None


def objects_after(
    store: BaseObjectStore, wants: Iterable[ObjectID], haves: Iterable[ObjectID]
) -> Found | None:
    """Return the objects of the commits from each want back to a have, on one-parent lines.

    Each want's line is walked back to the first commit the client has: those commits, and
    in each the trees and files that differ from its parent's, are what it lacks (it holds
    everything a commit it has reaches). The walk costs what is new, not the history. None
    when that does not hold: a want that is not a commit, a merge on the way, or a line that
    meets no have (dulwich's own finder then answers).
    """
    common = set(haves)
    found: Found = {}
    for want in wants:
        sha = want
        while sha not in common and sha not in found:
            commit = _commit(store, sha)
            parent = (
                _commit(store, commit.parents[0]) if commit and len(commit.parents) == 1 else None
            )
            if commit is None or parent is None:
                return None
            found[sha] = (Commit.type_num, None)
            _tree_changes(store, commit.tree, parent.tree, found)
            sha = commit.parents[0]
    return found


class LineRepo(Repo):
    """A repository whose upload-pack finds a fetch's objects with `objects_after`.

    Only for requests without depth or shallow lines: a shallow fetch is dulwich's to walk.
    """

    def find_missing_objects(
        self,
        determine_wants: Callable[[Mapping[Ref, ObjectID], int | None], list[ObjectID]],
        graph_walker: GraphWalker,
        progress: Callable[[bytes], None] | None,
        *,
        get_tagged: Callable[[], dict[ObjectID, ObjectID]] | None = None,
        depth: int | None = None,
    ) -> MissingObjectFinder | None:
        store = self.object_store
        refs = {ref: sha for ref, sha in self.get_refs().items() if sha in store}
        wants = determine_wants(refs, depth)
        if not wants:
            return MissingObjectFinder(store, haves=[], wants=[])
        haves = store.find_common_revisions(graph_walker)
        found = objects_after(store, wants, haves)
        if found is not None:
            return _Found(found)
        return MissingObjectFinder(
            store, haves=haves, wants=wants, progress=progress, get_tagged=get_tagged
        )
